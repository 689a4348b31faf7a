#!/usr/bin/env python3
"""grade.py - the lab grader: run a lab's tests, print points and a score.

Usage: grade.py [--quick] [N ...]   (default: every lab, 1-5)
  --quick   host tests only (seconds, no QEMU): what `make test` uses on
            skeletons; the score then counts only those points.

Each lab's rubric is tests/labs/labN.py: RUBRIC, a list of
    (points, kind, test, what)
  kind "host"    test "BINARY:suite/name": a host test program (build/host/BINARY,
                 built with make), run under ASan/UBSan;
  kind "kernel"  test "suite/name": an in-kernel selftest, from one selftest
                 boot of the ISO in QEMU;
  kind "qemu"    test "module.function": an integration test of
                 tests/integration/MODULE.py, run against a booted machine.
Results come from channels the code under test cannot forge by printing:
host programs write RESULT lines to the file named by $PAGODA_RESULTS, the
kernel to QEMU's debug console (port 0xe9, `-debugcon file:...`); kprintf
writes to neither (kernel/selftest.h). Integration tests judge the shell's
behaviour from Python.

Each kind runs once for all the labs asked for (one selftest boot, one shell
machine). Output: per lab, one line per test, "PASS|FAIL  points/max  kind
test  what", the failure's reason indented below it (a kernel test that
faulted names the exception, the fault and the function), the logs of the
machines' consoles where a test of theirs failed, the TODO(lab N) parts the
stubs announced; then "Score: X/Y". Exit status 0 only with full marks.
"""
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
RESULT_RE = re.compile(r"^RESULT (PASS|FAIL) (\S+?)(?:: (.*))?$")
TODO_RE = re.compile(r"TODO\(lab (\d+)\): (\w+)")
KERNEL_TIMEOUT = 300


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
    proc = subprocess.run(["make", "-s", "-C", ROOT] + list(targets), capture_output=True,
                          text=True)
    return proc.returncode == 0, proc.stdout + proc.stderr


def parse_results(text, into):
    for line in text.splitlines():
        m = RESULT_RE.match(line.strip())
        if m:
            into[m.group(2)] = (m.group(1) == "PASS", m.group(3) or "")


def run_host(binaries, results, todos):
    """Run each host program once; record RESULT lines as BINARY:suite/name."""
    for binary in sorted(binaries):
        ok, out = make("build/host/" + binary)
        if not ok:
            results[binary + ":*"] = (False, "build/host/%s did not build:\n%s"
                                      % (binary, out[-1500:]))
            continue
        with tempfile.NamedTemporaryFile("r", suffix=".results") as f:
            env = dict(os.environ, PAGODA_RESULTS=f.name)
            proc = subprocess.run([os.path.join(ROOT, "build", "host", binary)], env=env,
                                  capture_output=True, text=True, timeout=600)
            found = {}
            parse_results(f.read(), found)
        todos.update(TODO_RE.findall(proc.stdout))
        for name, outcome in found.items():
            results[binary + ":" + name] = outcome
        if proc.returncode < 0 or "ERROR: AddressSanitizer" in proc.stdout + proc.stderr:
            results[binary + ":*"] = (False, "build/host/%s crashed:\n%s"
                                      % (binary, (proc.stdout + proc.stderr)[-1500:]))


def run_kernel(results, todos, logs):
    """One selftest boot; record the debug console's RESULT lines."""
    import pagoda
    ok, out = make("iso")
    if not ok:
        results["kernel:*"] = (False, "the ISO did not build:\n" + out[-1500:])
        return
    fd, path = tempfile.mkstemp(suffix=".debugcon")
    os.close(fd)
    m = pagoda.Machine("grade-selftest", smbios_product="pagoda-selftest",
                       extra_args=["-debugcon", "file:" + path])
    try:
        m.wait_exit(KERNEL_TIMEOUT)
    except pagoda.MachineError:
        results["kernel:*"] = (False, "the selftest boot did not finish within %d s"
                               % KERNEL_TIMEOUT)
    finally:
        m.close()
    logs["kernel"] = os.path.relpath(m.log.name, ROOT)
    todos.update(TODO_RE.findall(m.buf))
    found = {}
    with open(path) as f:
        parse_results(f.read(), found)
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


def outcome_of(kind, test, results):
    if kind == "host":
        binary = test.split(":")[0]
        if binary + ":*" in results and test not in results:
            return results[binary + ":*"]
        if test in results:
            passed, why = results[test]
            if passed and binary + ":*" in results:
                return results[binary + ":*"]  # passed, but the program crashed later
            return results[test]
        return False, "no result for %s (the program stopped before it, or no such test)" % test
    key = kind + ":" + test
    if key in results:
        return results[key]
    if kind == "kernel" and "kernel:*" in results:
        return results["kernel:*"]
    return False, "no result for %s (the kernel stopped before it, or no such test)" % test


def collect(rubrics, quick):
    """Run every test the rubrics name, each kind once for all labs."""
    results, todos, logs = {}, set(), {}
    every = [entry for module in rubrics.values() for entry in module.RUBRIC]
    run_host(host_binaries(every), results, todos)
    if quick:
        return results, todos, logs
    if any(kind == "kernel" for _, kind, _, _ in every):
        run_kernel(results, todos, logs)
    qemu = []
    for _, kind, t, _ in every:
        if kind == "qemu" and t not in qemu:
            qemu.append(t)
    if qemu:
        run_qemu(qemu, results, todos, logs)
    return results, todos, logs


def report(lab, title, rubric, results, todos, logs, quick):
    """Print one lab's table; return (score, total)."""
    score = total = 0
    failed_kinds = set()
    print("== lab %d: %s ==" % (lab, title))
    for points, kind, test, what in rubric:
        if quick and kind != "host":
            continue
        passed, why = outcome_of(kind, test, results)
        total += points
        score += points if passed else 0
        print("%s  %2d/%-2d  %-6s %-44s %s" % ("PASS" if passed else "FAIL",
                                                points if passed else 0, points, kind, test,
                                                what))
        if not passed:
            failed_kinds.add(kind)
            for line in (why or "failed").splitlines()[:12]:
                print("        " + line)
    for kind, machine in (("kernel", "the selftest boot"), ("qemu", "the shell tests")):
        if kind in failed_kinds and kind in logs:
            print("the console of %s, with the full fault reports: %s" % (machine, logs[kind]))
    mine = sorted({(int(n), part) for n, part in todos if int(n) == lab})
    if mine:
        print("parts not implemented yet (TODO): " + ", ".join(part for _, part in mine))
    print("lab %d: %d/%d points" % (lab, score, total))
    return score, total


def main(argv):
    quick = "--quick" in argv
    words = [a for a in argv if a != "--quick"]
    for word in words:
        if word not in ("1", "2", "3", "4", "5"):
            print("grade.py: LAB must be a lab number, 1-5, not '%s'" % word, file=sys.stderr)
            return 2
    labs = [int(word) for word in words] or [1, 2, 3, 4, 5]
    started = time.monotonic()
    rubrics = {lab: load_rubric(lab) for lab in labs}
    results, todos, logs = collect(rubrics, quick)
    score = total = 0
    for lab in labs:
        s, t = report(lab, rubrics[lab].TITLE, rubrics[lab].RUBRIC, results, todos, logs, quick)
        score, total = score + s, total + t
    print("(%.0f s%s)" % (time.monotonic() - started, "; host tests only" if quick else ""))
    print("Score: %d/%d" % (score, total))
    return 0 if score == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
