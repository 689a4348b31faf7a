"""test_heap.py - the kernel heap (slab, kmalloc, vmalloc) from the shell."""
import re

from pagoda import check, shell_test
from test_pmm import meminfo


def settled_meminfo(m):
    m.command("shrink")
    return meminfo(m)


@shell_test("alloc/free round trips leave MemFree and Slab as they were after shrink")
def round_trips(m):
    before = settled_meminfo(m)
    addrs = []
    for line in ("alloc 100", "alloc 96", "alloc 5000", "alloc 20000", "alloc -v 16K",
                 "alloc -p 2"):
        out = m.command(line)
        found = re.search(r"at 0x([0-9a-f]+)|virt 0x([0-9a-f]+)", out)
        check(found, "%r printed:\n%s" % (line, out))
        addrs.append(found.group(1) or found.group(2))
    out = m.command("allocs")
    check("6 allocation(s)" in out, "allocs does not list 6:\n" + out)
    for a in addrs:
        check("freed" in m.command("free 0x" + a), "free 0x%s failed" % a)
    after = settled_meminfo(m)
    check(after["MemFree"] == before["MemFree"],
          "MemFree %d -> %d" % (before["MemFree"], after["MemFree"]))
    check(after["Slab"] == before["Slab"], "Slab %d -> %d" % (before["Slab"], after["Slab"]))


@shell_test("a double free through the shell is reported and the kernel lives")
def double_free(m):
    out = m.command("alloc 64")
    addr = re.search(r"at 0x([0-9a-f]+)", out).group(1)
    check("freed" in m.command("free 0x" + addr), "first free failed")
    out = m.command("free 0x" + addr)
    check("not allocated by the shell" in out, "double free not reported:\n" + out)
    for bad in ("alloc 0", "alloc -v 0", "alloc 99999999999999", "alloc -v", "alloc x"):
        out = m.command(bad)
        check("alloc:" in out or "usage" in out, "%r not refused:\n%s" % (bad, out))
    check(m.alive(), "shell dead")


@shell_test("kmemtest 100000 passes", firmwares=("bios",))
def kmemtest(m):
    out = m.command("kmemtest 100000", timeout=600)
    check("kmemtest: PASSED" in out, "kmemtest failed:\n" + out)


@shell_test("vmallocinfo shows a vmalloc area, and it disappears after free")
def vmallocinfo(m):
    out = m.command("alloc -v 12K")
    addr = re.search(r"at 0x([0-9a-f]+)", out).group(1)
    info = m.command("vmallocinfo")
    check(re.search(r"^0x0*%s-0x[0-9a-f]+\s+12288 pages=3" % addr.lstrip("0"), info, re.M),
          "vmallocinfo does not show the area at 0x%s:\n%s" % (addr, info))
    m.command("free 0x" + addr)
    check(addr not in m.command("vmallocinfo"), "area still listed after free")


@shell_test("slabinfo lists the kmalloc size classes, 96 and 192 included")
def slabinfo(m):
    out = m.command("slabinfo")
    for name in ("kmalloc-8", "kmalloc-96", "kmalloc-192", "kmalloc-8192"):
        check(re.search(r"^%s\s+\d+" % name, out, re.M), "slabinfo lacks %s:\n%s" % (name, out))
