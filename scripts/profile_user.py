#!/usr/bin/env python3
"""profile_user.py - where Pagoda spends the instructions of a bench_user operation.

Boots build/pagoda.iso in the deterministic mode (scripts/bench_kernel.py's
ICOUNT_ARGS), then through the QEMU monitor turns on one instruction per
translation block (`singlestep on`) and the execution log (`log
exec,nochain`) into a FIFO, types `run bench_user SCALE NAME` and counts
every executed instruction by address. A second run with no operation
selected (`run bench_user SCALE -`: start-up, exit and the shell) is the
baseline, subtracted function by function, so what remains is the
operation's own cost. Addresses are named from build/kernel.nm and the
symbols of build/user/bench_user; the output is one line per function,
instructions and calls (executions of its first instruction) per
operation, most first (docs/benchmarks.md).

Usage: profile_user.py NAME [SCALE] [TOP]   (NAME: a bench_user operation)
The figures agree with bench_user's own within the loop's few instructions;
slow (the log has a line per instruction): keep SCALE at 1. Not a test.
"""
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import bench_kernel  # noqa: E402
import pagoda  # noqa: E402

TRACE_RE = re.compile(rb"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
USER_BINARY = os.path.join(ROOT, "build", "user", "bench_user")
KERNEL_NM = os.path.join(ROOT, "build", "kernel.nm")


class Symbols:
    """Address -> function name, from `nm` listings of the kernel and bench_user."""

    def __init__(self):
        entries = []
        with open(KERNEL_NM) as f:
            entries += self._parse(f.read())
        nm = subprocess.run(["nm", USER_BINARY], capture_output=True, text=True).stdout
        entries += [(a, "user:" + n) for a, n in self._parse(nm)]
        entries.sort()
        self.addrs = [a for a, _ in entries]
        self.names = [n for _, n in entries]

    @staticmethod
    def _parse(text):
        out = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                out.append((int(parts[0], 16), parts[2]))
        return out

    def name(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else "?"

    def is_start(self, addr):
        """True if addr is a function's first instruction (its executions: the calls)."""
        i = bisect.bisect_left(self.addrs, addr)
        return i < len(self.addrs) and self.addrs[i] == addr


def count(fifo, counts):
    """Read the execution log from fifo: counts[pc] += 1 per executed instruction."""
    with open(fifo, "rb") as f:
        for line in f:
            m = TRACE_RE.match(line)
            if m:
                counts[int(m.group(1), 16)] += 1


def profile(args):
    """{pc: instructions} for `run bench_user ARGS`, and its output."""
    work = tempfile.mkdtemp(prefix="profile-user-")
    fifo = os.path.join(work, "exec.log")
    os.mkfifo(fifo)
    counts = collections.Counter()
    reader = threading.Thread(target=count, args=(fifo, counts), daemon=True)
    reader.start()
    machine = pagoda.Machine("profile-user", extra_args=bench_kernel.ICOUNT_ARGS + ("-D", fifo))
    try:
        machine.wait_prompt(timeout=180)
        machine.monitor("singlestep on")
        machine.monitor("log exec,nochain")
        out = machine.command("run bench_user %s" % args, timeout=3000)
        machine.monitor("log none")
    finally:
        machine.close()
    reader.join(60)
    os.unlink(fifo)
    os.rmdir(work)
    return counts, out


def by_function(counts, symbols):
    """({function: instructions}, {function: calls}) from {pc: instructions}."""
    funcs, calls = collections.Counter(), collections.Counter()
    for pc, n in counts.items():
        funcs[symbols.name(pc)] += n
        if symbols.is_start(pc):
            calls[symbols.name(pc)] += n
    return funcs, calls


def main(argv):
    if not argv:
        print(__doc__.split("Usage:")[1].split("\n")[0].strip(), file=sys.stderr)
        return 2
    name = argv[0]
    scale = argv[1] if len(argv) > 1 else "1"
    top = int(argv[2]) if len(argv) > 2 else 40
    symbols = Symbols()
    base, _ = profile("%s -" % scale)
    counts, out = profile("%s %s" % (scale, name))
    sys.stdout.write(out)
    m = re.search(r"^%s\s+(\d+) ops\s+(\d+) per op" % re.escape(name), out, re.M)
    if not m:
        print("profile_user: bench_user printed no figure for %s" % name, file=sys.stderr)
        return 1
    ops = int(m.group(1))
    funcs, calls = by_function(counts, symbols)
    base_funcs, base_calls = by_function(base, symbols)
    funcs.subtract(base_funcs)
    calls.subtract(base_calls)
    total = sum(funcs.values())
    print("\n%s: %d instructions per operation in all (bench_user: %s), by function"
          " (instructions and calls per operation):" % (name, total // ops, m.group(2)))
    for func, n in funcs.most_common(top):
        print("%10.1f  %5.1f%%  %7.2f  %s" % (n / ops, 100.0 * n / total, calls[func] / ops,
                                              func))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
