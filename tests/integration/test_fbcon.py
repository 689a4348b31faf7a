"""test_fbcon.py - the text console's own promises, read back from the screen.

On one two-CPU machine per firmware with the screen console on:
  - `run colours` (user/colours.c): each colour word is drawn in the
    palette's colour (ink of the normal and bright lines, background of the
    background line), and the shell's next line is back in light grey;
  - `crash panic_console`: a panic while the other CPU holds the console
    lock mid-line still reaches the screen whole (the panic line, the CPU
    count, "System halted."), so the panic path neither deadlocks on the
    lock nor leaves the drawing to a timer tick that never comes.
And on a machine booted with `console=serial` (the tests' default): the
framebuffer is found (bootinfo), mapped write-combining in its window and
gone from the direct map (translate), `map` of its frames refused but with
`wc`, and nothing of the kernel's output is drawn on it.
"""
import re
import time

import pagoda
import screen
from pagoda import check

PALETTE = {  # the VGA palette the console uses (drivers/fbcon_text.c)
    "black": (0x00, 0x00, 0x00), "red": (0xAA, 0x00, 0x00), "green": (0x00, 0xAA, 0x00),
    "yellow": (0xAA, 0x55, 0x00), "blue": (0x00, 0x00, 0xAA), "magenta": (0xAA, 0x00, 0xAA),
    "cyan": (0x00, 0xAA, 0xAA), "white": (0xAA, 0xAA, 0xAA),
}
BRIGHT = {"black": (0x55, 0x55, 0x55), "red": (0xFF, 0x55, 0x55), "green": (0x55, 0xFF, 0x55),
          "yellow": (0xFF, 0xFF, 0x55), "blue": (0x55, 0x55, 0xFF),
          "magenta": (0xFF, 0x55, 0xFF), "cyan": (0x55, 0xFF, 0xFF),
          "white": (0xFF, 0xFF, 0xFF)}
NAMES = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
GREY = PALETTE["white"]
PANIC_DRAW_TIMEOUT = 10  # seconds the screen may lag the serial line's last panic line


def word_cells(shot, row, word, start=0):
    """The cells of the first `word` at or after column start in row: (col, cells)."""
    line = shot.text()[row]
    col = line.find(word, start)
    check(col >= 0, "no %r in row %d: %r" % (word, row, line))
    return col, shot.cells()[row][col:col + len(word)]


def check_words(shot, row, names, colours, part, what):
    """Each word of names, in order along row, has colours[word] as its cells' part
    (1: ink, 2: background)."""
    col = 0
    for name in names:
        col, cells = word_cells(shot, row, name, col)
        got = [screen.colour(c[part]) for c in cells]
        check(all(c[part] == colours[name] for c in cells),
              "%s (%s) drawn in %s" % (name, what, got))
        col += len(name)


def check_colours(m):
    out = m.command("run colours")
    check("exited with status 0" in out, "run colours printed:\n" + out)
    shot = screen.screendump(m)
    rows = [line.rstrip() for line in shot.text()]
    title = [i for i, line in enumerate(rows) if line.startswith("colours: the 8 ANSI")]
    check(title, "the colours title is not on the screen:\n" + shot.dump())
    normal, bright, backs = title[-1] + 1, title[-1] + 2, title[-1] + 3
    check_words(shot, normal, NAMES[1:], PALETTE, 1, "ESC [ 3x m")  # black: no ink to see
    check_words(shot, bright, NAMES, BRIGHT, 1, "ESC [ 9x m")
    check_words(shot, backs, NAMES, PALETTE, 2, "ESC [ 4x m, as background")
    after = [i for i, line in enumerate(rows) if line.startswith("colours (pid")]
    check(after, "the exit line is not on the screen:\n" + shot.dump())
    ink = [c[1] for c in shot.cells()[after[-1]] if c[1] is not None]
    check(ink and all(c == GREY for c in ink),
          "the line after the program is not light grey: %s" % sorted(set(ink)))


def check_panic_with_console_held(m):
    """The panic's lines, as the serial line carried them, are on the screen whole.

    The shell thread runs on either CPU, so which CPU panics and which one
    holds the console is read from the serial line: they must differ."""
    m.send("crash panic_console\r")
    held = m.expect(r"PANIC: crash: panic on purpose while CPU (\d+) holds the console\r?\n", 30)
    stopped = m.expect(r"CPU (\d+) panicked; 1 other CPU\(s\) stopped by NMI\r?\n", 30)
    m.expect(r"System halted\.", 30)
    holder, panicker = int(held.group(1)), int(stopped.group(1))
    check({holder, panicker} == {0, 1},
          "CPU %d panicked while CPU %d held the console (two CPUs: 0 and 1)" % (panicker, holder))
    lines = (held.group(0).strip(), stopped.group(0).strip(), "System halted.")
    # The halted CPU wrote each line to the serial port and then drew it: a
    # host that stalls its virtual CPU in between (a loaded TCG host, for
    # longer than screendump's settle) has the serial line ahead of the
    # screen. Nothing else can change the screen now, so wait, bounded.
    deadline, settle = time.monotonic() + PANIC_DRAW_TIMEOUT, screen.SETTLE
    while True:
        shot = screen.screendump(m, settle=settle)
        settle = 0.5
        rows = [line.rstrip() for line in shot.text()]
        missing = [line for line in lines if line not in rows]
        if not missing or time.monotonic() > deadline:
            break
    check(not missing, "%r is not on the screen %d s after the serial line showed it:\n%s"
          % (missing[0] if missing else "", PANIC_DRAW_TIMEOUT, shot.dump()))


@pagoda.machine_test("screen console: colours drawn from the palette; a panic while another "
                     "CPU holds the console is drawn whole", firmwares=("bios", "uefi"))
def fbcon_colours_and_panic(firmware):
    m = pagoda.Machine("fbcon-" + firmware, firmware=firmware, screen=True, smp=2)
    try:
        m.wait_prompt()
        check_colours(m)
        check_panic_with_console_held(m)
    finally:
        m.close()


@pagoda.machine_test("console=serial: the framebuffer is mapped, the console not drawn on it")
def fbcon_serial_only(firmware):
    m = pagoda.Machine("fbcon-serial-" + firmware, firmware=firmware)
    try:
        m.wait_prompt()
        out = m.command("bootinfo")
        found = re.search(r"framebuffer: RGB, .* at (0x[0-9a-f]+)", out)
        check(found, "no RGB framebuffer in bootinfo:\n" + out)
        phys = int(found.group(1), 16)
        out = m.command("translate 0xffffe80040000000")
        check("-> 0x%x [" % phys in out and "wc]" in out,
              "the framebuffer window does not map 0x%x write-combining:\n%s" % (phys, out))
        out = m.command("translate 0x%x" % (0xffff800000000000 + phys))
        check("not mapped" in out, "the direct map still maps the framebuffer:\n" + out)
        out = m.command("map 0xffffc00000000000 4K 0x%x" % phys)  # write-back: refused
        check("is the screen's video memory" in out, "map of video memory (WB):\n" + out)
        out = m.command("map 0xffffc00000000000 4K 0x%x wc" % phys)
        check("mapped 4 KiB" in out, "map of video memory with wc:\n" + out)
        m.command("unmap 0xffffc00000000000 4K")
        shot = screen.screendump(m)
        check(not any("pagoda>" in line or "Pagoda - a teaching" in line
                      for line in shot.text()),
              "console=serial, yet the console is on the screen:\n" + shot.dump())
    finally:
        m.close()
