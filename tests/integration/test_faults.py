"""test_faults.py - the page-fault handler from the shell.

Demand-zero regions (`lazy`, `touch`), copy-on-write twins (`cow`), and the
violations the #PF/#GP handlers report while the shell goes on: NULL
dereference, write to a read-only page, kernel stack overflow, non-canonical
address, vmalloc guard page. `failinject pmm N` checks that an interrupted
`map` rolls back every page it took, and a long run of faults checks that
reporting a fault leaks nothing.
"""
import re

from pagoda import Machine, check, machine_test, shell_test
from test_pmm import meminfo

PAGE = 4096
MAP_BASE = 0xffffc00000000000   # `map` works here; test_paging uses GiB 0-21 of it
RO_VA = MAP_BASE + (40 << 30)   # a read-only page for the violation tests
FAILINJECT_VA = MAP_BASE + (41 << 30)  # a fresh GiB: map needs a PD, PTs and frames
ALIAS_VA = MAP_BASE + (42 << 30)  # a second view of a lazy page's frame (refused)
USER_VA = 0x400000               # a page in the user half
ABOVE_RAM_PA = 0x4000000000      # 256 GiB: no RAM, outside the direct map, below 2^39
NONCANONICAL = 0x8000000000000000
ABORTED = "aborted by the fault above; the kernel goes on"


def settled_meminfo(m):
    """meminfo after `shrink`, so that empty slabs kept by the caches do not count."""
    m.command("shrink")
    return meminfo(m)


def translate(m, va):
    """The physical address VA maps to, or None if `translate` says not mapped."""
    out = m.command("translate 0x%x" % va)
    found = re.search(r"-> 0x([0-9a-f]+) \[([^\]]*)\] \((4K|2M|1G) page\)", out)
    if found:
        return int(found.group(1), 16)
    check("not mapped" in out, "translate 0x%x printed:\n%s" % (va, out))
    return None


def translate_flags(m, va):
    out = m.command("translate 0x%x" % va)
    found = re.search(r"-> 0x[0-9a-f]+ \[([^\]]*)\]", out)
    check(found, "translate 0x%x: not mapped:\n%s" % (va, out))
    return found.group(1)


def lazy(m, size):
    """Reserve a demand-zero region; return (start, end)."""
    out = m.command("lazy %s" % size)
    found = re.search(r"^lazy: 0x([0-9a-f]+)-0x([0-9a-f]+) \((\d+) pages\), demand-zero, "
                      r"nothing mapped yet", out, re.M)
    check(found, "`lazy %s` printed:\n%s" % (size, out))
    return int(found.group(1), 16), int(found.group(2), 16)


def free(m, addr):
    out = m.command("free 0x%x" % addr)
    check("freed" in out, "`free 0x%x` failed:\n%s" % (addr, out))


def vmalloc(m, size):
    out = m.command("alloc -v %s" % size)
    found = re.search(r"vmalloc'd \d+ bytes at 0x([0-9a-f]+)", out)
    check(found, "`alloc -v %s` printed:\n%s" % (size, out))
    return int(found.group(1), 16)


def map_read_only(m, va):
    out = m.command("map 0x%x 4K r" % va)
    check("mapped 4 KiB" in out, "`map 0x%x 4K r` failed:\n%s" % (va, out))
    flags = translate_flags(m, va)
    check("r" in flags and "w" not in flags, "0x%x mapped [%s], not read-only" % (va, flags))


def unmap(m, va, size="4K"):
    out = m.command("unmap 0x%x %s" % (va, size), timeout=120)
    check("unmapped" in out, "`unmap 0x%x %s` failed:\n%s" % (va, size, out))


def vmstat(m):
    out = m.command("vmstat")
    return {k: int(v) for k, v in re.findall(r"^(\w+) (\d+)$", out, re.M)}


def check_violation(out, command, words):
    check("*** " in out and words in out,
          "`%s`: expected a fault report with %r:\n%s" % (command, words, out))
    check(ABORTED in out, "`%s` does not say it was aborted:\n%s" % (command, out))


# -- help -------------------------------------------------------------------------------


@shell_test("help prints the usage of every page-fault command")
def fault_help(m):
    for name in ("lazy", "touch", "vmstat", "failinject", "cow", "regions", "stackoverflow"):
        out = m.command("help " + name)
        check("usage: " + name in out, "`help %s` shows no usage:\n%s" % (name, out))


# -- demand zero ------------------------------------------------------------------------


@shell_test("touch in a lazy region maps exactly that page; free gives every page back")
def lazy_touch_maps_one_page(m):
    before = settled_meminfo(m)
    start, end = lazy(m, "16K")
    check(end - start == 4 * PAGE, "lazy 16K reserved 0x%x-0x%x" % (start, end))
    pages = [start + i * PAGE for i in range(4)]
    for va in pages:
        check(translate(m, va) is None, "0x%x mapped before any touch" % va)
    out = m.command("regions")
    check(re.search(r"^%016x-%016x rw- anon\s+16K\s+lazy\s+0 resident" % (start, end), out,
                    re.M), "regions does not list the lazy region, 0 resident:\n" + out)
    # Two neighbouring pages in one 2 MiB range (page tables shared), and a third
    # page next to the second that nobody touches.
    i = next(i for i in range(3) if pages[i] >> 21 == pages[i + 1] >> 21)
    first, second = pages[i], pages[i + 1]
    neighbour = pages[i + 2] if i + 2 < 4 else pages[i - 1]

    # The first touch in a fresh area may also allocate page tables.
    out = m.command("touch 0x%x w" % first)
    check(re.search(r"^0x%x: demand-zero fault resolved: frame 0x[0-9a-f]+ in region \"lazy\""
                    % first, out, re.M), "first touch printed:\n" + out)
    mid = settled_meminfo(m)
    check(translate(m, second) is None, "0x%x mapped by the touch of 0x%x" % (second, first))

    out = m.command("touch 0x%x w" % second)
    found = re.search(r"^0x%x: demand-zero fault resolved: frame 0x([0-9a-f]+) in region "
                      r"\"lazy\"" % second, out, re.M)
    check(found, "second touch printed:\n" + out)
    after = meminfo(m)
    check(mid["MemFree"] - after["MemFree"] == PAGE,
          "a touch in an area with page tables took %d bytes, not one page (MemFree %d -> %d)"
          % (mid["MemFree"] - after["MemFree"], mid["MemFree"], after["MemFree"]))
    check(after["PageTables"] == mid["PageTables"],
          "PageTables %d -> %d for a page whose tables existed"
          % (mid["PageTables"], after["PageTables"]))
    pa = translate(m, second)
    check(pa == int(found.group(1), 16),
          "translate 0x%x says %r, touch said frame 0x%s" % (second, pa, found.group(1)))
    check(translate(m, neighbour) is None, "neighbour 0x%x mapped too" % neighbour)
    out = m.command("peek 0x%x 16" % second)
    check("00 00 00 00 00 00 00 00" in out, "demand-zero page not zero:\n" + out)
    out = m.command("touch 0x%x" % second)
    check("no fault" in out, "second access to 0x%x faulted again:\n%s" % (second, out))
    out = m.command("regions")
    check(re.search(r"^%016x-%016x .*lazy\s+2 resident" % (start, end), out, re.M),
          "regions does not show 2 resident pages:\n" + out)

    free(m, start)
    for va in (first, second):
        check(translate(m, va) is None, "0x%x still mapped after free" % va)
    check("%016x" % start not in m.command("regions"), "region still listed after free")
    final = settled_meminfo(m)
    check(final["MemFree"] == before["MemFree"],
          "MemFree %d before lazy, %d after free" % (before["MemFree"], final["MemFree"]))
    check(final["PageTables"] == before["PageTables"],
          "PageTables %d before lazy, %d after free" % (before["PageTables"],
                                                       final["PageTables"]))


# -- violations -------------------------------------------------------------------------


@shell_test("a write to a read-only mapping is a reported violation; the shell goes on")
def write_to_read_only(m):
    map_read_only(m, RO_VA)
    out = m.command("touch 0x%x w" % RO_VA)
    check_violation(out, "touch 0x%x w" % RO_VA, "write to read-only")
    check("page fault: write to read-only page at 0x%x" % RO_VA in out,
          "the headline does not name 0x%x:\n%s" % (RO_VA, out))
    check("Error code: 0x3 = protection violation, write" in out,
          "error code not decoded as a write protection violation:\n" + out)
    out = m.command("touch 0x%x" % RO_VA)
    check("no fault" in out, "reading the read-only page faulted:\n" + out)
    meminfo(m)  # the shell still answers
    check(m.alive(), "shell dead after a write to a read-only page")
    unmap(m, RO_VA)


@shell_test("stackoverflow is reported as a kernel stack overflow; the shell goes on")
def stack_overflow(m):
    out = m.command("stackoverflow", timeout=120)
    check_violation(out, "stackoverflow", "kernel stack overflow")
    check(re.search(r"guard page 0x[0-9a-f]+ below kernel stack", out),
          "the guard page is not named:\n" + out)
    check(m.alive(), "shell dead after stackoverflow")
    out = m.command("stackoverflow", timeout=120)
    check("kernel stack overflow" in out, "a second stackoverflow not reported:\n" + out)
    check(m.alive(), "shell dead after a second stackoverflow")


@shell_test("touch 0 is reported as a NULL dereference")
def null_dereference(m):
    out = m.command("touch 0")
    check_violation(out, "touch 0", "NULL dereference")
    check("page fault: NULL dereference at 0x0" in out, "headline:\n" + out)
    check(m.alive(), "shell dead after touch 0")


@shell_test("a non-canonical address: touch reports #GP, peek refuses before touching")
def non_canonical(m):
    out = m.command("touch 0x%x" % NONCANONICAL)
    check_violation(out, "touch 0x%x" % NONCANONICAL,
                    "non-canonical address 0x%x" % NONCANONICAL)
    out = m.command("peek 0x%x" % NONCANONICAL)
    check("0x%x is not canonical" % NONCANONICAL in out,
          "peek does not refuse the non-canonical address:\n" + out)
    check("***" not in out, "peek touched the address and faulted:\n" + out)
    check(m.alive(), "shell dead after a non-canonical access")


@shell_test("touching one page past a vmalloc area names that one guard page and the area")
def vmalloc_guard(m):
    # Regression: the report named the area as a range ending at the guard
    # page, which read like two guard pages; now one guard address, then the
    # area with an inclusive end.
    addr = vmalloc(m, 100)
    out = m.command("touch 0x%x w" % (addr + PAGE - 1))
    check("no fault" in out, "the last byte of the vmalloc area faulted:\n" + out)
    out = m.command("touch 0x%x" % (addr + PAGE + 8))
    check_violation(out, "touch 0x%x" % (addr + PAGE + 8), "access to guard page")
    check("access to guard page 0x%x after vmalloc area 0x%x-0x%x (from " % (
          addr + PAGE, addr, addr + PAGE - 1) in out,
          "the guard-page report does not name guard 0x%x after the area at 0x%x:\n%s"
          % (addr + PAGE, addr, out))
    free(m, addr)
    check(m.alive(), "shell dead after a guard-page hit")


# -- rollback ---------------------------------------------------------------------------


@shell_test("failinject pmm 1..5: an 8 MiB map fails and leaves no page or page table behind")
def failinject_map_rollback(m):
    line = "map 0x%x 8M" % FAILINJECT_VA
    check(translate(m, FAILINJECT_VA) is None, "0x%x mapped before the test" % FAILINJECT_VA)
    try:
        for n in range(1, 6):
            before = settled_meminfo(m)
            injected = vmstat(m)["failinject_pmm"]
            out = m.command("failinject pmm %d" % n)
            check("allocation %d" % n in out, "`failinject pmm %d` printed:\n%s" % (n, out))
            out = m.command(line, timeout=120)
            m.command("failinject off")
            # 8 MiB of fresh frames need 2048 frames plus page tables: far more than 5.
            check("out of memory" in out and "nothing was changed" in out,
                  "failinject pmm %d: `%s` did not report the failure:\n%s" % (n, line, out))
            check(vmstat(m)["failinject_pmm"] == injected + 1,
                  "failinject pmm %d: no failure was injected" % n)
            check(translate(m, FAILINJECT_VA) is None and
                  translate(m, FAILINJECT_VA + (8 << 20) - PAGE) is None,
                  "failinject pmm %d: part of the failed map is still mapped" % n)
            after = settled_meminfo(m)
            for key in ("MemFree", "PageTables"):
                check(after[key] == before[key], "failinject pmm %d: %s %d before the map, %d "
                      "after it failed" % (n, key, before[key], after[key]))
    finally:
        m.command("failinject off")
    # Without failures the same map works and unmap gives everything back.
    before = settled_meminfo(m)
    out = m.command(line, timeout=120)
    check("mapped 8192 KiB" in out, "`%s` fails without failinject:\n%s" % (line, out))
    unmap(m, FAILINJECT_VA, "8M")
    after = settled_meminfo(m)
    check(after["MemFree"] == before["MemFree"],
          "map+unmap 8M: MemFree %d -> %d" % (before["MemFree"], after["MemFree"]))


@shell_test("200 faulting commands leave MemFree, Slab, VmallocUsed and PageTables unchanged")
def many_faults_leak_nothing(m):
    guard = vmalloc(m, 100) + PAGE
    map_read_only(m, RO_VA)
    faults = [("touch 0", "NULL dereference"),
              ("touch 0x%x" % NONCANONICAL, "non-canonical address"),
              ("touch 0x%x" % guard, "access to guard page 0x%x after vmalloc area" % guard),
              ("touch 0x%x w" % RO_VA, "write to read-only")]
    before_stat = vmstat(m)
    before = settled_meminfo(m)
    for i in range(200):
        line, words = faults[i % len(faults)]
        out = m.command(line)
        check(words in out and ABORTED in out,
              "fault %d, `%s`: expected %r and the abort:\n%s" % (i + 1, line, words, out))
    after = settled_meminfo(m)
    after_stat = vmstat(m)
    for key in ("MemFree", "Slab", "VmallocUsed", "PageTables"):
        check(after[key] == before[key],
              "%s %d before 200 faults, %d after" % (key, before[key], after[key]))
    # touch 0x8000... is a #GP, not a page fault; the other 150 are page faults.
    check(after_stat["pgfault"] - before_stat["pgfault"] >= 150,
          "vmstat pgfault went from %d to %d over 150 page faults"
          % (before_stat["pgfault"], after_stat["pgfault"]))
    check(m.alive(), "shell dead after 200 faults")
    unmap(m, RO_VA)
    free(m, guard - PAGE)


# -- copy on write ----------------------------------------------------------------------


@shell_test("cow: a write to the twin copies the page, then the original is reused in place")
def cow_copy_and_reuse(m):
    before = settled_meminfo(m)
    va, end = lazy(m, "16K")
    out = m.command("touch 0x%x w" % va)
    check("demand-zero fault resolved" in out, "touch 0x%x w printed:\n%s" % (va, out))
    frame = translate(m, va)
    # Regression (map can alias anything): a second, writable mapping of the
    # region's frame would write behind copy-on-write's back, so it is refused.
    out = m.command("map 0x%x 4K 0x%x rw" % (ALIAS_VA, frame))
    check("is allocated by the kernel" in out and "mapped 4 KiB" not in out,
          "an alias map of the lazy frame 0x%x was not refused:\n%s" % (frame, out))
    check(translate(m, ALIAS_VA) is None, "the refused alias map left 0x%x mapped" % ALIAS_VA)
    out = m.command("poke 0x%x 0x1122334455667788" % va)
    check("***" not in out and "poke:" not in out, "poke into the lazy page:\n" + out)
    out = m.command("peek 0x%x 8" % va)
    check("88 77 66 55 44 33 22 11" in out, "the poke is not seen:\n" + out)

    out = m.command("cow 0x%x 16K" % va)
    found = re.search(r"its twin 0x([0-9a-f]+)-0x([0-9a-f]+) share 1 frame\(s\), read-only",
                      out)
    check(found, "`cow 0x%x 16K` printed:\n%s" % (va, out))
    twin = int(found.group(1), 16)
    check(int(found.group(2), 16) - twin == end - va, "twin size differs:\n" + out)
    check(translate(m, twin) == frame, "the twin does not share frame 0x%x" % frame)
    check("w" not in translate_flags(m, va), "the original is still writable after cow")
    check("w" not in translate_flags(m, twin), "the twin is writable after cow")

    out = m.command("touch 0x%x w" % twin)
    check(re.search(r"^0x%x: COW copy: frame 0x%x -> 0x[0-9a-f]+" % (twin, frame), out, re.M),
          "touch twin w printed:\n" + out)
    twin_frame = translate(m, twin)
    check(twin_frame is not None and twin_frame != translate(m, va),
          "after the COW copy VA and twin share frame %r" % twin_frame)
    check(translate(m, va) == frame, "the original moved off frame 0x%x" % frame)
    check("w" in translate_flags(m, twin), "the twin's copy is not writable")
    out = m.command("peek 0x%x 8" % twin)
    check("88 77 66 55 44 33 22 11" in out, "the copy lost the original's contents:\n" + out)

    out = m.command("touch 0x%x w" % va)
    check(re.search(r"^0x%x: COW reuse.*frame 0x%x" % (va, frame), out, re.M),
          "touch VA w printed:\n" + out)
    check(translate(m, va) == frame and "w" in translate_flags(m, va),
          "the reused page is not the same frame, writable")

    free(m, twin)
    free(m, va)
    after = settled_meminfo(m)
    check(after["MemFree"] == before["MemFree"],
          "MemFree %d before lazy, %d after freeing both" % (before["MemFree"],
                                                            after["MemFree"]))


@shell_test("fill and poke write lazy and COW pages through the fault path; the copy keeps "
            "the old contents")
def cow_fill_keeps_old_contents(m):
    # Regression: poke refused lazy pages, so a student could put no data
    # into a lazy or COW page and never see a COW copy keep the contents.
    before = settled_meminfo(m)
    va, end = lazy(m, "16K")
    out = m.command("fill 0x%x 8K 0xab" % va)
    check("filled 0x%x-0x%x with 0xab" % (va, va + 2 * PAGE - 1) in out and "2 demand-zero" in out,
          "fill of a lazy region:\n" + out)
    out = m.command("cow 0x%x 16K" % va)
    found = re.search(r"its twin 0x([0-9a-f]+)-0x[0-9a-f]+ share 2 frame\(s\)", out)
    check(found, "`cow 0x%x 16K` printed:\n%s" % (va, out))
    twin = int(found.group(1), 16)
    for side in (va, twin):
        out = m.command("peek 0x%x 16" % side)
        check(" ab" * 16 in out, "before the write, 0x%x shows:\n%s" % (side, out))
    out = m.command("fill 0x%x 16 0x11" % twin)
    check("1 COW copy" in out, "a fill of the twin made no COW copy:\n" + out)
    out = m.command("peek 0x%x 16" % va)
    check(" ab" * 16 in out, "the original lost its contents:\n" + out)
    out = m.command("peek 0x%x 32" % twin)
    check(" 11" * 16 + "\n" in out and " ab" * 16 in out,
          "the twin's copy is not 16 bytes of 0x11 then the old 0xab:\n" + out)
    out = m.command("poke 0x%x 0x1122334455667788" % (va + 3 * PAGE))
    check("1 demand-zero" in out, "poke of a lazy page that was not mapped:\n" + out)
    out = m.command("peek 0x%x 8" % (va + 3 * PAGE))
    check("88 77 66 55 44 33 22 11" in out, "the poke is not seen:\n" + out)
    for bad, words in (("fill 0 16 1", "not mapped"), ("fill 0x%x 16 0x100" % va, "bad byte"),
                       ("fill 0xffff800000100000 1 0", "refusing"),
                       ("fill 0x%x 17M 0" % va, "bad length")):
        out = m.command(bad)
        check(words in out and "***" not in out, "`%s` printed:\n%s" % (bad, out))
    free(m, twin)
    free(m, va)
    after = settled_meminfo(m)
    check(after["MemFree"] == before["MemFree"],
          "MemFree %d before lazy, %d after freeing both" % (before["MemFree"], after["MemFree"]))


@shell_test("touch VA x on a page not present yet says \"not present\", not NX")
def touch_x_not_present_says_not_present(m):
    va, end = lazy(m, "8K")
    out = m.command("touch 0x%x x" % va)
    check_violation(out, "touch 0x%x x" % va, "execute of not-present page")
    check("NX" not in out.split("***")[1], "the headline blames NX:\n" + out)
    free(m, va)


@shell_test("touch VA w faults as a write, also under QEMU's TCG")
def touch_w_faults_as_write(m):
    # Regression: `lock addb` is emulated as a load, then a store, so the
    # fault on a page not present said "read".
    out = m.command("touch 0x%x w" % (USER_VA + 0x10000000))
    check("page not present, write, supervisor mode" in out, "touch w of a hole:\n" + out)
    va, end = lazy(m, "4K")
    m.command("poke 0x%x 0x77" % va)
    out = m.command("touch 0x%x w" % va)
    check("no fault" in out, "touch w of a mapped lazy page:\n" + out)
    out = m.command("peek 0x%x 1" % va)
    check(" 77" in out, "touch w changed the byte:\n" + out)
    free(m, va)


@shell_test("regions shows a guard region's protection as ---; its report names one page")
def regions_shows_guard_as_dashes(m):
    out = m.command("lazy -s 8K 8K")
    found = re.search(r"top 0x([0-9a-f]+).*guard page at 0x([0-9a-f]+)", out)
    check(found, "lazy -s printed:\n" + out)
    top, guard = int(found.group(1), 16), int(found.group(2), 16)
    out = m.command("regions")
    check(re.search(r"^0*%x-0*%x --- guard " % (guard, guard + PAGE), out, re.M),
          "the guard region is not shown as ---:\n" + out)
    out = m.command("touch 0x%x w" % (guard + 8))
    check_violation(out, "touch guard", "access to guard page 0x%x of guard region" % guard)
    free(m, top)


@shell_test("selftest kernel_space passes with a user-half mapping made by `map`")
def selftest_kernel_space_after_user_map(m):
    out = m.command("map 0x%x 4K" % USER_VA)
    check("mapped 4 KiB" in out, "map in the user half:\n" + out)
    out = m.command("selftest kernel_space")
    check("selftest: PASS kernel_space/user_half_empty" in out and " 0 failed" in out,
          "kernel_space with a user mapping:\n" + out)
    unmap(m, USER_VA)


@shell_test("the errors selftest prints on purpose are marked (expected)")
def selftest_expected_errors_marked(m):
    out = m.command("selftest heap")
    lines = [line for line in out.splitlines() if line and not line.startswith("selftest: ")]
    check(lines, "selftest heap printed no provoked error lines:\n" + out)
    for line in lines:
        check(line.startswith("(expected) "), "an unmarked line from selftest heap: " + line)


@machine_test("a kernel fetch from a user NX page names both SMEP and NX")
def smep_and_nx_both_named(firmware):
    m = Machine("smep-nx-" + firmware, firmware=firmware, cpu="qemu64,+nx,+smep")
    try:
        m.wait_prompt()
        out = m.command("map 0x%x 4K u" % USER_VA)
        check("mapped 4 KiB" in out, "map of a user page:\n" + out)
        out = m.command("touch 0x%x x" % USER_VA)
        check_violation(out, "touch 0x%x x" % USER_VA,
                        "kernel execute of user page (SMEP) and execute of NX page (NX)")
        # x only for a hole outside the direct map (W^X across aliases): no RAM there.
        out = m.command("map 0x%x 4K 0x%x ux" % (USER_VA + PAGE, ABOVE_RAM_PA))
        check("mapped 4 KiB" in out, "map of an executable user page:\n" + out)
        out = m.command("touch 0x%x x" % (USER_VA + PAGE))
        check("touch does not" in out, "touch x of an executable page was not refused:\n" + out)
    finally:
        m.close()
