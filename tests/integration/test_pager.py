"""test_pager.py - user-level pagers: `run pager_demo` and the pager usertests on 1 and 4 CPUs.

pager_demo's pager serves a region of multiplication tables computed on demand to
its client: every fault of the client (and the one a read() system call takes
inside the kernel's copy) becomes a PAGER_FAULT message, and the client checks
every word it got, a write the pager sees, and the bytes read() left. The
usertests of user/usertests/pager.c (their names read from its table) check the
rest: bad arguments, a pager answering errors or dying during a fault (the
client killed by SIGSEGV, with the kernel's report), no pager at all, a system
call's copy into a refused page (-EFAULT), a pager faulting on its own region
(an error at once, not a deadlock). On 4 CPUs the pager and its client run on
different CPUs. Runs after the first leave `meminfo` where it was: every page a
pager served and every endpoint given back once both sides are gone.
"""
import re

from pagoda import check, machine_test
from test_faults import settled_meminfo
from test_user import check_memory_back, run_ok, user_machine, usertests_leave_nothing

DEMO_LINES = (
    r"pager: client pid \d+ has 10 pages at 0x[0-9a-f]+ for me",
    r"pager: fault at 0x[0-9a-f]+ \(page 0\), read, pid \d+ thread \d+",
    r"client: pages 0-8 hold the tables of 1 to 9: every word right "
    r"\(page 6, word 8: 7 x 9 = 63\)",
    r"client: wrote 1234 into page 2: the pager sees it \(the page is shared\)",
    r"pager: fault at 0x[0-9a-f]+ \(page 9\), write by the kernel \(a system call's copy\), "
    r"pid \d+ thread \d+",
    r"client: read\(\) of 200 bytes of README.md into page 9: the same bytes as a plain buffer",
    r"pager: served 10 faults \(1 of them a system call's copy\)",
    r"pager_demo: every check passed",
)


def demo(m):
    out, _ = run_ok(m, "pager_demo")
    for line in DEMO_LINES:
        check(re.search("^" + line + "$", out, re.M), "pager_demo lacks %r:\n%s" % (line, out))


def pager_on(smp):
    m = user_machine(smp)
    demo(m)
    out, _ = run_ok(m, "pager_demo -q")
    check(not re.search(r"^(pager|client|pager_demo):", out, re.M),
          "pager_demo -q printed:\n" + out)
    before = settled_meminfo(m)
    demo(m)
    check_memory_back(before, settled_meminfo(m), "a second pager_demo")
    usertests_leave_nothing(smp, ("pager.c",), 10, "pager usertests")


@machine_test("run pager_demo (a pager of computed pages) and the pager usertests on 1 CPU; "
              "meminfo back")
def pager_demo_usertests(firmware):
    pager_on(1)


@machine_test("run pager_demo and the pager usertests on 4 CPUs (pager and client on "
              "different CPUs); meminfo back")
def pager_demo_usertests_smp4(firmware):
    pager_on(4)
