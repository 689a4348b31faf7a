#!/usr/bin/env python3
"""linux_fault_bench.py - Linux's demand-zero and COW fault, counted the way
`bench fault` counts Pagoda's, for comparison.

Boots Debian's cloud kernel (the package linux-image-cloud-amd64 depends
on, fetched with `apt-get download` and unpacked with `dpkg-deb` into
build/linux/; nothing is installed and nothing is committed) in QEMU's
deterministic mode (scripts/bench_kernel.py: -cpu qemu64 -smp 1 -icount
shift=0,sleep=off, so the TSC counts executed instructions), with an
initramfs holding one static program, scripts/linux_fault_init.c, which
times its own faults with rdtsc from the store to its retry, medians of
7 runs of 64 pages, and powers off. Prints its figures beside a note on
what they include.

Usage: linux_fault_bench.py   (needs apt-get, dpkg-deb, gcc with a static libc, QEMU)
Caveats (docs/benchmarks.md): a rep iteration counts as one instruction;
the figures include Linux's user/kernel transitions and whatever
mitigations it enables on -cpu qemu64.
"""
import glob
import os
import re
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "linux")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import bench_kernel  # noqa: E402  (ICOUNT_ARGS: the one spelling of the mode)

META_PACKAGE = "linux-image-cloud-amd64"
TIMEOUT = 600


def run(args, **kwargs):
    return subprocess.run(args, check=True, **kwargs)


def kernel_image():
    """build/linux/vmlinuz-*, fetched and unpacked the first time."""
    found = glob.glob(os.path.join(WORK, "root", "boot", "vmlinuz-*"))
    if found:
        return found[0]
    deps = subprocess.run(["apt-cache", "depends", META_PACKAGE], check=True,
                          capture_output=True, text=True).stdout
    m = re.search(r"Depends: (linux-image-\S+)", deps)
    if not m:
        sys.exit("linux_fault_bench: %s names no kernel package:\n%s" % (META_PACKAGE, deps))
    os.makedirs(WORK, exist_ok=True)
    for old in glob.glob(os.path.join(WORK, "*.deb")):
        os.unlink(old)
    run(["apt-get", "download", m.group(1)], cwd=WORK)
    deb = glob.glob(os.path.join(WORK, "*.deb"))[0]
    run(["dpkg-deb", "-x", deb, os.path.join(WORK, "root")])
    return glob.glob(os.path.join(WORK, "root", "boot", "vmlinuz-*"))[0]


def cpio_entry(name, mode, data=b"", rdev=(0, 0)):
    """One record of a newc cpio archive (what the kernel unpacks as initramfs)."""
    fields = [0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    header = b"070701" + b"".join(b"%08x" % f for f in fields)
    out = header + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def initramfs():
    """build/linux/initramfs.cpio: /init (the static program) and /dev/console."""
    init = os.path.join(WORK, "init")
    run(["gcc", "-static", "-O2", "-Wall", "-o", init,
         os.path.join(ROOT, "scripts", "linux_fault_init.c")])
    with open(init, "rb") as f:
        program = f.read()
    archive = (cpio_entry("dev", stat.S_IFDIR | 0o755) +
               cpio_entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)) +
               cpio_entry("init", stat.S_IFREG | 0o755, program) +
               cpio_entry("TRAILER!!!", 0))
    path = os.path.join(WORK, "initramfs.cpio")
    with open(path, "wb") as f:
        f.write(archive)
    return path


def main():
    vmlinuz = kernel_image()
    initrd = initramfs()
    args = ["qemu-system-x86_64", "-m", "256M", "-kernel", vmlinuz, "-initrd", initrd,
            "-append", "console=ttyS0 quiet panic=-1 transparent_hugepage=never",
            "-display", "none", "-serial", "stdio", "-no-reboot"] + list(bench_kernel.ICOUNT_ARGS)
    out = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT).stdout
    figures = dict(re.findall(r"linux-fault-bench: (.+?) (\d+)\r?$", out, re.M))
    if "demand-zero fault" not in figures:
        sys.exit("linux_fault_bench: no figures; the console said:\n" + out[-3000:])
    print("Linux %s, -cpu qemu64 -icount shift=0: instructions from the store to its retry"
          % os.path.basename(vmlinuz)[len("vmlinuz-"):])
    print("(median of 7 runs of 64 pages; the two rdtsc alone: %s)" % figures["rdtsc pair alone"])
    print("  demand-zero fault   %8s" % figures["demand-zero fault"])
    print("  COW fault           %8s" % figures["COW fault"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
