"""test_keyboard.py - the PS/2 keyboard (docs/console.md, "The keyboard").

Keys are pressed on QEMU's emulated i8042 through the monitor's sendkey
(keys.py: a few at a time, QEMU's queue holds 16 bytes, each group taken by
the guest before the next, as QEMU's trace events show) and the results are
read on the serial line, where the shell echoes and prints whatever the
keyboard typed. On the shared machine of each firmware (pc, i8042 present):
an echo round trip with shifted punctuation, Backspace, the history with
Up/Down and the draft, Left/Right/Home/End/Delete editing, Shift and Caps
Lock, the Caps Lock and Num Lock lights (QEMU's ps2_set_ledstate trace),
Ctrl-C cancelling a line and interrupting `run cat`, and random keys
leaving the shell alive (300 under BIOS, 150 under UEFI: after boot the
path is the same, and each 100 keys cost 3 s). Machines of their own: q35
and pc without an i8042 boot to the prompt at once and say there is no
keyboard (with what the FADT says), and IRQ 1 through the 8259s (`noapic`)
on q35, whose FADT does say "8042".
Markers carry a counter so a match can never be an earlier test's output.
"""
import itertools
import os
import random
import re
import time

import keys
from pagoda import Machine, check, machine_test, shell_test

_serial = itertools.count(1)


def marker(word):
    return "%s%d" % (word, next(_serial))


def expect_line(m, text, timeout=15):
    """Wait for text printed alone on a line (a command's output, not its echo)."""
    return m.expect(r"(?m)^%s\n" % re.escape(text), timeout)


def type_command(m, line):
    """Type line and Enter on the keyboard; wait for the prompt after it."""
    keys.type_text(m, line + "\n")


def expect_prompt(m):
    m.expect(r"(?m)^pagoda> ", 15)


@shell_test("keyboard: a typed echo round trip (letters, digits, shifted punctuation)")
def keyboard_echo(m):
    check(re.search(r"^keyboard: PS/2 keyboard on the i8042 \(FADT gives no hint\)$", m.buf, re.M),
          "the boot log does not report the keyboard:\n" + m.buf[-1500:])
    word = marker("Typed-")
    text = "%s: 1+2=3, [ok] {x} ~/a_b? <q> \"w\" 'z' |p| @#$%%^&*()" % word
    type_command(m, "echo " + text)
    expect_line(m, text)
    expect_prompt(m)


@shell_test("keyboard: Backspace erases before the cursor")
def keyboard_backspace(m):
    word = marker("bs")
    keys.type_text(m, "echo %sxyz" % word)
    keys.send_names(m, ["backspace", "backspace", "backspace"])
    keys.type_text(m, "ok\n")
    expect_line(m, word + "ok")
    expect_prompt(m)


@shell_test("keyboard: Up/Down walk the history and bring back the draft")
def keyboard_history(m):
    one, two = marker("histone"), marker("histtwo")
    type_command(m, "echo " + one)
    expect_line(m, one)
    type_command(m, "echo " + two)
    expect_line(m, two)
    expect_prompt(m)
    keys.send_names(m, ["up", "up", "ret"])  # two back: the first line again
    expect_line(m, one)
    expect_prompt(m)
    draft = marker("draft")
    keys.type_text(m, "echo " + draft)
    keys.send_names(m, ["up", "up", "down", "down"])  # out and back to the draft
    keys.type_text(m, "x\n")
    expect_line(m, draft + "x")
    expect_prompt(m)


@shell_test("keyboard: Left/Right/Home/End/Delete edit inside the line")
def keyboard_cursor_editing(m):
    word = marker("wrld")  # typed as "ecko wrldN", fixed up to "echo worldN!"
    keys.type_text(m, "ecko w" + word[1:])
    keys.send_names(m, ["left"] * len(word[1:]))     # before "rld..."
    keys.type_text(m, "o")                           # w|o|rld...
    keys.send_names(m, ["end"])
    keys.type_text(m, "!")
    keys.send_names(m, ["home", "right", "right", "delete"])  # drop the k
    keys.type_text(m, "h\n")
    expect_line(m, "wo" + word[1:] + "!")
    expect_prompt(m)


@shell_test("keyboard: Shift and Caps Lock (Shift undoes Caps Lock for letters only)")
def keyboard_shift_caps(m):
    keys.type_text(m, "echo ")
    keys.send_names(m, ["caps_lock", "a", "b", "shift-c", "1", "shift-1", "caps_lock",
                        "d", "shift-e", "spc"])
    word = marker("end")
    keys.type_text(m, word + "\n")
    expect_line(m, "ABc1!dE " + word)
    expect_prompt(m)


@shell_test("keyboard: the Caps Lock and Num Lock lights follow the keys")
def keyboard_leds(m):
    # QEMU's trace event ps2_set_ledstate logs each LED byte the keyboard takes, in
    # the log keys.py reads its own trace events from (QEMU has one log file).
    log = keys.trace_log(m)
    start = os.path.getsize(log) if os.path.exists(log) else 0
    m.monitor("trace-event ps2_set_ledstate on")
    try:
        for name in ("caps_lock", "num_lock", "num_lock", "caps_lock"):
            keys.press(m, name)
        states = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(states) < 4:
            time.sleep(0.1)
            with open(log) as f:
                f.seek(start)
                states = [int(x) for x in re.findall(r"ps2_set_ledstate \S+ ledstate (\d+)", f.read())]
    finally:
        m.monitor("trace-event ps2_set_ledstate off")
    # Num Lock (2) is on from boot; Caps Lock is 4.
    check(states == [6, 4, 6, 2], "LED bytes %s, expected [6, 4, 6, 2]" % states)
    word = marker("lights")
    type_command(m, "echo " + word)  # lower case: Caps Lock is off again
    expect_line(m, word)
    expect_prompt(m)


@shell_test("keyboard: Ctrl-C cancels a typed line")
def keyboard_ctrl_c_line(m):
    never = marker("neverrun")
    keys.type_text(m, "echo " + never)
    keys.press(m, "ctrl-c")
    m.expect(r"\^C\n", 10)
    expect_prompt(m)
    after = marker("afterctrlc")
    type_command(m, "echo " + after)
    expect_line(m, after)
    check(not re.search(r"(?m)^%s$" % never, m.buf),
          "the cancelled line ran:\n" + m.buf[-800:])
    expect_prompt(m)


@shell_test("keyboard: a program reads typed lines; Ctrl-C on the keyboard interrupts it")
def keyboard_ctrl_c_program(m):
    type_command(m, "run cat")
    m.expect(r"run cat\n", 10)
    line = marker("meow")
    keys.type_text(m, line + "\n")
    m.expect(r"%s\n(?:.*\n)?%s\n" % (line, line), 15)  # the terminal's echo, then cat's copy
    keys.send_names(m, ["left", "home", "end", "delete"])  # swallowed by the terminal
    keys.press(m, "ctrl-c")
    m.expect(r"(?m)^cat \(pid \d+\) killed by SIGINT$", 15)
    expect_prompt(m)
    check(m.alive(), "the shell does not answer after Ctrl-C")


@shell_test("keyboard: 300 random keys (BIOS; 150 UEFI, same path after boot), no Enter, "
            "leave the shell and the keyboard working")
def keyboard_random_keys(m):
    rng = random.Random(17)
    names = (list("abcdefghijklmnopqrstuvwxyz0123456789") +
             ["shift-%s" % c for c in "abcxyz1290"] +
             ["spc", "minus", "equal", "bracket_left", "bracket_right", "semicolon",
              "apostrophe", "grave_accent", "comma", "dot", "slash", "backslash", "tab",
              "backspace", "esc", "up", "down", "left", "right", "home", "end", "delete",
              "insert", "pgup", "pgdn", "caps_lock", "ctrl-u", "ctrl-a", "ctrl-e", "ctrl-c",
              "kp_1", "kp_5", "f1", "alt-x", "num_lock"])
    presses = [rng.choice(names) for _ in range(300 if m.firmware == "bios" else 150)]
    for toggle in ("caps_lock", "num_lock"):  # leave both as they were
        if presses.count(toggle) % 2:
            presses.append(toggle)
    keys.send_names(m, presses)
    check(m.alive(), "the shell does not answer after random keys")
    word = marker("stillworks")
    type_command(m, "echo " + word)
    expect_line(m, word)
    expect_prompt(m)


def no_keyboard(firmware, machine, fadt):
    """A machine without an i8042: the prompt at once, the boot line and cpuinfo say why."""
    m = Machine("nokbd-%s-%s" % (machine.split(",")[0], firmware), firmware=firmware,
                machine=machine)
    try:
        m.wait_prompt()
        why = "FADT says no 8042" if fadt == 3 else "FADT gives no hint"
        check(re.search(r"^keyboard: i8042 absent \(%s, probe: status 0xff\)$" % why, m.buf, re.M),
              "the boot log does not say the keyboard is absent:\n" + m.buf[-1500:])
        ready = re.search(r"ready in (\d+) us", m.buf)
        check(ready and int(ready.group(1)) < 5000000,
              "slow boot without a keyboard: %s" % (ready and ready.group(0)))
        out = m.command("cpuinfo")
        flags = "0x0 (no 8042)" if fadt == 3 else "0x0 (no such field before revision 2)"
        check(re.search(r"^boot arch: +FADT revision %d, IAPC_BOOT_ARCH %s$" % (fadt, re.escape(flags)),
                        out, re.M), "cpuinfo's FADT line is not QEMU 7.2's:\n" + out)
    finally:
        m.close()


@machine_test("q35 without an i8042 boots to the prompt; FADT and probe both say no keyboard",
              firmwares=("bios", "uefi"))
def keyboard_absent_q35(firmware):
    no_keyboard(firmware, "q35,i8042=off", 3)


@machine_test("pc without an i8042 boots to the prompt; the probe finds status 0xff")
def keyboard_absent_pc(firmware):
    no_keyboard(firmware, "pc,i8042=off", 1)


@machine_test("q35, `noapic`: the keyboard's IRQ 1 through the 8259s; q35's FADT says 8042")
def keyboard_noapic_q35(firmware):
    m = Machine("kbd-noapic-q35-" + firmware, firmware=firmware, machine="q35",
                smbios_product="pagoda-noapic")
    try:
        m.wait_prompt()
        check(re.search(r"^interrupts: 8259 PIC", m.buf, re.M),
              "not on the 8259 path:\n" + m.buf[-1500:])
        check(re.search(r"^keyboard: PS/2 keyboard on the i8042 \(FADT says 8042\)$", m.buf, re.M),
              "the boot log does not report q35's keyboard:\n" + m.buf[-1500:])
        word = marker("pic")
        type_command(m, "echo " + word)
        expect_line(m, word)
        out = m.command("cpuinfo")
        check(re.search(r"^boot arch: +FADT revision 3, IAPC_BOOT_ARCH 0x2 \(8042 present\)$",
                        out, re.M), "cpuinfo's FADT line is not QEMU 7.2's q35:\n" + out)
    finally:
        m.close()
