"""test_fuzz.py - the system-call fuzzer (user/fuzz.c) against the kernel.

fuzz issues random system calls with hostile arguments from 4 worker
processes at once: PAGODA_FUZZ_CALLS of them (20,000 in `make test`,
100,000 in `make test-full`), with a fixed seed so that a failure can be
run again. Whatever the workers do to themselves (they die of their own
garbage handlers, unmapped stacks, kills, execs), the kernel must never
report a fault of its own or panic, the shell must answer afterwards,
no process of the run may be left, and `meminfo` (after `shrink`) must be
back where it was before: every frame, table, slab object and kernel stack
the calls took was given back. A second, shorter run does the same on 4
CPUs, where the workers' calls really race.
"""
import os
import re
import time

from pagoda import Machine, check, machine_test
from test_faults import settled_meminfo

CALLS = int(os.environ.get("PAGODA_FUZZ_CALLS", "20000"))
SEED = int(os.environ.get("PAGODA_FUZZ_SEED", "16"))
# What only a kernel in trouble prints (a user process's death is reported as
# "pid N (name): ...", which is allowed).
KERNEL_TROUBLE = re.compile(r"\*\*\* |PANIC|kernel faulted|hard lockup|System halted|"
                            r"lockdep: |ASSERT|BUG")
MEMINFO_KEYS = ("MemFree", "Slab", "PageTables", "VmallocUsed", "AnonPages", "Mapped")


def processes(m):
    """The names of the processes `ps` lists."""
    out = m.command("ps")
    return re.findall(r"^\s*\d+\s+\d+\s+\S+\s+\d+\s+\d+\s+\S+\s+(\S+)$", out, re.M)


def fuzz_run(m, calls, seed, procs=4):
    # A first program, so that what the first run sets up once (the reaper, slab
    # caches) is in the baseline.
    m.command("run hello")
    before = settled_meminfo(m)
    started = time.monotonic()
    line = "run fuzz -n %d -p %d -s %d" % (calls, procs, seed)
    out = m.command(line, timeout=60 + calls // 20)
    took = time.monotonic() - started
    trouble = KERNEL_TROUBLE.search(out)
    check(not trouble, "`%s`: the kernel reported trouble (%r):\n%s"
          % (line, trouble and trouble.group(0), out[-4000:]))
    check(re.search(r"^fuzz \(pid \d+\) exited with status 0$", out, re.M),
          "`%s` did not end well:\n%s" % (line, out[-3000:]))
    made = re.search(r"^fuzz: seed %d, (\d+) calls made by %d workers" % (seed, procs), out, re.M)
    check(made and int(made.group(1)) >= calls, "`%s`: fewer calls than asked:\n%s"
          % (line, out[-3000:]))
    check(re.search(r"^fuzz: results: ok \d+, .*EFAULT \d+.*EINVAL \d+", out, re.M),
          "`%s`: no EFAULT/EINVAL among the results:\n%s" % (line, out[-3000:]))
    out = m.command("echo the shell answers")
    check("the shell answers" in out, "the shell stopped answering:\n" + out)
    # The workers' own children were handed to init; wait until they are all gone.
    deadline = time.monotonic() + 30
    while "fuzz" in processes(m):
        check(time.monotonic() < deadline, "fuzz processes left 30 s after the run:\n"
              + m.command("ps"))
        time.sleep(0.5)
    after = settled_meminfo(m)
    for key in MEMINFO_KEYS:
        check(after[key] == before[key], "%s %d kB before `%s`, %d kB after"
              % (key, before[key], line, after[key]))
    print("  %d calls from %d processes in %.0f s" % (int(made.group(1)), procs, took))


@machine_test("fuzz: PAGODA_FUZZ_CALLS (20,000) hostile calls from 4 processes; no kernel "
              "fault, the shell answers, meminfo back")
def fuzz_calls(firmware):
    m = Machine("fuzz")
    try:
        m.wait_prompt()
        fuzz_run(m, CALLS, SEED)
    finally:
        m.close()


@machine_test("fuzz on 4 CPUs: 5,000 calls from 4 processes racing; the same checks")
def fuzz_smp4(firmware):
    m = Machine("fuzz-smp4", smp=4)
    try:
        m.wait_prompt()
        fuzz_run(m, max(CALLS // 4, 1000), SEED + 1)
    finally:
        m.close()
