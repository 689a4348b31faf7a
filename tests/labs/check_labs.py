"""check_labs.py - the `labs` suite of `make test`: the lab machinery works.

For the course labs (docs/labs/) to be trusted, `make test` checks:
  markers      scripts/lab.py check: every marker balanced, every lab has parts,
               every part its stub (tests/labs/stubs/NAME.stub) and no stub is orphaned;
  arguments    lab.py and grade.py refuse a bad LAB or part with a message;
  handout N    docs/labs/labN-*.md has every section a handout needs, a
               "### k. `part`: `function(...)`" task for each of the lab's parts
               naming the function the part lies in, and a rubric table that
               is tests/labs/labN.py's RUBRIC, row for row;
  reference    the reference tree gets full marks from scripts/grade.py (all
               labs: host tests, one selftest boot, the QEMU tests);
  skeleton N   `lab.py skeleton N` builds (the ISO and the rubric's host
               programs), and its quick grade (host tests) is below full
               marks and names every stubbed part of lab N; `lab.py parts N`
               run in it lists those parts as TODO; it boots to the
               shell, where the lab's skeleton_probe (tests/labs/labN.py),
               commands that need the missing code, says TODO(lab N) and the
               shell still answers;
  unharmed N   in the lab N skeleton (labs N-9 stubbed) lab N-1 gets full marks
               from the whole grader: no stub of a later lab breaks an earlier
               lab (lab k meets the most stubs in the lab k+1 tree, so this
               checks every earlier lab once; the lab 6 tree grades lab 5);
  part NAME    with only NAME stubbed, at least one of its lab's host tests
               fails: no part goes untested;
  batch        scripts/grade_batch.sh --quick grades a finished and an
               untouched lab 3 submission right;
  parts state  `lab.py parts` in a student tree says TODO while a stub is there
               (its lab_todo() call, or its code) and "written" once replaced;
  challenge    lab 1's challenge stubs give no answer (no list operation);
  crashes      grade.py on tests/labs/crash_probe.c, a program that passes a
               test and then dies (UBSan, ASan, panic, exit 3, a hang): the
               crash is reported with its file and line, the test reported
               before it keeps its points, the rest say "no result"; a
               program whose tests merely fail is no crash;
  kernel boot  a selftest boot that does not finish in time is reported with
               the console's last lines, identical lines shown once with their
               count;
  user crash   a `run usertests -r` that was killed, exited early or hung is
               reported as a host program's crash (the test reported before
               keeps its points, the rest "no result"); failed tests are no crash;
               many user tests are run in shell lines the shell takes;
  mutants      with a lab 1 buddy_merge that leaves the buddy listed, the
               grader's selftest boot fails pmm_boot/no_forbidden_page and
               lab 1's kernel tests in seconds (and stops there); with a
               pcp_drain that drains the newest pages, buddy/pcp_drain says
               whether the list or the PG_PCP flag is wrong;
  unforgeable  the forged "RESULT PASS" line that selftest lab/console_cannot_forge
               prints reaches the console but not the grader's channel, on the
               host ($PAGODA_RESULTS) and in the kernel (the debug console);
               for user programs (COM2, usertests -r), neither the line that
               usertests' console_cannot_forge prints nor one the kernel
               prints (the shell's echo) reaches COM2.
Skeletons are built under build/labs/ from a copy of the reference's object
files, so only the files a skeleton changes are compiled again. Imported by
scripts/run_tests.py, which puts tests/integration (pagoda) and scripts
(grade) on the path.
"""
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

import grade
import lab as labtool
import pagoda
from grade import host_binaries, load_rubric

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OBJECT_DIRS = ("boot", "kernel", "mm", "drivers", "lib", "tests", "host-obj")
PART_RE = re.compile(r"^lab (\d) +(\w+) +(\S+):(\d+)  (TODO )?")
Part = collections.namedtuple("Part", "lab name path line todo")


def run(cmd, cwd=ROOT, timeout=900):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def parts(lab=None, cwd=ROOT):
    """`lab.py parts [LAB]` run in cwd, as Parts (line 1-based; todo: a student tree's TODO)."""
    code, out = run([sys.executable, "scripts/lab.py", "parts"] + ([str(lab)] if lab else []),
                    cwd=cwd)
    return [Part(int(m.group(1)), m.group(2), m.group(3), int(m.group(4)), bool(m.group(5)))
            for m in map(PART_RE.match, out.splitlines()) if m]


def rubric_host_binaries(lab):
    return host_binaries(load_rubric(lab).RUBRIC)


HANDOUT_SECTIONS = ("Learning goal", "Background", "What to implement", "Hints and pitfalls",
                    "Testing locally", "Rubric")
RUBRIC_ROW_RE = re.compile(r"^\| (\d+) \| (\w+) \| `([^`]+)` \| (.*) \|$")


TASK_RE = re.compile(r"^### \d+\. (?:Challenge, )?`(\w+)`: `(\w+)\(", re.M)
FUNCTION_RE = re.compile(r"^[a-z_][\w \*]*?\b(\w+)\(")


def enclosing_function(path, line):
    """The name of the C function whose definition starts last before line (0-based)."""
    with open(os.path.join(ROOT, path)) as f:
        lines = f.readlines()[:line]
    for text in reversed(lines):
        m = FUNCTION_RE.match(text)
        if m:
            return m.group(1)
    return None


def tasks_match_parts(lab, handout, text):
    """None if the handout's tasks are the lab's parts, each naming its function."""
    tasks = dict(TASK_RE.findall(text))
    functions = {p.name: enclosing_function(p.path, p.line - 1) for p in parts(lab)}
    if set(tasks) != set(functions):
        return ("%s's tasks (### k. `part`: ...) name %s; lab %d's parts are %s"
                % (handout, sorted(tasks), lab, sorted(functions)))
    wrong = ["%s is in %s(), not %s()" % (name, functions[name], tasks[name]) for name in tasks
             if tasks[name] != functions[name]]
    return ("%s names the wrong functions: %s" % (handout, "; ".join(wrong))) if wrong else None


def handout_matches_rubric(lab):
    """None if lab N's handout has its sections and the grader's rubric, else why not."""
    found = [f for f in os.listdir(os.path.join(ROOT, "docs", "labs"))
             if f.startswith("lab%d-" % lab) and f.endswith(".md")]
    if len(found) != 1:
        return "expected one docs/labs/lab%d-*.md, found %s" % (lab, found or "none")
    with open(os.path.join(ROOT, "docs", "labs", found[0])) as f:
        text = f.read()
    headings = re.findall(r"^## (.+)$", text, re.M)
    missing = [h for h in HANDOUT_SECTIONS if h not in headings]
    if missing:
        return "%s has no section %s" % (found[0], ", ".join("'## %s'" % h for h in missing))
    why = tasks_match_parts(lab, found[0], text)
    if why:
        return why
    table = text.split("\n## Rubric\n", 1)[1].split("\n## ", 1)[0]
    rows = [(int(m.group(1)), m.group(2), m.group(3))
            for m in map(RUBRIC_ROW_RE.match, table.splitlines()) if m]
    graded = [(points, kind, test) for points, kind, test, _ in load_rubric(lab).RUBRIC]
    if rows != graded:
        extra = [r for r in rows if r not in graded]
        absent = [r for r in graded if r not in rows]
        return ("the rubric table of %s is not tests/labs/lab%d.py's RUBRIC (points, kind, "
                "test, in order); only in the handout: %s; only in the rubric: %s"
                % (found[0], lab, extra or "-", absent or "-"))
    total = sum(points for points, _, _ in graded)
    if "%d points" % total not in table:
        return "the rubric section of %s does not state the total, %d points" % (found[0], total)
    return None


def skeleton_boots(lab, dest):
    """None if the lab's skeleton boots to a shell whose probe says TODO(lab N)."""
    m = pagoda.Machine("skeleton%d" % lab, iso=os.path.join(dest, "build", "pagoda.iso"))
    try:
        m.wait_prompt()
        out = load_rubric(lab).skeleton_probe(m)
        if "TODO(lab %d)" % lab not in out:
            return ("the lab %d skeleton's probe (skeleton_probe in tests/labs/lab%d.py) "
                    "should say TODO(lab %d); it printed:\n%s" % (lab, lab, lab, out))
        out = m.command("echo still here")
        if "still here" not in out:
            return "after the probe the shell no longer answers `echo`:\n" + out
    except pagoda.MachineError as e:
        return "the lab %d skeleton did not reach the shell or stopped answering: %s\n%s" % (
            lab, e, m.buf[-2000:])
    finally:
        m.close()
    return None


def earlier_lab_unharmed(lab, dest):
    """None if, in the lab `lab` skeleton, lab - 1 gets full marks from the
    whole grader (host, kernel, QEMU and user tests).

    A lab n student tree has every part of labs n..9 stubbed, so each stub
    must keep what the earlier labs test working. Lab k's tests meet the most
    stubs in the lab k + 1 tree (labs k+1..9 stubbed; every later tree stubs
    a subset of those), so grading lab n - 1 in each lab n tree checks every
    earlier lab, each once: the lab 6 tree, where labs 6-9 are stubs, grades
    lab 5; lab 4 was graded in the lab 5 tree, under stubs 5-9; and so on."""
    if lab - 1 not in labtool.LABS:
        return None
    code, out = run([sys.executable, "scripts/grade.py", str(lab - 1)], cwd=dest, timeout=1200)
    score = re.search(r"^Score: (\d+)/(\d+)$", out, re.M)
    if code == 0 and score and score.group(1) == score.group(2):
        return None
    return ("in the lab %d skeleton (parts of labs %d-%d stubbed) lab %d should get full "
            "marks: a stub of a later lab breaks an earlier lab's tests:\n%s"
            % (lab, lab, max(labtool.LABS), lab - 1, out[-3000:]))


def make_tree(dest, args):
    """A skeleton in dest (lab.py skeleton ARGS), seeded with the reference's objects."""
    # lab.py wants DIR right after N: "skeleton N DIR [--only NAME]".
    code, out = run([sys.executable, "scripts/lab.py", "skeleton", args[0], dest] + args[1:])
    if code != 0:
        return out
    for d in OBJECT_DIRS:
        src = os.path.join(ROOT, "build", d)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, "build", d), dirs_exist_ok=True)
    return None


def part_is_tested(lab, name):
    """None if some host test of lab fails with only part `name` stubbed."""
    dest = os.path.join(ROOT, "build", "labs", "part-" + name)
    why = make_tree(dest, [str(lab), "--only", name])
    if why is None:
        code, out = run(["make", "-s", "-j2"] +  # two jobs: the CI machine's cores
                        ["build/host/" + b for b in rubric_host_binaries(lab)],
                        cwd=dest)
        if code != 0:
            why = "does not build with only %s stubbed:\n%s" % (name, out[-2000:])
    if why is None:
        code, out = run([sys.executable, "scripts/grade.py", "--quick", str(lab)], cwd=dest)
        if code == 0:
            why = "every host test of lab %d passes with %s stubbed:\n%s" % (
                lab, name, out[-1500:])
    shutil.rmtree(dest, ignore_errors=True)
    return why


def batch_grading_works():
    """None if grade_batch.sh --quick scores two lab 3 submissions right.

    "done" hands in the reference's lab 3 files (full marks), "todo" the
    skeleton's untouched stubs (fewer points).
    """
    top = os.path.join(ROOT, "build", "labs", "batch")
    shutil.rmtree(top, ignore_errors=True)
    subs = os.path.join(top, "submissions")
    files = run([sys.executable, "scripts/lab.py", "files", "3"])[1].split()
    code, out = run([sys.executable, "scripts/lab.py", "skeleton", "3", os.path.join(top, "skel")])
    if code != 0:
        return out
    for student, source in (("done", ROOT), ("todo", os.path.join(top, "skel"))):
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(subs, student, f)), exist_ok=True)
            shutil.copy(os.path.join(source, f), os.path.join(subs, student, f))
    csv = os.path.join(top, "grades.csv")
    code, out = run(["sh", "scripts/grade_batch.sh", "--quick", "3", subs, csv])
    if code != 0 or not os.path.exists(csv):
        return "grade_batch.sh failed (%d):\n%s" % (code, out[-2000:])
    with open(csv) as f:
        rows = {line.split(",")[0]: line.rstrip("\n").split(",") for line in f}
    done, todo = rows.get("done"), rows.get("todo")
    shutil.rmtree(top, ignore_errors=True)
    if not done or not todo or done[1] != done[2] or done[3] or not todo[1].isdigit() or \
            int(todo[1]) >= int(todo[2]):
        return ("expected done with full marks and no flag, todo below full marks; the CSV "
                "says %s" % rows)
    return None


def stub_state_reported():
    """None if `lab.py parts 4` in a student tree tells written parts from TODO ones.

    A copy of the lab 4 skeleton's sources: fault_demand_zero gets the
    reference code (written), fault_cow_break loses only its lab_todo()
    line (TODO: its code is still there), anon_share_frames gets the
    reference code under a kept lab_todo() call (TODO), fault_stack_growth
    stays as it is (TODO).
    """
    top = os.path.join(ROOT, "build", "labs", "parts-state")
    shutil.rmtree(top, ignore_errors=True)
    labtool.skeleton(4, top)
    reference = {p.name: p for p in labtool.all_parts()}

    def edit(path, name, change):
        with open(os.path.join(top, path)) as f:
            lines = f.readlines()
        i = next(i for i, line in enumerate(lines) if "LAB 4 TODO %s:" % name in line)
        end = next(j for j in range(i, len(lines)) if lines[j].rstrip() == "}")
        p = reference[name]
        with open(os.path.join(ROOT, p.path)) as f:
            solution = f.readlines()[p.begin + 1:p.end]
        lines[i + 1:end] = change(lines[i + 1:end], solution)
        with open(os.path.join(top, path), "w") as f:
            f.writelines(lines)

    edit("mm/fault.c", "fault_demand_zero", lambda stub, solution: solution)
    edit("mm/fault.c", "fault_cow_break",
         lambda stub, solution: [line for line in stub if "lab_todo(" not in line])
    edit("mm/anon.c", "anon_share_frames",
         lambda stub, solution: [line for line in stub if "lab_todo(" in line] + solution)
    got = {p.name: p.todo for p in parts(4, cwd=top)}
    shutil.rmtree(top, ignore_errors=True)
    want = {"fault_demand_zero": False, "fault_cow_break": True, "anon_share_frames": True,
            "fault_stack_growth": True}
    if got != want:
        return ("`lab.py parts 4` should list (part: TODO?) %s; it lists %s" % (want, got))
    return None


ANSWER_WORDS = ("list_add", "list_remove", "list_first_entry", "list_entry", "buddy_take_block",
                "buddy_merge_and_free", "PG_PCP", "pcp->count")


def challenge_stubs_give_no_answer():
    """None if lab 1's challenge stubs do none of the work they stand in for."""
    wrong = []
    for name in ("pcp_refill", "pcp_drain"):
        with open(os.path.join(ROOT, "tests", "labs", "stubs", name + ".stub")) as f:
            code = "\n".join(labtool.code_lines(f.read()))
        found = [w for w in ANSWER_WORDS if w in code]
        if found:
            wrong.append("%s.stub uses %s: a stub should say TODO and keep the kernel "
                         "safe, not do part of the work" % (name, ", ".join(found)))
    return "\n".join(wrong) or None


PROBE = os.path.join(ROOT, "build", "labs", "crash_probe")
PROBE_RUBRIC = [(2, "host", "probe:probe/passes", "passes"),
                (1, "host", "probe:probe/fails", "fails on purpose"),
                (3, "host", "probe:probe/crashes", "crashes as told"),
                (1, "host", "probe:probe/after", "after the crash")]


def make_variable(name):
    """A variable of the Makefile as make expands it (HOST_CFLAGS, HOST_COMMON)."""
    out = subprocess.run(["make", "-qp"], cwd=ROOT, capture_output=True, text=True).stdout
    m = re.search(r"^%s := (.*)$" % name, out, re.M)
    return m.group(1).split() if m else []


def probe_line(text):
    with open(os.path.join(ROOT, "tests", "labs", "crash_probe.c")) as f:
        return next(i + 1 for i, line in enumerate(f) if text in line)


def grade_probe(mode):
    """What grade.py reports for crash_probe run with $PAGODA_PROBE=mode."""
    import contextlib
    import io
    os.environ["PAGODA_PROBE"] = mode
    results, todos, crashes = {}, set(), {}
    grade.run_program("probe", PROBE, results, todos, crashes)
    del os.environ["PAGODA_PROBE"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        grade.report(0, "probe", PROBE_RUBRIC, results, todos, {}, crashes, True)
    return out.getvalue()


def crashes_reported(totals):
    """grade.py's report of each way the probe ends (labs/grade-shows-crash-MODE)."""
    code, out = run(["cc"] + make_variable("HOST_CFLAGS") + ["-o", PROBE,
                    "tests/labs/crash_probe.c"] + make_variable("HOST_COMMON"))
    if code != 0:
        totals.record("labs/grade-shows-crashes", False, "crash_probe.c did not build:\n" + out)
        return
    saved, grade.HOST_TIMEOUT = grade.HOST_TIMEOUT, 3
    kept = r"^PASS   2/2   host   probe:probe/passes"
    lost = r"^FAIL   0/3   host   probe:probe/crashes .*\n +no result: build/host/probe ended"
    expect = {
        "ubsan": [kept, lost, r"where: tests/labs/crash_probe.c:%d: runtime error: shift "
                  r"exponent 40" % probe_line("one << shift")],
        "asan": [kept, lost, r"where: tests/labs/crash_probe.c:%d \(test_crashes\): "
                 r"AddressSanitizer: heap-buffer-overflow" % probe_line("block[size] = 1")],
        "panic": [kept, lost, r"killed by signal 6 \(SIGABRT\)",
                  r"where: PANIC: the probe panics on purpose"],
        "exit": [kept, lost, r"exited with status 3 before its summary line, after its last "
                 r"reported test, probe/fails"],
        "hang": [kept, lost, r"did not finish within 3 s"],
        "none": [kept, r"^PASS   3/3   host   probe:probe/crashes", r"^lab 0: 6/7 points"],
    }
    for mode, patterns in expect.items():
        out = grade_probe(mode)
        missing = [p for p in patterns if not re.search(p, out, re.M)]
        if mode != "none" and "keep their result and points" not in out:
            missing.append("a word that the tests reported before the crash keep their points")
        if mode == "none" and "crashed" in out:
            missing.append("no crash: failed tests with exit status 1 are a normal end")
        totals.record("labs/grade-shows-crash-" + mode, not missing,
                      "expected %s in grade.py's report:\n%s" % (missing, out))
    grade.HOST_TIMEOUT = saved


USER_RUBRIC = [(2, "user", "usertests:before", "reported before the crash"),
               (3, "user", "usertests:during", "the test that crashed"),
               (1, "user", "usertests:after", "never run")]
USER_CONSOLES = {  # how `run usertests -r before during after` ended, as the shell says it
    "killed": ("PASS before\npid 3 (usertests): #GP General Protection ip 0x4097c2\n"
               "usertests (pid 3) killed by SIGSEGV\npagoda> ", r"was killed by SIGSEGV"),
    "exit": ("PASS before\nusertests (pid 3) exited with status 3\npagoda> ",
             r"exited with status 3 before its summary line"),
    "hang": ("PASS before\n" + "spinning\n" * 5000, r"did not end within 240 s"),
    "normal": ("PASS before\nFAIL during: x\nFAIL after: y\nusertests: 1 passed, 2 failed\n"
               "usertests (pid 3) exited with status 1\npagoda> ", None),
}


def user_crash_reported():
    """None if grade.py reports a usertests -r run that crashed, exited or hung
    as for host programs: the test reported before keeps its points, the
    others say "no result", the end is named with the console's last lines
    (identical lines once); a run whose tests merely fail is no crash."""
    import contextlib
    import io
    wrong = []
    for mode, (console, said) in USER_CONSOLES.items():
        results = {"user:usertests:before": (True, "")}
        crashes = {}
        problem = grade.user_run_problem("usertests", console, grade.USER_TIMEOUT)
        if problem:
            crashes["user"] = problem
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            grade.report(0, "user", USER_RUBRIC, results, set(), {}, crashes, False)
        out = out.getvalue()
        if said is None:
            if problem:
                wrong.append("%s: a run whose tests fail is no crash: %s" % (mode, problem))
            continue
        expected = [r"^PASS   2/2   user   usertests:before", r"^lab 0: 2/6 points",
                    r"no result: `run usertests -r` ended before it reported", said,
                    r"keep their result and points"]
        if mode == "hang":
            expected.append(r"the line above repeated \d+ more times")
        missing = [p for p in expected if not re.search(p, out, re.M)]
        if missing:
            wrong.append("%s: expected %s in:\n%s" % (mode, missing, out))
    return "\n".join(wrong) or None


def user_lines_fit_the_shell():
    """None if grade.py splits many user tests into shell lines the shell takes
    (255 characters, 16 words), each name once, in order."""
    names = ["usertest_number_%02d_with_a_long_name" % i for i in range(40)]
    lines = grade.user_batches("usertests", names)
    wrong = ["`run usertests -r %s`" % " ".join(line) for line in lines
             if len("run usertests -r " + " ".join(line)) > 255 or len(line) + 3 > 16]
    if wrong or [n for line in lines for n in line] != names:
        return "lines the shell cannot take, or names lost: %s" % (wrong or lines)
    return None


def kernel_timeout_reported():
    """None if a selftest boot that runs out of time is reported, with capped lines."""
    import contextlib
    import io
    results, todos, logs, crashes = {}, set(), {}, {}
    grade.run_kernel(results, todos, logs, crashes, timeout=0.05)
    rubric = [(1, "kernel", "pmm/counts_restored", "a kernel test")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        grade.report(0, "boot", rubric, results, todos, logs, crashes, False)
    if "the kernel test boot did not finish within 0.05 s; last lines:" not in out.getvalue():
        return "a boot cut off after 0.05 s is not reported:\n" + out.getvalue()
    line = "free_pages: double free of frame 0x2bf000 (order 0) by test_no_forbidden_page+0x154"
    shown = grade.kernel_boot_problem(None, "booting\n" + (line + "\n") * 266256, 300)
    if shown.count(line) != 1 or "repeated 266255 more times" not in shown or \
            len(shown.splitlines()) > 20:
        return ("266256 identical console lines should be shown once, with their count:\n" +
                shown[:3000])
    return None


def mutant_tree(name, part, change):
    """build/labs/NAME: the reference with part's code replaced by change(its lines),
    seeded with the reference's objects. Returns (dest, None) or (None, why)."""
    p = next(p for p in labtool.all_parts() if p.name == part)
    with open(os.path.join(ROOT, p.path)) as f:
        solution = f.readlines()[p.begin + 1:p.end]
    broken = change(solution)
    if broken == solution:
        return None, "the mutation of %s changed nothing: the reference code moved?" % part
    dest = os.path.join(ROOT, "build", "labs", name)
    labtool.skeleton(p.lab, dest, only=part, replace={part: broken})
    for d in OBJECT_DIRS:
        src = os.path.join(ROOT, "build", d)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, "build", d), dirs_exist_ok=True)
    return dest, None


def broken_merge_fails_fast():
    """None if the grader, with a merge that leaves the buddy on its free list,
    fails pmm_boot/no_forbidden_page and lab 1's kernel tests within seconds
    (it used to wait 300 s for a boot that loops). The corrupt kernel may go
    on to loop or crash later in the boot: the grader stops it once those
    tests have their results."""
    dest, why = mutant_tree("mutant-merge", "buddy_merge", lambda lines: [
        line for line in lines if "free_list_remove(zone, buddy, order)" not in line])
    if why:
        return why
    code, out = run(["make", "-s", "-j2", "iso"], cwd=dest)
    if code != 0:
        return "the tree with the broken merge does not build:\n" + out[-2000:]
    wanted = ["pmm_boot/no_forbidden_page"] + [t for _, kind, t, _ in load_rubric(1).RUBRIC
                                               if kind == "kernel"]
    results, logs, crashes = {}, {}, {}
    started = time.monotonic()
    grade.run_kernel(results, set(), logs, crashes, timeout=120, wanted=wanted,
                     iso=os.path.join(dest, "build", "pagoda.iso"))
    took = time.monotonic() - started
    shutil.rmtree(dest, ignore_errors=True)
    missing = [t for t in wanted if "kernel:" + t not in results]
    if missing:
        return ("with a broken merge the grader's selftest boot gave no result for %s within "
                "120 s:\n%s" % (", ".join(missing), crashes.get("kernel", "")))
    passed, why = results["kernel:pmm_boot/no_forbidden_page"]
    if passed or "handed it out twice" not in why:
        return ("with a broken merge pmm_boot/no_forbidden_page should fail, naming a page "
                "handed out twice (%.0f s): %s" % (took, why or "it passed"))
    return None


def pcp_drain_message_precise():
    """None if buddy/pcp_drain, with a drain that takes the newest pages, says
    that the oldest is still on the list (it walks the list) and, apart, how
    its PG_PCP flag is."""
    dest, why = mutant_tree("mutant-pcp", "pcp_drain", lambda lines: [
        line.replace("pcp->pages.prev", "pcp->pages.next") for line in lines])
    if why:
        return why
    code, out = run(["make", "-s", "build/host/test_buddy"], cwd=dest)
    if code == 0:
        code, out = run([os.path.join(dest, "build", "host", "test_buddy")], cwd=dest)
    shutil.rmtree(dest, ignore_errors=True)
    if not re.search(r"^selftest: FAIL buddy/pcp_drain: the page freed 1st \(0x[0-9a-f]+\) "
                     r"is still on the per-CPU list \(its PG_PCP flag is set\)", out, re.M):
        return ("with a drain from the head, buddy/pcp_drain should say that the first page "
                "freed is still on the list, and that its PG_PCP flag is set; the program "
                "said:\n" + out[-2000:])
    return None


FORGED = "RESULT PASS lab/forged_by_kprintf"
GENUINE = "RESULT PASS lab/console_cannot_forge"


def channel_verdict(console, channel, forged=(FORGED,), genuine=GENUINE):
    """None if the forged lines are on the console only and the genuine one in the channel."""
    for line in forged:
        if line not in console:
            return "the forged line %r never reached the console:\n%s" % (line, console[-1500:])
        if line in channel:
            return "a line printed on the console reached the grader's channel:\n" + \
                channel[-1500:]
    if genuine not in channel:
        return "the channel lacks %r:\n%s" % (genuine, channel[-1500:])
    return None


def results_unforgeable_host():
    path = os.path.join(ROOT, "build", "labs", "forge.results")
    if os.path.exists(path):
        os.unlink(path)
    proc = subprocess.run([os.path.join(ROOT, "build", "host", "test_lib")], capture_output=True,
                          text=True, env=dict(os.environ, PAGODA_RESULTS=path), timeout=120)
    channel = open(path).read() if os.path.exists(path) else ""
    return channel_verdict(proc.stdout, channel)


def results_unforgeable_kernel():
    path = os.path.join(ROOT, "build", "labs", "forge.debugcon")
    if os.path.exists(path):
        os.unlink(path)
    m = pagoda.Machine("forge-selftest", smbios_product="pagoda-selftest",
                       extra_args=["-debugcon", "file:" + path])
    try:
        status = m.wait_exit(300)
        time.sleep(0.2)  # let the reader thread drain the serial socket
    finally:
        m.close()
    if status is None:
        return "the selftest boot did not finish within 300 s"
    channel = open(path, errors="replace").read() if os.path.exists(path) else ""
    return channel_verdict(m.buf, channel)


USER_FORGED = ("RESULT PASS usertests/forged_by_printf", "RESULT PASS usertests/forged_by_kernel")
USER_GENUINE = "RESULT PASS usertests/console_cannot_forge"


def results_unforgeable_user():
    """None if usertests -r's channel, COM2, carries its genuine result but not
    the forged lines on the console: one printed by a usertests test
    (console_cannot_forge, with printf), one by the kernel (the shell's echo,
    kprintf)."""
    m = pagoda.Machine("forge-user", cpu=grade.USER_CPU)
    try:
        m.wait_prompt()
        m.command("echo " + USER_FORGED[1])
        m.command("run usertests -r console_cannot_forge", timeout=grade.USER_TIMEOUT)
        time.sleep(0.2)  # let the reader thread drain COM2's socket
        channel = m.com2_output().decode(errors="replace")
    except pagoda.MachineError as e:
        return "the machine for usertests -r: %s\n%s" % (e, grade.tail(m.buf))
    finally:
        m.close()
    return channel_verdict(m.buf, channel, USER_FORGED, USER_GENUINE)


BAD_ARGUMENTS = [
    (["scripts/lab.py", "skeleton", "abc", "build/labs/bad"], "LAB must be a lab number"),
    (["scripts/lab.py", "skeleton", "10", "build/labs/bad"], "LAB must be a lab number"),
    (["scripts/lab.py", "skeleton", "0", "build/labs/bad"], "LAB must be a lab number"),
    (["scripts/lab.py", "skeleton", "1", "build/labs/bad", "--only"], "needs a part's name"),
    (["scripts/lab.py", "skeleton", "1", "build/labs/bad", "--only", "nosuch"],
     "no part named nosuch"),
    (["scripts/lab.py", "parts", "x"], "LAB must be a lab number"),
    (["scripts/lab.py", "files", "0"], "LAB must be a lab number"),
    (["scripts/grade.py", "0"], "LAB must be a lab number"),
    (["scripts/grade.py", "--quick", "two"], "LAB must be a lab number"),
]


def bad_arguments_refused():
    """None if every bad call exits non-zero with its message and no traceback."""
    wrong = []
    for args, message in BAD_ARGUMENTS:
        code, out = run([sys.executable] + args)
        if code == 0 or message not in out or "Traceback" in out:
            wrong.append("%s: exit %d, expected a refusal saying %r:\n%s"
                         % (" ".join(args), code, message, out[-500:]))
    shutil.rmtree(os.path.join(ROOT, "build", "labs", "bad"), ignore_errors=True)
    return "\n".join(wrong) or None


def reference_full_marks():
    code, out = run([sys.executable, "scripts/grade.py"], timeout=1200)
    score = re.search(r"^Score: (\d+)/(\d+)$", out, re.M)
    if code == 0 and score and score.group(1) == score.group(2):
        return None
    return "the reference does not get full marks:\n" + out[-3000:]


def skeleton_checks(lab, all_parts):
    """The checks of the lab `lab` skeleton: [(name, ok, why)], in order."""
    records = []
    dest = os.path.join(ROOT, "build", "labs", "lab%d" % lab)
    why = make_tree(dest, [str(lab)])
    binaries = ["build/host/" + b for b in rubric_host_binaries(lab)]
    if why is None:
        code, out = run(["make", "-s", "-j2", "iso"] + binaries, cwd=dest)
        why = None if code == 0 else "the lab %d skeleton does not build:\n%s" % (
            lab, out[-2000:])
    records.append(("labs/skeleton%d-builds" % lab, why is None, why or ""))
    if why is not None:
        return records
    code, out = run([sys.executable, "scripts/grade.py", "--quick", str(lab)], cwd=dest)
    score = re.search(r"^Score: (\d+)/(\d+)$", out, re.M)
    stubbed = [p.name for p in all_parts if p.lab == lab]
    named = re.search(r"^parts not implemented yet \(TODO\): (.*)$", out, re.M)
    missing = [p.name for p in all_parts if p.lab == lab and
               (not named or p.name not in named.group(1))]
    below = code != 0 and score and int(score.group(1)) < int(score.group(2))
    records.append(("labs/skeleton%d-grade" % lab, below and not missing,
                    "expected below full marks naming each stubbed part of lab %d (%s)%s%s; "
                    "got:\n%s" % (lab, ", ".join(stubbed),
                                  "" if below else "; the score is not below full marks",
                                  "; not named: " + ", ".join(missing) if missing else "",
                                  out[-2500:])))
    listed = parts(lab, cwd=dest)
    want = sorted(p.name for p in all_parts if p.lab == lab)
    records.append(("labs/skeleton%d-lists-todo" % lab,
                    sorted(p.name for p in listed if p.todo) == want,
                    "in the lab %d tree, `lab.py parts %d` should list %s as TODO; it lists %s"
                    % (lab, lab, want, listed)))
    why = skeleton_boots(lab, dest)
    records.append(("labs/skeleton%d-boots" % lab, why is None, why or ""))
    if lab - 1 in labtool.LABS:
        why = earlier_lab_unharmed(lab, dest)
        records.append(("labs/skeleton%d-lab%d-unharmed" % (lab, lab - 1), why is None,
                        why or ""))
    return records


def run_labs(totals):
    code, out = run([sys.executable, "scripts/lab.py", "check"])
    totals.record("labs/markers", code == 0, out)
    if code != 0:
        return
    for lab in labtool.LABS:
        why = handout_matches_rubric(lab)
        totals.record("labs/handout%d" % lab, why is None, why or "")
    why = bad_arguments_refused()
    totals.record("labs/bad-arguments", why is None, why or "")
    for name, fn in (("labs/parts-tells-written-from-todo", stub_state_reported),
                     ("labs/challenge-stubs-give-no-answer", challenge_stubs_give_no_answer),
                     ("labs/grade-shows-kernel-boot-timeout", kernel_timeout_reported),
                     ("labs/grade-shows-user-crash", user_crash_reported),
                     ("labs/grade-user-lines-fit-the-shell", user_lines_fit_the_shell)):
        why = fn()
        totals.record(name, why is None, why or "")
    crashes_reported(totals)
    # The reference's objects, which every tree below starts from, are built
    # before anything runs beside a copy of them.
    binaries = sorted({b for lab in labtool.LABS for b in rubric_host_binaries(lab)} |
                      {"test_lib"})
    code, out = run(["make", "-s", "-j2", "iso"] + ["build/host/" + b for b in binaries])
    totals.record("labs/reference-builds", code == 0, out[-3000:])
    if code != 0:
        return
    # Independent jobs, two at a time (each is mostly one single-threaded
    # compile or one QEMU): the longest first, each skeleton's checks in
    # order, then every part alone and the rest. Results are recorded in
    # this order once each job is done.
    all_parts = parts()
    jobs = [("labs/reference-full-marks", reference_full_marks, ())]
    jobs += [(None, skeleton_checks, (lab, all_parts)) for lab in reversed(labtool.LABS)]
    jobs += [("labs/results-unforgeable-" + where, fn, ()) for where, fn in (
        ("host", results_unforgeable_host), ("kernel", results_unforgeable_kernel),
        ("user", results_unforgeable_user))]
    jobs += [("labs/part-%s-tested" % p.name, part_is_tested, (p.lab, p.name))
             for p in all_parts]
    jobs.append(("labs/batch-grading", batch_grading_works, ()))
    jobs.append(("labs/broken-merge-fails-fast", broken_merge_fails_fast, ()))
    jobs.append(("labs/pcp-drain-message-says-list-and-flag", pcp_drain_message_precise, ()))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = [(name, pool.submit(fn, *args)) for name, fn, args in jobs]
        for name, future in futures:
            got = future.result()
            for record in got if name is None else [(name, got is None, got or "")]:
                totals.record(*record)
