"""test_ipc.py - Pagoda's IPC from the shell: the usertests' ipc group on 1 and 4 CPUs, the
`ipc` and `handles PID` commands against running servers, and any mix of clients, servers
and pagers killed leaving meminfo where it started.

The ipc usertests (user/usertests/ipc.c, their names read from its table) run twice per CPU
count: all must pass, none may skip, and the second run must leave meminfo's free memory,
slabs and page tables where the first left them (every endpoint, handle, shared frame and
granted page given back). `ipc` must show the name server's endpoint (made by the kernel)
with the name server waiting on it, and an echo server's endpoint with its pid as the
receiver; `handles PID` that server's handles with their rights; both refuse bad arguments.
The kill mix starts echo servers and clients, the pager demo and the ping-pong program in
the background, kills whatever is still running at several moments, and checks that the
processes are gone and meminfo is back (docs/ipc.md, "Robustness").
"""
import re

from pagoda import PROMPT_RE, check, machine_test
from test_faults import settled_meminfo
from test_user import (check_memory_back, kill_and_wait_gone, ps, user_machine,
                       usertests_leave_nothing)

# Background programs of the kill mix (user/*.c): servers, clients, a pager.
SERVER = "echo_server"
MIX = ("echo_server", "echo_client", "pager_demo", "ipc_pingpong", "ipc_regions",
       "echo_client", "pager_demo", "ipc_regions")
REGIONS_RE = (r"ipc_regions: pid (\d+) shared (0x[0-9a-f]+) granted (0x[0-9a-f]+) "
              r"pager (0x[0-9a-f]+)")
IPC_ROW_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(live|dead)\s+(\d+)\s+(\d+)\s+"
                        r"(\S+)\s+(\S+(?: \+\d+)?)\s*$", re.M)
HANDLE_ROW_RE = re.compile(r"^\s*(\d+) (endpoint|notification|memory)\s+([SRMGDT-]{6})\s+(\d+)$",
                           re.M)


def ipc_rows(m):
    """[(id, creator, refs, recv, state, messages, calls, [sender pids], [receiver pids])]."""
    out = m.command("ipc")
    check(re.search(r"^\d+ endpoints \(\d+ dead\)", out, re.M), "`ipc`: no summary:\n" + out)
    check(re.search(r"^fast path: \d+ calls, \d+ reply_recvs, \d+ declined; \d+ direct switches$",
                    out, re.M), "`ipc`: no fast-path line:\n" + out)

    def pids(text):
        return [] if text == "-" else [int(p) for p in text.split()[0].split(",")]
    rows = [(int(r[0]), int(r[1]), int(r[2]), int(r[3]), r[4], int(r[5]), int(r[6]), pids(r[7]),
             pids(r[8])) for r in IPC_ROW_RE.findall(out)]
    return rows, out


def handle_rows(m, pid):
    """[(handle, type, rights, refs)] of `handles PID`."""
    out = m.command("handles %d" % pid)
    head = re.search(r"^pid %d \((\S+)\): (\d+) handles" % pid, out, re.M)
    check(head, "`handles %d`: no heading:\n%s" % (pid, out))
    rows = [(int(h), t, r, int(n)) for h, t, r, n in HANDLE_ROW_RE.findall(out)]
    check(len(rows) == int(head.group(2)), "`handles %d`: %s rows for %s handles:\n%s"
          % (pid, len(rows), head.group(2), out))
    return rows, out


def wait_receiving(m, pid, tries=40):
    """The `ipc` row where pid waits to receive (the server reached its receive)."""
    for _ in range(tries):
        rows, out = ipc_rows(m)
        for row in rows:
            if pid in row[8]:
                return row, out
        m.command("sleep 100")
    raise AssertionError("pid %d never waits on an endpoint in `ipc`:\n%s" % (pid, out))


@machine_test("the ipc usertests on 1 CPU, twice: all pass, meminfo back after the second")
def ipc_usertests(firmware):
    usertests_leave_nothing(1, ("ipc.c",), 15, "ipc usertests")


@machine_test("the ipc usertests on 4 CPUs (clients, servers, revokers on different CPUs); "
              "meminfo back")
def ipc_usertests_smp4(firmware):
    usertests_leave_nothing(4, ("ipc.c",), 15, "ipc usertests")


@machine_test("`ipc` shows the name server's endpoint and an echo server waiting on its own; "
              "`handles PID` its handles and rights; bad arguments are refused")
def ipc_commands(firmware):
    m = user_machine(1)
    rows, out = ipc_rows(m)
    kernel_made = [r for r in rows if r[1] == 0]
    check(kernel_made, "`ipc`: no endpoint made by the kernel (the name server's):\n" + out)
    names = {pid: row[4] for pid, row in ps(m)[0].items()}
    ns = [pid for pid, name in names.items() if name == "nameserver"]
    check(ns, "no nameserver process in `ps`")
    row, out = wait_receiving(m, ns[0])
    check(row[1] == 0 and row[3] >= 1 and row[4] == "live",
          "the name server waits on %r, expected the kernel's live endpoint:\n%s" % (row, out))

    out = m.command("run -b " + SERVER)
    pid = int(re.search(r"^\[(\d+)\] %s started" % SERVER, out, re.M).group(1))
    banner = r"%s: pid %d serving" % (SERVER, pid)
    if not re.search(banner, out):   # the banner may land before the prompt or after it
        m.expect(banner, 30)
    try:
        row, out = wait_receiving(m, pid)
        check(row[3] >= 1 and row[4] == "live" and row[2] >= 2,
              "the echo server's endpoint: %r:\n%s" % (row, out))
        handles, out = handle_rows(m, pid)
        check(any(t == "endpoint" and "R" in r for _, t, r, _ in handles),
              "`handles %d`: no endpoint with RECEIVE:\n%s" % (pid, out))
        check(any(t == "endpoint" and r.startswith("S") and "R" not in r
                  for _, t, r, _ in handles),
              "`handles %d`: no SEND handle (the name server's):\n%s" % (pid, out))
        check(all(n >= 1 for _, _, _, n in handles), "a handle with no reference:\n" + out)
    finally:
        kill_and_wait_gone(m, pid)
    # Once the server is gone its endpoint is dead or gone, and nobody waits on it.
    rows, out = ipc_rows(m)
    check(not any(pid in r[7] + r[8] for r in rows), "pid %d still listed:\n%s" % (pid, out))

    for line, said in (("handles", r"handles: too few arguments"),
                       ("handles 1 2", r"handles: too many arguments"),
                       ("handles x", r"handles: bad pid 'x'"),
                       ("handles 0", r"handles: bad pid '0'"),
                       ("handles 9999", r"handles: pid 9999 not found"),
                       ("ipc now", r"ipc: too many arguments")):
        out = m.command(line)
        check(re.search(said, out), "`%s` printed:\n%s" % (line, out))
    out = m.command("help ipc")
    check("usage: ipc" in out, "`help ipc`:\n" + out)
    out = m.command("help handles")
    check("usage: handles PID" in out, "`help handles`:\n" + out)


@machine_test("pmap marks IPC's regions: S shared (perms 's'), G granted, P pager-backed, "
              "with a legend; none on a plain process")
def ipc_pmap_marks(firmware):
    m = user_machine(1)
    out = m.command("run -b ipc_regions")
    parent = int(re.search(r"^\[(\d+)\] ipc_regions started", out, re.M).group(1))
    said = re.search(REGIONS_RE, out) or m.expect(REGIONS_RE, 30)
    child, shared, granted, pager = (int(said.group(1)), int(said.group(2), 16),
                                     int(said.group(3), 16), int(said.group(4), 16))
    try:
        out = m.command("pmap %d" % child)
        marks = {int(a, 16): (perms, mark) for a, perms, mark in re.findall(
            r"^([0-9a-f]+)-[0-9a-f]+ (\S{4}) .*\d+ ([SGP ])$", out, re.M)}
        check(marks.get(shared) == ("rw-s", "S"), "pmap: the mapped page at %#x is not "
              "'rw-s' marked S:\n%s" % (shared, out))
        check(marks.get(granted) == ("rw-p", "G"), "pmap: the granted pages at %#x are not "
              "marked G:\n%s" % (granted, out))
        check(marks.get(pager) == ("rw-p", "P"), "pmap: the pager region at %#x is not "
              "marked P:\n%s" % (pager, out))
        check(re.search(r"^marks: S shared .* G granted .* P pager-backed", out, re.M),
              "pmap: no legend of the marks:\n" + out)
        check(sum(1 for _, mark in marks.values() if mark != " ") == 3,
              "pmap: other regions marked:\n" + out)
        out = m.command("pmap 1")
        check("marks:" not in out and not re.search(r" [SGP]$", out, re.M),
              "pmap 1 (init) has marks:\n" + out)
    finally:
        kill_and_wait_gone(m, parent)  # first: its child, adopted by init, is reaped
        kill_and_wait_gone(m, child)


def noisy_command(m, line, done, timeout=30):
    """Type line while background programs may print over its echo: wait for the
    command's own regex done, then the prompt; return the text since the line was sent."""
    start = len(m.buf)
    m.send(line + "\r")
    m.expect(done, timeout)
    m.expect(PROMPT_RE, timeout)
    return m.buf[start:m.pos]


def noisy_ps(m):
    """{pid: state} of `ps`, typed while the mix may print."""
    out = noisy_command(m, "ps", r"\d+ processes \(\d+ running\)")
    return {int(p): st for p, st in re.findall(r"^\s*(\d+)\s+\d+\s+(running|zombie)\s", out, re.M)}


def start_mix(m):
    """Start MIX in the background; their pids."""
    pids = []
    for line in MIX:
        name = line.split()[0]
        out = noisy_command(m, "run -b " + line, r"\[\d+\] %s started in the background" % name)
        pids.append(int(re.search(r"\[(\d+)\] %s started" % name, out).group(1)))
    return pids


def kill_mix(m, pids, pause_ms, keep):
    """After pause_ms, kill every pid of pids still running (in a mixed order), then every
    other process but those in keep (the children the mix forked), until only keep is left."""
    noisy_command(m, "sleep %d" % pause_ms, r"slept \d+ ms")
    table = noisy_ps(m)
    for pid in sorted(pids, key=lambda p: (p * 7) % 5):
        if table.get(pid) == "running":
            noisy_command(m, "kill %d" % pid, r"kill: (SIGKILL sent to )?pid %d" % pid)
    for _ in range(60):
        table = noisy_ps(m)
        left = [pid for pid in table if pid not in keep]
        if not left:
            return
        for pid in left:
            if table[pid] == "running":
                noisy_command(m, "kill %d" % pid, r"kill: (SIGKILL sent to )?pid %d" % pid)
        noisy_command(m, "sleep 100", r"slept \d+ ms")
    raise AssertionError("processes of the mix still listed: %r" % table)


@machine_test("kill any mix of IPC clients, servers and pagers: they end, `ipc` has no waiter "
              "among them, meminfo back where it started")
def ipc_kill_mix(firmware):
    m = user_machine(1)
    listing = m.command("ls")
    missing = [p for p in set(MIX) if not re.search(r"\s%s$" % p, listing, re.M)]
    check(not missing, "the initrd lacks %s:\n%s" % (", ".join(sorted(missing)), listing))
    keep = set(ps(m)[0])                    # init, the name server
    kill_mix(m, start_mix(m), 300, keep)    # warms the caches, starts the reaper
    before = settled_meminfo(m)
    for pause in (0, 200, 1000):
        pids = start_mix(m)
        kill_mix(m, pids, pause, keep)
        noisy_command(m, "sleep 300", r"slept \d+ ms")  # the last words of the killed
        rows, out = ipc_rows(m)
        check(not any(set(pids) & set(r[7] + r[8]) for r in rows),
              "a killed process still waits on an endpoint:\n" + out)
    check_memory_back(before, settled_meminfo(m), "three rounds of the kill mix",
                      keys=("MemFree", "Slab", "PageTables"))
