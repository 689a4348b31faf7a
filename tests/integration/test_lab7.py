"""test_lab7.py - lab 7 (docs/labs/lab7-fork.md) seen from the shell: leak checks.

The grader (scripts/grade.py, rubric tests/labs/lab7.py) runs these on a
booted machine. A fork storm (user/forkbomb.c forks from every process until
the process limit refuses) and programs that fork, copy pages and exit
(usertests) must give every frame, table and slab object back: after the
processes are reaped, `meminfo` (after `shrink`) is where it started.
A fork that shares no page makes the storm fail; a teardown that forgets a
frame or a table shows up as MemFree or PageTables lower than before.
"""
from pagoda import check, shell_test
from test_faults import settled_meminfo
from test_user import check_memory_back, ps, run_ok

FORKING_TESTS = "cow_fork_shares_counted forklab_chain cow_private_file_and_heap"
ROUNDS = 3
SETTLE_ROUNDS = 100       # `sleep 100` rounds waiting for processes to be reaped


def steady_meminfo(m):
    """settled_meminfo once two readings in a row agree: a machine just booted
    may still be faulting in pages of its servers (the name server) for a moment."""
    last = settled_meminfo(m)
    for _ in range(SETTLE_ROUNDS):
        m.command("sleep 100")
        now = settled_meminfo(m)
        if now == last:
            return now
        last = now
    raise AssertionError("meminfo never settled: %s" % last)


def settled_processes(m, before=None, what="the previous test"):
    """The pids `ps` lists once no process is still ending (none in state zombie,
    and, given before, the same pids as then): what the machine runs anyway (init,
    the name server, servers other tests left in the background)."""
    for _ in range(SETTLE_ROUNDS):
        table, out = ps(m)
        pids = set(table)
        if all(row[1] != "zombie" for row in table.values()) and \
                (before is None or pids == before):
            return pids
        m.command("sleep 100")
    raise AssertionError("processes left after %s:\n%s" % (what, out))


@shell_test("a fork storm up to the process limit: all reaped, meminfo back", ("bios",))
def fork_storm_memory_back(m):
    pids = settled_processes(m)
    before = steady_meminfo(m)
    out, _ = run_ok(m, "forkbomb", timeout=300)
    check("stopped by the process limit" in out,
          "forkbomb was not stopped by the process limit (did its forks fail?):\n" + out)
    settled_processes(m, pids, "the fork storm")
    check_memory_back(before, settled_meminfo(m), "a fork storm")


@shell_test("programs that fork, copy and exit, three times: meminfo and AnonPages back",
            ("bios",))
def fork_exit_memory_back(m):
    pids = settled_processes(m)
    before = steady_meminfo(m)
    for _ in range(ROUNDS):
        out, _ = run_ok(m, "usertests " + FORKING_TESTS, timeout=120)
        check("usertests: 3 passed, 0 failed" in out, "usertests %s:\n%s" % (FORKING_TESTS, out))
    settled_processes(m, pids, "the usertests")
    check_memory_back(before, settled_meminfo(m),
                      "%d runs of usertests %s" % (ROUNDS, FORKING_TESTS),
                      keys=("MemFree", "Slab", "PageTables", "AnonPages", "Mapped"))
