"""test_panic_smp.py - a panic stops the other CPUs by NMI and takes the
console even from a CPU that holds it mid-line (multi-threaded TCG).

`crash panic` panics on the shell's CPU; `crash panic_console` first has
another CPU take the console lock, print half a line and spin with
interrupts off forever, then panics: the message must still come out, on a
line of its own, followed by the count of CPUs stopped and the backtrace.
"""
import re

from pagoda import Machine, check, machine_test


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
