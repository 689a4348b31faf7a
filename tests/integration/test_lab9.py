"""test_lab9.py - lab 9 (docs/labs/lab9-scheduler.md) seen from the shell.

The policy's own tests are host tests (tests/host/test_sched.c, simulated
CPUs and clock); this one checks the real kernel on four CPUs: eight
spinning threads spawned from the shell end up two on each CPU (placement,
then stealing and the tick's pull even the queues out), stay there, and
each keeps getting CPU time (round robin with its neighbour).

The grader (scripts/grade.py, rubric tests/labs/lab9.py) calls
spinners_even_out(m) with its shared one-CPU machine, which this test does
not use: it boots its own with -smp 4. `make test` runs it as a machine test.
"""
import re
import time

from pagoda import Machine, check, machine_test

CPUS = 4
SPINNERS = 8
ROW = re.compile(r"^\s*(\d+) spin\s+(running|ready)\s+(\d+)\s+\d+\s+(\d+)\.(\d+)\s+(\d+)\s", re.M)


def spinners(m):
    """{tid: (cpu, run time in ms)} of the spin threads in `threads`, and the output."""
    out = m.command("threads")
    return {int(r[0]): (int(r[2]), int(r[3]) + int(r[4]) / 1000.0) for r in ROW.findall(out)}, out


def spinners_even_out(m=None):
    """-smp 4: `spawn spin 8` leaves two spinners on each CPU, each of them running."""
    del m  # the grader's one-CPU machine; this test needs four CPUs
    machine = Machine("lab9-spinners", smp=CPUS)
    try:
        machine.wait_prompt()
        out = machine.command("spawn spin %d" % SPINNERS)
        check(out.count("(spin)") == SPINNERS, "spawn spin %d:\n%s" % (SPINNERS, out))
        machine.command("sleep 300")  # 30 ticks: the ticks' pulls have evened the queues out
        first, out = spinners(machine)
        check(len(first) == SPINNERS, "`threads` lists %d spinners:\n%s" % (len(first), out))
        per_cpu = [sum(1 for cpu, _ in first.values() if cpu == c) for c in range(CPUS)]
        check(per_cpu == [SPINNERS // CPUS] * CPUS,
              "spinners per CPU %s, expected %d on each of the %d CPUs (a new thread goes to the "
              "least loaded CPU; an idle CPU steals; a busy CPU's tick pulls from a queue two "
              "longer than its own):\n%s" % (per_cpu, SPINNERS // CPUS, CPUS, out))
        machine.command("sleep 1000")
        second, out = spinners(machine)
        stuck = [tid for tid in first if tid not in second or second[tid][1] <= first[tid][1]]
        check(not stuck, "spinners %s got no CPU time in 1000 ms:\n%s" % (stuck, out))
        moved = [tid for tid in first if second[tid][0] != first[tid][0]]
        check(not moved, "spinners %s changed CPU though the queues were even:\n%s"
              % (moved, out))
        check(machine.alive(), "the shell does not answer")
    finally:
        machine.close()


@machine_test("lab 9: -smp 4, `spawn spin 8`: two spinners on each CPU, each of them running")
def lab9_spinners_four_cpus(firmware):
    del firmware  # BIOS only
    spinners_even_out()


if __name__ == "__main__":
    t0 = time.monotonic()
    spinners_even_out()
    print("passed in %.1f s" % (time.monotonic() - t0))
