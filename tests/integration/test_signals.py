"""test_signals.py - signals on Pagoda: Ctrl-C to the foreground group, statuses, init.

Ctrl-C typed while a program runs in the foreground sends SIGINT to its
whole process group: the program and the children it forked (user/sigtree.c).
With a SIGINT handler the parent survives, its wait4 restarts (SA_RESTART)
and it reports each child "killed by signal 2"; without one the shell says
"killed by SIGINT" and no process of the group is left (the orphaned
children die too, and init reaps them). Every run must leave `meminfo` where
it started. The signal usertests (user/usertests/signals.c) run again on 4
CPUs, where a signal's sender and its target run on different CPUs. `kill 1`
is refused: init cannot be killed.
"""
import re
import time

from pagoda import PROMPT_RE, check, machine_test
from test_faults import settled_meminfo
from test_user import check_memory_back, ps, run_named_usertests, user_machine

_warmed = set()  # machines (test_user's, shared) that ran sigtree once


def signal_machine(smp=1):
    """test_user's machine for smp CPUs, after one sigtree run: the first process
    starts the reaper thread, which must not count against a meminfo comparison."""
    m = user_machine(smp)
    if id(m) not in _warmed:
        ctrl_c(m, "sigtree -c 1", r"1 children ready")
        _warmed.add(id(m))
    return m


def ctrl_c(m, line, ready):
    """Run `line` in the foreground, wait for `ready`, type Ctrl-C; the output up to the prompt."""
    m.send(("run %s\r" % line).encode())
    m.expect(ready, timeout=60)
    start = m.pos
    time.sleep(0.3)  # the children reach pause() (a signal before it kills them as well)
    m.send(b"\x03")
    m.expect(PROMPT_RE, timeout=60)
    return m.buf[start:m.pos]


def group_left(m, names=("sigtree",)):
    """pids of processes named in names still in the table (a moment to be reaped first)."""
    for _ in range(20):
        table, listing = ps(m)
        left = [pid for pid, row in table.items() if row[4] in names]
        if not left:
            return [], listing
        m.command("sleep 100")
    return left, listing


def ctrl_c_caught(m, children):
    before = settled_meminfo(m)
    out = ctrl_c(m, "sigtree -c %d" % children, r"%d children ready" % children)
    killed = re.findall(r"^sigtree: child (\d+) killed by signal 2$", out, re.M)
    check(len(killed) == children, "%d of %d children killed by SIGINT:\n%s"
          % (len(killed), children, out))
    check("caught SIGINT, %d children reaped" % children in out,
          "the parent did not catch SIGINT or reap its children:\n" + out)
    check(re.search(r"^sigtree \(pid \d+\) exited with status 0$", out, re.M),
          "the parent did not exit 0 after Ctrl-C:\n" + out)
    left, listing = group_left(m)
    check(not left, "processes of the group left: %s\n%s" % (left, listing))
    check_memory_back(before, settled_meminfo(m), "sigtree -c and Ctrl-C")


def ctrl_c_kills_group(m, children):
    before = settled_meminfo(m)
    out = ctrl_c(m, "sigtree %d" % children, r"%d children ready" % children)
    check(re.search(r"^sigtree \(pid \d+\) killed by SIGINT$", out, re.M),
          "the shell did not report the program killed by SIGINT:\n" + out)
    left, listing = group_left(m)
    check(not left, "Ctrl-C left processes of the group: %s\n%s" % (left, listing))
    table, listing = ps(m)
    check(1 in table and table[1][4] == "init", "init is gone:\n" + listing)
    check_memory_back(before, settled_meminfo(m), "sigtree and Ctrl-C")


@machine_test("Ctrl-C: SIGINT to the program and its children; a handler survives it and "
              "sees each child killed by signal 2; meminfo back")
def signals_ctrl_c_caught(firmware):
    ctrl_c_caught(signal_machine(), 3)


@machine_test("Ctrl-C: without a handler the program is 'killed by SIGINT', its children too "
              "(none left, init reaps the orphans); meminfo back")
def signals_ctrl_c_kills_group(firmware):
    ctrl_c_kills_group(signal_machine(), 3)


@machine_test("Ctrl-C on 4 CPUs: the group's processes on other CPUs are interrupted too")
def signals_ctrl_c_smp4(firmware):
    m = signal_machine(4)
    ctrl_c_caught(m, 6)
    ctrl_c_kills_group(m, 6)


@machine_test("the signal usertests on 4 CPUs (senders and targets on different CPUs)")
def signals_usertests_smp4(firmware):
    m = signal_machine(4)
    names = re.findall(r"^\s*(sig_\S+)", m.command("run usertests -l", timeout=60), re.M)
    check(len(names) >= 15, "usertests -l lists only %d signal tests" % len(names))
    run_named_usertests(m, names, "signal usertests on 4 CPUs")


@machine_test("`kill 1` is refused (init cannot be killed) and init stays")
def signals_init_unkillable(firmware):
    m = signal_machine()
    out = m.command("kill 1")
    check("init" in out and "cannot be killed" in out, "`kill 1` printed:\n" + out)
    table, listing = ps(m)
    check(1 in table and table[1][4] == "init", "init is gone after `kill 1`:\n" + listing)
