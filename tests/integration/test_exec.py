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
from pagoda import machine_test
from test_user import usertests_leave_nothing


def cow_exec_on(smp):
    usertests_leave_nothing(smp, ("cow.c", "exec.c"), 7, "cow and exec usertests",
                            keys=("MemFree", "AnonPages", "Mapped", "PageTables"))


@machine_test("the cow and exec usertests on 1 CPU; meminfo back after a second run")
def cow_exec_usertests(firmware):
    cow_exec_on(1)


@machine_test("the cow and exec usertests on 4 CPUs (a fork storm's writers on different "
              "CPUs); meminfo back")
def cow_exec_usertests_smp4(firmware):
    cow_exec_on(4)
