"""test_smp.py - every CPU comes online (multi-threaded TCG), `cpus` lists
them, IPIs reach each one, and the shell answers; one CPU still boots.

`make test` runs -smp 1, 2 and 4 on the pc machine (BIOS; UEFI for 2).
`make test-full` (run_tests.py smp-matrix) runs 1, 2, 4 and 8 CPUs under
BIOS and UEFI on pc and q35.
"""
import re

from pagoda import Machine, check, machine_test

CPU_LINE_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(online|offline)\s+(\d+)\s+(\d+)\s", re.M)


def cpus_table(m):
    """[(cpu, apic id, state, sent, received)] from `cpus`, and the raw output."""
    out = m.command("cpus")
    rows = [(int(a), int(b), c, int(d), int(e)) for a, b, c, d, e in CPU_LINE_RE.findall(out)]
    return rows, out


def check_cpus_online(firmware, n, machine=None):
    """Boot n CPUs; check the boot line, `cpus`, `cpus ping` and the shell."""
    name = "smp%d-%s%s" % (n, firmware, "-" + machine if machine else "")
    m = Machine(name, firmware=firmware, smp=n, machine=machine)
    try:
        m.wait_prompt()
        if n > 1:
            check(re.search(r"^smp: %d CPUs online\b" % n, m.buf, re.M),
                  "-smp %d: no 'smp: %d CPUs online' line at boot:\n%s" % (n, n, m.buf[-2500:]))
            check(re.search(r"^CPUs: %d online, %d found" % (n, n), m.buf, re.M),
                  "-smp %d: the banner does not count %d CPUs online:\n%s" % (n, n, m.buf[-1500:]))
        check("did not start" not in m.buf, "-smp %d: a CPU did not start:\n%s" % (n, m.buf[-2000:]))
        rows, out = cpus_table(m)
        check([r[0] for r in rows] == list(range(n)),
              "-smp %d: `cpus` should list CPUs 0..%d:\n%s" % (n, n - 1, out))
        check(all(r[2] == "online" for r in rows), "-smp %d: a CPU is not online:\n%s" % (n, out))
        check(len({r[1] for r in rows}) == n, "-smp %d: APIC ids repeat:\n%s" % (n, out))
        check(re.search(r"^%d online of %d listed" % (n, n), out, re.M),
              "-smp %d: no summary line:\n%s" % (n, out))
        ping = m.command("cpus ping")
        if n > 1:
            check(ping.count("answered") == n - 1 and "no answer" not in ping,
                  "-smp %d: not every CPU answered a reschedule IPI:\n%s" % (n, ping))
            rows, out = cpus_table(m)
            check(all(r[4] >= 1 for r in rows[1:]) and rows[0][3] >= n - 1,
                  "-smp %d: the IPI counters did not move:\n%s" % (n, out))
        else:
            check("nobody to ping" in ping, "-smp 1: `cpus ping` should say nobody:\n" + ping)
        check(m.alive(), "-smp %d: the shell does not answer" % n)
    finally:
        m.close()


@machine_test("-smp 1: one CPU boots as before, `cpus` lists it", firmwares=("bios",))
def smp_one_cpu(firmware):
    check_cpus_online(firmware, 1)


@machine_test("-smp 2: both CPUs come online, answer IPIs; the shell answers",
              firmwares=("bios", "uefi"))
def smp_two_cpus(firmware):
    check_cpus_online(firmware, 2)


@machine_test("-smp 4: every CPU comes online, answers IPIs; the shell answers",
              firmwares=("bios",))
def smp_four_cpus(firmware):
    check_cpus_online(firmware, 4)


# make test-full: the whole matrix (run_tests.py smp-matrix).
SMP_MATRIX = [(n, firmware, machine) for machine in ("pc", "q35") for firmware in ("bios", "uefi")
              for n in (1, 2, 4, 8)]


def run_matrix(record, wanted):
    """record(name, ok, reason) for each (CPUs, firmware, machine) of SMP_MATRIX."""
    for n, firmware, machine in SMP_MATRIX:
        name = "smp-matrix/%s/%s/smp%d" % (machine, firmware, n)
        if not wanted(name):
            continue
        try:
            check_cpus_online(firmware, n, machine=None if machine == "pc" else machine)
            record(name, True, "")
        except Exception as e:  # AssertionError, MachineError: one line in the report
            record(name, False, str(e))
