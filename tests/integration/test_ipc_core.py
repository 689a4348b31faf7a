"""test_ipc_core.py - the IPC core in QEMU: user/ipc_pingpong.c on 1 and 4 CPUs.

`run ipc_pingpong` checks the name server's handle in its auxiliary vector, then
forks a server and calls it with every word count (0..6), passes a handle both
ways, times out on a slow server, on receive and call, is interrupted by a
signal, tries bad handles, rights and tags, and ends with the server dying
during a call (-EPIPE, then -EPIPE for every later call). It must say "N checks
passed" and exit 0, three times in a row; then `ipc_pingpong stress` (4 clients
racing 2 servers on one endpoint with 1 ms limits, one server killed half-way)
must see no wrong reply; `meminfo` is where it started once the processes are
gone; `run -t` names the Pagoda calls.
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
