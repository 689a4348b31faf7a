"""test_paging.py - the page-table engine from the shell, checked against QEMU's own view.

QEMU's monitor answers `gva2gpa ADDR` from the guest's live page tables, so
the kernel's `translate` can be compared with an independent walker.
"""
import random
import re

from pagoda import check, shell_test

BASE = 0xffffc00000000000  # the range docs/memory-layout.md leaves for experiments
ABOVE_RAM_PA = 0x4000000000  # 256 GiB: no RAM, outside the direct map, below 2^39


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


def alloc_pages(m, order=0):
    """`alloc -p ORDER`: the physical address of the block the shell now holds."""
    out = m.command("alloc -p %d" % order)
    found = re.search(r"phys 0x([0-9a-f]+)", out)
    check(found, "alloc -p %d printed:\n%s" % (order, out))
    return int(found.group(1), 16)


@shell_test("a poke through one mapping is seen through another mapping of the same frame")
def alias_poke_peek(m):
    a, b = BASE + (10 << 30), BASE + (11 << 30)
    pa = alloc_pages(m)  # only frames from `alloc -p` may be mapped by address
    check("mapped" in m.command("map 0x%x 4K 0x%x rw" % (a, pa)), "map a failed")
    check("mapped" in m.command("map 0x%x 4K 0x%x rw" % (b, pa)), "map b failed")
    m.command("poke 0x%x 0x1122334455667788" % a)
    out = m.command("peek 0x%x 8" % b)
    check("88 77 66 55 44 33 22 11" in out, "alias does not show the poke:\n" + out)
    m.command("unmap 0x%x" % b)
    m.command("unmap 0x%x" % a)
    check("freed" in m.command("free 0x%x" % pa), "free of the alloc -p frame failed")


HOLE_PA = 0xe0000000  # below 4 GiB, above RAM on every machine the tests boot: a PCI hole


@shell_test("huge pages: a 4 MiB physical range maps as two 2 MiB pages")
def huge_pages(m):
    va = BASE + (12 << 30)
    out = m.command("map 0x%x 4M 0x%x r" % (va, HOLE_PA))
    check(out.count("2M pages") >= 1, "not mapped with 2 MiB pages:\n" + out)
    pa, flags, size = kernel_translate(m, va + 0x1234)
    check(size == "2M" and pa == HOLE_PA + 0x1234, "translate: 0x%x %s" % (pa, size))
    check("w" not in flags, "mapped writable though asked r: " + flags)
    out = m.command("unmap 0x%x 4K" % (va + 0x200000))
    pa2, _, size2 = kernel_translate(m, va + 0x201000)
    check(size2 == "4K" and pa2 == HOLE_PA + 0x201000, "split: 0x%x %s" % (pa2, size2))
    check(kernel_translate(m, va + 0x200000) is None, "unmapped page still mapped")
    m.command("unmap 0x%x 4M" % va)


@shell_test("W^X: map and protect refuse writable+executable; w or x alone is fine")
def write_xor_execute(m):
    va = BASE + (14 << 30)
    out = m.command("map 0x%x 8K rwx" % va)
    check("W^X" in out, "map rwx was not refused with W^X:\n" + out)
    check(kernel_translate(m, va) is None, "the refused map left 0x%x mapped" % va)
    # Executable: a hole outside the direct map (which keeps all RAM writable).
    out = m.command("map 0x%x 8K 0x%x rx" % (va, ABOVE_RAM_PA))
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
        ("peek 0x800000000000", "is not canonical"),
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


# -- regression: `map VA SIZE PA` can alias anything ------------------------------------
# It mapped any physical address: the PML4 in CR3 (then `poke` zeroed a live
# entry), the kernel image, free frames, frames the kernel allocated. Each
# refusal must name the owner and leave nothing mapped; holes outside RAM and
# blocks from `alloc -p` stay mappable.

MAP_ALIAS_VA = BASE + (24 << 30)


def refused_map(m, pa, words, va=MAP_ALIAS_VA, size="4K", flags=""):
    line = "map 0x%x %s 0x%x %s" % (va, size, pa, flags)
    out = m.command(line)
    check(words in out and "mapped 4 KiB" not in out, "%r: expected %r in:\n%s"
          % (line, words, out))
    check(kernel_translate(m, va) is None, "%r was refused but left 0x%x mapped" % (line, va))
    return out


@shell_test("map can alias anything: the PML4 in CR3 is refused as the page tables'")
def map_can_alias_anything_cr3(m):
    found = re.search(r"CR3 = 0x([0-9a-f]+)", m.command("walk 0x%x" % BASE))
    check(found, "walk does not print CR3")
    cr3 = int(found.group(1), 16)
    out = refused_map(m, cr3, "0x%x belongs to the page tables" % cr3)
    check("CR3" in out, "the refusal does not say it is the PML4 in CR3:\n" + out)
    # A table below it: the PDPT of the kernel image's slot.
    walk = m.command("walk 0xffffffff80200000")
    pdpt = re.search(r"PDPT table 0x([0-9a-f]+)", walk)
    check(pdpt, "walk shows no PDPT:\n" + walk)
    refused_map(m, int(pdpt.group(1), 16), "belongs to the page tables")
    check(m.alive(), "shell dead after the refusals")


@shell_test("map can alias anything: the kernel image is refused, by physical address")
def map_can_alias_anything_kernel_image(m):
    text_pa = kernel_translate(m, kernel_text_start(m))[0]
    refused_map(m, text_pa, "0x%x is the kernel image" % text_pa, flags="rw")
    refused_map(m, 0x200000, "is the kernel image", size="4M", flags="r")


@shell_test("map can alias anything: a free frame is refused as the page allocator's")
def map_can_alias_anything_free_frame(m):
    pa = alloc_pages(m)
    check("freed" in m.command("free 0x%x" % pa), "free of the alloc -p frame failed")
    refused_map(m, pa, "0x%x is free memory of the page allocator" % pa)


@shell_test("map can alias anything: frames the kernel allocated are refused")
def map_can_alias_anything_kernel_frame(m):
    va = MAP_ALIAS_VA + (1 << 30)
    check("mapped" in m.command("map 0x%x 4K" % va), "map of a fresh frame failed")
    frame = kernel_translate(m, va)[0]
    refused_map(m, frame, "0x%x is allocated by the kernel (not by `alloc -p`)" % frame)
    m.command("unmap 0x%x" % va)
    out = m.command("alloc 100")
    found = re.search(r"kmalloc'd 100 bytes at 0x([0-9a-f]+) .*phys 0x([0-9a-f]+)", out)
    check(found, "alloc 100 printed:\n" + out)
    slab = int(found.group(2), 16) & ~0xfff
    refused_map(m, slab, "is allocated by the kernel heap")
    m.command("free 0x%s" % found.group(1))


@shell_test("map can alias anything: physical addresses beyond the CPU's width are refused")
def map_can_alias_anything_beyond_phys_width(m):
    found = re.search(r"(\d+) bits physical", m.command("cpuinfo"))
    check(found, "cpuinfo shows no physical address width")
    bits = int(found.group(1))
    words = "beyond the CPU's %d-bit physical address width" % bits
    refused_map(m, 1 << bits, words)
    refused_map(m, (1 << bits) - 4096, words, size="8K")


@shell_test("map can alias anything: device holes and blocks from `alloc -p` stay mappable")
def map_allowed_holes_and_alloc_pages(m):
    va = MAP_ALIAS_VA + (2 << 30)
    for pa, flags in ((0xfee00000, "r uc"), (ABOVE_RAM_PA, "rw")):
        out = m.command("map 0x%x 4K 0x%x %s" % (va, pa, flags))
        check("mapped 4 KiB" in out, "map of the hole 0x%x refused:\n%s" % (pa, out))
        check(kernel_translate(m, va)[0] == pa and qemu_gpa(m, va) == pa,
              "0x%x does not map 0x%x" % (va, pa))
        m.command("unmap 0x%x" % va)
    pa = alloc_pages(m, 2)
    out = m.command("map 0x%x 16K 0x%x" % (va, pa))
    check("mapped 16 KiB" in out, "map of the alloc -p block 0x%x refused:\n%s" % (pa, out))
    # One page past the block is somebody else's.
    refused_map(m, pa, "0x%x" % (pa + 0x4000), va=va + (1 << 21), size="20K")
    # While mapped, `free` refuses: the mapping would outlive the frame.
    out = m.command("free 0x%x" % pa)
    check("still mapped at 0x%x" % va in out, "free of a mapped block printed:\n" + out)
    m.command("unmap 0x%x 16K" % va)
    check("freed" in m.command("free 0x%x" % pa), "free after unmap failed")


@shell_test("W^X across aliases: no frame writable at one address and executable at another")
def write_xor_execute_across_aliases(m):
    va = MAP_ALIAS_VA + (3 << 30)
    pa = alloc_pages(m)
    out = m.command("map 0x%x 4K 0x%x rx" % (va, pa))
    check("refusing x" in out and "direct map" in out and "mapped 4 KiB" not in out,
          "x on an alloc -p frame (writable in the direct map) was not refused:\n" + out)
    out = m.command("map 0x%x 4K x" % va)
    check("refusing x for fresh frames" in out, "map of fresh frames with x:\n" + out)
    check(kernel_translate(m, va) is None, "a refused map left 0x%x mapped" % va)
    check("freed" in m.command("free 0x%x" % pa), "free of the alloc -p frame failed")
    # A hole outside the direct map: w at one address excludes x at another.
    w_va, x_va = va + 0x10000, va + 0x20000
    check("mapped" in m.command("map 0x%x 4K 0x%x rw" % (w_va, ABOVE_RAM_PA)), "map w failed")
    out = m.command("map 0x%x 4K 0x%x rx" % (x_va, ABOVE_RAM_PA))
    check("also mapped writable at 0x%x" % w_va in out, "x beside a w alias:\n" + out)
    check("mapped" in m.command("map 0x%x 4K 0x%x r" % (x_va, ABOVE_RAM_PA)), "map r failed")
    out = m.command("protect 0x%x 4K rx" % x_va)
    check("also mapped writable at 0x%x" % w_va in out, "protect x beside a w alias:\n" + out)
    m.command("unmap 0x%x" % w_va)
    check("r-x" in m.command("protect 0x%x 4K rx" % x_va), "protect x without an alias failed")
    out = m.command("map 0x%x 4K 0x%x rw" % (w_va, ABOVE_RAM_PA))
    check("also mapped executable at 0x%x" % x_va in out, "w beside an x alias:\n" + out)
    out = m.command("protect 0x%x 4K rw" % x_va)  # the range itself is no alias
    check("rw-" in out, "protect rw of the only mapping failed:\n" + out)
    m.command("unmap 0x%x" % x_va)


@shell_test("the direct map's alias of the kernel text is read-only; a write faults, the kernel lives")
def direct_map_alias_of_text_read_only(m):
    text_va = kernel_text_start(m)
    text_pa = kernel_translate(m, text_va)[0]
    alias = 0xffff800000000000 + text_pa
    pa, flags, size = kernel_translate(m, alias)
    check(pa == text_pa and size == "4K" and "w" not in flags and "x" not in flags,
          "the direct map maps the kernel text at 0x%x as [%s] %s pages" % (alias, flags, size))
    before = m.command("peek 0x%x 16" % text_va)
    out = m.command("poke 0x%x 0" % alias)
    check("read-only" in out or "refusing" in out, "poke of the alias printed:\n" + out)
    out = m.command("touch 0x%x w" % alias)
    check("write to read-only" in out, "touch of the alias printed:\n" + out)
    check(m.alive(), "shell dead after a write to the text's alias")
    check(m.command("peek 0x%x 16" % text_va) == before, "the kernel text changed")


@shell_test("walk decodes bit 7 as PAT in a 4 KiB entry and as PS in a 2 MiB one (PAT: bit 12)")
def walk_decodes_pat_bit_of_4k_entry(m):
    # Regression: walk printed nothing for bit 7 of a PT entry, which is its
    # PAT bit (SDM 4.5); a large page's PAT bit is bit 12.
    va = BASE + (23 << 30)
    out = m.command("map 0x%x 4K wt" % va)
    check("wt" in out, "map ... wt:\n" + out)
    out = m.command("walk 0x%x" % va)
    pt = re.search(r"^\s*PT .*$", out, re.M)
    check(pt and " PAT" in pt.group(0) and " PWT" in pt.group(0) and " PS" not in pt.group(0),
          "a write-through 4 KiB entry must show PWT and PAT, not PS:\n" + out)
    m.command("unmap 0x%x" % va)
    out = m.command("alloc -p 9")
    found = re.search(r"phys 0x([0-9a-f]+)", out)
    check(found, "alloc -p 9 printed:\n" + out)
    pa = int(found.group(1), 16)
    big = va + (1 << 21)
    out = m.command("map 0x%x 2M 0x%x r wt" % (big, pa))
    check("2M pages" in out, "map of a 2 MiB page:\n" + out)
    out = m.command("walk 0x%x" % big)
    pd = re.search(r"^\s*PD .*$", out, re.M)
    check(pd and " PS PAT" in pd.group(0), "a write-through 2 MiB entry must show PS and PAT:\n"
          + out)
    check(not re.search(r"^\s*PT ", out, re.M), "the walk went below a 2 MiB page:\n" + out)
    m.command("unmap 0x%x 2M" % big)
    check("freed" in m.command("free 0x%x" % pa), "free of the order-9 block failed")
