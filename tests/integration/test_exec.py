"""test_exec.py - copy-on-write fork and execve on Pagoda: the cow and exec usertests on 1
and 4 CPUs, and nothing left behind.

The tests of user/usertests/cow.c and exec.c (their names read from the tables) run on one
CPU and on four, where a parent and its children write their shared pages at the same time
on different CPUs (the fork storm) and an exec'd child replaces its image while its parent
waits elsewhere. Each run after the first (which warms the caches and starts the reaper)
must leave `meminfo` where it was: every frame fork shared back to one owner or freed, every
space an execve replaced destroyed, every page table gone (a Pagoda-only check: Linux has
no such count).
"""
import os
import re

from pagoda import check, machine_test
from test_faults import settled_meminfo
from test_user import check_memory_back, run_named_usertests, user_machine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLES = [os.path.join(ROOT, "user", "usertests", name) for name in ("cow.c", "exec.c")]


def test_names():
    """The names in cow.c's and exec.c's tables, in order."""
    names = []
    for path in TABLES:
        with open(path) as f:
            names += re.findall(r'^\s*\{\s*"(\w+)", test_\w+, \w+\s*\},$', f.read(), re.M)
    return names


def run_tests(m):
    names = test_names()
    check(len(names) >= 7, "cow.c and exec.c list only %d tests" % len(names))
    run_named_usertests(m, names, "cow and exec usertests")


def cow_exec_on(smp):
    m = user_machine(smp)
    run_tests(m)  # warm-up: caches, the reaper
    before = settled_meminfo(m)
    run_tests(m)
    check_memory_back(before, settled_meminfo(m), "the cow and exec usertests",
                      keys=("MemFree", "AnonPages", "Mapped", "PageTables"))


@machine_test("the cow and exec usertests on 1 CPU; meminfo back after a second run")
def cow_exec_usertests(firmware):
    cow_exec_on(1)


@machine_test("the cow and exec usertests on 4 CPUs (a fork storm's writers on different "
              "CPUs); meminfo back")
def cow_exec_usertests_smp4(firmware):
    cow_exec_on(4)
