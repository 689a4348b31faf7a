#!/usr/bin/env python3
"""linux_fault_bench.py - Linux's demand-zero and COW fault, counted the way
`bench fault` counts Pagoda's, for comparison.

Boots the pinned Debian kernel (scripts/linux_kernel.py: LINUX_PACKAGE,
fetched once with `apt-get download` + `dpkg-deb -x` into a cache outside
the tree; nothing is installed and nothing is committed) in QEMU's
deterministic mode (scripts/bench_kernel.py: -cpu qemu64 -smp 1 -icount
shift=0,sleep=off, so the TSC counts executed instructions), with an
initramfs holding one static program, scripts/linux_fault_init.c, which
times its own faults with rdtsc from the store to its retry, medians of
7 runs of 64 pages, and powers off. Prints its figures beside a note on
what they include.

Usage: linux_fault_bench.py   (needs apt-get, dpkg-deb, musl-gcc, QEMU)
Caveats (docs/benchmarks.md): a rep iteration counts as one instruction;
the figures include Linux's user/kernel transitions and whatever
mitigations it enables on -cpu qemu64.
"""
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import bench_kernel  # noqa: E402  (ICOUNT_ARGS: the one spelling of the mode)
import linux_kernel  # noqa: E402  (the pinned kernel, the initramfs, the boot)

TIMEOUT = 600


def main():
    vmlinuz = linux_kernel.kernel_image()
    with tempfile.TemporaryDirectory() as work:
        init = linux_kernel.static_program(os.path.join(ROOT, "scripts", "linux_fault_init.c"),
                                           os.path.join(work, "init"))
        initrd = linux_kernel.initramfs(os.path.join(work, "initramfs.cpio"), {}, init)
        out = linux_kernel.boot(vmlinuz, initrd, append="quiet",
                                extra_qemu_args=bench_kernel.ICOUNT_ARGS, timeout=TIMEOUT)
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
