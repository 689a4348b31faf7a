"""test_paging.py - the page-table engine from the shell, checked against QEMU's own view.

QEMU's monitor answers `gva2gpa ADDR` from the guest's live page tables, so
the kernel's `translate` can be compared with an independent walker.
"""
import random
import re

from pagoda import check, shell_test

BASE = 0xffffc00000000000  # the range docs/memory-layout.md leaves for experiments


def qemu_gpa(m, va):
    out = m.monitor("gva2gpa 0x%x" % va)
    found = re.search(r"gpa: 0x([0-9a-f]+)", out)
    return int(found.group(1), 16) if found else None


def kernel_translate(m, va):
    out = m.command("translate 0x%x" % va)
    found = re.search(r"-> 0x([0-9a-f]+) \[([^\]]*)\] \((4K|2M|1G) page\)", out)
    if found:
        return int(found.group(1), 16), found.group(2), found.group(3)
    check("not mapped" in out, "translate printed:\n" + out)
    return None


@shell_test("random mappings: translate agrees with QEMU's gva2gpa; unmap removes them")
def translate_matches_qemu(m):
    rng = random.Random(7)
    made = []
    for i in range(6):
        va = BASE + (i << 30) + rng.randrange(0, 256) * 4096
        pages = rng.randrange(1, 5)
        out = m.command("map 0x%x %dK" % (va, pages * 4))
        check("mapped" in out, "map failed:\n" + out)
        made.append((va, pages))
    info_mem = m.monitor("info mem")
    for va, pages in made:
        check(re.search(r"^%016x-%016x %016x -rw$" % (va, va + pages * 4096, pages * 4096),
                        info_mem, re.M),
              "QEMU's info mem does not show 0x%x (%d pages) as rw:\n%s" % (va, pages, info_mem))
        for p in range(pages):
            addr = va + p * 4096 + rng.randrange(0, 4096)
            mine = kernel_translate(m, addr)
            check(mine is not None, "0x%x not mapped after map" % addr)
            theirs = qemu_gpa(m, addr)
            check(theirs == mine[0], "0x%x: kernel says 0x%x, QEMU says %r"
                  % (addr, mine[0], theirs))
    for va, pages in made:
        out = m.command("unmap 0x%x %dK" % (va, pages * 4))
        check("unmapped" in out, "unmap failed:\n" + out)
        check(kernel_translate(m, va) is None, "0x%x still mapped in the kernel" % va)
        check(qemu_gpa(m, va) is None, "QEMU still sees 0x%x mapped" % va)
    out = m.command("ptdump")
    found = re.search(r"TLB since boot: (\d+) invlpg, (\d+) full flushes", out)
    check(found and int(found.group(1)) > 0, "no invlpg counted after unmaps:\n" + out)


@shell_test("a poke through one mapping is seen through another mapping of the same frame")
def alias_poke_peek(m):
    a, b = BASE + (10 << 30), BASE + (11 << 30)
    check("mapped" in m.command("map 0x%x 4K" % a), "map a failed")
    pa = kernel_translate(m, a)[0]
    check("mapped" in m.command("map 0x%x 4K 0x%x rw" % (b, pa)), "map b failed")
    m.command("poke 0x%x 0x1122334455667788" % a)
    out = m.command("peek 0x%x 8" % b)
    check("88 77 66 55 44 33 22 11" in out, "alias does not show the poke:\n" + out)
    m.command("unmap 0x%x" % b)
    m.command("unmap 0x%x" % a)


@shell_test("huge pages: a 4 MiB physical range maps as two 2 MiB pages")
def huge_pages(m):
    va = BASE + (12 << 30)
    out = m.command("map 0x%x 4M 0x200000 r" % va)
    check(out.count("2M pages") >= 1, "not mapped with 2 MiB pages:\n" + out)
    pa, flags, size = kernel_translate(m, va + 0x1234)
    check(size == "2M" and pa == 0x201234, "translate: 0x%x %s" % (pa, size))
    check("w" not in flags, "mapped writable though asked r: " + flags)
    out = m.command("unmap 0x%x 4K" % (va + 0x200000))
    pa2, _, size2 = kernel_translate(m, va + 0x201000)
    check(size2 == "4K" and pa2 == 0x401000, "split: 0x%x %s" % (pa2, size2))
    check(kernel_translate(m, va + 0x200000) is None, "unmapped page still mapped")
    m.command("unmap 0x%x 4M" % va)


@shell_test("W^X: map and protect refuse writable+executable; w or x alone is fine")
def write_xor_execute(m):
    va = BASE + (14 << 30)
    out = m.command("map 0x%x 8K rwx" % va)
    check("W^X" in out, "map rwx was not refused with W^X:\n" + out)
    check(kernel_translate(m, va) is None, "the refused map left 0x%x mapped" % va)
    out = m.command("map 0x%x 8K rx" % va)
    check("mapped" in out, "map rx failed:\n" + out)
    out = m.command("protect 0x%x 8K rwx" % va)
    check("W^X" in out, "protect rwx was not refused with W^X:\n" + out)
    _, flags, _ = kernel_translate(m, va + 4096)
    check(flags.startswith("r-x"), "after the refused protect the flags are %s, not r-x" % flags)
    check("rw-" in m.command("protect 0x%x 8K rw" % va), "protect rw failed")
    found = re.search(r"^%016x-%016x %016x -rw$" % (va, va + 8192, 8192), m.monitor("info mem"),
                      re.M)
    check(found, "QEMU's info mem does not show 0x%x as writable after protect rw" % va)
    m.command("unmap 0x%x 8K" % va)


def kernel_text_start(m):
    found = re.search(r"0x([0-9a-f]+)-0x[0-9a-f]+ -> 0x[0-9a-f]+\s+4K pages\s+r-x",
                      m.command("ptdump"))
    check(found, "ptdump shows no r-x kernel text")
    return int(found.group(1), 16)


@shell_test("bad map/unmap/protect/peek/poke arguments are refused with a reason")
def bad_arguments(m):
    cases = [
        ("map 0x800000000000 4K", "not canonical"),
        ("map 0x%x 4K" % (BASE + 1), "not 4 KiB aligned"),
        ("map 0x%x 0" % BASE, "not a non-zero multiple of 4 KiB"),
        ("map 0xfffffffffffff000 8K", "wraps past the end"),
        ("map 0xffffffff80200000 4K", "kernel image"),
        ("map 0xffff800000100000 4K", "direct map"),
        ("map 0x%x 4K zz" % BASE, "unknown flag"),
        ("unmap 0xffffffff80200000 4K", "kernel image"),
        ("unmap 0xffff800000000000 4K", "direct map"),
        ("protect 0x%x 4K r" % (BASE + (20 << 30)), "not mapped"),
        ("peek 0x800000000000", "not a canonical"),
        ("peek 0x%x" % (BASE + (21 << 30)), "not mapped"),
        ("poke 0x%x 1" % kernel_text_start(m), "read-only"),
        ("translate 0x1000000000000000", "not canonical"),
        ("walk 0x8000000000000000", "not canonical"),
        # Regression: huge sizes must be refused or handled quickly, never hang.
        ("map 0x%x 0x3f00000000" % BASE, "more than the free memory"),
        ("unmap 0x%x 0x3f00000000" % BASE, "nothing was mapped"),
        ("protect 0x%x 0x3f00000000 r" % BASE, "not mapped"),
        # Regression: the shell must not unmap the kernel's stacks (vmalloc window).
        ("unmap 0x%x 0x3fff00000000" % BASE, "refusing"),
        ("unmap 0xffffc80000000000 4K", "vmalloc window"),
        ("map 0xffffc04000000000 4K", "lazy window"),
    ]
    for line, words in cases:
        out = m.command(line)
        check(words in out, "%r: expected %r in:\n%s" % (line, words, out))
    va = BASE + (13 << 30)
    m.command("map 0x%x 8K" % va)
    for line in ("map 0x%x 4K" % va, "map 0x%x 8K" % (va - 4096), "map 0x%x 4K" % (va + 4096)):
        check("already mapped" in m.command(line), "overlap not refused: " + line)
    check("mapped" in m.command("map 0x%x 4K" % (va + 8192)), "adjacent map refused")
    m.command("unmap 0x%x 12K" % va)
    check(m.alive(), "shell dead after bad arguments")


@shell_test("walk and ptdump show the kernel's mappings with W^X")
def walk_and_ptdump(m):
    out = m.command("walk 0xffffffff80200000")
    for level in ("PML4", "PDPT", "PD"):
        check(level in out, "walk lacks %s:\n%s" % (level, out))
    check("stopped:" in out, "walk does not say why it stopped:\n" + out)
    out = m.command("ptdump")
    rows = re.findall(r"0x([0-9a-f]+)-0x([0-9a-f]+) -> 0x[0-9a-f]+\s+(4K|2M|1G) pages\s+(\S+)",
                      out)
    check(len(rows) >= 4, "ptdump shows too few ranges:\n" + out)
    for start, end, size, flags in rows:
        check(not ("w" in flags and "x" in flags), "W^X violated: " + " ".join((start, flags)))
    out = m.command("selftest kernel_space")
    check("0 failed" in out, "kernel_space selftests:\n" + out)
