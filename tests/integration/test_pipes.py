"""test_pipes.py - pipes and descriptors on Pagoda: the pipe usertests on 1 and 4 CPUs.

The tests of user/usertests/pipes.c (their names read from its table) run on
one CPU and on four, where a pipe's reader and writer run on different CPUs
and meet in the ring only through its lock and wake-ups: a 200,000-byte
stream through a pipe kept nearly full, end of file only when every writer is
gone, a writer blocked on a full pipe woken by EPIPE, SIGPIPE, close-on-exec
across execve, a read interrupted by a signal. Each run after the first (which
warms the caches and starts the reaper) must leave `meminfo` where it was:
every pipe's pages and descriptors given back.
"""
from pagoda import machine_test
from test_user import usertests_leave_nothing


def pipes_on(smp):
    usertests_leave_nothing(smp, ("pipes.c",), 15, "pipe usertests")


@machine_test("the pipe usertests on 1 CPU; meminfo back after a second run")
def pipes_usertests(firmware):
    pipes_on(1)


@machine_test("the pipe usertests on 4 CPUs (reader and writer on different CPUs); "
              "meminfo back")
def pipes_usertests_smp4(firmware):
    pipes_on(4)
