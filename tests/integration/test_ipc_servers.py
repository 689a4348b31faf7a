"""test_ipc_servers.py - servers and a driver in user space (docs/ipc.md).

The name server the kernel starts at boot, the echo server and its client
through it, and the COM2 driver (user/com2d.c) on QEMU's second serial port:
the test writes bytes into COM2 (Machine.com2_send) and sees them come out
of the client (`com2`), both when the driver buffered them before anyone
asked and when a client was already waiting; the client's writes appear on
the host side (Machine.com2_expect); the driver's counters show interrupts.
A second driver is refused (irq_bind: -EBUSY) and the line is free again
once the first is killed; usertests' irq_bind tests check the refusals from
user mode. COM2's interrupt reaches the boot CPU (the I/O APIC's route)
while the driver may run on any CPU: so the driver tests run on 1 and 4
CPUs, and on the 8259s (`noapic`). Without a second -serial com2d finds no
UART and says so.
"""
import re
import time

from pagoda import Machine, check, machine_test
from test_user import kill_and_wait_gone, run, run_ok

LONG = bytes((b"0123456789abcdefghijklmnopqrstuvwxyz"[i % 36]) for i in range(200))


def run_background(m, line):
    """`run -b LINE`; wait for the server's banner "NAME: pid N serving", which on
    several CPUs may come before the shell's own line. Returns the pid."""
    start = len(m.buf)
    out = m.command("run -b " + line)
    started = re.search(r"^\[(\d+)\] (\S+) started in the background", out, re.M)
    check(started, "`run -b %s` printed:\n%s" % (line, out))
    banner = "%s: pid %s serving" % (line.split()[0], started.group(1))
    for _ in range(40):
        if banner in m.output_since(start):
            return int(started.group(1))
        time.sleep(0.5)
    raise AssertionError("no %r after `run -b %s`:\n%s" % (banner, line, m.output_since(start)))


def booted(name, smp=1, cmdline="", com2=True):
    m = Machine(name, smp=smp, cmdline=cmdline, com2=com2)
    m.wait_prompt()
    return m


def echo_round(m, words="one two"):
    out, _ = run_ok(m, "echo_client " + words)
    check("echo_client: 28 calls, all replies matched" in out and "echo: %s" % words in out,
          "echo_client printed:\n" + out)


@machine_test("IPC: echo client and server through the name server, on 1 and 4 CPUs; "
              "a dead server's clients get an error; a restarted server takes its name back")
def ipc_echo_nameserver(firmware):
    for smp in (1, 4):
        m = booted("ipc-echo-smp%d" % smp, smp)
        try:
            out, _, how = run(m, "echo_client")
            check(how == "exited with status 1" and "-2 (is echo_server running?" in out,
                  "echo_client before any server (%s):\n%s" % (how, out))
            pid = run_background(m, "echo_server")
            echo_round(m)
            echo_round(m, "a longer line of words to echo back")
            kill_and_wait_gone(m, pid)
            out, _, how = run(m, "echo_client")
            check(how == "exited with status 1" and re.search(r"call with 0 words: -32\b", out),
                  "echo_client with its server killed (%s), expected -EPIPE:\n%s" % (how, out))
            pid = run_background(m, "echo_server 29")
            start = len(m.buf)
            echo_round(m)
            for _ in range(20):  # its last line may come before or after the prompt
                if "echo_server: answered 29 calls" in m.output_since(start):
                    break
                time.sleep(0.5)
            check("echo_server: answered 29 calls" in m.output_since(start),
                  "echo_server 29 did not end after 29 calls:\n" + m.output_since(start))
        finally:
            m.close()


def com2_checks(m):
    """The driver's round trips on a booted machine; leaves it running."""
    pid = run_background(m, "com2d")
    # Host -> guest, bytes that came while nobody asked: the driver buffered them.
    m.com2_send(b"early bytes")
    time.sleep(1)
    out, _ = run_ok(m, "com2 -r 11")
    check("com2: read 11 bytes: early bytes" in out, "com2 -r 11 printed:\n" + out)
    # A client waiting in its read when the bytes come: its reply waits for them.
    m.send("run com2 -r 5\r")
    m.expect(r"run com2 -r 5[^\n]*\n")
    m.expect(r"com2: read 5 bytes: ", 20)
    time.sleep(0.5)
    m.com2_send(b"later")
    m.expect(r"later\n", 20)
    m.expect(r"com2 \(pid \d+\) exited with status 0", 20)
    m.wait_prompt(20)
    # More than the UART's FIFO and a message hold, in one go.
    m.com2_send(LONG)
    out, _ = run_ok(m, "com2 -r %d" % len(LONG))
    check(("com2: read %d bytes: %s" % (len(LONG), LONG.decode())) in out,
          "com2 -r %d printed:\n%s" % (len(LONG), out))
    # Guest -> host, then the host answers while the client listens.
    m.send("run com2 -t 5 hello from pagoda\r")
    m.com2_expect(rb"hello from pagoda\n", 20)
    m.com2_send(b"pong\r\n")
    m.expect(r"com2: pong\n", 20)
    m.expect(r"com2 \(pid \d+\) exited with status 0", 20)
    m.wait_prompt(20)
    out, _ = run_ok(m, "com2 -s")
    counts = re.search(r"com2: (\d+) interrupts, (\d+) bytes received, (\d+) dropped, "
                       r"(\d+) written", out)
    check(counts and int(counts.group(1)) > 0 and int(counts.group(2)) == 11 + 5 + 200 + 6
          and counts.group(3) == "0" and int(counts.group(4)) == len("hello from pagoda\n"),
          "com2 -s (interrupts > 0, %d received, none dropped):\n%s" % (222, out))
    return pid


@machine_test("IPC: the COM2 driver in user space takes its interrupts and serves "
              "clients (bytes both ways) on 1 and 4 CPUs and on the 8259s")
def ipc_com2_driver(firmware):
    for name, smp, cmdline in (("smp1", 1, ""), ("smp4", 4, ""), ("noapic", 1, "noapic")):
        m = booted("ipc-com2-" + name, smp, cmdline)
        try:
            pid = com2_checks(m)
            out, _, how = run(m, "com2d")
            check(how == "exited with status 1" and "irq_bind(3): -16" in out,
                  "a second com2d (%s), expected irq_bind -EBUSY:\n%s" % (how, out))
            kill_and_wait_gone(m, pid)
            out, _, how = run(m, "com2 -s")
            check(how == "exited with status 1", "com2 with its driver killed: %s:\n%s"
                  % (how, out))
            pid = run_background(m, "com2d")  # the binding ended with the first driver
            m.com2_send(b"again")
            out, _ = run_ok(m, "com2 -r 5")
            check("com2: read 5 bytes: again" in out, "after a restart, com2 -r 5:\n" + out)
            kill_and_wait_gone(m, pid)
        finally:
            m.close()


@machine_test("IPC: irq_bind's refusals from user mode (usertests irq_bind_*), 1 and 4 CPUs")
def ipc_irq_bind_usertests(firmware):
    for smp in (1, 4):
        m = booted("ipc-irq-smp%d" % smp, smp)
        try:
            out, _ = run_ok(m, "usertests irq_bind_refused irq_bind_com2", timeout=120)
            for t in ("irq_bind_refused", "irq_bind_com2"):
                check(re.search(r"^PASS %s\b" % t, out, re.M), "usertests %s:\n%s" % (t, out))
        finally:
            m.close()


@machine_test("IPC: without a second -serial, com2d finds no UART and says so")
def ipc_com2_absent(firmware):
    m = booted("ipc-no-com2", com2=False)
    try:
        out, _, how = run(m, "com2d")
        check(how == "exited with status 1" and "com2d: no UART at 0x2f8" in out,
              "com2d without COM2 (%s):\n%s" % (how, out))
    finally:
        m.close()
