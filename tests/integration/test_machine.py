"""test_machine.py - tests that need a machine of their own: CPU models,
exception reports (the kernel halts), power-off, reboot and halt.
"""
import re

from pagoda import Machine, check, machine_test
from test_shell import vga_screen_text


def boot(name, firmware, **kwargs):
    m = Machine(name, firmware=firmware, **kwargs)
    m.wait_prompt()
    return m


def cpuinfo_flags(m):
    out = m.command("cpuinfo")
    flags = dict(re.findall(r"^\s*(\w+):\s+(yes|no)\b", out, re.M))
    bits = re.search(r"(\d+) bits physical, (\d+) bits virtual", out)
    check(bits, "cpuinfo shows no address sizes:\n" + out)
    return flags, (int(bits.group(1)), int(bits.group(2))), out


# (QEMU -cpu argument, features that must be "yes", features that must be "no")
CPU_MODELS = [
    ("qemu64,-nx,-pdpe1gb", [], ["nx", "pdpe1gb", "smep", "smap", "pcid", "invpcid", "erms",
                                 "xsave", "avx"]),
    ("qemu64,+nx,+pdpe1gb,+smep,+smap,+erms,phys-bits=40",
     ["nx", "pdpe1gb", "smep", "smap", "pae", "pge", "erms"], ["pcid", "invpcid"]),
    # TCG's "max": XSAVE with AVX ("qemu64,+xsave" hangs QEMU 7.2's TCG at the
    # CR4.OSXSAVE write, before any output: a QEMU quirk, not the kernel's).
    ("max", ["xsave", "avx", "nx", "smep", "smap"], []),
]


@machine_test("cpuinfo agrees with the CPU model QEMU was given")
def cpuinfo_matches_qemu(firmware):
    for model, yes, no in CPU_MODELS:
        m = boot("cpuinfo-" + firmware, firmware, cpu=model)
        try:
            flags, (phys, virt), out = cpuinfo_flags(m)
            for f in yes:
                check(flags.get(f) == "yes", "-cpu %s: %s should be yes:\n%s" % (model, f, out))
            for f in no:
                check(flags.get(f) == "no", "-cpu %s: %s should be no:\n%s" % (model, f, out))
            want_virt = 57 if model == "max" else 48  # TCG's max has 5-level paging (LA57)
            check(virt == want_virt, "-cpu %s: expected %d virtual bits, got %d" % (
                model, want_virt, virt))
            if "phys-bits=40" in model:
                check(phys == 40, "-cpu %s: expected 40 physical bits, got %d" % (model, phys))
            check("AuthenticAMD" in out or "GenuineIntel" in out, "no vendor:\n" + out)
        finally:
            m.close()


CRASHES = [
    # kind, exception name, words the report must contain
    ("pf", "#PF Page Fault", ["page not present, write, supervisor mode",
                              "Faulting address (CR2): 0x0000000000001000",
                              "<crash_page_fault+"]),
    ("gp", "#GP General Protection", ["non-canonical", "<crash_general_protection+"]),
    ("ud", "#UD Invalid Opcode", ["<crash_invalid_opcode+"]),
    ("de", "#DE Divide Error", ["<crash_divide_error+"]),
]


@machine_test("an exception outside a recovery point prints a full, symbolized report and halts")
def exception_reports(firmware):
    for kind, name, words in CRASHES:
        m = boot("crash-%s-%s" % (kind, firmware), firmware)
        try:
            start = m.pos
            m.send("crash %s halt\r" % kind)
            m.expect(r"System halted\.", 30)
            out = m.output_since(start)
            check("*** CPU exception" in out and name in out, "no %s header:\n%s" % (name, out))
            for w in words + ["RIP: 0x", "RAX=", "R15=", "CR0=", "CR3=", "CR4=", "Backtrace:",
                              "<cmd_crash+", "<shell_execute+"]:
                check(w in out, "crash %s: report lacks %r:\n%s" % (kind, w, out))
        finally:
            m.close()


@machine_test("an exception in a shell command is reported, the command aborted, the shell lives")
def exception_aborts_command(firmware):
    m = boot("crash-abort-" + firmware, firmware)
    try:
        for kind, name, words in CRASHES:
            out = m.command("crash %s" % kind)
            check(name in out and "(crash aborted by the fault above" in out,
                  "crash %s was not reported and aborted:\n%s" % (kind, out))
            check("System halted" not in out, "crash %s halted:\n%s" % (kind, out))
        check(m.alive(), "shell dead after the crashes")
    finally:
        m.close()


@machine_test("a stack overflow outside a recovery point arrives as #DF: full report, then halt",
              firmwares=("bios", "uefi"))
def stack_overflow_halts(firmware):
    # #PF runs on the current stack, so an overflow is a double fault; with no
    # recovery point on the overflowed stack the #DF handler must not resume.
    m = boot("stackoverflow-halt-" + firmware, firmware)
    try:
        start = m.pos
        m.send("stackoverflow halt\r")
        m.expect(r"System halted\.", 120)
        out = m.output_since(start)
        for w in [r"kernel stack overflow: guard page 0x", "below kernel stack",
                  "it arrived as a double fault", 'no recovery point on the "shell" stack',
                  "*** CPU exception 8: #DF Double Fault ***", "RIP: 0x", "<recurse",
                  "CR2=", "Backtrace:"]:
            check(w in out, "stackoverflow halt: report lacks %r:\n%s" % (w, out[:3000]))
        check("aborted by the fault above" not in out,
              "stackoverflow halt resumed a recovery point:\n" + out[:3000])
    finally:
        m.close()


@machine_test("crash bp reports the breakpoint and the kernel resumes")
def breakpoint_resumes(firmware):
    m = boot("crash-bp-" + firmware, firmware)
    try:
        out = m.command("crash bp")
        check("#BP Breakpoint" in out, "no breakpoint report:\n" + out)
        check("resumed" in out, "kernel did not resume after int3:\n" + out)
        check(m.alive(), "shell dead after int3")
    finally:
        m.close()


@machine_test("poweroff ends QEMU through ACPI S5", firmwares=("bios", "uefi"))
def poweroff_exits(firmware):
    m = boot("poweroff-" + firmware, firmware)
    try:
        m.send("poweroff\r")
        status = m.wait_exit(30)
        check(status == 0, "QEMU did not power off cleanly (status %r):\n%s"
              % (status, m.buf[-500:]))
    finally:
        m.close()


@machine_test("reboot resets the machine")
def reboot_resets(firmware):
    # -no-reboot makes QEMU exit on a reset instead of restarting.
    m = boot("reboot-" + firmware, firmware)
    try:
        m.send("reboot\r")
        status = m.wait_exit(30)
        check(status == 0, "QEMU did not see a reset (status %r)" % status)
        check("Rebooting" in m.buf, "no message before reset")
    finally:
        m.close()


@machine_test("halt stops the machine and says so")
def halt_stops(firmware):
    m = boot("halt-" + firmware, firmware)
    try:
        m.send("halt\r")
        m.expect(r"System halted", 30)
        m.send("echo still here\r")
        try:
            m.expect(r"still here\n", 3)
            alive = True
        except Exception:
            alive = False
        check(not alive, "the shell still answers after halt")
    finally:
        m.close()


@machine_test("bad arguments to the built-in commands are reported, the shell lives")
def bad_arguments(firmware):
    m = boot("badargs-" + firmware, firmware)
    try:
        for line in ["crash", "crash zz", "uptime extra", "cpuinfo x", "halt now",
                     "reboot please", "poweroff -f", "selftest a b c", "help a b"]:
            out = m.command(line)
            check("usage" in out or "unknown" in out or "no command" in out
                  or "too many" in out, "%r got no clear message:\n%s" % (line, out))
        check(m.alive(), "shell dead after bad arguments")
    finally:
        m.close()


@machine_test("a CPU without long mode gets a readable message, not a triple fault")
def no_long_mode_message(firmware):
    # GRUB itself runs on a 32-bit CPU; the kernel's 32-bit entry must refuse.
    # grub.cfg keeps VGA text mode for a CPU without long mode, so the message shows.
    m = Machine("no-long-mode-" + firmware, firmware=firmware, cpu="qemu32")
    try:
        m.expect(r"this CPU has no 64-bit long mode", 60)
        m.expect(r"Halted\.", 10)
        check(m.wait_exit(2) is None, "QEMU exited (reset?) instead of halting")
        screen = vga_screen_text(m)
        check("this CPU has no 64-bit long mode" in screen,
              "the message is not on the VGA screen:\n" + screen)
    finally:
        m.close()


# CPU models for the ring-3 CPU set-up (kernel/arch/x86_64/user_mode.h): no
# SMAP (clac/stac patched to NOPs), SMEP+SMAP (the model), and
# TCG's "max" (XSAVE with AVX state instead of FXSAVE). The default model is
# the selftest suite's own boot.
USER_MODE_CPUS = ["qemu64,+smep,+smap", "max"]


@machine_test("every selftest passes with SMEP+SMAP and with XSAVE/AVX (ring-3 CPU set-up)")
def selftest_user_mode_cpus(firmware):
    for model in USER_MODE_CPUS:
        m = Machine("selftest-cpu-%s-%s" % (model.split(",")[0], firmware), firmware=firmware,
                    cpu=model, smbios_product="pagoda-selftest")
        try:
            status = m.wait_exit(300)
            summary = re.search(r"^selftest: (\d+) passed, (\d+) failed$", m.buf, re.M)
            failures = re.findall(r"^selftest: FAIL .*$", m.buf, re.M)
            check(summary is not None, "-cpu %s: no selftest summary (QEMU status %s):\n%s" % (
                model, status, m.buf[-3000:]))
            check(int(summary.group(2)) == 0 and int(summary.group(1)) > 0,
                  "-cpu %s: %s\n%s" % (model, summary.group(0), "\n".join(failures)))
            check("selftest: PASS user_mode/smap_patch" in m.buf,
                  "-cpu %s: the user_mode suite did not run" % model)
        finally:
            m.close()


@machine_test("a machine a test never closed is killed when the test run exits (qemu_left_running)")
def qemu_left_running(firmware):
    # Regression: test_trace.py shares one machine and never closed it, so every
    # `make test` left a QEMU running after it ended. pagoda.py now closes every
    # open machine at exit; a child Python that opens one and exits must leave none.
    import os
    import subprocess
    import sys
    import time
    here = os.path.dirname(os.path.abspath(__file__))
    child = subprocess.run(
        [sys.executable, "-c", "import pagoda; m = pagoda.Machine('leftover-%s', "
         "firmware='%s'); print(m.proc.pid)" % (firmware, firmware)],
        cwd=here, capture_output=True, text=True, timeout=60)
    check(child.returncode == 0, "the child failed: " + child.stderr[-400:])
    pid = int(child.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return  # gone
        if state == "Z":
            return  # killed, waiting for init to reap it
        time.sleep(0.2)
    os.kill(pid, 9)
    check(False, "QEMU (pid %d) still ran after the Python that opened it had exited" % pid)
