"""test_lab1.py - lab 1 (docs/labs/lab1-buddy.md) seen from the shell.

The grader (scripts/grade.py, rubric tests/labs/lab1.py) runs these on a
booted machine: the buddy allocator's split and merge, as `buddyinfo` shows
them in the real kernel.
"""
import re

from pagoda import check, shell_test

BUDDYINFO_RE = re.compile(r"^Node 0, zone\s+(\w+)((?:\s+\d+){11})$", re.M)


def buddyinfo(m):
    """{zone: [free blocks of order 0..10]} from `buddyinfo`."""
    out = m.command("buddyinfo")
    rows = {zone: [int(n) for n in counts.split()] for zone, counts in BUDDYINFO_RE.findall(out)}
    check(rows, "buddyinfo printed no zone:\n" + out)
    return rows


def alloc_block(m, order):
    """`alloc -p ORDER dma32`: the block's virtual address."""
    out = m.command("alloc -p %d dma32" % order)
    found = re.search(r"order-%d block \(\d+ KiB\) in zone DMA32: phys 0x[0-9a-f]+ "
                      r"virt 0x([0-9a-f]+)" % order, out)
    check(found, "alloc -p %d dma32 did not get a DMA32 block:\n%s" % (order, out))
    return int(found.group(1), 16)


def free_block(m, virt):
    out = m.command("free 0x%x" % virt)
    check("freed" in out, "free 0x%x failed:\n%s" % (virt, out))


@shell_test("alloc -p splits a free block as buddyinfo shows; free merges it back")
def split_and_merge_in_buddyinfo(m):
    row = buddyinfo(m).get("DMA32")
    check(row, "buddyinfo has no DMA32 zone")
    # An order of 2-9 with few free blocks and a larger one above it. Taking
    # its free blocks first (they may be many under UEFI, whose firmware
    # leaves memory fragmented) makes the next request of that order split.
    # Orders 0 and 1 are left alone: the per-CPU page lists refill from them.
    order = min((o for o in range(2, 10) if any(row[o + 1:])), key=lambda o: (row[o], -o),
                default=None)
    check(order is not None and row[order] <= 16,
          "DMA32 has no order 2-9 with at most 16 free blocks below a larger one: %s" % row)
    drained = [alloc_block(m, order) for _ in range(row[order])]
    try:
        before = buddyinfo(m)["DMA32"]
        check(before[order] == 0, "after taking the %d free order-%d blocks, buddyinfo still "
              "shows %d of that order: %s" % (row[order], order, before[order], before))
        split_from = next((o for o in range(order + 1, 11) if before[o] > 0), None)
        check(split_from is not None, "no free block above order %d: %s" % (order, before))
        virt = alloc_block(m, order)
        after = buddyinfo(m)["DMA32"]
        expect = list(before)
        expect[split_from] -= 1
        for o in range(order, split_from):
            expect[o] += 1
        halves = ("one more of order %d" % order if split_from == order + 1 else
                  "one more of each order %d-%d" % (order, split_from - 1))
        check(after[order:] == expect[order:],
              "alloc -p %d had to split a free order-%d block: buddyinfo's DMA32 counts of "
              "orders %d-10 should go from %s to %s (one block fewer of order %d, %s: the upper "
              "halves); they are %s" % (order, split_from, order, before[order:],
                                        expect[order:], split_from, halves, after[order:]))
        free_block(m, virt)
        final = buddyinfo(m)["DMA32"]
        check(final[order:] == before[order:],
              "freeing the order-%d block should merge it with its free buddies back into an "
              "order-%d block: DMA32 counts of orders %d-10 should be %s again; they are %s"
              % (order, split_from, order, before[order:], final[order:]))
    finally:
        for virt in drained:
            free_block(m, virt)
    final = buddyinfo(m)["DMA32"]
    check(final[order:] == row[order:],
          "after freeing everything the test took, DMA32 counts of orders %d-10 should be %s "
          "again; they are %s" % (order, row[order:], final[order:]))


@shell_test("exhaust: every free page out and back in, merged into the same blocks")
def exhaust_merges_back(m):
    out = m.command("exhaust", timeout=600)
    check("0 left free" in out and "did not read back: 0" in out,
          "exhaust did not get every free page, or pages did not read back:\n" + out)
    check("buddyinfo unchanged" in out,
          "exhaust allocates every free page as single pages and frees them all: once they "
          "have merged again, buddyinfo must be what it was before; it is not:\n" + out)
