"""test_user.py - user programs on Pagoda: processes, system calls, user faults.

The programs of user/ (packed into the initrd) run through the shell's
`run`: hello and exit statuses, usertests (which checks every system call
from user mode and must pass whole), each violation program (killed alone,
by the right signal, with the kernel's report naming the kind of fault),
the memory-manager demos, the console read by `cat`, background processes
seen by `ps`, `pmap` and `ptdump` and ended by `kill`, a process taking all
memory (hog), and 100 faulting runs that must leave `meminfo` where it
started. Machines boot with `-cpu qemu64,+smep,+smap` so that SMEP and SMAP
are on under TCG; the SMP tests do the same on 4 CPUs, beside spinning and
memory-hungry processes. usertests_on_linux runs the same usertests binary
on this host: the portable tests must pass on Linux too (or say why this
host cannot run them: ioperm without CAP_SYS_RAWIO prints SKIP and a reason).
"""
import atexit
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

from pagoda import Machine, check, machine_test, shell_test, skip
from test_faults import settled_meminfo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CPU = "qemu64,+smep,+smap"
RUN_TIMEOUT = 300          # usertests under TCG, several CPUs
DATA_SIZE = 3 * 4096 + 123  # usertests.dat (Makefile)

# Each violation program: its arguments, the signal that must end it, and what
# the kernel's report must contain (the faulting address for page faults).
VIOLATIONS = [
    ("fault_null", "SIGSEGV", r"segfault at 0x0 ip .*: NULL dereference"),
    ("fault_text", "SIGSEGV", r"segfault at 0x40[0-9a-f]{4} ip \S+ sp \S+ error 7: write to "
                              r"read-only region \"fault_text\""),
    ("fault_xstack", "SIGSEGV", r"segfault at 0x7ff[0-9a-f]+ ip 0x7ff[0-9a-f]+ sp \S+ "
                                r"error (?:21|15): execute of NX page in \"\[stack\]\""),
    ("fault_xheap", "SIGSEGV", r"segfault at (0x[0-9a-f]+) ip \1 sp \S+ error (?:21|15): "
                               r"execute of NX page in \"\[heap\]\""),
    ("fault_kread", "SIGSEGV", r"segfault at 0xffffffff80000000 ip \S+ sp \S+ error [45]\b"),
    # The kernel image through the direct map: present, so the error code says
    # present + user + read (5), not "not present".
    ("fault_kread 0xffff800000200000", "SIGSEGV",
     r"segfault at 0xffff800000200000 ip \S+ sp \S+ error 5\b"),
    ("fault_top", "SIGSEGV", r"segfault at 0x7ffffffff000 ip \S+ sp \S+ error 6\b"),
    ("fault_top hole", "SIGSEGV", r"#GP General Protection"),
    ("fault_div", "SIGFPE", r"#DE Divide Error"),
    ("fault_ud", "SIGILL", r"#UD Invalid Opcode"),
    ("fault_priv", "SIGSEGV", r"#GP General Protection"),
    ("stackgrow overflow", "SIGSEGV", r"segfault at 0x7ff[0-9a-f]+ ip .*guard page"),
]

_machines = {}
# The output of `run usertests` on Pagoda, by CPU count (user_usertests, user_smp4):
# test_linux.py's table shows it beside Linux's.
USERTESTS_OUTPUT = {}


def user_machine(smp=1):
    """A booted machine with SMEP and SMAP (one per CPU count, shared by the tests
    here; a machine whose shell stopped answering is replaced)."""
    m = _machines.get(smp)
    if m is not None and not m.alive():
        m.close()
        m = None
    if m is None:
        m = Machine("user-smp%d" % smp, cpu=CPU, smp=smp)
        _machines[smp] = m
        m.wait_prompt()
    return m


@atexit.register
def _close_machines():
    for m in _machines.values():
        m.close()


def run(m, line, timeout=60):
    """`run LINE` in the foreground: (output, pid, how it ended) of the process."""
    out = m.command("run " + line, timeout=timeout)
    name = os.path.basename(line.split()[0])[:15]
    ended = re.search(r"^%s \(pid (\d+)\) (exited with status \d+|killed by \S+)$"
                      % re.escape(name), out, re.M)
    check(ended, "`run %s` did not say how the process ended:\n%s" % (line, out))
    return out, int(ended.group(1)), ended.group(2)


def run_ok(m, line, timeout=60):
    out, pid, how = run(m, line, timeout)
    check(how == "exited with status 0", "`run %s`: %s:\n%s" % (line, how, out))
    return out, pid


def run_background(m, line, banner=True):
    """Start `line` with run -b; returns the pid. With banner, wait for the program's
    first line ("NAME: pid N ..."), so that it cannot land in the middle of the next
    command's echo; quiet programs (spin -q, pause -q, hog) have none."""
    out = m.command("run -b " + line)
    started = re.search(r"^\[(\d+)\] (\S+) started in the background", out, re.M)
    check(started, "`run -b %s` printed:\n%s" % (line, out))
    pid = int(started.group(1))
    if banner:
        m.expect(r"%s: pid %d " % (line.split()[0], pid), 20)
    return pid


def ps(m):
    """{pid: (ppid, state, rss, faults, name)} from `ps`."""
    out = m.command("ps")
    rows = re.findall(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+\d+:\d+\s+(\S+)$", out, re.M)
    return {int(r[0]): (int(r[1]), r[2], int(r[3]), int(r[4]), r[5]) for r in rows}, out


def kill_and_wait_gone(m, pid):
    out = m.command("kill %d" % pid)
    check("SIGKILL sent to pid %d" % pid in out, "`kill %d` printed:\n%s" % (pid, out))
    for _ in range(50):
        table, listing = ps(m)
        if pid not in table:
            return
        m.command("sleep 100")
    raise AssertionError("pid %d still listed after kill:\n%s" % (pid, listing))


def check_usertests(out, how):
    fails = re.findall(r"^FAIL .*$", out, re.M)
    summary = re.search(r"^usertests: (\d+) passed, (\d+) failed", out, re.M)
    check(summary, "usertests printed no summary (%s):\n%s" % (how, out[-3000:]))
    check(not fails and summary.group(2) == "0" and int(summary.group(1)) >= 35,
          "usertests: %s passed, %s failed:\n%s" % (summary.group(1), summary.group(2),
                                                   "\n".join(fails)))
    check(how == "exited with status 0", "usertests %s" % how)
    check("SKIP" not in out, "a test was skipped on Pagoda:\n" + out)


def check_memory_back(before, after, what, keys=("MemFree", "Slab", "PageTables")):
    """Each meminfo figure in keys is as it was before `what`."""
    for key in keys:
        check(after[key] == before[key],
              "%s %d before %s, %d after" % (key, before[key], what, after[key]))


def check_violation(m, line, signal, report):
    out, pid, how = run(m, line)
    name = line.split()[0]
    check(how == "killed by %s" % signal, "`run %s`: %s, expected killed by %s:\n%s"
          % (line, how, signal, out))
    check("still alive" not in out, "`run %s` survived its violation:\n%s" % (line, out))
    said = re.search(r"^.*pid %d \(%s\).*$" % (pid, re.escape(name)), out, re.M)
    check(said, "`run %s`: no report naming pid %d (%s):\n%s" % (line, pid, name, out))
    check(re.search(report, out), "`run %s`: the report lacks %r:\n%s" % (line, report, out))
    return out


# -- the shared machine (default CPU): the initrd under both firmwares --------------------


@shell_test("ls lists the initrd: the programs, README.md and usertests.dat with sizes")
def user_ls(m):
    out = m.command("ls")
    for name in ("hello", "usertests", "bench_user", "fault_null", "README.md"):
        check(re.search(r"^\S+\s+\d+  %s$" % re.escape(name), out, re.M),
              "`ls` does not list %s:\n%s" % (name, out))
    check(re.search(r"^\S+\s+%d  usertests.dat$" % DATA_SIZE, out, re.M),
          "`ls`: usertests.dat is not %d bytes:\n%s" % (DATA_SIZE, out))
    check(re.search(r"^\d+ files, \d+ bytes$", out, re.M), "`ls`: no total:\n" + out)


@shell_test("run hello prints its greeting and arguments and exits with status 0")
def user_hello(m):
    out, pid = run_ok(m, "hello one two")
    check(re.search(r"^Hello from user mode! \(pid %d, argc 3\)$" % pid, out, re.M),
          "no greeting:\n" + out)
    check("argv[1] = one\nargv[2] = two\n" in out, "arguments not printed:\n" + out)
    out = m.command("run nosuch")
    check(re.search(r"^run: nosuch: ", out, re.M), "`run nosuch` printed:\n" + out)


@shell_test("a static-pie hello (ET_DYN: relocated by musl's rcrt1.o) runs as the ET_EXEC one")
def user_hello_static_pie(m):
    out, pid = run_ok(m, "hello_pie one")
    check(re.search(r"^Hello from user mode! \(pid %d, argc 2\)$" % pid, out, re.M),
          "no greeting from the static-pie:\n" + out)
    check("argv[1] = one\n" in out, "arguments not printed:\n" + out)


@shell_test("exit and exit_group end the process with their status (8 bits)",
            firmwares=("bios",))
def user_exit_status(m):
    for args, status in (("0", 0), ("7", 7), ("300", 44), ("-1", 255), ("5 exit", 5),
                         ("9 exit_group", 9)):
        out, _, how = run(m, "exitcode " + args)
        check(how == "exited with status %d" % status,
              "`run exitcode %s`: %s, expected status %d:\n%s" % (args, how, status, out))


# -- SMEP and SMAP on, one CPU ------------------------------------------------------------


@machine_test("usertests passes whole with SMEP and SMAP on (every system call, bad pointers)")
def user_usertests(firmware):
    m = user_machine()
    out, _, how = run(m, "usertests", timeout=RUN_TIMEOUT)
    USERTESTS_OUTPUT[1] = out
    check_usertests(out, how)
    out, _, how = run(m, "usertests nosuch")
    check(how == "exited with status 2" and "no test named nosuch" in out,
          "`run usertests nosuch`: %s:\n%s" % (how, out))
    out, _, how = run(m, "usertests brk uname")
    check(re.search(r"^usertests: 2 passed, 0 failed$", out, re.M), "two tests:\n" + out)


@machine_test("each violation program is killed by its signal with a report; the shell goes on")
def user_violations(firmware):
    m = user_machine()
    for line, signal, report in VIOLATIONS:
        check_violation(m, line, signal, report)
    check(m.alive(), "the shell does not answer after the violations")


@machine_test("100 runs of faulting programs leave meminfo where it started")
def user_faults_leak_nothing(firmware):
    m = user_machine()
    for line, signal, report in VIOLATIONS[:4]:  # warm up the caches a process uses
        run(m, line)
    before = settled_meminfo(m)
    for i in range(100):
        line, signal, report = VIOLATIONS[i % len(VIOLATIONS)]
        out, _, how = run(m, line)
        check(how == "killed by " + signal, "run %d, `%s`: %s:\n%s" % (i + 1, line, how, out))
    after = settled_meminfo(m)
    check_memory_back(before, after, "100 faulting runs",
                      ("MemFree", "Slab", "VmallocUsed", "PageTables"))
    # Init (pid 1) and the name server live on with their own pages: the counters
    # are as they were, and they are the only processes left.
    table, listing = ps(m)
    check({row[4] for row in table.values()} <= {"init", "nameserver"},
          "processes left after 100 faulting runs:\n" + listing)
    for key in ("AnonPages", "Mapped"):
        if key in after:
            check(after[key] == before[key], "%s %d before the runs, %d after (only init alive)"
                  % (key, before[key], after[key]))


@machine_test("lazyheap, stackgrow and mapfile show demand paging from a process")
def user_demos(firmware):
    m = user_machine()
    out, _ = run_ok(m, "lazyheap")
    check(re.search(r"resident before touching: 0 pages", out), "lazyheap before:\n" + out)
    got = re.search(r"resident after touching: (\d+) pages \(\+(\d+)\), minor faults \+(\d+)",
                    out)
    check(got and got.group(2) == "64" and int(got.group(3)) >= 64,
          "lazyheap: 64 touched pages should be exactly 64 resident:\n" + out)
    out, _ = run_ok(m, "stackgrow")
    got = re.search(r"limit 8192 KiB; grew (\d+) KiB", out)
    check(got and int(got.group(1)) >= 7000, "stackgrow did not grow 7 MiB:\n" + out)
    got = re.search(r"minor faults \+(\d+)", out)
    check(got and int(got.group(1)) >= 1750, "stackgrow: faults for 7 MiB:\n" + out)
    out, _ = run_ok(m, "mapfile README.md 3")
    check(re.search(r"README.md: \d+ bytes mapped read-only at 0x[0-9a-f]+, \d+ pages, "
                    r"0 resident", out), "mapfile header:\n" + out)
    check("\n# User programs\n" in out, "mapfile did not print README.md's first line:\n" + out)
    check(re.search(r"resident after reading: [1-9]", out), "mapfile resident after:\n" + out)
    # README.md shows shell sessions ("pagoda> " lines): wait for cat's end, not a prompt.
    m.send("run cat README.md\r")
    m.expect(r"run cat README.md\n")
    start = m.pos
    m.expect(r"(?m)^cat \(pid \d+\) exited with status 0$")
    check(m.buf[start:].startswith("# User programs\n"), "cat README.md printed:\n"
          + m.buf[start:start + 300])
    m.expect(r"(?m)^pagoda> ")


@machine_test("cat reads console lines (canonical mode, echo); Ctrl-D ends it, Ctrl-C kills it")
def user_console_read(firmware):
    m = user_machine()
    m.send("run cat\r")
    m.expect(r"run cat\n")
    m.send("first line\r")
    m.expect(r"first line\n(?:.*\n)?first line\n", 20)   # the echo, then cat's copy
    m.send("typo\x7f\x7fme\r")                         # Backspace edits the line
    m.expect(r"tyme\n", 20)
    m.send("\x04")                                     # Ctrl-D on an empty line: EOF
    m.expect(r"(?m)^cat \(pid \d+\) exited with status 0$", 20)
    m.expect(r"(?m)^pagoda> ", 20)
    m.send("run cat\r")
    m.expect(r"run cat\n")
    m.send("\x03")
    m.expect(r"(?m)^cat \(pid \d+\) killed by SIGINT$", 20)
    check(m.alive(), "the shell does not answer after Ctrl-C")


@machine_test("run -b: ps lists the process, pmap its regions, ptdump its pages, kill ends it")
def user_background(firmware):
    m = user_machine()
    pid = run_background(m, "pause")
    table, out = ps(m)
    check(pid in table and table[pid][4] == "pause" and table[pid][0] == 0,
          "ps does not list pause as pid %d, parent 0:\n%s" % (pid, out))
    check(table[pid][2] > 0 and table[pid][3] > 0, "pause: RSS %d, faults %d:\n%s"
          % (table[pid][2], table[pid][3], out))
    out = m.command("pmap %d" % pid)
    check(re.search(r"^0*40[0-9a-f]{4}-[0-9a-f]+ r-xp [0-9a-f]+ 00:00 \d+\s+/pause", out, re.M),
          "pmap: no text line of /pause:\n" + out)
    check(re.search(r"^[0-9a-f]+-7ffffffff000 rw-p .*\[stack\]", out, re.M),
          "pmap: no stack line ending at 0x7ffffffff000:\n" + out)
    check(re.search(r"^\d+ regions, \d+ KiB; \d+ pages resident", out, re.M),
          "pmap: no total:\n" + out)
    # ptdump: text is the initrd's own frames (shared, not copied), nothing is both
    # writable and executable, every page is a user page below the top page.
    modules = m.command("bootinfo modules")
    initrd = re.search(r"\[0x([0-9a-f]+)-0x([0-9a-f]+)\) \d+ bytes \"initrd\"", modules)
    check(initrd, "bootinfo modules shows no initrd:\n" + modules)
    out = m.command("ptdump %d" % pid)
    runs = re.findall(r"^\s+0x([0-9a-f]+)-0x([0-9a-f]+) -> 0x([0-9a-f]+)\s+\S+ pages\s+(\S+)$",
                      out, re.M)
    check(runs, "ptdump %d lists no pages:\n%s" % (pid, out))
    for start, end, phys, flags in runs:
        check(flags.startswith("r") and "u" in flags and not ("w" in flags and "x" in flags),
              "ptdump %d: %s-%s flags %s:\n%s" % (pid, start, end, flags, out))
        check(int(end, 16) < 0x7ffffffff000, "ptdump %d: page in the top page:\n%s" % (pid, out))
    shared = [r for r in runs if "x" in r[3] and
              int(initrd.group(1), 16) <= int(r[2], 16) < int(initrd.group(2), 16)]
    check(shared, "ptdump %d: no text page maps a frame of the initrd [0x%s-0x%s):\n%s"
          % (pid, initrd.group(1), initrd.group(2), out))
    kill_and_wait_gone(m, pid)
    pid = run_background(m, "spin")
    table, out = ps(m)
    check(pid in table and table[pid][1] == "running", "ps: spin not running:\n" + out)
    out, _ = run_ok(m, "hello")   # the machine still runs other programs
    kill_and_wait_gone(m, pid)
    out = m.command("kill %d" % pid)
    check("no such process" in out, "kill of a dead pid:\n" + out)


@machine_test("a process that takes all memory gets -ENOMEM, uses what it got; all comes back")
def user_out_of_memory(firmware):
    m = user_machine()
    run_ok(m, "hello")
    before = settled_meminfo(m)
    out, pid = run_ok(m, "hog", timeout=120)
    got = re.search(r"hog: pid %d: (\d+) MiB mapped and touched, mmap then said (.*)$" % pid,
                    out, re.M)
    check(got and int(got.group(1)) >= 150 and "memory" in got.group(2).lower(),
          "hog on 256 MiB should map 150+ MiB, then ENOMEM:\n" + out)
    check(re.search(r"hog: pid %d: break grown by \d+ MiB" % pid, out), "hog's brk:\n" + out)
    run_ok(m, "hello")
    after = settled_meminfo(m)
    check_memory_back(before, after, "hog")


# -- four CPUs --------------------------------------------------------------------------


@machine_test("on 4 CPUs: usertests, 100 violations beside 3 spinners, meminfo back where it was")
def user_smp4(firmware):
    m = user_machine(smp=4)
    out, _, how = run(m, "usertests", timeout=RUN_TIMEOUT)
    USERTESTS_OUTPUT[4] = out
    check_usertests(out, how)
    for line, signal, report in VIOLATIONS[:4]:
        run(m, line)
    # The first background process starts the kernel's reaper thread (its stack stays).
    kill_and_wait_gone(m, run_background(m, "pause -q", banner=False))
    before = settled_meminfo(m)
    spinners = [run_background(m, "spin -q", banner=False) for _ in range(3)]
    for i in range(100):
        line, signal, report = VIOLATIONS[i % len(VIOLATIONS)]
        check_violation(m, line, signal, report)
    out, _ = run_ok(m, "lazyheap")
    for pid in spinners:
        kill_and_wait_gone(m, pid)
    after = settled_meminfo(m)
    check_memory_back(before, after, "3 spinners and 100 faulting runs on 4 CPUs")


@machine_test("on 4 CPUs: two processes take all memory at once; each ends, the kernel stays")
def user_smp4_out_of_memory(firmware):
    m = user_machine(smp=4)
    # The first background process starts the kernel's reaper thread (its stack stays).
    kill_and_wait_gone(m, run_background(m, "pause -q", banner=False))
    run_ok(m, "hello")
    before = settled_meminfo(m)
    pids = [run_background(m, "hog", banner=False) for _ in range(2)]
    ended = set()
    while ended != set(pids):
        # Normal end, or killed at a fault with the kernel's report: both are right.
        got = m.expect(r"hog: pid (\d+): break grown|pid (\d+) \(hog\)", 120)
        ended.add(int(got.group(1) or got.group(2)))
    for pid in pids:
        for _ in range(50):
            if pid not in ps(m)[0]:
                break
            m.command("sleep 100")
        check(pid not in ps(m)[0], "hog %d still listed:\n%s" % (pid, ps(m)[1]))
    run_ok(m, "hello")
    after = settled_meminfo(m)
    check_memory_back(before, after, "two hogs")


# -- the archive, on the host ---------------------------------------------------------------


@machine_test("the initrd: page-aligned files, every program and data file, GNU cpio agrees")
def initrd_archive(firmware):
    archive = os.path.join(ROOT, "build", "initrd.cpio")
    if not os.path.exists(archive):
        skip("no build/initrd.cpio (make iso)")
    listing = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "mkinitrd.py"),
                              "--list", archive], capture_output=True, text=True)
    check(listing.returncode == 0, "mkinitrd --list: %s%s" % (listing.stdout, listing.stderr))
    names = re.findall(r"^(\S+)\s+offset", listing.stdout, re.M)
    programs = subprocess.run(["make", "-s", "print-USER_PROGRAMS"], cwd=ROOT,
                              capture_output=True, text=True).stdout.split()
    check(programs and sorted(programs + ["README.md", "usertests.dat"]) == names,
          "the initrd holds %s, the Makefile lists %s" % (names, programs))
    if not shutil.which("cpio"):
        skip("GNU cpio is not installed: mkinitrd's own check passed")
    with open(archive, "rb") as f:
        gnu = subprocess.run(["cpio", "-t", "--quiet"], stdin=f, capture_output=True, text=True)
    listed = [n for n in gnu.stdout.split() if n != "."]  # mkinitrd's filler records
    check(gnu.returncode == 0 and listed == names,
          "cpio -t lists %s (status %d, %s)" % (gnu.stdout.split(), gnu.returncode, gnu.stderr))
    root = tempfile.mkdtemp(prefix="pagoda-initrd-")
    try:
        with open(archive, "rb") as f:
            subprocess.run(["cpio", "-id", "--quiet"], stdin=f, cwd=root, check=True)
        for name in programs:
            with open(os.path.join(root, name), "rb") as a, \
                    open(os.path.join(ROOT, "build", "initrd", name), "rb") as b:
                check(a.read() == b.read(), "cpio extracted %s differently" % name)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- the same binary on Linux -------------------------------------------------------------


@machine_test("usertests passes on this Linux host too (the same binary; Pagoda-only tests skip)")
def usertests_on_linux(firmware):
    binary = os.path.join(ROOT, "build", "user", "usertests")
    data = os.path.join(ROOT, "build", "user", "usertests.dat")
    if os.uname().sysname != "Linux" or not os.path.exists(binary):
        skip("needs Linux and build/user/usertests (make iso)")
    root = tempfile.mkdtemp(prefix="pagoda-user-")
    try:
        # Laid out like the initrd: usertests may exec the other programs.
        programs = glob.glob(os.path.join(ROOT, "build", "initrd", "*"))
        for path in [binary, data, os.path.join(ROOT, "user", "README.md")] + programs:
            shutil.copy(path, root)
        proc = subprocess.run(["./usertests"], cwd=root, capture_output=True, text=True,
                              timeout=120)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    fails = re.findall(r"^FAIL .*$", proc.stdout, re.M)
    check(proc.returncode == 0 and not fails,
          "usertests on Linux: exit %d:\n%s" % (proc.returncode, "\n".join(fails) or
                                                proc.stdout[-2000:]))
    pagoda_only = subprocess.run([binary, "-l"], capture_output=True,
                                 text=True).stdout.count(" pagoda-only")
    # A test this host cannot run says so (ioperm without CAP_SYS_RAWIO): a
    # SKIP with its reason, counted beside the Pagoda-only ones.
    host_skips = len(re.findall(r"^SKIP \S+: (?!Pagoda only$).*$", proc.stdout, re.M))
    check(re.search(r"^usertests: \d+ passed, 0 failed, %d skipped$"
                    % (pagoda_only + host_skips), proc.stdout, re.M),
          "usertests on Linux: summary (%d Pagoda-only tests, %d this host skipped):\n%s"
          % (pagoda_only, host_skips, proc.stdout[-500:]))


def run_named_usertests(m, names, what):
    """Run the usertests in names, in shell lines of at most 200 characters and 12
    names (the shell takes 16 words); each must pass and each run exit 0."""
    batches, line = [], []
    for name in names:
        if len(" ".join(line + [name])) > 200 or len(line) == 12:
            batches.append(line)
            line = []
        line.append(name)
    batches.append(line)
    passed = []
    for batch in batches:
        out = m.command("run usertests %s" % " ".join(batch), timeout=RUN_TIMEOUT)
        fails = re.findall(r"^FAIL .*$", out, re.M)
        check(not fails, "%s:\n%s" % (what, "\n".join(fails)))
        check(re.search(r"^usertests \(pid \d+\) exited with status 0$", out, re.M),
              "%s: usertests did not exit 0:\n%s" % (what, out[-2000:]))
        passed += re.findall(r"^PASS (\S+)$", out, re.M)
    check(sorted(passed) == sorted(names), "%s: %d of %d passed" % (what, len(passed),
                                                                  len(names)))


USERTESTS_DIR = os.path.join(ROOT, "user", "usertests")


def usertest_table_names(*files):
    """The test names in the tables of user/usertests/FILE..., in order."""
    names = []
    for name in files:
        with open(os.path.join(USERTESTS_DIR, name)) as f:
            names += re.findall(r'^\s*\{\s*"(\w+)", test_\w+, \w+\s*\},$', f.read(), re.M)
    return names


def usertests_leave_nothing(smp, files, minimum, what, keys=("MemFree", "Slab", "PageTables")):
    """Run every test of the tables in files (at least minimum of them) on smp CPUs twice;
    all pass, and the second run leaves meminfo's keys where the first left them (the
    first warms the caches and starts the reaper)."""
    names = usertest_table_names(*files)
    check(len(names) >= minimum, "%s list only %d tests" % (" and ".join(files), len(names)))
    m = user_machine(smp)
    run_named_usertests(m, names, what)
    before = settled_meminfo(m)
    run_named_usertests(m, names, what)
    check_memory_back(before, settled_meminfo(m), "the " + what, keys=keys)
