"""pagoda.py - drive a Pagoda VM in QEMU as a user would, for integration tests.

A Machine boots build/pagoda.iso in QEMU (TCG by default) with the serial
port and the QEMU monitor on unix sockets, and offers:
    m.wait_prompt()          wait until "pagoda> " starts a line
    m.command("help")        type a line, return what it printed before the
                             next prompt (CR removed, echo removed)
    m.send(b"...")           raw bytes, as a terminal would send them
    m.expect(r"regex")       wait for output matching regex
    m.monitor("info tlb")    a QEMU monitor (HMP) command's output
    m.wait_exit()            QEMU's exit status (isa-debug-exit: (code<<1)|1)
Machine(..., smp=N) boots N CPUs (multi-threaded TCG), machine="q35" the
Q35 chipset instead of the default i440FX ("pc") (with properties, e.g.
"q35,i8042=off" for a machine without a PS/2 controller).
The screen: by default the kernel is told `console=serial` (no text console
on the framebuffer: faster); Machine(..., screen=True) keeps the framebuffer
console on, resolution="1024x768" asks GRUB for that mode (grub.cfg reads
it from SMBIOS), cmdline="words" adds kernel command-line words.
tests/integration/keys.py types on the emulated PS/2 keyboard.
COM2: every machine has a second serial port (QEMU's second -serial, the
port user/com2d.c drives from user space) on a unix socket the test holds:
    m.com2_send(b"...")      bytes into COM2's receive line (the guest reads them)
    m.com2_expect(r"regex")  wait for what the guest wrote to COM2
    m.com2_output()          everything the guest wrote to COM2 so far
Machine(..., com2=False) leaves the port out (the guest then sees none).
Everything the serial line carried is also written to build/test-logs/NAME.log.
Python 3 standard library only.
"""
import atexit
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ISO = os.path.join(ROOT, "build", "pagoda.iso")
LOG_DIR = os.path.join(ROOT, "build", "test-logs")
OVMF = "/usr/share/ovmf/OVMF.fd"
PROMPT = "pagoda> "
# A prompt is "pagoda> " at the start of a line (re.M: ^ also matches right
# after a newline that an earlier expect() already consumed).
PROMPT_RE = re.compile(r"^pagoda> ", re.M)

STARTED = time.time()  # logs older than this run are overwritten

# Every machine not yet closed. A test module that shares a machine across
# its tests may never close it; at exit they are all killed, so no QEMU
# outlives the test run (a leftover one was found still running an hour later).
_OPEN_MACHINES = set()


@atexit.register
def _close_open_machines():
    for m in list(_OPEN_MACHINES):
        m.close()

# Seconds. UEFI firmware under TCG is the slow part of a boot.
BOOT_TIMEOUT = {"bios": 60, "uefi": 120}
COMMAND_TIMEOUT = 30


class MachineError(Exception):
    pass


class Machine:
    def __init__(self, name, firmware="bios", mem="256M", cpu=None, smbios_product=None,
                 extra_args=(), iso=ISO, accel=None, smp=1, machine=None, screen=False,
                 resolution=None, cmdline="", com2=True):
        self.name = name
        self.screen = screen
        self.firmware = firmware
        self.dir = tempfile.mkdtemp(prefix="pagoda-")
        serial_path = os.path.join(self.dir, "serial")
        monitor_path = os.path.join(self.dir, "monitor")
        com2_path = os.path.join(self.dir, "com2")
        accel = accel or os.environ.get("PAGODA_ACCEL", "tcg")  # e.g. "tcg,thread=multi"
        if smp > 1 and accel == "tcg":
            accel = "tcg,thread=multi"  # several CPUs: one host thread each
        args = ["qemu-system-x86_64", "-accel", accel,
                "-m", mem, "-cdrom", iso, "-boot", "d", "-display", "none",
                "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-monitor", "unix:%s,server=on,wait=off" % monitor_path,
                "-chardev", "socket,id=serial0,path=%s,server=on,wait=on" % serial_path,
                "-serial", "chardev:serial0"]
        if com2:  # the second -serial is COM2 (0x2f8, IRQ 3); wait=off: nobody need listen
            args += ["-chardev", "socket,id=serial1,path=%s,server=on,wait=off" % com2_path,
                     "-serial", "chardev:serial1"]
        if cpu:
            args += ["-cpu", cpu]
        if smp > 1:
            args += ["-smp", str(smp)]
        if machine:  # "q35" (ICH9, PCIe) instead of the default "pc" (i440FX)
            args += ["-machine", machine]
        if firmware == "uefi":
            args += ["-bios", OVMF]
        # GRUB reads SMBIOS type 1 (grub.cfg): product picks the menu entry,
        # version holds extra kernel command-line words, sku the video mode.
        words = " ".join(w for w in (cmdline, "" if screen else "console=serial") if w)
        smbios = ["type=1"]
        if smbios_product:
            smbios.append("product=%s" % smbios_product)
        if words:
            smbios.append("version=%s" % words.replace(",", ",,"))
        if resolution:
            smbios.append("sku=%s" % resolution)
        if len(smbios) > 1:
            args += ["-smbios", ",".join(smbios)]
        args += list(extra_args)
        self.args = args
        os.makedirs(LOG_DIR, exist_ok=True)
        log_path = os.path.join(LOG_DIR, name + ".log")
        for n in range(2, 100):  # a second machine of the same name keeps the first log
            if not os.path.exists(log_path) or os.path.getmtime(log_path) < STARTED:
                break
            log_path = os.path.join(LOG_DIR, "%s.%d.log" % (name, n))
        self.log = open(log_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        _OPEN_MACHINES.add(self)
        self.serial = self._connect(serial_path)
        self.monitor_sock = self._connect(monitor_path)
        self.monitor_buf = b""
        self.com2 = self._connect(com2_path) if com2 else None
        self.com2_buf = b""      # everything the guest wrote to COM2
        self.com2_pos = 0        # how far com2_expect() has consumed
        self.buf = ""          # everything received, decoded
        self.pos = 0           # how far expect() has consumed
        self.cond = threading.Condition()
        self.closed = False
        self.reader = threading.Thread(target=self._read_serial, daemon=True)
        self.reader.start()
        if self.com2:
            threading.Thread(target=self._read_com2, daemon=True).start()
        self._monitor_read_until_prompt(10)

    def _connect(self, path):
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise MachineError("QEMU exited at start (%d): %s" % (self.proc.returncode, out))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise MachineError("cannot connect to QEMU socket " + path)
                time.sleep(0.05)

    @staticmethod
    def _chunks(sock):
        """What sock delivers, chunk by chunk, until it closes."""
        while True:
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                return
            yield data

    def _read_serial(self):
        for data in self._chunks(self.serial):
            self.log.write(data)
            self.log.flush()
            text = data.decode("latin-1").replace("\r", "")
            with self.cond:
                self.buf += text
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _read_com2(self):
        for data in self._chunks(self.com2):
            with self.cond:
                self.com2_buf += data
                self.cond.notify_all()

    # -- serial ---------------------------------------------------------------

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.serial.sendall(data)

    def expect(self, pattern, timeout=COMMAND_TIMEOUT):
        """Wait for regex pattern after the current position; return the match."""
        return self._expect_in("buf", "pos", "output", pattern, timeout)

    def _expect_in(self, buf_name, pos_name, what, pattern, timeout):
        """Wait for pattern in self.<buf_name> from self.<pos_name>, then move past it."""
        regex = re.compile(pattern) if isinstance(pattern, (str, bytes)) else pattern
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                buf, pos = getattr(self, buf_name), getattr(self, pos_name)
                m = regex.search(buf, pos)
                if m:
                    setattr(self, pos_name, m.end())
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    tail = buf[pos:][-600:]
                    why = "QEMU exited" if self.closed else "timed out after %ss" % timeout
                    raise MachineError("%s waiting for %r; %s since last match:\n%s"
                                       % (why, regex.pattern, what, tail))
                self.cond.wait(min(left, 0.5))

    def wait_prompt(self, timeout=None):
        if timeout is None:
            timeout = BOOT_TIMEOUT[self.firmware]
        self.expect(PROMPT_RE, timeout)
        return time.monotonic() - self.started

    def command(self, line, timeout=COMMAND_TIMEOUT):
        """Type line and Enter; return the output up to the next prompt.

        Waits for the shell's echo of the line first, so that prompts left
        over from earlier input are not mistaken for this command's end.
        (Lines over 255 characters echo only their first 255.)
        """
        self.send(line + "\r")
        self.expect(re.escape(line[:255]) + r"[^\n]*\n", timeout)
        start = self.pos
        self.expect(PROMPT_RE, timeout)
        return self.buf[start:self.pos - len(PROMPT)]

    def output_since(self, start):
        return self.buf[start:]

    # -- COM2 -------------------------------------------------------------------

    def com2_send(self, data):
        """Bytes into COM2's receive line, as a device at the other end would send them."""
        if self.com2 is None:
            raise MachineError("this machine has no COM2 (Machine(..., com2=False))")
        if isinstance(data, str):
            data = data.encode()
        self.com2.sendall(data)

    def com2_expect(self, pattern, timeout=COMMAND_TIMEOUT):
        """Wait for regex pattern (bytes or str) in what the guest wrote to COM2 after
        the last match; return the match (of bytes)."""
        if isinstance(pattern, str):
            pattern = pattern.encode()
        return self._expect_in("com2_buf", "com2_pos", "COM2", pattern, timeout)

    def com2_output(self):
        with self.cond:
            return self.com2_buf

    # -- QEMU monitor -----------------------------------------------------------

    def _monitor_read_until_prompt(self, timeout):
        self.monitor_sock.settimeout(timeout)
        while b"(qemu) " not in self.monitor_buf:
            chunk = self.monitor_sock.recv(4096)
            if not chunk:
                raise MachineError("monitor closed")
            self.monitor_buf += chunk
        out, _, rest = self.monitor_buf.partition(b"(qemu) ")
        self.monitor_buf = rest
        return out.decode(errors="replace")

    def monitor(self, cmd, timeout=10):
        self.monitor_sock.sendall(cmd.encode() + b"\n")
        out = self._monitor_read_until_prompt(timeout)
        # HMP echoes the command (with terminal escapes); keep what follows it.
        out = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out).replace("\r", "")
        lines = out.split("\n")
        return "\n".join(lines[1:]).strip()

    # -- ending ---------------------------------------------------------------

    def wait_exit(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def alive(self):
        """True if the shell answers a trivial command with a fresh marker."""
        self.marker = getattr(self, "marker", 0) + 1
        word = "alive-%d" % self.marker
        try:
            self.send("\x03echo %s\r" % word)
            self.expect(r"\n%s\n" % word, 15)
            self.expect(PROMPT_RE, 15)
            return True
        except MachineError:
            return False

    def close(self):
        _OPEN_MACHINES.discard(self)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for s in (self.serial, self.monitor_sock, self.com2):
            if s is None:
                continue
            try:
                s.close()
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- test registration -----------------------------------------------------------
#
# @shell_test: fn(m) runs on a shared, already booted machine (one per firmware).
# @machine_test: fn(firmware) boots machines of its own (for tests that halt,
# crash or need special QEMU options).
# Either returns None on success or raises AssertionError/MachineError.

SHELL_TESTS = []
MACHINE_TESTS = []


def shell_test(description, firmwares=("bios", "uefi")):
    def register(fn):
        SHELL_TESTS.append((fn.__name__, description, fn, firmwares))
        return fn
    return register


def machine_test(description, firmwares=("bios",)):
    def register(fn):
        MACHINE_TESTS.append((fn.__name__, description, fn, firmwares))
        return fn
    return register


class Skip(Exception):
    """Raised by skip(): the test cannot run here (counted neither passed nor failed)."""


def skip(reason):
    """End the running test as skipped, printing SKIP and the reason."""
    raise Skip(reason)


def check(cond, message):
    if not cond:
        raise AssertionError(message)
