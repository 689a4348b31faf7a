#!/usr/bin/env python3
"""linux_kernel.py - the pinned Linux kernel: fetched, cached, booted in QEMU.

Pagoda speaks Linux's system-call ABI, so the same static user programs run
on both kernels: `make test` runs the portable usertests on Linux too
(tests/integration/test_linux.py) and `make bench-user` measures the same
benchmark binary on both. This module is the one place that knows which
Linux: LINUX_PACKAGE below is the pin (change it here only; then measure
the Linux figures in docs/benchmarks.md again).

The package is taken with `apt-get download` and unpacked with `dpkg-deb -x`
(never installed) into a cache outside the tree,
${XDG_CACHE_HOME:-~/.cache}/pagoda/linux/<package>/root/boot/ (the modules
are dropped: an initramfs boot needs none), reused by every later run and
every clone. Unpacking goes to a temporary directory renamed into
place, so two runs that fetch at once never see half a kernel.

Interface (stable: scripts/bench_user.py and the tests build on it):
  kernel_image() -> path of the vmlinuz (fetched the first time)
  static_program(source, output) -> output (musl-gcc -static -O2)
  initramfs(path, files, init) -> path: a newc cpio with /init, /dev/console
                                  and files {name in the archive: host path}
  boot(kernel, initrd, append, extra_qemu_args, timeout) -> console text
Usage: linux_kernel.py            (fetch if needed; print the kernel's path)
       linux_kernel.py --boot-test (boot a hello init; print the console)
"""
import glob
import os
import shutil
import stat
import subprocess
import sys
import tempfile

# The pin: Debian bookworm's cloud kernel (virtio and the 8250 UART built
# in, no modules needed for a serial console and an initramfs).
LINUX_PACKAGE = "linux-image-6.1.0-57-cloud-amd64"

# The command line every boot gets: the console on COM1, no reboot loop on a
# panic (QEMU's -no-reboot turns the reboot into an exit), no THP so faults
# are 4 KiB faults as on Pagoda.
BASE_APPEND = "console=ttyS0 panic=-1 transparent_hugepage=never"
MEMORY = "256M"
BOOT_TIMEOUT = 300


class LinuxBootError(Exception):
    """The boot did not end by itself in time; .output holds the console so far."""

    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output


def cache_dir():
    """${XDG_CACHE_HOME:-~/.cache}/pagoda/linux/<LINUX_PACKAGE>."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pagoda", "linux", LINUX_PACKAGE)


def _vmlinuz(root):
    found = sorted(glob.glob(os.path.join(root, "boot", "vmlinuz-*")))
    return found[0] if found else None


def _download(workdir):
    """apt-get download the pinned package into workdir; apt-get update once on failure."""
    cmd = ["apt-get", "download", LINUX_PACKAGE]
    if subprocess.run(cmd, cwd=workdir, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True)
        done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError("linux_kernel: apt-get download %s failed:\n%s"
                               % (LINUX_PACKAGE, done.stderr))
    debs = glob.glob(os.path.join(workdir, "*.deb"))
    if len(debs) != 1:
        raise RuntimeError("linux_kernel: apt-get download left %d .deb files" % len(debs))
    return debs[0]


def kernel_image():
    """The pinned kernel's vmlinuz path, downloaded and unpacked the first time."""
    root = os.path.join(cache_dir(), "root")
    found = _vmlinuz(root)
    if found:
        return found
    os.makedirs(cache_dir(), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir()) as work:
        deb = _download(work)
        unpacked = os.path.join(work, "root")
        subprocess.run(["dpkg-deb", "-x", deb, unpacked], check=True)
        if not _vmlinuz(unpacked):
            raise RuntimeError("linux_kernel: %s holds no boot/vmlinuz-*" % LINUX_PACKAGE)
        for name in os.listdir(unpacked):   # the modules (~100 MB): an initramfs needs none
            if name != "boot":
                shutil.rmtree(os.path.join(unpacked, name))
        try:
            os.rename(unpacked, root)
        except OSError:
            if not _vmlinuz(root):  # not a concurrent fetch that won the race
                raise
    return _vmlinuz(root)


def static_program(source, output, extra_flags=()):
    """Compile one C file into a static executable with musl-gcc; returns output."""
    subprocess.run(["musl-gcc", "-static", "-O2", "-Wall", "-Werror", "-o", output, source]
                   + list(extra_flags), check=True)
    return output


def cpio_entry(name, mode, data=b"", rdev=(0, 0)):
    """One record of a newc cpio archive (what Linux unpacks as initramfs)."""
    fields = [0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    out = b"070701" + b"".join(b"%08x" % f for f in fields) + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    return out + data + b"\0" * (-len(data) % 4)


def initramfs(path, files, init):
    """Write a newc initramfs to path: /init (the host file init, mode 0755),
    /dev/console, and files {archive name: host path} (executables keep their
    x bits; parent directories are made; none may be named init). Returns path."""
    if "init" in (name.strip("/") for name in files):
        raise ValueError("linux_kernel.initramfs: a file named init would replace /init")
    dirs = {"dev"}
    for name in files:
        parts = name.strip("/").split("/")[:-1]
        dirs.update("/".join(parts[:i + 1]) for i in range(len(parts)))
    out = [cpio_entry(d, stat.S_IFDIR | 0o755) for d in sorted(dirs)]
    out.append(cpio_entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)))
    with open(init, "rb") as f:
        out.append(cpio_entry("init", stat.S_IFREG | 0o755, f.read()))
    for name in sorted(files):
        host = files[name]
        mode = 0o755 if os.access(host, os.X_OK) else 0o644
        with open(host, "rb") as f:
            out.append(cpio_entry(name.strip("/"), stat.S_IFREG | mode, f.read()))
    out.append(cpio_entry("TRAILER!!!", 0))
    with open(path, "wb") as f:
        f.write(b"".join(out))
    return path


def boot(kernel, initrd, append="", extra_qemu_args=(), timeout=BOOT_TIMEOUT, memory=MEMORY):
    """Boot kernel with initrd in QEMU (TCG unless extra_qemu_args say otherwise)
    with the console on stdio; wait for the guest to end (its init powers off, or
    panics: -no-reboot). Returns the console text. Raises LinuxBootError (with the
    console so far) after timeout seconds."""
    args = ["qemu-system-x86_64", "-m", memory, "-kernel", kernel, "-initrd", initrd,
            "-append", (BASE_APPEND + " " + append).strip(),
            "-display", "none", "-serial", "stdio", "-monitor", "none",
            "-no-reboot"] + list(extra_qemu_args)
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        text = (e.output or b"").decode("utf-8", "replace")
        raise LinuxBootError("linux_kernel: no power-off within %d s" % timeout, text)
    return done.stdout.decode("utf-8", "replace")


def _boot_test():
    """Boot a tiny init that prints a line and powers off: the whole path, checked."""
    with tempfile.TemporaryDirectory() as work:
        source = os.path.join(work, "hello_init.c")
        with open(source, "w") as f:
            f.write('#include <stdio.h>\n#include <sys/reboot.h>\n#include <unistd.h>\n'
                    'int main(void) { printf("linux_kernel: hello from init\\n");\n'
                    '  fflush(stdout); sync(); reboot(RB_POWER_OFF); return 1; }\n')
        init = static_program(source, os.path.join(work, "init"))
        initrd = initramfs(os.path.join(work, "initrd.cpio"), {}, init)
        out = boot(kernel_image(), initrd, append="quiet")
    sys.stdout.write(out)
    return 0 if "linux_kernel: hello from init" in out else 1


def main(argv):
    if argv == ["--boot-test"]:
        return _boot_test()
    if argv:
        print(__doc__.split("Usage:")[1].rstrip(), file=sys.stderr)
        return 2
    print(kernel_image())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
