#!/usr/bin/env python3
"""run_tests.py - run every test suite and print one total line.

Called by `make test` after the host test binaries and the ISO are built.
Suites, in order:
  1. style (tests/style/check_openings.py): every source file under boot/
     kernel/ mm/ drivers/ lib/ opens with a comment of 5+ lines and states
     its invariants as an "Invariants:" checklist of "[x]" items;
  2. host unit tests (build/host/*): the selftest tables and fuzzers compiled
     for Linux with ASan/UBSan;
  3. the selftest boot: the ISO booted with `selftest` on the kernel command
     line (chosen through SMBIOS, see grub.cfg); the kernel runs every suite
     and leaves QEMU through isa-debug-exit;
  4. QEMU integration tests (tests/integration): the shell driven over the
     serial line under BIOS and UEFI;
  4. the lab machinery (tests/labs/check_labs.py): markers, skeletons that
     build and fail their tests, the reference's full marks;
  5. the structure (tests/structure/test_structure.py): the layering rules,
     the address-space layout against the linked image, the panic path
     (scripts/check_structure.py), the checker's own tests, the screen
     decoder of the integration tests (tests/integration/screen.py) and
     `make run`'s choice of QEMU window (tests/structure/test_make_run.py),
     the initrd packer's page and name rules (tests/structure/test_mkinitrd.py).
Each test prints one `PASS name` / `FAIL name: reason` line, or `SKIP name:
reason` for a test that cannot run on this machine (pagoda.skip(): counted
neither passed nor failed); the last line is `N passed, N failed` (with
`, N skipped` when some were), and the exit status is non-zero on any failure.
  6. the style (tests/style/check_openings.py): every source file's opening
     comment, invariants as checklists.
  7. linux (tests/integration/test_linux.py): the pinned Linux kernel booted
     with the same user binaries; every portable usertest must pass there,
     printed as one table beside Pagoda's 1- and 4-CPU runs;
  8. (only when asked, `make test-full`) smp-matrix: every CPU online at 1, 2,
     4 and 8 CPUs, BIOS and UEFI, pc and q35 (tests/integration/test_smp.py).
Usage: run_tests.py [structure|style|host|selftest|integration|linux|labs|smp-matrix]...
       (default: all but smp-matrix)
PAGODA_TESTS=REGEX runs only the integration tests whose name matches REGEX.
"""
import glob
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "labs"))
sys.path.insert(0, os.path.join(ROOT, "tests", "style"))
sys.path.insert(0, os.path.join(ROOT, "tests", "structure"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))  # grade.py, for check_labs

import check_labs  # noqa: E402
import check_openings  # noqa: E402
import pagoda  # noqa: E402
import test_apic  # noqa: E402,F401
import test_commands  # noqa: E402,F401
import test_exec  # noqa: E402,F401
import test_faults  # noqa: E402,F401  (registers tests)
import test_fbcon  # noqa: E402,F401
import test_fork  # noqa: E402,F401
import test_fuzz  # noqa: E402,F401
import test_heap  # noqa: E402,F401
import test_ipc  # noqa: E402,F401
import test_ipc_core  # noqa: E402,F401
import test_keyboard  # noqa: E402,F401
import test_help  # noqa: E402,F401
import test_ipc_servers  # noqa: E402,F401
import test_lab1  # noqa: E402,F401
import test_lab3  # noqa: E402,F401
import test_lab7  # noqa: E402,F401
import test_lab8  # noqa: E402,F401
import test_lab9  # noqa: E402,F401
import test_linux  # noqa: E402
import test_make_run  # noqa: E402
import test_grub  # noqa: E402,F401
import test_machine  # noqa: E402,F401
import test_memview  # noqa: E402,F401
import test_pager  # noqa: E402,F401
import test_paging  # noqa: E402,F401
import test_pipes  # noqa: E402,F401
import test_pmm  # noqa: E402,F401
import test_screen  # noqa: E402,F401
import test_shell  # noqa: E402,F401
import test_signals  # noqa: E402,F401
import test_smp  # noqa: E402,F401
import test_smp_calls  # noqa: E402,F401
import test_smp_stress  # noqa: E402,F401
import test_threads  # noqa: E402,F401
import test_trace  # noqa: E402,F401
import test_user  # noqa: E402,F401
import test_structure  # noqa: E402
import test_mkinitrd  # noqa: E402

RESULT_RE = re.compile(r"^selftest: (PASS|FAIL) (\S+)(?:: (.*))?$")
SUMMARY_RE = re.compile(r"^selftest: (\d+) passed, (\d+) failed$")


class Totals:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []
        self.notes = []

    def record(self, name, ok, reason=""):
        if ok:
            self.passed += 1
            print("PASS %s" % name)
        else:
            self.failed += 1
            self.failures.append(name)
            print("FAIL %s: %s" % (name, reason.rstrip()))
        sys.stdout.flush()


    def record_skip(self, name, reason):
        """A test that cannot run on this machine: neither passed nor failed."""
        self.skipped += 1
        print("SKIP %s: %s" % (name, reason.rstrip()))
        sys.stdout.flush()


def parse_selftest_output(prefix, text, totals):
    """Record each selftest line; return (passed, failed) from the summary or None."""
    summary = None
    for line in text.splitlines():
        line = line.strip("\r")
        m = RESULT_RE.match(line)
        if m:
            totals.record("%s/%s" % (prefix, m.group(2)), m.group(1) == "PASS", m.group(3) or "")
        m = SUMMARY_RE.match(line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    return summary


def run_host(totals):
    binaries = sorted(glob.glob(os.path.join(ROOT, "build", "host", "*")))
    if not binaries:
        totals.record("host", False, "no host test binaries in build/host (run make test)")
    for path in binaries:
        name = "host/" + os.path.basename(path)
        try:
            proc = subprocess.run([path], capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            totals.record(name, False, "timed out after 300 s")
            continue
        summary = parse_selftest_output(name, proc.stdout, totals)
        if summary is None or proc.returncode != 0 and summary[1] == 0:
            totals.record(name, False, "exit status %d, output:\n%s%s" % (
                proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:]))


def run_selftest_boot(totals):
    m = pagoda.Machine("selftest-boot", smbios_product="pagoda-selftest")
    try:
        status = m.wait_exit(300)
        time.sleep(0.2)  # let the reader thread drain the socket
        summary = parse_selftest_output("kernel", m.buf, totals)
        if status is None:
            totals.record("kernel/selftest-boot", False, "QEMU did not exit within 300 s")
        elif summary is None:
            totals.record("kernel/selftest-boot", False,
                          "no summary line; serial output:\n" + m.buf[-3000:])
        else:
            expected = 33 if summary[1] == 0 and summary[0] > 0 else 35
            totals.record("kernel/selftest-boot-exit-status", status == expected,
                          "QEMU exit status %s, expected %d" % (status, expected))
    finally:
        m.close()


def wanted(name):
    """PAGODA_TESTS (a regex) picks integration tests by name; unset: all."""
    pattern = os.environ.get("PAGODA_TESTS")
    return not pattern or re.search(pattern, name) is not None


def run_integration(totals):
    for firmware in ("bios", "uefi"):
        m = None
        for name, description, fn, firmwares in pagoda.SHELL_TESTS:
            if firmware not in firmwares or not wanted(name):
                continue
            full = "integration/%s/%s" % (firmware, name)
            try:
                if m is None:
                    m = pagoda.Machine("shell-" + firmware, firmware=firmware)
                    seconds = m.wait_prompt()
                    totals.notes.append("%s: QEMU start to first prompt %.2f s" % (firmware,
                                                                                    seconds))
                fn(m)
                totals.record(full, True)
            except pagoda.Skip as e:
                totals.record_skip(full, str(e))
            except (AssertionError, pagoda.MachineError) as e:
                totals.record(full, False, "%s: %s" % (description, e))
                if m is not None:
                    m.close()
                    m = None  # the next test gets a fresh machine
        if m is not None:
            m.close()
    for name, description, fn, firmwares in pagoda.MACHINE_TESTS:
        if not wanted(name):
            continue
        for firmware in firmwares:
            full = "integration/%s/%s" % (firmware, name)
            try:
                fn(firmware)
                totals.record(full, True)
            except pagoda.Skip as e:
                totals.record_skip(full, str(e))
            except (AssertionError, pagoda.MachineError) as e:
                totals.record(full, False, "%s: %s" % (description, e))


def run_structure(totals):
    """The layering and layout checks, then `make run`'s display choice."""
    test_structure.run_structure(totals)
    test_structure.run_structure(totals, test_make_run.TESTS)
    test_structure.run_structure(totals, test_mkinitrd.TESTS)


def run_smp_matrix(totals):
    """make test-full: 1, 2, 4, 8 CPUs x BIOS, UEFI x pc, q35 (tests/integration/test_smp.py)."""
    test_smp.run_matrix(totals.record, wanted)
    test_smp.run_over_limit(totals.record, wanted)  # 66 CPUs: 64 online, 2 reported


def main():
    suites = sys.argv[1:] or ["structure", "style", "host", "selftest", "integration", "linux",
                              "labs"]
    totals = Totals()
    started = time.monotonic()
    for suite in suites:
        print("== %s ==" % suite)
        suite_started = time.monotonic()
        {"structure": run_structure, "style": check_openings.run_style,
         "host": run_host, "selftest": run_selftest_boot, "integration": run_integration,
         "linux": test_linux.run_linux, "labs": check_labs.run_labs,
         "smp-matrix": run_smp_matrix}[suite](totals)
        totals.notes.append("suite %s: %.0f s" % (suite, time.monotonic() - suite_started))
    for note in totals.notes:
        print("note: " + note)
    if totals.failures:
        print("failed: " + " ".join(totals.failures))
    print("(%.0f s)" % (time.monotonic() - started))
    if totals.skipped:
        print("%d passed, %d failed, %d skipped" % (totals.passed, totals.failed, totals.skipped))
    else:
        print("%d passed, %d failed" % (totals.passed, totals.failed))
    return 1 if totals.failed else 0


if __name__ == "__main__":
    sys.exit(main())
