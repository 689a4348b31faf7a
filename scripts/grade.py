#!/usr/bin/env python3
"""grade.py - the lab grader: run a lab's tests, print points and a score.

Usage: grade.py [--quick] [N ...]   (default: every lab, tests/labs/lab*.py)
  --quick   host tests only (seconds, no QEMU): what `make test` uses on
            skeletons; the score then counts only those points.

Each lab's rubric is tests/labs/labN.py: RUBRIC, a list of
    (points, kind, test, what)
  kind "host"    test "BINARY:suite/name": a host test program (build/host/BINARY,
                 built with make), run under ASan/UBSan;
  kind "kernel"  test "suite/name": an in-kernel selftest, from one selftest
                 boot of the ISO in QEMU;
  kind "qemu"    test "module.function": an integration test of
                 tests/integration/MODULE.py, run against a booted machine;
  kind "user"    test "usertests:NAME": a test of the usertests program
                 (user/usertests/), all of them from one `run usertests -r
                 NAME...` on one booted machine.
Results come from channels the code under test cannot forge by printing:
host programs write RESULT lines to the file named by $PAGODA_RESULTS, the
kernel to QEMU's debug console (port 0xe9, `-debugcon file:...`), usertests
-r to the second serial port, COM2 (its ports 0x2f8-0x2ff, granted by
ioperm only while it writes a line; the kernel never drives COM2); kprintf
writes to none of them (kernel/selftest.h). Integration tests judge the
shell's behaviour from Python.

A host program that does not end as a test run ends (its summary line, exit
status 0, or 1 with failed tests) crashed: a sanitizer report ("runtime
error", "ERROR: AddressSanitizer", ...), a signal, a panic, another exit
status, or no end within HOST_TIMEOUT seconds. Its tests reported before the
crash keep their points; the others fail with "no result", and the crash is
shown once, with the file and line it names and the tail of its output. The
same holds for usertests -r: killed by a signal, another exit status than 0
or 1, no summary line, no end within USER_TIMEOUT seconds, or a machine
that stopped answering; its console's last lines are shown. The
selftest boot ends as soon as every kernel test the rubrics name has its
result (the rest of the boot may run into a skeleton's stubs); one that
does not get there within KERNEL_TIMEOUT seconds, or stops before its
summary, is reported, with the console's last lines.
Identical consecutive lines are shown once, with their count (squeeze).

Each kind runs once for all the labs asked for (one selftest boot, one shell
machine, one usertests machine). Output: per lab, one line per test, "PASS|FAIL  points/max  kind
test  what", the failure's reason indented below it (a kernel test that
faulted names the exception, the fault and the function), the logs of the
machines' consoles where a test of theirs failed, the TODO(lab N) parts the
stubs announced; then "Score: X/Y". Exit status 0 only with full marks.
"""
import importlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import lab as labtool  # noqa: E402  (LABS: the labs that exist)
RESULT_RE = re.compile(r"^RESULT (PASS|FAIL) (\S+?)(?:: (.*))?$")
TODO_RE = re.compile(r"TODO\(lab (\d+)\): (\w+)")
SUMMARY_RE = re.compile(r"^selftest: (\d+) passed, (\d+) failed$", re.M)
LAST_TEST_RE = re.compile(r"^selftest: (?:PASS|FAIL) (\S+?)(?::|$)", re.M)
# What sanitizers and panic() print when they stop a program.
CRASH_RE = re.compile(r"runtime error:|ERROR: \w+Sanitizer|^PANIC", re.M)
# The place a report names: "mm/buddy.c:170:5: runtime error: ..." (UBSan),
# "#0 0x4f5e2 in buddy_merge_and_free mm/buddy.c:170" (ASan's stack frames).
UBSAN_WHERE_RE = re.compile(r"^(\S+?:\d+)(?::\d+)?: runtime error: (.*)$", re.M)
FRAME_RE = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (\w+) (\S+?:\d+)", re.M)
HOST_TIMEOUT = 120
KERNEL_TIMEOUT = 120
USER_TIMEOUT = 240
USER_LINE_MAX = 200   # characters in a shell line (the shell takes 255)
USER_NAMES_MAX = 12   # test names in one line (the shell takes 16 words)
USER_CPU = "qemu64,+smep,+smap"  # as tests/integration/test_user.py: user copies under SMAP
USER_ENDED_RE = re.compile(r"^(\S+) \(pid \d+\) (exited with status (\d+)|killed by \S+)$", re.M)
USER_SUMMARY_RE = re.compile(r"^usertests: \d+ passed, \d+ failed", re.M)
TAIL_LINES = 12


def load_rubric(lab):
    """tests/labs/labN.py as a module: TITLE, RUBRIC, skeleton_probe."""
    path = os.path.join(ROOT, "tests", "labs", "lab%d.py" % lab)
    spec = importlib.util.spec_from_file_location("rubric_lab%d" % lab, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def host_binaries(rubric):
    """The host test programs (build/host/NAME) that rubric rows name."""
    return sorted({t.split(":")[0] for _, kind, t, _ in rubric if kind == "host"})


def make(*targets):
    """Build targets quietly; (ok, output)."""
    proc = subprocess.run(["make", "-s", "-j2", "-C", ROOT] + list(targets),  # two jobs
                          capture_output=True, text=True)
    return proc.returncode == 0, proc.stdout + proc.stderr


def parse_results(text, into):
    for line in text.splitlines():
        m = RESULT_RE.match(line.strip())
        if m:
            into[m.group(2)] = (m.group(1) == "PASS", m.group(3) or "")


def squeeze(lines):
    """lines with each run of identical consecutive lines shown once, and its count."""
    out, i = [], 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and lines[j + 1] == lines[i]:
            j += 1
        out.append(lines[i])
        if j > i:
            out.append("        ... the line above repeated %d more time%s"
                       % (j - i, "s" if j - i > 1 else ""))
        i = j + 1
    return out


def tail(text, n=TAIL_LINES):
    """The last n lines of text, squeezed, as one indented block."""
    return "\n".join("    " + line for line in squeeze(text.rstrip("\n").splitlines())[-n:])


def crash_place(text):
    """Where a crash report says it happened, "FILE:LINE (FUNCTION): what", or None."""
    m = UBSAN_WHERE_RE.search(text)
    if m:
        return "%s: runtime error: %s" % (m.group(1), m.group(2))
    for m in FRAME_RE.finditer(text):
        path = m.group(2)
        if not path.startswith("/") or path.startswith(ROOT):
            report = re.search(r"ERROR: (\w+Sanitizer: .*?)(?: at pc 0x.*)?$", text, re.M)
            return "%s (%s)%s" % (os.path.relpath(path, ROOT) if path.startswith("/") else path,
                                  m.group(1), ": " + report.group(1) if report else "")
    m = re.search(r"^PANIC.*$", text, re.M)
    return m.group(0) if m else None


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def host_crash(binary, returncode, stdout, stderr):
    """None if the host program ended as a test run ends; else what happened, in words."""
    summary = SUMMARY_RE.findall(stdout)
    failed = int(summary[-1][1]) if summary else None
    if returncode is None:
        what = "did not finish within %d s" % HOST_TIMEOUT
    elif returncode < 0:
        what = "was killed by signal %d (%s)" % (-returncode, signal_name(-returncode))
    elif CRASH_RE.search(stdout + "\n" + stderr):
        what = "crashed (exit status %d)" % returncode
    elif summary and ((returncode == 0 and failed == 0) or (returncode == 1 and failed > 0)):
        return None
    else:
        what = "exited with status %d%s" % (returncode, "" if summary else
                                             " before its summary line")
    last = LAST_TEST_RE.findall(stdout)
    lines = ["build/host/%s %s, after its last reported test, %s." % (
        binary, what, last[-1] if last else "(none)")]
    place = crash_place(stderr + "\n" + stdout)
    if place:
        lines.append("  where: " + place)
    report = CRASH_RE.search(stderr)
    if report:  # the report's start names the place; its end is a legend
        start = stderr.rfind("\n", 0, report.start()) + 1
        lines.append("  its stderr, from the report on:\n" +
                     "\n".join("    " + line for line in
                               squeeze(stderr[start:].splitlines())[:TAIL_LINES]))
    elif stderr.strip():
        lines.append("  the last lines of its stderr:\n" + tail(stderr))
    else:
        lines.append("  the last lines of its output:\n" + tail(stdout))
    return "\n".join(lines)


def run_program(binary, path, results, todos, crashes):
    """Run one host test program; record its RESULT lines as BINARY:suite/name, and
    in crashes[binary] what went wrong if it did not end as a test run ends."""
    with tempfile.NamedTemporaryFile("r", suffix=".results") as f:
        env = dict(os.environ, PAGODA_RESULTS=f.name)
        try:
            proc = subprocess.run([path], env=env, capture_output=True, timeout=HOST_TIMEOUT)
            returncode, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as e:
            returncode, out, err = None, e.stdout or b"", e.stderr or b""
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        found = {}
        parse_results(f.read(), found)
    todos.update(TODO_RE.findall(out))
    for name, outcome in found.items():
        results[binary + ":" + name] = outcome
    crash = host_crash(binary, returncode, out, err)
    if crash:
        crashes[binary] = crash


def run_host(binaries, results, todos, crashes):
    """Build and run each host program once (run_program)."""
    for binary in sorted(binaries):
        ok, out = make("build/host/" + binary)
        if not ok:
            results[binary + ":*"] = (False, "build/host/%s did not build:\n%s"
                                      % (binary, out[-1500:]))
            continue
        run_program(binary, os.path.join(ROOT, "build", "host", binary), results, todos,
                    crashes)


def kernel_boot_problem(status, console, timeout):
    """None if the selftest boot ended as it should (its summary line, QEMU's exit
    status 33 or 35); else what happened and the console's last lines."""
    if status is None:
        what = "the kernel test boot did not finish within %g s" % timeout
    elif not SUMMARY_RE.search(console) or status not in (33, 35):
        what = "the kernel test boot stopped before its end (QEMU exit status %d)" % status
    else:
        return None
    return "%s; last lines:\n%s" % (what, tail(console) if console.strip() else "    (none)")


def reported(path):
    """{test: (passed, why)} of the whole RESULT lines in the file at path so far."""
    with open(path, errors="replace") as f:
        text = f.read()
    found = {}
    parse_results(text[:text.rfind("\n") + 1], found)
    return found


def run_kernel(results, todos, logs, crashes, timeout=KERNEL_TIMEOUT, wanted=(), iso=None):
    """One selftest boot (of iso; None: this tree's, built first); record the
    debug console's RESULT lines. The boot is stopped as soon as every test
    in wanted has its result: a skeleton's stubs, or a student's bug, may
    make a later suite fail slowly or hang, and the tests a rubric asks for
    must not wait for that."""
    import pagoda
    if iso is None:
        ok, out = make("iso")
        if not ok:
            results["kernel:*"] = (False, "the ISO did not build:\n" + out[-1500:])
            return
    fd, path = tempfile.mkstemp(suffix=".debugcon")
    os.close(fd)
    m = pagoda.Machine("grade-selftest", smbios_product="pagoda-selftest",
                       extra_args=["-debugcon", "file:" + path], iso=iso or pagoda.ISO)
    deadline, status, complete = time.monotonic() + timeout, None, False
    try:
        while status is None and not complete:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            status = m.wait_exit(min(0.5, left))
            complete = bool(wanted) and set(wanted) <= set(reported(path))
        time.sleep(0.2)  # let the reader thread drain the serial socket
    finally:
        m.close()
    logs["kernel"] = os.path.relpath(m.log.name, ROOT)
    todos.update(TODO_RE.findall(m.buf))
    problem = None if complete else kernel_boot_problem(status, m.buf, timeout)
    if problem:
        crashes["kernel"] = problem
    found = reported(path)
    os.unlink(path)
    for name, outcome in found.items():
        results["kernel:" + name] = outcome


def run_qemu(tests, results, todos, logs):
    """Each integration test on a shared machine (a fresh one after a failure)."""
    import pagoda
    if not make("iso")[0]:
        for t in tests:
            results["qemu:" + t] = (False, "the ISO did not build")
        return
    m = None
    for t in tests:
        module_name, function = t.split(".")
        try:
            fn = getattr(importlib.import_module(module_name), function)
            if m is None:
                m = pagoda.Machine("grade-shell")
                # a fresh machine after each failure: grade-shell.log, grade-shell.2.log, ...
                logs["qemu"] = os.path.join(os.path.relpath(pagoda.LOG_DIR, ROOT),
                                            "grade-shell*.log")
                m.wait_prompt()
            fn(m)
            results["qemu:" + t] = (True, "")
        except (AssertionError, pagoda.MachineError, AttributeError) as e:
            results["qemu:" + t] = (False, str(e))
            if m is not None:
                todos.update(TODO_RE.findall(m.buf))
                m.close()
                m = None
    if m is not None:
        todos.update(TODO_RE.findall(m.buf))
        m.close()


def user_programs(tests):
    """{program: [test names]} for user rows "PROGRAM:NAME", in rubric order."""
    programs = {}
    for t in tests:
        program, name = t.split(":", 1)
        if name not in programs.setdefault(program, []):
            programs[program].append(name)
    return programs


def user_batches(program, names):
    """names split into shell lines `run PROGRAM -r NAME...` the shell takes
    (at most USER_LINE_MAX characters and USER_NAMES_MAX names each)."""
    lines, line = [], []
    for name in names:
        if line and (len(line) == USER_NAMES_MAX or
                     len("run %s -r %s %s" % (program, " ".join(line), name)) > USER_LINE_MAX):
            lines.append(line)
            line = []
        line.append(name)
    return lines + [line] if line else lines


def user_run_problem(program, out, timeout, answered=False):
    """None if `run PROGRAM -r ...` ended as a test run ends (its summary line,
    exit status 0 or 1), else what happened, with the console's last lines.
    answered: the shell's prompt came back (no end line then: never started)."""
    ended = [m for m in USER_ENDED_RE.finditer(out) if m.group(1) == program[:15]]
    if ended and ended[-1].group(3) in ("0", "1") and USER_SUMMARY_RE.search(out):
        return None
    if not ended and answered:
        what = "was not run (the shell's prompt came back without the program's end)"
    elif not ended:
        what = "did not end within %g s (or the shell stopped answering)" % timeout
    elif ended[-1].group(3) is None:
        what = "was %s" % ended[-1].group(2)
    else:
        what = "%s%s" % (ended[-1].group(2), "" if USER_SUMMARY_RE.search(out) else
                         " before its summary line")
    return "`run %s -r` %s; the console's last lines:\n%s" % (program, what, tail(out))


def run_user(tests, results, todos, logs, crashes, timeout=USER_TIMEOUT):
    """`run PROGRAM -r NAME...` on one machine for each program the rows name
    (several lines if the names do not fit in one; a fresh machine after a
    line the shell never finished). Results come from COM2's RESULT lines
    (user:PROGRAM:NAME); what the programs print on the console never counts."""
    import pagoda
    ok, out = make("iso")
    if not ok:
        results["user:*"] = (False, "the ISO did not build:\n" + out[-1500:])
        return
    problems, m = [], None

    def harvest(m):
        time.sleep(0.2)  # let the reader threads drain the sockets
        m.close()
        todos.update(TODO_RE.findall(m.buf))
        found = {}
        parse_results(m.com2_output().decode(errors="replace"), found)
        for name, outcome in found.items():
            program, _, test = name.partition("/")
            results["user:%s:%s" % (program, test)] = outcome

    try:
        for program, names in user_programs(tests).items():
            for batch in user_batches(program, names):
                if m is None:
                    m = pagoda.Machine("grade-user", cpu=USER_CPU)
                    logs["user"] = os.path.join(os.path.relpath(pagoda.LOG_DIR, ROOT),
                                                "grade-user*.log")
                    m.wait_prompt()
                start, answered = len(m.buf), True
                try:
                    m.command("run %s -r %s" % (program, " ".join(batch)), timeout=timeout)
                except pagoda.MachineError:
                    answered = False  # user_run_problem says what is missing
                problem = user_run_problem(program, m.buf[start:], timeout, answered)
                if problem:
                    problems.append(problem)
                if not answered:  # a shell that stopped answering runs nothing more
                    harvest(m)
                    m = None
    except pagoda.MachineError as e:
        problems.append("the machine for the user programs did not reach the shell: %s\n%s"
                        % (e, tail(m.buf)))
    finally:
        if m is not None:
            harvest(m)
    if problems:
        crashes["user"] = "\n".join(problems)


def outcome_of(kind, test, results, crashes):
    """(passed, why) of one rubric row. A test reported before its program or
    boot crashed keeps its result; one never reported fails, naming the crash."""
    key = test if kind == "host" else kind + ":" + test
    if key in results:
        return results[key]
    program = test.split(":")[0] if kind == "host" else kind
    if program + ":*" in results:
        return results[program + ":*"]
    if program in crashes:
        where = {"host": "build/host/" + program, "kernel": "the kernel test boot",
                 "user": "`run %s -r`" % test.split(":")[0]}.get(kind, kind)
        return False, ("no result: %s ended before it reported this test (it crashed in "
                       "this test or an earlier one; see below)" % where)
    if kind == "host":
        return False, "no result for %s (no such test in the program)" % test
    return False, "no result for %s (no such test, or the kernel stopped before it)" % test


def collect(rubrics, quick):
    """Run every test the rubrics name, each kind once for all labs."""
    results, todos, logs, crashes = {}, set(), {}, {}
    every = [entry for module in rubrics.values() for entry in module.RUBRIC]
    run_host(host_binaries(every), results, todos, crashes)
    if quick:
        return results, todos, logs, crashes
    kernel = [t for _, kind, t, _ in every if kind == "kernel"]
    if kernel:
        run_kernel(results, todos, logs, crashes, wanted=kernel)
    user = [t for _, kind, t, _ in every if kind == "user"]
    if user:
        run_user(user, results, todos, logs, crashes)
    qemu = []
    for _, kind, t, _ in every:
        if kind == "qemu" and t not in qemu:
            qemu.append(t)
    if qemu:
        run_qemu(qemu, results, todos, logs)
    return results, todos, logs, crashes


def report(lab, title, rubric, results, todos, logs, crashes, quick):
    """Print one lab's table; return (score, total)."""
    score = total = 0
    failed_kinds, programs = set(), []
    print("== lab %d: %s ==" % (lab, title))
    for points, kind, test, what in rubric:
        if quick and kind != "host":
            continue
        program = test.split(":")[0] if kind == "host" else kind
        if program not in programs:
            programs.append(program)
        passed, why = outcome_of(kind, test, results, crashes)
        total += points
        score += points if passed else 0
        print("%s  %2d/%-2d  %-6s %-44s %s" % ("PASS" if passed else "FAIL",
                                                points if passed else 0, points, kind, test,
                                                what))
        if not passed:
            failed_kinds.add(kind)
            for line in squeeze((why or "failed").splitlines())[:12]:
                print("        " + line)
    for program in programs:
        if program in crashes:
            print(crashes[program])
            print("  (the tests it reported before that keep their result and points; the "
                  "ones it never reported fail with \"no result\")")
    for kind, machine in (("kernel", "the selftest boot"), ("qemu", "the shell tests"),
                          ("user", "the usertests run")):
        if (kind in failed_kinds or kind in crashes) and kind in logs:
            print("the console of %s, with the full fault reports: %s" % (machine, logs[kind]))
    mine = sorted({(int(n), part) for n, part in todos if int(n) == lab})
    if mine:
        print("parts not implemented yet (TODO): " + ", ".join(part for _, part in mine))
    print("lab %d: %d/%d points" % (lab, score, total))
    return score, total


def main(argv):
    quick = "--quick" in argv
    words = [a for a in argv if a != "--quick"]
    try:
        labs = [labtool.lab_number(word) for word in words] or list(labtool.LABS)
    except ValueError as e:
        print("grade.py: %s" % e, file=sys.stderr)
        return 2
    started = time.monotonic()
    rubrics = {lab: load_rubric(lab) for lab in labs}
    results, todos, logs, crashes = collect(rubrics, quick)
    score = total = 0
    for lab in labs:
        s, t = report(lab, rubrics[lab].TITLE, rubrics[lab].RUBRIC, results, todos, logs,
                      crashes, quick)
        score, total = score + s, total + t
    print("(%.0f s%s)" % (time.monotonic() - started, "; host tests only" if quick else ""))
    print("Score: %d/%d" % (score, total))
    return 0 if score == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
