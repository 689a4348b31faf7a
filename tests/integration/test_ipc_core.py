"""test_ipc_core.py - the IPC core in QEMU: user/ipc_pingpong.c on 1 and 4 CPUs.

`run ipc_pingpong` checks the name server's handle in its auxiliary vector, then
forks a server and calls it with every word count (0..6), passes a handle both
ways, times out on a slow server, on receive and call, is interrupted by a
signal, tries bad handles, rights and tags, and ends with the server dying
during a call (-EPIPE, then -EPIPE for every later call). It must say "N checks
passed" and exit 0, three times in a row; then `ipc_pingpong stress` (4 clients
racing 2 servers on one endpoint with 1 ms limits, one server killed half-way)
must see no wrong reply; `meminfo` is where it started once the processes are
gone; `run -t` names the Pagoda calls. The fast path (kernel/ipc/fastpath.c) must
run bench_user's 2000 round trips itself (`ipc`'s fast-path counts), with bare locks
and again with the lock validator on (its checked build), which must report nothing.
"""
import re

from pagoda import check, machine_test
from test_faults import settled_meminfo
from test_user import check_memory_back, run_ok, user_machine
from test_fork import only_init_left


def pingpong(smp):
    m = user_machine(smp)
    only_init_left(m, "the previous test")
    before = settled_meminfo(m)
    for _ in range(3):
        out, _ = run_ok(m, "ipc_pingpong", timeout=120)
        check(re.search(r"^ipc_pingpong: \d+ checks passed$", out, re.M),
              "ipc_pingpong did not pass:\n" + out)
        check("FAIL" not in out, "ipc_pingpong reported a failure:\n" + out)
    out, _ = run_ok(m, "ipc_pingpong stress", timeout=600)
    check("ipc_pingpong: stress passed" in out and " wrong" in out,
          "ipc_pingpong stress did not pass:\n" + out)
    check(not re.search(r"client \d+: [1-9]\d* wrong", out), "a wrong reply:\n" + out)
    only_init_left(m, "ipc_pingpong")
    check_memory_back(before, settled_meminfo(m), "three ipc_pingpong runs and a stress run")


@machine_test("IPC ping-pong: word counts, handles, timeouts, errors, dying server, stress; 1 CPU")
def ipc_pingpong_1cpu(firmware):
    pingpong(1)


@machine_test("IPC ping-pong: word counts, handles, timeouts, errors, dying server, stress; 4 CPUs")
def ipc_pingpong_4cpu(firmware):
    pingpong(4)


@machine_test("run -t names the Pagoda IPC calls")
def ipc_trace_names(firmware):
    m = user_machine(1)
    out = m.command("run -t ipc_pingpong", timeout=120)
    check("ipc_pingpong (pid" in out and "exited with status 0" in out,
          "`run -t ipc_pingpong` did not pass:\n" + out[-3000:])
    for name in ("ipc_endpoint_create", "ipc_call", "ipc_reply_recv", "handle_duplicate",
                 "ipc_notify_wait"):
        check(re.search(r"^\[pid \d+\] %s\(" % name, out, re.M),
              "`run -t` shows no %s line:\n%s" % (name, out[:3000]))
    check(re.search(r"= -1 ETIMEDOUT \(Connection timed out\)", out),
          "no ETIMEDOUT result in the trace:\n" + out[:3000])


FAST_RE = re.compile(r"^fast path: (\d+) calls, (\d+) reply_recvs, (\d+) declined; "
                     r"(\d+) direct switches$", re.M)
LOCKDEP_RE = re.compile(r"^lock-order validator (on|off): \d+ lock classes, \d+ orders recorded, "
                        r"(\d+) reports$", re.M)


def fast_counts(m):
    """(calls, reply_recvs, declined, direct switches) from `ipc`'s fast-path line."""
    out = m.command("ipc")
    found = FAST_RE.search(out)
    check(found, "`ipc`: no fast-path line:\n" + out)
    return tuple(int(n) for n in found.groups())


def ping_pong_rounds(m, label):
    """bench_user's 2000 ipc_call round trips; asserts the fast path ran (nearly) all of them."""
    before = fast_counts(m)
    out, _ = run_ok(m, "bench_user 1 ipc_call", timeout=120)
    check(re.search(r"^ipc_call\s+2000 ops", out, re.M), "%s: bench_user printed:\n%s"
          % (label, out))
    after = fast_counts(m)
    calls, replies, _, switches = (a - b for a, b in zip(after, before))
    # The client's first call and the server's first receive go the general way.
    check(calls >= 2000 and replies >= 2000 and switches >= 4000,
          "%s: the fast path took %d calls, %d reply_recvs, %d direct switches of 2000 round "
          "trips" % (label, calls, replies, switches))


@machine_test("the IPC fast path runs a server loop: bare locks, and with the lock validator on "
              "(checked locks, no report)")
def ipc_fast_path_bare_and_checked(firmware):
    m = user_machine(1)
    state = LOCKDEP_RE.search(m.command("lockdep"))
    check(state and state.group(1) == "off", "the validator is not off at boot:\n%s" % state)
    ping_pong_rounds(m, "validator off")
    reports = int(LOCKDEP_RE.search(m.command("lockdep on")).group(2))
    try:
        ping_pong_rounds(m, "validator on")
        out, _ = run_ok(m, "ipc_pingpong", timeout=120)
        check("FAIL" not in out, "ipc_pingpong with the validator on:\n" + out)
        after = LOCKDEP_RE.search(m.command("lockdep"))
        check(int(after.group(2)) == reports, "the validator reported during IPC:\n"
              + m.command("lockdep"))
    finally:
        m.command("lockdep off")
