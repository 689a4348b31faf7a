"""test_smp_calls.py - what CPUs ask of each other, under multi-threaded
TCG: cross-CPU calls and TLB shootdowns (`selftest smp` on 2 and 4 CPUs,
their counters in `cpus tlb` and `vmstat`), and a panic that stops the
other CPUs by NMI and takes the console even from a CPU that holds it
mid-line.

`crash panic` panics on the shell's CPU; `crash panic_console` first has
another CPU take the console lock, print half a line and spin with
interrupts off forever, then panics: the message must still come out, on a
line of its own, followed by the count of CPUs stopped and the backtrace.
"""
import re

from pagoda import Machine, check, machine_test


TLB_ROW_RE = re.compile(r"^\s*(\d+)" + r"\s+(\d+)" * 9 + r"\s*$", re.M)


def shootdowns_on(firmware, n):
    m = Machine("smp-calls-smp%d-%s" % (n, firmware), firmware=firmware, smp=n)
    try:
        m.wait_prompt()
        out = m.command("selftest smp", timeout=180)
        check(re.search(r"^selftest: 6 passed, 0 failed", out, re.M),
              "-smp %d: `selftest smp` did not pass:\n%s" % (n, out))
        if n == 1:
            check(out.count("only one CPU online") >= 4,
                  "-smp 1: the tests should say they ran on one CPU:\n" + out)
        tlb = m.command("cpus tlb")
        rows = [[int(x) for x in r] for r in TLB_ROW_RE.findall(tlb)]
        check([r[0] for r in rows] == list(range(n)), "-smp %d: `cpus tlb` rows:\n%s" % (n, tlb))
        if n > 1:
            # The shell's CPU sent batches; every other CPU ran requests for them.
            check(sum(r[1] for r in rows) >= 3 and all(r[3] >= 3 for r in rows if r[1] == 0),
                  "-smp %d: shootdown counters did not move as expected:\n%s" % (n, tlb))
        vm = m.command("vmstat")
        sent = int(re.search(r"^tlb_shootdown_ipi_sent (\d+)", vm, re.M).group(1))
        received = int(re.search(r"^tlb_shootdown_received (\d+)", vm, re.M).group(1))
        check(sent == received and (sent > 0) == (n > 1),
              "-smp %d: IPIs sent %d, requests received %d:\n%s" % (n, sent, received, vm))
        check(m.alive(), "-smp %d: the shell does not answer" % n)
    finally:
        m.close()


@machine_test("-smp 1: `selftest smp` passes, saying it ran on one CPU; no shootdown IPI",
              firmwares=("bios",))
def smp_calls_one_cpu(firmware):
    shootdowns_on(firmware, 1)


@machine_test("-smp 2: cross-calls, shootdowns under a lock, faults after unmap on both CPUs",
              firmwares=("bios",))
def smp_calls_two_cpus(firmware):
    shootdowns_on(firmware, 2)


@machine_test("-smp 4: `selftest smp` passes; every request sent was received",
              firmwares=("bios",))
def smp_calls_four_cpus(firmware):
    shootdowns_on(firmware, 4)


def panic_on(firmware, n, kind, holder_line):
    m = Machine("panic-%s-smp%d-%s" % (kind, n, firmware), firmware=firmware, smp=n)
    try:
        m.wait_prompt()
        m.send(b"crash %s\r" % kind.encode())
        m.expect(r"System halted\.", timeout=60)
        out = m.buf
        check(re.search(r"^PANIC: crash: panic on purpose", out, re.M),
              "-smp %d: no PANIC line of its own:\n%s" % (n, out[-2000:]))
        check(re.search(r"^CPU \d+ panicked; %d other CPU\(s\) stopped by NMI" % (n - 1), out, re.M),
              "-smp %d: the panic should stop %d other CPUs:\n%s" % (n, n - 1, out[-2000:]))
        if holder_line:
            check("holds the console mid-line" in out,
                  "-smp %d: the holding CPU's half line is missing:\n%s" % (n, out[-2000:]))
        check("NMI received" not in out, "-smp %d: a stopped CPU printed:\n%s" % (n, out[-2000:]))
    finally:
        m.close()


@machine_test("-smp 1: `crash panic` panics with no other CPU to stop", firmwares=("bios",))
def panic_one_cpu(firmware):
    panic_on(firmware, 1, "panic", False)


@machine_test("-smp 4: `crash panic` stops the 3 other CPUs by NMI", firmwares=("bios",))
def panic_four_cpus(firmware):
    panic_on(firmware, 4, "panic", False)


@machine_test("-smp 2: a panic takes the console from the CPU holding it mid-line",
              firmwares=("bios",))
def panic_takes_console(firmware):
    panic_on(firmware, 2, "panic_console", True)
