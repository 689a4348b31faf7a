#!/usr/bin/env python3
"""bench_kernel.py - run the in-kernel benchmarks in the deterministic mode.

Boots build/pagoda.iso in QEMU with `-cpu qemu64 -smp 1 -icount
shift=0,sleep=off` (what `make run ICOUNT=1` uses too): QEMU then advances
the guest's clock, and so its TSC, by one tick per executed instruction, so
every `bench` figure is an instruction count, the same on every run and on
every host. The default GRUB entry has no debug words on the kernel command
line (no `pagepoison`, no `slab_debug`), so the debug checks are off.

Caveat (docs/benchmarks.md): each iteration of a `rep` string instruction
counts as one instruction, and so do `mov cr3`, `invlpg` and `wrmsr`: the
figures measure path length, not what the hardware would spend.

Usage: bench_kernel.py [NAME...]   (default: every benchmark the kernel lists)
       bench_kernel.py --qemu-args  (print the mode's QEMU arguments, for the Makefile)
Called by `make bench` and `make bench-kernel`; `make run ICOUNT=1` boots the
same mode with the shell on the terminal. Prints each benchmark's output; exits non-zero
if the machine did not boot or a benchmark is unknown.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import pagoda  # noqa: E402

# The deterministic mode: one CPU model, one CPU, the instruction counter as clock.
ICOUNT_ARGS = ("-cpu", "qemu64", "-smp", "1", "-icount", "shift=0,sleep=off")
# Under -icount the emulation is slower than plain TCG: allow for it.
BENCH_TIMEOUT = 600
# Benchmarks of the screen console: they run on a machine of their own with
# the console on a 1024x768, 32 bpp framebuffer (the others boot with
# console=serial, so that no drawing lands inside their measurements).
SCREEN_BENCHMARKS = ("fbcon",)
SCREEN_MODE = "1024x768x32"


def benchmark_names(machine):
    """The names `bench` lists (its lines are "  NAME  description")."""
    listing = machine.command("bench")
    return re.findall(r"^  (\S+)\s", listing, re.M)


def run_benchmarks(machine, names):
    """Run each `bench NAME` on a booted machine; 1 if a name is unknown."""
    status = 0
    for name in names:
        if name in SCREEN_BENCHMARKS and not machine.screen:
            continue  # listed by this machine, run on the screen's
        print("pagoda> bench %s" % name)
        out = machine.command("bench %s" % name, timeout=BENCH_TIMEOUT)
        sys.stdout.write(out)
        sys.stdout.flush()
        if "no benchmark named" in out:
            status = 1
    return status


def boot_and_run(name, names, **machine_args):
    """Boot a machine in the mode, run the benchmarks names (None: every one)."""
    machine = pagoda.Machine(name, extra_args=ICOUNT_ARGS, **machine_args)
    try:
        machine.wait_prompt(timeout=180)
        return run_benchmarks(machine, benchmark_names(machine) if names is None else names)
    except pagoda.MachineError as e:
        print("bench_kernel: %s" % e, file=sys.stderr)
        return 1
    finally:
        machine.close()


def main(argv):
    if argv == ["--qemu-args"]:
        print(" ".join(ICOUNT_ARGS))
        return 0
    if argv:
        serial_names = [n for n in argv if n not in SCREEN_BENCHMARKS]
        screen_names = [n for n in argv if n in SCREEN_BENCHMARKS]
    else:
        serial_names, screen_names = None, list(SCREEN_BENCHMARKS)
    status = 0
    if serial_names != []:
        status |= boot_and_run("bench-kernel", serial_names)
    if screen_names:
        status |= boot_and_run("bench-kernel-screen", screen_names, screen=True,
                               resolution=SCREEN_MODE)
    return status

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
