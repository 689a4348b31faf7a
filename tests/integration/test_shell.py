"""test_shell.py - the serial shell, driven as a user would drive it.

These run on one shared machine per firmware (BIOS and UEFI), in order.
"""
import random
import re
import time

from pagoda import Machine, check, machine_test, shell_test

COMMANDS = ["help", "echo", "bootinfo", "cpuinfo", "uptime", "reboot", "halt",
            "poweroff", "selftest", "crash", "memmap", "meminfo", "buddyinfo", "zoneinfo",
            "fragmentation", "alloc", "free", "allocs", "exhaust", "pagepoison", "bench",
            "map", "unmap", "protect", "translate", "walk", "ptdump", "peek", "poke",
            "slabinfo", "vmallocinfo", "leaks", "kmemtest", "slabdebug", "shrink"]


@shell_test("help lists every command with a summary")
def help_lists_commands(m):
    out = m.command("help")
    for name in COMMANDS:
        check(re.search(r"^\s*%s\s+\S" % name, out, re.M),
              "`help` does not list %r with a summary:\n%s" % (name, out))


@shell_test("help CMD prints each command's usage")
def help_command_usage(m):
    for name in COMMANDS:
        out = m.command("help " + name)
        check("usage:" in out, "`help %s` shows no usage:\n%s" % (name, out))
    out = m.command("help nosuchcommand")
    check("no command" in out, "`help nosuchcommand` gave:\n" + out)


@shell_test("an unknown command is reported by name")
def unknown_command(m):
    out = m.command("frobnicate now")
    check("unknown command: frobnicate (try 'help')" in out, "got:\n" + out)


@shell_test("echo prints its arguments")
def echo_arguments(m):
    out = m.command("echo  hello   pagoda ")
    check(out.strip() == "hello pagoda", "got %r" % out)


@shell_test("Backspace and DEL edit the line")
def backspace_editing(m):
    start = m.pos
    m.send(b"echp\x7fo b\x08bs-ok\r")
    m.wait_prompt(30)
    out = m.output_since(start)
    check(re.search(r"^bs-ok$", out, re.M), "echo did not print bs-ok:\n" + out)


@shell_test("Ctrl-C cancels the line and Ctrl-U clears it")
def cancel_and_clear(m):
    start = m.pos
    m.send(b"echo never\x03")
    m.wait_prompt(30)
    check("^C" in m.output_since(start), "Ctrl-C did not print ^C")
    start = m.pos
    m.send(b"garbage words\x15echo cleared\r")
    m.wait_prompt(30)
    out = m.output_since(start)
    check(re.search(r"^cleared$", out, re.M) and "unknown command" not in out,
          "Ctrl-U did not clear the line:\n" + out)


@shell_test("Enter as CR, LF and CRLF each run the line once")
def enter_variants(m):
    for ending in (b"\r", b"\n", b"\r\n"):
        start = m.pos
        m.send(b"echo enter-test" + ending)
        m.wait_prompt(30)
        m.send(b"echo marker\r")
        m.wait_prompt(30)
        out = m.output_since(start)
        check(out.count("\nenter-test\n") == 1 and out.count("pagoda> ") == 2,
              "ending %r: expected exactly one run and two prompts:\n%s" % (ending, out))


@shell_test("up arrow recalls the previous command")
def history_recall(m):
    m.command("echo from-history")
    start = m.pos
    m.send(b"\x1b[A\r")
    m.wait_prompt(30)
    out = m.output_since(start)
    check(re.search(r"^from-history$", out, re.M), "history did not recall:\n" + out)


@shell_test("Tab completes a command name")
def tab_completion(m):
    start = m.pos
    m.send(b"upt\t\r")
    m.wait_prompt(30)
    out = m.output_since(start)
    check("ticks at" in out, "Tab did not complete `uptime`:\n" + out)


@shell_test("escape sequences and 8-bit bytes are ignored")
def escapes_ignored(m):
    start = m.pos
    m.send(b"\x1b[1;5C\x1b[200~\x1bOP\xff\xfe\x80echo clean\r")
    m.wait_prompt(30)
    out = m.output_since(start)
    check(re.search(r"^clean$", out, re.M), "escape sequences leaked into the line:\n" + out)


@shell_test("an over-long line is rejected with a message")
def long_line_rejected(m):
    out = m.command("echo " + "x" * 400)
    check("line too long" in out, "no message for a 405-character line:\n" + out)
    check(m.alive(), "shell dead after a long line")


@shell_test("4 KiB of random bytes leave the shell usable")
def random_bytes(m):
    rng = random.Random(1234)
    data = bytes(rng.randrange(256) for _ in range(4096))
    # Keep the test from typing real commands that stop the machine.
    data = data.replace(b"\r", b"\x03").replace(b"\n", b"\x03")
    m.send(data)
    m.send(b"\x03")
    check(m.alive(), "shell did not answer after 4 KiB of random bytes")


@shell_test("random lines (with Enter) get answers and leave the shell alive")
def random_lines(m):
    rng = random.Random(99)
    for _ in range(20):
        line = bytes(rng.randrange(0x21, 0x7f) for _ in range(rng.randrange(1, 40)))
        out = m.command(line.decode())
        check(out.strip(), "no answer to %r" % line)
    check(m.alive(), "shell died on random lines")


@shell_test("bootinfo shows the boot loader and the memory map")
def bootinfo_output(m):
    out = m.command("bootinfo")
    check("GRUB" in out, "bootinfo does not name the boot loader:\n" + out)
    check(re.search(r"\[mem 0x[0-9a-f]{16}-0x[0-9a-f]{16}\] available", out),
          "bootinfo shows no available memory range:\n" + out)
    out = m.command("bootinfo nonsense")
    check("usage" in out, "bad argument not reported:\n" + out)


@shell_test("uptime advances", firmwares=("bios",))
def uptime_advances(m):
    def ticks():
        out = m.command("uptime")
        found = re.search(r"\((\d+) ticks", out)
        check(found, "uptime output unexpected:\n" + out)
        return int(found.group(1))
    first = ticks()
    time.sleep(0.3)  # QEMU's virtual clock follows the host's: ~30 ticks
    second = ticks()
    check(second > first, "ticks did not advance: %d then %d" % (first, second))


@shell_test("selftest runs the in-kernel suites from the shell")
def selftest_from_shell(m):
    out = m.command("selftest", timeout=120)
    found = re.search(r"^selftest: (\d+) passed, (\d+) failed$", out, re.M)
    check(found, "no summary line:\n" + out[-2000:])
    failures = [line for line in out.splitlines() if line.startswith("selftest: FAIL")]
    check(int(found.group(1)) > 0 and found.group(2) == "0",
          "selftest failed:\n" + "\n".join(failures))
    out = m.command("selftest nosuchsuite")
    check("no suite" in out or "unknown" in out, "unknown suite not reported:\n" + out)


def vga_screen_text(m):
    """The 80x25 VGA text screen, read from guest memory through QEMU's monitor."""
    out = m.monitor("xp /2000hx 0xb8000")
    cells = []
    for line in out.splitlines():
        if ":" in line:
            cells += [int(v, 16) for v in re.findall(r"0x([0-9a-f]{4})", line.split(":", 1)[1])]
    chars = "".join(chr(c & 0xff) if 0x20 <= (c & 0xff) < 0x7f else " " for c in cells)
    return "\n".join(chars[i:i + 80].rstrip() for i in range(0, len(chars), 80))


@machine_test("console output also appears on the VGA text screen when GRUB leaves text "
              "mode (BIOS, SMBIOS sku=text: the fallback to the framebuffer)")
def vga_mirror(firmware):
    m = Machine("vga-mirror-" + firmware, firmware=firmware, resolution="text")
    try:
        m.wait_prompt()
        m.command("echo vga-mirror-check")
        screen = vga_screen_text(m)
        check("vga-mirror-check" in screen and "pagoda> " in screen,
              "the text screen does not show the console:\n" + screen)
    finally:
        m.close()
