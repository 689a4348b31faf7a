"""test_threads.py - threads seen from the shell: `threads`, `sleep`,
`spawn` and `kill -t`, and the shell answering while a demo thread computes.

These run on the shared machine of each firmware; every test stops the
demo threads it started, so the next test finds only idle and the shell.
Assertions are about lines, counts and states, never about durations.
"""
import re

from pagoda import check, shell_test

ROW = re.compile(r"^\s*(\d+) (\S+)\s+(running|ready|blocked|sleeping|dead)\s+(\d+)\s+(\S+)\s+"
                 r"(\d+)\.(\d+)\s+(\d+)\s+(\d+)/(\d+)K$", re.M)


def rows(m):
    out = m.command("threads")
    return {int(r[0]): r for r in ROW.findall(out)}, out


@shell_test("threads lists idle and the shell with state, priority, run time, stack use")
def threads_lists(m):
    table, out = rows(m)
    names = {r[1]: r for r in table.values()}
    check("idle" in names and "shell" in names, "idle or shell missing:\n" + out)
    check(names["shell"][2] == "running", "the shell is not the running thread:\n" + out)
    check(names["idle"][4] == "idle" and names["shell"][4] == "5", "priorities:\n" + out)
    used, size = int(names["shell"][8]), int(names["shell"][9])
    check(0 < used < size * 1024, "the shell's stack use %d of %d K" % (used, size))
    check(re.search(r"^\d+ threads; \d+ context switches, \d+ of them preemptions$", out, re.M),
          "no summary line:\n" + out)


@shell_test("sleep MS sleeps whole ticks; bad times are refused")
def sleep_ticks(m):
    out = m.command("sleep 100")
    got = re.search(r"slept 100 ms: (\d+) ticks of 10 ms", out)
    check(got and int(got.group(1)) >= 10, "sleep 100:\n" + out)
    out = m.command("sleep 60001")
    check("sleep: bad time '60001'" in out, "sleep 60001:\n" + out)


@shell_test("the shell answers while a spawned demo computes; kill ends it and frees it")
def spawn_kill(m):
    out = m.command("spawn spin 1")
    got = re.search(r"spawn: thread (\d+) \(spin\)", out)
    check(got, "spawn spin 1:\n" + out)
    tid = int(got.group(1))
    for i in range(5):  # the shell keeps answering, the spinner keeps being scheduled
        out = m.command("echo answer %d" % i)
        check("answer %d" % i in out, "echo while the demo runs:\n" + out)
    table, out = rows(m)
    check(tid in table and table[tid][2] in ("ready", "running") and int(table[tid][7]) > 0,
          "the demo thread is not listed as switched in:\n" + out)
    out = m.command("kill -t %d" % tid)
    check("asked to stop" in out, "kill:\n" + out)
    for _ in range(50):
        m.command("sleep 20")
        table, out = rows(m)
        if tid not in table:
            break
    check(tid not in table, "thread %d still listed after kill:\n%s" % (tid, out))
    out = m.command("kill -t %d" % tid)
    check("thread %d not found" % tid in out, "killing it again:\n" + out)
    out = m.command("kill -t 2")
    check("not a demo thread" in out, "kill of the shell:\n" + out)


@shell_test("Ctrl-C at the prompt stops the demo threads spawn started")
def ctrl_c_stops_demos(m):
    out = m.command("spawn spin 2")
    tids = [int(t) for t in re.findall(r"spawn: thread (\d+) \(spin\)", out)]
    check(len(tids) == 2, "spawn spin 2:\n" + out)
    start = m.pos
    m.send(b"\x03")
    m.wait_prompt(30)
    out = m.output_since(start)
    check("Ctrl-C: asked 2 demo threads to stop" in out, "Ctrl-C said:\n" + out)
    for _ in range(50):
        m.command("sleep 20")
        table, out = rows(m)
        if not set(tids) & set(table):
            break
    check(not set(tids) & set(table), "demo threads still listed after Ctrl-C:\n" + out)


def meminfo(m):
    m.command("shrink")
    out = m.command("meminfo")
    lines = re.findall(r"^(MemFree|Slab|VmallocUsed):\s+(\d+) kB$", out, re.M)
    return {k: int(v) for k, v in lines}


@shell_test("100 demo threads killed by their faults: each reported, mutex passed on, "
            "meminfo as before")
def faulting_demos(m):
    before = meminfo(m)
    check(len(before) == 3, "meminfo lines missing: %r" % before)
    m.send(b"spawn fault 100\r")
    for i in range(100):
        got = m.expect(r"\(thread (\d+) \(fault\) killed by the fault above; it held mutex "
                       r"'demo fault', released; the kernel goes on\)", 120)
        check(got, "kill report %d missing" % i)
    out = m.command("echo still answering")
    check("still answering" in out, "the shell after 100 faulting threads:\n" + out)
    table, out = rows(m)  # `threads` frees the dead demos first
    check(not any(r[1] == "fault" for r in table.values()), "fault threads listed:\n" + out)
    after = meminfo(m)
    check(after == before, "meminfo before %r, after %r" % (before, after))


@shell_test("spawn overflow: the thread's stack overflow is reported, the thread alone dies; "
            "twice, meminfo as before")
def overflow_demo(m):
    before = meminfo(m)
    for round in range(2):  # the second #DF finds its IST stack at the top again
        start = m.pos
        out = m.command("spawn overflow 1", timeout=120)
        got = re.search(r"spawn: thread (\d+) \(overflow\)", out)
        check(got, "spawn overflow 1:\n" + out)
        tid = int(got.group(1))
        report = r"\(thread %d \(overflow\) killed by the fault above; it held mutex " \
                 r"'demo overflow', released; the kernel goes on\)" % tid
        if not re.search(report, out):
            check(m.expect(report, 120), "round %d: kill report missing:\n%s" % (round, out))
        out = m.output_since(start)
        for w in ("kernel stack overflow", "(that is the \"overflow\" kernel stack: 16 KiB, "
                  "guard page at 0x", "arrived as a double fault", "#DF Double Fault"):
            check(w in out, "round %d: report lacks %r" % (round, w))
        reply = m.command("echo still answering")
        check("still answering" in reply, "the shell after the overflow:\n" + reply)
        table, listing = rows(m)
        check(tid not in table, "thread %d still listed:\n%s" % (tid, listing))
    after = meminfo(m)
    check(after == before, "meminfo before %r, after %r" % (before, after))
