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
import os
import re

from pagoda import check, machine_test
from test_faults import settled_meminfo
from test_user import check_memory_back, run_named_usertests, user_machine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PIPES_C = os.path.join(ROOT, "user", "usertests", "pipes.c")


def pipe_test_names():
    """The names in pipes.c's table, in order."""
    with open(PIPES_C) as f:
        return re.findall(r'^\s*\{ "(\w+)", test_\w+, \w+ \},$', f.read(), re.M)


def run_pipe_tests(m):
    """Every pipe usertest, in shell lines of at most 200 characters and 12 names (the
    shell takes 16 words); all must pass."""
    names = pipe_test_names()
    check(len(names) >= 15, "pipes.c lists only %d tests" % len(names))
    run_named_usertests(m, names, "pipe usertests")


def pipes_on(smp):
    m = user_machine(smp)
    run_pipe_tests(m)  # warm-up: caches, the reaper
    before = settled_meminfo(m)
    run_pipe_tests(m)
    check_memory_back(before, settled_meminfo(m), "the pipe usertests")


@machine_test("the pipe usertests on 1 CPU; meminfo back after a second run")
def pipes_usertests(firmware):
    pipes_on(1)


@machine_test("the pipe usertests on 4 CPUs (reader and writer on different CPUs); "
              "meminfo back")
def pipes_usertests_smp4(firmware):
    pipes_on(4)
