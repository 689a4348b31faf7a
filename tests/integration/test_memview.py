"""test_memview.py - `memview`, the picture of physical memory, on the serial console.

On the shared default machine (console=serial, so no screen panel): the map
covers RAM with its legend; the characters of an `alloc -p 9` block turn
into allocations and go back to free after `free`, and `memview at` agrees;
a zoom shows one frame per character; bad arguments get clear messages, and
`memview on` says why there is no panel.
"""
import re

from pagoda import check, shell_test

FREE_CHARS = set("0123456789A")
LINE_RE = re.compile(r"^0x([0-9a-f]+) (\S{64})", re.M)


def memview_map(m, line="memview"):
    """(frames per character, {line's first address: its 64 characters}, output)."""
    out = m.command(line)
    head = re.search(r"one character per (\d+) frames? ", out)
    check(head, "%s: no heading:\n%s" % (line, out))
    lines = {int(a, 16): chars for a, chars in LINE_RE.findall(out)}
    check(lines, "%s: no map lines:\n%s" % (line, out))
    return int(head.group(1)), lines, out


def chars_of(fpc, lines, start, size):
    """The characters covering physical [start, start + size)."""
    per_char = fpc * 4096
    per_line = per_char * 64
    result = ""
    for addr in range(start, start + size, per_char):
        base = addr // per_line * per_line
        check(base in lines, "no map line at 0x%x" % base)
        result += lines[base][(addr - base) // per_char]
    return result


@shell_test("memview: the map and legend; an alloc -p 9 block turns to '#' and back to free")
def memview_alloc_free(m):
    fpc, lines, out = memview_map(m)
    check(fpc >= 1 and fpc & (fpc - 1) == 0, "frames per character %d: not a power of two" % fpc)
    check(len(lines) <= 32, "%d map lines (at most 32)" % len(lines))
    for word in ("legend: 0-9,A free, by block order", "K kernel image", "D page descriptors",
                 "P page tables", "<- DMA from 0x0", "<- DMA32 from 0x1000000",
                 "processes: ", "classified "):
        check(word in out, "memview lacks %r:\n%s" % (word, out))
    check(re.search(r"^processes: .*=pid 1 init", out, re.M), "init is not listed:\n" + out)

    alloc = m.command("alloc -p 9")
    found = re.search(r"phys 0x([0-9a-f]+)", alloc)
    check(found, "alloc -p 9 failed:\n" + alloc)
    phys = int(found.group(1), 16)
    before = chars_of(fpc, lines, phys, 2 << 20)
    check(set(before) <= FREE_CHARS, "before the alloc the block showed %r" % before)
    try:
        fpc, lines, out = memview_map(m)
        during = chars_of(fpc, lines, phys, 2 << 20)
        check(set(during) == {"#"}, "the allocated block shows %r, not '#'" % during)
        check("# other allocations 2" in out, "legend lacks the allocation:\n" + out)
        at = m.command("memview at 0x%x" % (phys + 0x1234))
        check("is other allocation; the panel is off" in at, "memview at:\n" + at)
    finally:
        freed = m.command("free 0x%x" % phys)
    check("freed" in freed, "free: " + freed)
    fpc, lines, out = memview_map(m)
    after = chars_of(fpc, lines, phys, 2 << 20)
    check(set(after) <= FREE_CHARS, "after free the block shows %r" % after)
    at = m.command("memview at 0x%x" % phys)
    check(re.search(r"is free \(order \d+\)", at), "memview at after free:\n" + at)


@shell_test("memview START SIZE zooms in: one frame per character for 8 MiB")
def memview_zoom(m):
    fpc, lines, out = memview_map(m, "memview 16M 8M")
    check(fpc == 1, "memview 16M 8M: %d frames per character" % fpc)
    check(min(lines) == 16 << 20 and max(lines) == (24 << 20) - 64 * 4096,
          "zoom lines from 0x%x to 0x%x" % (min(lines), max(lines)))


@shell_test("memview: bad arguments are refused with a reason; no panel under console=serial")
def memview_bad_arguments(m):
    for line, expected in (
            ("memview foo", "memview: unknown argument 'foo'"),
            ("memview at", "memview: 'at' needs one physical address"),
            ("memview at 12zz", "memview: bad physical address '12zz'"),
            ("memview on now", "memview: 'on' takes no argument"),
            ("memview 16M", "memview: a range needs START and SIZE"),
            ("memview 16M 0", "memview: SIZE must be at least one byte"),
            ("memview 16M -1", "memview: bad SIZE '-1'"),
            ("memview 64G 1M", "memview: START 0x1000000000 is at or past the end of RAM"),
            ("memview 0xfffffffffffff000 0x2000",
             "memview: START 0xfffffffffffff000 is at or past the end of RAM"),
            ("memview 1 2 3", "too many arguments"),
            ("memview off", "memview: the panel is not on"),
            ("memview at 0xfffffffffffff000", "is not RAM; the panel is off")):
        out = m.command(line)
        check(expected in out, "%r printed:\n%s" % (line, out))
    # The machine runs with console=serial (pagoda.py, through GRUB): no panel, and why.
    cmdline = re.search(r'command line: "([^"]*)"', m.command("bootinfo"))
    check(cmdline, "bootinfo shows no command line")
    out = m.command("memview on")
    if "console=serial" in cmdline.group(1).split():
        check("memview: cannot show the panel: the screen console is off (the kernel command "
              "line says console=serial)" in out, "memview on:\n" + out)
    else:  # a loader that does not pass the word: no framebuffer console either way
        check("memview: cannot show the panel: " in out, "memview on:\n" + out)
    check("memview: the panel is not on" in m.command("memview off"), "memview off after on")
    check("usage: memview" in m.command("memview foo"), "no usage after a bad word")
    check("hello" in m.command("echo hello"), "the shell is gone after the bad arguments")
