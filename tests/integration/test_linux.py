"""test_linux.py - the `linux` suite: the usertests on the pinned Linux, and one table.

Pagoda speaks Linux's system-call ABI, so the usertests binary is checked
against the real thing: a test that fails on Linux is a wrong test, one that
passes on Linux and fails on Pagoda is a Pagoda bug. The suite boots the
pinned Debian kernel (scripts/linux_kernel.py: fetched once, cached outside
the tree) in QEMU (TCG, one CPU) with an initramfs made of the same stripped
binaries as Pagoda's initrd (build/initrd/), usertests.dat, README.md and
user/linux_init.c as /init, which runs `usertests` and powers off.

It then prints ONE table: test, tag, Pagoda (1 CPU), Pagoda (4 CPUs), Linux.
The Pagoda columns are the outputs of test_user.py's usertests runs when the
integration suite ran before in this process (user_usertests, user_smp4);
otherwise this suite runs them itself on test_user's machines. Each test is
recorded once as linux/usertests/NAME: it fails when a Pagoda column lacks a
PASS, or when Linux fails a portable test (or runs a Pagoda-only one).
"""
import os
import re
import subprocess
import sys
import time

import pagoda
import test_user

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import linux_kernel  # noqa: E402

BUILD = os.path.join(ROOT, "build")
INIT = os.path.join(BUILD, "user", "linux_init")
INITRAMFS = os.path.join(BUILD, "linux", "usertests.cpio")
LINUX_SMP = 1
LINUX_TIMEOUT = 300  # the run takes 10-20 s; much more on a loaded host
RESULT_RE = re.compile(r"^(PASS|FAIL|SKIP) (\S+?)(?::\s*(.*))?\r?$", re.M)
ENDED_RE = re.compile(r"^linux_init: usertests (exited with status \d+|killed by signal \d+)",
                      re.M)
COLUMNS = ("Pagoda 1 CPU", "Pagoda 4 CPUs", "Linux")


def listing():
    """[(name, tag)] from `usertests -l` on this host (the table's rows, in order)."""
    out = subprocess.run([os.path.join(BUILD, "user", "usertests"), "-l"], check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]


def parse(out):
    """{name: (PASS|FAIL|SKIP, reason)} from a usertests output."""
    return {m.group(2): (m.group(1), m.group(3) or "") for m in RESULT_RE.finditer(out)}


def linux_initramfs():
    """build/linux/usertests.cpio: Pagoda's initrd files but its init, linux_init as /init."""
    subprocess.run(["make", "-s", "-C", ROOT, "build/user/linux_init"], check=True,
                   stdout=subprocess.DEVNULL)
    # Pagoda's own init (user/init.c) stays out: linux_init is /init here.
    files = {name: os.path.join(BUILD, "initrd", name)
             for name in os.listdir(os.path.join(BUILD, "initrd")) if name != "init"}
    files["usertests.dat"] = os.path.join(BUILD, "user", "usertests.dat")
    files["README.md"] = os.path.join(ROOT, "user", "README.md")
    os.makedirs(os.path.dirname(INITRAMFS), exist_ok=True)
    return linux_kernel.initramfs(INITRAMFS, files, INIT)


def linux_usertests(kernel):
    """(console text, how usertests ended) of the usertests run on the pinned Linux."""
    out = linux_kernel.boot(kernel, linux_initramfs(), append="quiet",
                            extra_qemu_args=("-smp", str(LINUX_SMP)), timeout=LINUX_TIMEOUT)
    ended = ENDED_RE.search(out)
    return out, ended.group(1) if ended else None


def pagoda_usertests(smp):
    """The output of `run usertests` on Pagoda with smp CPUs: the integration suite's
    if it ran, else a run on test_user's machine."""
    out = test_user.USERTESTS_OUTPUT.get(smp)
    if out is None:
        out, _, _ = test_user.run(test_user.user_machine(smp), "usertests",
                                  timeout=test_user.RUN_TIMEOUT)
    return out


def row_verdict(tag, cells):
    """'' when the row is right, else why not. cells: COLUMNS order, (status, reason)."""
    for column, (status, reason) in zip(COLUMNS[:2], cells[:2]):
        if status != "PASS":
            return "%s: %s %s" % (column, status, reason)
    status, reason = cells[2]
    if tag == "portable" and status != "PASS":
        return "Linux: %s %s (a portable test must pass on Linux)" % (status, reason)
    if tag != "portable" and status != "SKIP":
        return "Linux: %s, expected SKIP (Pagoda-only)" % status
    return ""


def print_table(rows, results):
    print("usertests: Pagoda (TCG, SMEP and SMAP on) and %s (TCG, %d CPU)"
          % (linux_kernel.LINUX_PACKAGE, LINUX_SMP))
    width = max(len(name) for name, _ in rows)
    head = "%-*s  %-11s  %-12s  %-13s  %s" % ((width, "test", "tag") + COLUMNS)
    print(head)
    print("-" * len(head))
    for name, tag in rows:
        cells = [results[c].get(name, ("-", ""))[0] for c in COLUMNS]
        print("%-*s  %-11s  %-12s  %-13s  %s" % ((width, name, tag) + tuple(cells)))
    counts = ["%s %d/%d" % (c, sum(results[c].get(n, ("",))[0] == "PASS" for n, _ in rows),
                            len(rows)) for c in COLUMNS]
    print("passed: " + ", ".join(counts))
    sys.stdout.flush()


def run_linux(totals):
    """The suite: Linux's column, Pagoda's two, the table, one record per test."""
    started = time.monotonic()
    try:
        kernel = linux_kernel.kernel_image()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        totals.record_skip("linux/usertests", "cannot fetch the pinned Linux: %s" % e)
        return
    try:
        rows = listing()
        linux_out, linux_end = linux_usertests(kernel)
    except (OSError, subprocess.CalledProcessError) as e:
        totals.record("linux/boot", False, "no initramfs (make iso first?): %s" % e)
        return
    except linux_kernel.LinuxBootError as e:
        totals.record("linux/boot", False, "%s; console:\n%s" % (e, e.output[-3000:]))
        return
    totals.notes.append("linux: %s booted and ran usertests in %.0f s"
                        % (linux_kernel.LINUX_PACKAGE, time.monotonic() - started))
    totals.record("linux/boot", linux_end is not None,
                  "no end line from linux_init; console:\n" + linux_out[-3000:])
    results = {"Linux": parse(linux_out)}
    for smp, column in ((1, COLUMNS[0]), (4, COLUMNS[1])):
        try:
            results[column] = parse(pagoda_usertests(smp))
        except (AssertionError, pagoda.MachineError) as e:
            results[column] = {}   # every row says "no result"
            totals.record("linux/pagoda-usertests-smp%d" % smp, False, str(e))
    print_table(rows, results)
    for name, tag in rows:
        cells = [results[c].get(name, ("no result", "")) for c in COLUMNS]
        why = row_verdict(tag, cells)
        totals.record("linux/usertests/" + name, not why, why)
