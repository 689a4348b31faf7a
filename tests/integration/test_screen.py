"""test_screen.py - the framebuffer console as a user sees it, under BIOS and UEFI.

A machine boots with the screen console on (Machine(screen=True)) in each
video mode of PAGODA_SCREEN_RESOLUTIONS (default "1024x768"; `make
test-full` sets three), and the screen is read back through the monitor's
screendump and decoded with the kernel's own font (screen.py). Checked on
the screen: the mode's size, the boot banner, the prompt and the cursor
after it; the grid (a line wraps at width/8 columns, output scrolls at
height/16 rows); keys typed on the PS/2 keyboard (keys.py): an echo round
trip, Backspace, history with the up arrow; the sixteen colours
(user/colours.c); memview's cell of a block changing colour after `alloc -p
9` and going back after `free`; an exception report that the kernel
survives; last, a panic. Under BIOS, 16 and 24 bits per pixel (VBE modes
800x600x16 and x24) get the banner, typed keys, colours and memview checks
(colours compared within the 16-bit format's rounding). One machine per
firmware and mode serves every check (the checks run in order on it; a failing check's machine is
replaced). A failing check saves a PNG of the screen beside the serial log
in build/test-logs/.
"""
import atexit
import os
import random
import re

import keys
import pagoda
import screen
from pagoda import check

RESOLUTIONS = os.environ.get("PAGODA_SCREEN_RESOLUTIONS", "1024x768").split()
BANNER = "Pagoda - a teaching kernel for x86-64"

# The screen console's colours (docs/console.md): VGA's sixteen; ESC [ 3n m picks
# ANSI colour n, whose bits are red-green-blue where VGA's are blue-green-red.
PALETTE = [(0x00, 0x00, 0x00), (0x00, 0x00, 0xAA), (0x00, 0xAA, 0x00), (0x00, 0xAA, 0xAA),
           (0xAA, 0x00, 0x00), (0xAA, 0x00, 0xAA), (0xAA, 0x55, 0x00), (0xAA, 0xAA, 0xAA),
           (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55), (0x55, 0xFF, 0xFF),
           (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF)]
ANSI_TO_VGA = [0, 4, 2, 6, 1, 5, 3, 7]
ANSI_NAMES = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
TEXT_COLOUR = PALETTE[7]
COLOURS_TITLE = "colours: the 8 ANSI colours"  # user/colours.c's first line

# Other pixel formats: VBE (BIOS) offers 16 and 24 bits per pixel besides 32
# (UEFI's GOP only 32). These modes get a few of the checks, under BIOS.
DEPTH_MODES = ["800x600x16", "800x600x24"]
DEPTH_CHECKS = ("banner", "keys_echo", "colours", "memview")

MACHINES = {}  # (firmware, resolution) -> a booted Machine shared by the checks


def size_of(resolution):
    """(width, height, bits per pixel or None) of "WxH" or "WxHxD"."""
    fields = [int(f) for f in resolution.lower().split("x")]
    return fields[0], fields[1], fields[2] if len(fields) > 2 else None


def near(a, b, tolerance):
    """Two colours (or two Nones) alike within tolerance per channel."""
    if a is None or b is None:
        return a is b
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def machine(firmware, resolution):
    key = (firmware, resolution)
    if key not in MACHINES:
        for other in [k for k in MACHINES if k[0] == firmware]:  # a mode left unfinished
            retire(*other)
        m = pagoda.Machine("screen-%s-%s" % (firmware, resolution), firmware=firmware,
                           screen=True, resolution=resolution)
        try:
            m.wait_prompt()
        except pagoda.MachineError as e:
            png = save_failure_png(m, "boot")
            m.close()
            raise pagoda.MachineError("%s%s" % (e, "\n(screen saved in %s)" % png if png else ""))
        m.resolution = resolution
        m.token = random.Random(firmware + resolution).randrange(10000, 99999)
        # 16 bpp keeps 5 or 6 bits of a channel: 0xaa comes back as 0xad.
        m.tolerance = 8 if size_of(resolution)[2] == 16 else 0
        MACHINES[key] = m
    return MACHINES[key]


def retire(firmware, resolution):
    m = MACHINES.pop((firmware, resolution), None)
    if m is not None:
        m.close()


@atexit.register
def retire_all():
    """Machines a PAGODA_TESTS selection left running (its last check was not run)."""
    for key in list(MACHINES):
        retire(*key)


def save_failure_png(m, check_name):
    """A PNG of the screen now, named after the machine's serial log; its path or None."""
    try:
        shot = screen.screendump(m, settle=0)
        path = re.sub(r"\.log$", "", m.log.name) + "-%s.png" % check_name
        return screen.save_png(shot, path)
    except (OSError, ValueError, RuntimeError, pagoda.MachineError):
        return None


def rows_text(shot):
    """The decoded rows with trailing blanks removed."""
    return [line.rstrip() for line in shot.text()]


def on_screen(shot, line, what):
    """Check that a whole decoded row equals line; return the row's number."""
    rows = rows_text(shot)
    check(line in rows, "%s: no row reads %r; the screen:\n%s" % (what, line, shot.dump()))
    return rows.index(line)


def typed(m, text):
    """Type text on the keyboard; wait for the shell to run it (the next prompt)."""
    keys.type_text(m, text)
    m.expect(pagoda.PROMPT_RE)


# -- the checks, in the order they run on one machine -----------------------------------

def check_banner(m, width, height):
    depth = size_of(m.resolution)[2]
    if depth:
        out = m.command("bootinfo")
        check(re.search(r"framebuffer: .* %d bpp" % depth, out),
              "bootinfo does not report a %d bpp framebuffer:\n%s" % (depth, out))
    shot = screen.screendump(m)
    check((shot.width, shot.height) == (width, height),
          "the screen is %dx%d, expected the requested %dx%d (GRUB's gfxpayload)" % (
              shot.width, shot.height, width, height))
    rows = rows_text(shot)
    check(any(BANNER in line for line in rows),
          "no boot banner on the screen:\n" + shot.dump())
    check(any(line == "pagoda>" for line in rows),
          "no empty prompt on the screen:\n" + shot.dump())
    # The cursor: an underline on pixel rows 14..15 of the cell after the prompt.
    row = max(r for r, line in enumerate(rows) if line == "pagoda>")
    x0, y0 = len(pagoda.PROMPT) * screen.CELL_W, row * screen.CELL_H
    cursor = [[shot.pixel(x0 + x, y0 + y) for x in range(screen.CELL_W)]
              for y in range(screen.CELL_H)]
    check(all(near(p, PALETTE[0], m.tolerance) for line in cursor[:14] for p in line)
          and all(near(p, TEXT_COLOUR, m.tolerance) for line in cursor[14:] for p in line),
          "no underline cursor after the prompt (row %d): %s" % (
              row, [sorted(set(map(screen.colour, line))) for line in cursor]))
    # The screen shows what serial shows: the last lines before the prompt.
    serial = [line for line in m.buf.split("\n") if line.strip()][-4:-1]
    for line in serial:
        check(line.rstrip()[:shot.cols] in rows,
              "serial line %r is not on the screen:\n%s" % (line, shot.dump()))


def check_grid(m, width, height):
    cols, rows = width // 8, height // 16
    word = ("0123456789abcdefghij" * 13)[:cols + 7]  # one row and 7 more characters
    out = m.command("echo " + word)
    check(word in out, "echo printed %r" % out)
    # Enough output to fill the screen: the prompt then sits on the bottom row.
    m.command("help")
    m.command("help")
    shot = screen.screendump(m)
    check((shot.cols, shot.rows) == (cols, rows), "grid %dx%d" % (shot.cols, shot.rows))
    text = rows_text(shot)
    check(text[-1] == "pagoda>", "the bottom row (%d) is %r, not the prompt; the screen:\n%s"
          % (rows - 1, text[-1], shot.dump()))
    help_tail = [line for line in m.buf.split("\n") if line.strip()][-2].rstrip()
    last_row = help_tail[(len(help_tail) - 1) // cols * cols:]  # a long line wraps
    check(text[-2] == last_row, "the row above the prompt is %r, expected %r (help's last "
          "line)" % (text[-2], last_row))
    m.command("echo " + word)
    shot = screen.screendump(m)
    text = rows_text(shot)
    for r in range(len(text) - 1):
        if text[r] == word[:cols] and text[r + 1] == word[cols:]:
            break
    else:
        raise AssertionError("a %d-character line did not wrap after column %d:\n%s"
                             % (len(word), cols, shot.dump()))


def check_keys_echo(m, width, height):
    word = "key%d" % m.token
    start = len(m.buf)
    typed(m, "echo %s\n" % word)
    serial = m.output_since(start)
    check(re.search(r"echo %s\n%s\n" % (word, word), serial),
          "serial did not show the typed line and its output:\n" + serial)
    shot = screen.screendump(m)
    row = on_screen(shot, "pagoda> echo " + word, "typed line")
    check(rows_text(shot)[row + 1] == word, "echo's output is not below the typed line:\n"
          + shot.dump())


def check_backspace(m, width, height):
    word = "bs%d" % m.token
    start = len(m.buf)
    typed(m, "echo %sxy\b\b\n" % word)
    check(re.search(r"\n%s\n" % word, m.output_since(start)),
          "Backspace did not remove the last two characters:\n" + m.output_since(start))
    shot = screen.screendump(m)
    row = on_screen(shot, "pagoda> echo " + word, "the line after Backspace")
    check(rows_text(shot)[row + 1] == word, "output %r after Backspace" %
          rows_text(shot)[row + 1])


def check_history(m, width, height):
    first, second = "first%d" % m.token, "second%d" % m.token
    typed(m, "echo %s\n" % first)
    typed(m, "echo %s\n" % second)
    start = len(m.buf)
    keys.send_names(m, ["up", "up", "ret"])
    m.expect(pagoda.PROMPT_RE)
    check(re.search(r"\n%s\n" % first, m.output_since(start)),
          "up, up, Enter did not rerun `echo %s`:\n%s" % (first, m.output_since(start)))
    shot = screen.screendump(m)
    text = rows_text(shot)
    check(text.count("pagoda> echo " + first) == 2 and text.count(first) == 2,
          "the recalled line and its output are not on the screen twice:\n" + shot.dump())


def check_colours(m, width, height):
    """user/colours.c: a title, then rows of the eight names: in their colours,
    bright, as backgrounds (black text on the light ones, bright white on the
    dark), then bold and reverse video."""
    out = m.command("run colours")
    check("\x1b[31mred\x1b[0m" in out, "run colours printed no colour escapes:\n" + out)
    shot = screen.screendump(m)
    rows = rows_text(shot)
    titles = [r for r, line in enumerate(rows) if line.startswith(COLOURS_TITLE)]
    check(titles and titles[-1] + 4 < len(rows),
          "no %r row on the screen:\n%s" % (COLOURS_TITLE, shot.dump()))
    title = titles[-1]
    black, white = PALETTE[0], PALETTE[15]
    for offset, what in ((1, "normal"), (2, "bright"), (3, "background")):
        row, col = title + offset, 0
        for n, name in enumerate(ANSI_NAMES):
            vga = ANSI_TO_VGA[n]
            ink, background = {"normal": (PALETTE[vga], black),
                               "bright": (PALETTE[vga + 8], black),
                               "background": (black if n in (2, 3, 6, 7) else white,
                                              PALETTE[vga])}[what]
            expect_cells(shot, col, row, name, ink, background, "%s %s" % (what, name),
                         m.tolerance)
            col += len(name) + 1
    expect_cells(shot, 0, title + 4, "bold is bright", white, black, "bold", m.tolerance)
    expect_cells(shot, len("bold is bright "), title + 4, "reverse video", black, TEXT_COLOUR,
                 "reverse", m.tolerance)


def expect_cells(shot, col, row, text, ink, background, what, tolerance):
    """text at (col, row) in ink on background; invisible text (ink = background) as blanks."""
    if ink == background:
        text, ink = " " * len(text), None
    cells = [shot.cell(c, row) for c in range(col, col + len(text))]
    got = "".join(cell[0] for cell in cells)
    bad = [cell for ch, cell in zip(text, cells)
           if not near(cell[2], background, tolerance)
           or (ch != " " and not near(cell[1], ink, tolerance))]
    check(got == text and not bad, "%s at (%d,%d) reads %r, colours %s; expected %r in %s on %s"
          % (what, col, row, got, sorted({"%s on %s" % (cell[1] and screen.colour(cell[1]),
                                                 screen.colour(cell[2])) for cell in cells}),
             text, ink and screen.colour(ink), screen.colour(background)))


def check_memview(m, width, height):
    out = m.command("memview on")
    panel = re.search(r"memview: panel y=(\d+) height=(\d+)", out)
    check(panel, "memview on printed:\n" + out)
    panel_y = int(panel.group(1))
    before = screen.screendump(m, settle=0.3)
    try:
        out = m.command("alloc -p 9")
        found = re.search(r"phys (0x[0-9a-f]+) virt (0x[0-9a-f]+)", out)
        check(found, "alloc -p 9 printed:\n" + out)
        pa, va = found.groups()
        x, y, held = memview_at(m, pa)
        check(y >= panel_y, "cell pixel y=%d is above the panel (y=%d)" % (y, panel_y))
        shot = screen.screendump(m)
        check(near(shot.pixel(x, y), held, m.tolerance),
              "the screen at (%d,%d) is %s, memview at said %s" % (
                  x, y, screen.colour(shot.pixel(x, y)), screen.colour(held)))
        check(not near(before.pixel(x, y), held, m.tolerance),
              "the cell of %s did not change colour after alloc -p 9 (%s before and after)"
              % (pa, screen.colour(held)))
        out = m.command("free " + va)
        check("freed" in out, "free printed:\n" + out)
        x2, y2, freed = memview_at(m, pa)
        check((x2, y2) == (x, y), "the cell moved: (%d,%d) then (%d,%d)" % (x, y, x2, y2))
        shot = screen.screendump(m)
        check(near(shot.pixel(x, y), freed, m.tolerance)
              and near(freed, before.pixel(x, y), m.tolerance),
              "after free the cell is %s (memview at: %s), before the alloc %s" % (
                  screen.colour(shot.pixel(x, y)), screen.colour(freed),
                  screen.colour(before.pixel(x, y))))
    finally:
        m.command("memview off")


def memview_at(m, pa):
    """memview at PA -> (x, y, (r, g, b)) of the block's cell."""
    out = m.command("memview at " + pa)
    found = re.search(r"at pixel \((\d+),(\d+)\), colour #([0-9a-f]{6})", out)
    check(found, "memview at %s printed:\n%s" % (pa, out))
    rgb = bytes.fromhex(found.group(3))
    return int(found.group(1)), int(found.group(2)), tuple(rgb)


def check_fault_report(m, width, height):
    out = m.command("crash pf")
    check("#PF Page Fault" in out, "crash pf printed:\n" + out)
    shot = screen.screendump(m)
    on_screen(shot, "*** CPU exception 14: #PF Page Fault ***", "the exception report")
    on_screen(shot, "(crash aborted by the fault above; the kernel goes on)",
              "the report's end")
    check(m.alive(), "the shell is dead after crash pf")
    on_screen(screen.screendump(m), "alive-%d" % m.marker, "output after the report")


def check_panic(m, width, height):
    """Last on its machine: the kernel does not come back."""
    m.send("crash panic\r")
    m.expect(r"System halted\.", 30)
    shot = screen.screendump(m)
    on_screen(shot, "PANIC: crash: panic on purpose", "the panic message")
    on_screen(shot, "System halted.", "the panic's last line")


CHECKS = [
    ("banner", "the boot banner, the prompt, the cursor and the last serial lines on the "
     "screen, in the requested mode", check_banner),
    ("grid", "lines wrap at width/8 columns and scroll at height/16 rows", check_grid),
    ("keys_echo", "an echo typed on the keyboard and its output, on screen and serial",
     check_keys_echo),
    ("backspace", "Backspace typed on the keyboard edits the line on the screen",
     check_backspace),
    ("history", "up, up, Enter reruns the line before last, on the screen", check_history),
    ("colours", "`run colours`: the 16 colours as text and 8 as backgrounds, bold and "
     "reverse, each in its colours", check_colours),
    ("memview", "memview's cell of an alloc -p 9 block changes colour, and returns after free",
     check_memview),
    ("fault_report", "an exception report the kernel survives is on the screen",
     check_fault_report),
    ("panic", "a panic is on the screen (the machine's last check: it halts)", check_panic),
]


def register(resolution, checks, firmwares):
    """One machine test per check, in order; the last one retires the machine."""
    width, height, _ = size_of(resolution)
    for index, (name, description, fn) in enumerate(checks):
        run = make_run(resolution, name, fn, width, height, index == len(checks) - 1)
        run.__name__ = "screen_%s_%s" % (name, resolution)
        pagoda.machine_test("%s (%s)" % (description, resolution), firmwares=firmwares)(run)


def make_run(resolution, name, fn, width, height, last):
    def run(firmware):
        try:
            m = machine(firmware, resolution)
            try:
                fn(m, width, height)
            except pagoda.Skip:
                raise
            except Exception as e:  # noqa: BLE001 - any failure: keep a picture, reboot
                png = save_failure_png(m, name)
                retire(firmware, resolution)
                where = "\n(screen saved in %s)" % png if png else ""
                if isinstance(e, (AssertionError, pagoda.MachineError)):
                    raise AssertionError("%s%s" % (e, where))
                raise AssertionError("%s: %s%s" % (type(e).__name__, e, where))
        finally:
            if last:
                retire(firmware, resolution)
    return run


for _resolution in RESOLUTIONS:
    register(_resolution, CHECKS, ("bios", "uefi"))
for _resolution in DEPTH_MODES:
    register(_resolution, [c for c in CHECKS if c[0] in DEPTH_CHECKS], ("bios",))
