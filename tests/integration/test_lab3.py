"""test_lab3.py - lab 3 (docs/labs/lab3-slab.md) seen from the shell.

The grader (scripts/grade.py, rubric tests/labs/lab3.py) runs these on a
booted machine: kmalloc's size classes (`alloc SIZE` prints the usable
size) and slabs that fill up before the cache grows (`slabinfo`).
"""
import re

from pagoda import check, shell_test

# (request, the class that must serve it)
CLASSES = [(1, 8), (8, 8), (9, 16), (33, 64), (65, 96), (96, 96), (100, 128), (129, 192),
           (193, 256), (1000, 1024), (3000, 4096), (8192, 8192)]
SLABINFO_ROW = r"^%s\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$"


def kmalloc_from_shell(m, size):
    """`alloc SIZE`: (address, usable size)."""
    out = m.command("alloc %d" % size)
    found = re.search(r"kmalloc'd \d+ bytes at 0x([0-9a-f]+) \(usable size (\d+)", out)
    check(found, "alloc %d printed:\n%s" % (size, out))
    return int(found.group(1), 16), int(found.group(2))


def free_from_shell(m, addr):
    out = m.command("free 0x%x" % addr)
    check("freed" in out, "free 0x%x failed:\n%s" % (addr, out))


@shell_test("alloc SIZE gets the smallest kmalloc class that holds SIZE")
def size_classes(m):
    wrong = []
    for size, want in CLASSES:
        addr, usable = kmalloc_from_shell(m, size)
        free_from_shell(m, addr)
        if usable != want:
            wrong.append("alloc %d: usable size %d, expected %d (kmalloc-%d)"
                         % (size, usable, want, want))
    check(not wrong, "kmalloc chose the wrong size class:\n" + "\n".join(wrong))


def cache_row(m, name):
    """(active, total, objects per slab, slabs) of cache name in `slabinfo`."""
    out = m.command("slabinfo")
    found = re.search(SLABINFO_ROW % re.escape(name), out, re.M)
    check(found, "slabinfo has no %s line:\n%s" % (name, out))
    _, active, total, per_slab, _, slabs = (int(x) for x in found.groups())
    return active, total, per_slab, slabs


@shell_test("30 kmalloc-64 objects fill a slab before the cache takes another")
def slabs_fill_up(m):
    m.command("shrink")
    active0, _, per_slab, slabs0 = cache_row(m, "kmalloc-64")
    count = min(30, per_slab)
    addrs = [kmalloc_from_shell(m, 40)[0] for _ in range(count)]
    active1, _, _, slabs1 = cache_row(m, "kmalloc-64")
    for addr in addrs:
        free_from_shell(m, addr)
    check(active1 == active0 + count,
          "%d `alloc 40` should be served by kmalloc-64 (the class that holds 40 bytes) and "
          "add %d active objects to it; active went from %d to %d"
          % (count, count, active0, active1))
    check(slabs1 - slabs0 <= 1,
          "a kmalloc-64 slab holds %d objects, so %d allocations need at most one new slab; "
          "slabs went from %d to %d (does a new slab's free list link all its objects?)"
          % (per_slab, count, slabs0, slabs1))
    m.command("shrink")
    active2 = cache_row(m, "kmalloc-64")[0]
    check(active2 == active0, "after the frees kmalloc-64 has %d active objects, not %d"
          % (active2, active0))
