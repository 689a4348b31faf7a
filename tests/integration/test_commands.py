"""test_commands.py - what the commands say about bad arguments (issue 12).

Each test is named after the defect it pins down: the shell's declared
argument counts (item 3.4), `lazy -s SIZE SIZE` (1.2), the real range of
`alloc SIZE` (1.3), messages that say what was wrong (1.5), the limits and
refusals that help texts document (1.8), and the CPUs nothing uses (1.9).
They run on the shared machine and leave nothing allocated behind.
"""
import re

from pagoda import Machine, check, machine_test, shell_test


def expect_lines(m, cases):
    """Run each line; its output must contain every listed phrase."""
    for line, phrases in cases:
        out = m.command(line)
        for phrase in phrases:
            check(phrase in out, "`%s`: expected %r in:\n%s" % (line, phrase, out))


@shell_test("3.4: a wrong argument count is refused by the shell with the expected range")
def declared_arity_wrong_count(m):
    expect_lines(m, [
        ("uptime now", ["uptime: too many arguments: expects no arguments, got 1 "
                        "(first extra: 'now')", "usage: uptime"]),
        ("map 0xffffc00000000000", ["map: too few arguments: expects 2 to 6 arguments, got 1",
                                    "usage: map VA SIZE"]),
        ("poke 1", ["poke: too few arguments: expects 2 arguments, got 1"]),
        ("buddyinfo x", ["buddyinfo: too many arguments: expects no arguments"]),
        ("protect 0xffffc00000000000 4K", ["protect: too few arguments: expects at least 3"]),
    ])


@shell_test("1.2: lazy -s SIZE MAX with MAX = SIZE gives no hint to touch the guard page")
def lazy_stack_max_equals_size_no_guard_hint(m):
    for line in ("lazy -s 8K 8K", "lazy -s 5K 8K"):  # 5K rounds up to 8K: no room either
        out = m.command(line)
        found = re.search(r"stack 0x[0-9a-f]+-0x[0-9a-f]+ \(top 0x([0-9a-f]+)\), cannot grow "
                          r"\(MAX equals SIZE\), guard page at 0x([0-9a-f]+)", out)
        check(found, "`%s` does not say the stack cannot grow:\n%s" % (line, out))
        check("touch" not in out, "`%s` still hints at a touch:\n%s" % (line, out))
        top = int(found.group(1), 16)
        # A touch just below the stack is the guard page: the hint was wrong.
        regions = m.command("regions")
        check(re.search(r"^%016x-%016x .*guard" % (int(found.group(2), 16), top - 0x2000),
                        regions, re.M), "no guard region right below:\n" + regions)
        check("freed" in m.command("free 0x%x" % top), "free of the stack failed")
    out = m.command("lazy -s 8K 16K")
    check("`touch 0x" in out and "grows it" in out, "a growable stack lost its hint:\n" + out)
    top = int(re.search(r"\(top 0x([0-9a-f]+)\)", out).group(1), 16)
    m.command("free 0x%x" % top)


@shell_test("1.2: after a stack that cannot grow, the next lazy region still finds room")
def lazy_stack_max_equals_size_next_region(m):
    out = m.command("lazy -s 8K 8K")
    top = int(re.search(r"\(top 0x([0-9a-f]+)\)", out).group(1), 16)
    try:
        out = m.command("lazy 16K")
        found = re.search(r"^lazy: 0x([0-9a-f]+)-0x([0-9a-f]+) ", out, re.M)
        check(found, "`lazy 16K` after a fixed stack failed:\n" + out)
        check(int(found.group(1), 16) > top, "the new region overlaps the stack:\n" + out)
        m.command("free 0x%s" % found.group(1))
    finally:
        m.command("free 0x%x" % top)


@shell_test("1.3: alloc SIZE above 4M says it is kmalloc's limit and points to alloc -v")
def alloc_size_above_4m_points_to_vmalloc(m):
    out = m.command("alloc 5M")
    check("at most 4M" in out and "alloc -v 5M" in out, "`alloc 5M` printed:\n" + out)
    out = m.command("alloc -v 65M")
    check("1 to 64M" in out, "`alloc -v 65M` printed:\n" + out)
    out = m.command("help alloc")
    check("SIZE 1 to 4M" in out and "(SIZE 1 to 64M)" in out, "help alloc:\n" + out)
    out = m.command("alloc 4M")
    found = re.search(r"kmalloc'd 4194304 bytes at 0x([0-9a-f]+)", out)
    if found:  # 4M needs a free order-10 block; a fragmented machine may have none
        check("freed" in m.command("free 0x%s" % found.group(1)), "free of 4M failed")
    else:
        check("out of memory" in out, "`alloc 4M` printed:\n" + out)


@shell_test("1.5: alloc -1 and lazy -1 say a size cannot be negative")
def negative_size_message(m):
    expect_lines(m, [
        ("alloc -1", ["alloc: bad size '-1': a size cannot be negative (1 to 4M)"]),
        ("alloc -v -1", ["a size cannot be negative (1 to 64M)"]),
        ("lazy -1", ["lazy: bad size '-1': a size cannot be negative (1 to 1G)"]),
        ("alloc -x", ["unknown option '-x'"]),
    ])


@shell_test("1.5: extra arguments are named (alloc -p 0 dma extra, kmemtest 1 2)")
def extra_arguments_named(m):
    expect_lines(m, [
        ("alloc -p 0 dma extra", ["alloc: too many arguments: expects 1 to 3 arguments, got 4 "
                                  "(first extra: 'extra')", "usage: alloc"]),
        ("kmemtest 1 2", ["kmemtest: too many arguments: expects at most 1 argument, got 2 "
                          "(first extra: '2')"]),
        ("alloc 1 2", ["alloc: unexpected '2' after the size"]),
        ("lazy 8K 16K", ["lazy: unexpected '16K' after SIZE"]),
        ("kmemtest 0", ["kmemtest: bad N '0': number out of range (1 to 100000000)"]),
    ])


@shell_test("1.5: every bad failinject argument says what is wrong and the valid range")
def failinject_bad_arguments_show_range(m):
    expect_lines(m, [
        ("failinject foo 3", ["unknown kind 'foo' (pmm, slab, vmalloc, or off)"]),
        ("failinject foo", ["unknown kind 'foo'"]),
        ("failinject pmm", ["pmm needs N", "(1 to 1000000)"]),
        ("failinject pmm 0", ["bad N '0': number out of range (1 to 1000000)"]),
        ("failinject slab 1000001", ["bad N '1000001'", "(1 to 1000000)"]),
        ("failinject vmalloc x", ["bad N 'x': not a number (1 to 1000000)"]),
        ("failinject off 2", ["off takes no N"]),
        ("failinject pmm 1 2", ["too many arguments: expects at most 2 arguments"]),
    ])
    out = m.command("failinject")
    check("armed" not in out, "a bad failinject armed something:\n" + out)


@shell_test("1.5: cow on a range not inside lazy regions says so, not EINVAL")
def cow_range_not_in_one_region(m):
    out = m.command("lazy 16K")
    start = int(re.search(r"^lazy: 0x([0-9a-f]+)-", out, re.M).group(1), 16)
    try:
        for line in ("cow 0x%x 32K" % start, "cow 0x%x 8K" % (start - 0x1000)):
            out = m.command(line)
            check("not all inside `lazy`" in out and "EINVAL" not in out,
                  "`%s` printed:\n%s" % (line, out))
        out = m.command("cow 0x8000000000000000 4K")
        check("not canonical" in out, "`cow` of a non-canonical address printed:\n" + out)
    finally:
        m.command("free 0x%x" % start)


@shell_test("1.5: a non-canonical address is called not canonical by map/unmap/protect")
def non_canonical_address_named(m):
    for line in ("map 0x800000000000 4K", "unmap 0x8000000000000000",
                 "protect 0x0000900000000000 4K r", "peek 0x800000000000",
                 "poke 0x800000000000 1"):
        out = m.command(line)
        check("is not canonical" in out, "`%s` printed:\n%s" % (line, out))


@shell_test("1.5: unmap of a range where nothing was mapped says so")
def unmap_nothing_mapped(m):
    out = m.command("unmap 0xffffc00700000000 16K")
    check("nothing was mapped in 0xffffc00700000000-0xffffc00700003fff" in out,
          "unmap of an empty range printed:\n" + out)
    m.command("map 0xffffc00700001000 4K")
    out = m.command("unmap 0xffffc00700000000 16K")
    check(out.startswith("unmapped 0xffffc00700000000"), "unmap of a partly mapped range:\n"
          + out)


@shell_test("1.8: help map/unmap/poke name every refused window and the FLAGS rule")
def help_documents_refusals_and_limits(m):
    out = m.command("help map")
    check("FLAGS replace the default rw" in out and "`map VA 4K g`" in out, "help map:\n" + out)
    for name in ("map", "unmap", "poke", "protect"):
        out = re.sub(r"\s+", " ", m.command("help " + name))
        check("vmalloc" in out and "lazy" in out, "help %s omits a refused window:\n%s"
              % (name, out))
    check("split" in m.command("help unmap") and "free page" in m.command("help unmap"),
          "help unmap does not say a split may need a page")
    check("at most 1G" in m.command("help lazy"), "help lazy omits its 1 GiB limit")
    check("at most 64" in m.command("help allocs"), "help allocs omits the 64 allocations")
    # FLAGS replace rw: g alone is read-only, as documented.
    m.command("map 0xffffc00700010000 4K g")
    out = m.command("translate 0xffffc00700010000")
    m.command("unmap 0xffffc00700010000")
    flags = re.search(r"-> 0x[0-9a-f]+ \[([^\]]*)\]", out)
    check(flags and "w" not in flags.group(1), "map VA 4K g is not read-only:\n" + out)


def cpus_line(m):
    out = m.command("cpuinfo")
    found = re.search(r"^CPUs:\s+(\d+) \(ACPI MADT\)(.*)$", out, re.M)
    check(found, "cpuinfo shows no CPU count:\n" + out)
    return int(found.group(1)), found.group(2)


@machine_test("1.9: with -smp 2 the banner and cpuinfo count both CPUs online")
def smp_second_cpu_online_said(firmware):
    m = Machine("smp2-" + firmware, firmware=firmware, smp=2)
    try:
        m.wait_prompt()
        check(re.search(r"^CPUs: 2 online, 2 found \(ACPI MADT\)$", m.buf, re.M),
              "the banner does not say it:\n" + m.buf[-800:])
        count, rest = cpus_line(m)
        check(count == 2 and rest == ", 2 online", "cpuinfo with -smp 2: %d%s" % (count, rest))
    finally:
        m.close()


@shell_test("1.9: with one CPU the banner says nothing and cpuinfo counts 1")
def smp_one_cpu_counted(m):
    count, rest = cpus_line(m)
    check(count == 1 and "idle" not in rest, "cpuinfo with one CPU: %d%s" % (count, rest))
    check("only CPU 0 runs" not in m.buf, "a one-CPU banner speaks of idle CPUs")
