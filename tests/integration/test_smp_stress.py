"""test_smp_stress.py - every CPU hammers the memory manager at once.

Four CPUs (multi-threaded TCG) run `stress 10`: a worker pinned to each CPU
takes and frees pages and kmalloc objects and maps and unmaps pages of one
shared kernel window (each unmap a TLB shootdown to the other three). While
it runs, the shell must answer every command; when it is over, no report
(panic, fault, lockup, lock-order inversion) may have appeared, no pattern
may have been corrupted, every CPU's per-CPU page list must have been used
(`zoneinfo` during the run), shootdowns must have reached the other CPUs
(`vmstat`), and `meminfo` and `buddyinfo` must be back where they started.
The start is taken after a one-second warm-up stress, so that page tables
and slabs the first run creates for good (the workers' stacks' tables, the
caches' first slabs) are in both pictures.
"""
import re
import time

from pagoda import Machine, check, machine_test

REPORT_RE = re.compile(r"panic|PANIC|page fault|general protection|lockup|inversion|"
                       r"double fault|System halted", re.I)
STRESS_SECONDS = 10
FINISH_TIMEOUT = 300  # TCG on a 2-core host runs 4 CPUs slowly; the test waits, never times


def wait_finished(m):
    """Poll `stress` (answering the shell throughout) until it says finished; its output."""
    deadline = time.monotonic() + FINISH_TIMEOUT
    while time.monotonic() < deadline:
        out = m.command("stress")
        if "stress: finished" in out:
            return out
        echo = m.command("echo still answering")
        check("still answering" in echo, "the shell stopped answering during stress:\n" + echo)
        time.sleep(1)
    check(False, "stress did not finish within %d s" % FINISH_TIMEOUT)


def meminfo_free(m):
    out = m.command("meminfo")
    got = re.search(r"^MemFree:\s+(\d+) kB", out, re.M)
    check(got, "no MemFree line:\n" + out)
    return int(got.group(1)), out


def vmstat_value(m, name):
    out = m.command("vmstat")
    got = re.search(r"^%s (\d+)$" % name, out, re.M)
    check(got, "vmstat has no %s:\n%s" % (name, out))
    return int(got.group(1))


@machine_test("4 CPUs allocate, free, map and unmap for 10 s: shell answers, memory back, no report")
def smp_stress_four_cpus(firmware):
    m = Machine("smp-stress-" + firmware, firmware=firmware, smp=4)
    try:
        m.wait_prompt()
        check("4 online" in m.command("cpus"), "not every CPU came online")
        out = m.command("stress 1")
        check("4 workers" in out, "stress 1:\n" + out)
        wait_finished(m)  # its report drains every CPU's lists and magazines
        buddy_before = m.command("buddyinfo")
        free_before, _ = meminfo_free(m)
        shootdowns_before = vmstat_value(m, "tlb_shootdown_received")
        start = len(m.buf)

        out = m.command("stress %d" % STRESS_SECONDS)
        check("4 workers (one per CPU) for %d s" % STRESS_SECONDS in out, "stress:\n" + out)
        zoneinfo = m.command("zoneinfo")
        report = wait_finished(m)
        buddy_after = m.command("buddyinfo")
        free_after, meminfo = meminfo_free(m)
        shootdowns_after = vmstat_value(m, "tlb_shootdown_received")

        rows = re.findall(r"^\s+(\d) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$", report, re.M)
        check(len(rows) == 4, "stress should list 4 workers:\n" + report)
        for cpu, rounds, pages, objects, maps, failures, corrupted in rows:
            check(int(rounds) > 0 and int(pages) > 0 and int(objects) > 0 and int(maps) > 0,
                  "worker on CPU %s did no work:\n%s" % (cpu, report))
            check(int(corrupted) == 0, "CPU %s saw corrupted patterns:\n%s" % (cpu, report))
        check("back at the start" in report, "free pages differ after stress:\n" + report)
        check("corrupted: 0; rounds run off their CPU: 0" in report, "stress:\n" + report)
        pcp = re.findall(r"^  cpu (\d+) +per-CPU pages", zoneinfo, re.M)
        check({"0", "1", "2", "3"} <= set(pcp),
              "zoneinfo during stress: not every CPU has a per-CPU page list in use:\n" + zoneinfo)
        check(shootdowns_after - shootdowns_before >= 3,
              "no TLB shootdown reached the other CPUs (%d -> %d)" %
              (shootdowns_before, shootdowns_after))
        check(free_after == free_before,
              "MemFree %d kB before, %d kB after:\n%s" % (free_before, free_after, meminfo))
        check(buddy_after == buddy_before,
              "buddyinfo changed:\nbefore:\n%s\nafter:\n%s" % (buddy_before, buddy_after))
        check(not REPORT_RE.search(m.buf[start:]),
              "a report appeared during stress:\n" + m.buf[start:][-3000:])
    finally:
        m.close()
