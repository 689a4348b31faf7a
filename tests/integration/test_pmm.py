"""test_pmm.py - the physical memory manager on machines of different sizes.

For each memory size (BIOS: 32M, 128M, 1G, 3G, 8G; UEFI: 8G) one machine:
the name server already waiting at the prompt, MemTotal against what QEMU
was given, `exhaust` (allocate every free page, free them all, buddyinfo
unchanged, the same count free in a second run), a page above 4 GiB, and
bogus frees.
"""
import re

from pagoda import Machine, check, machine_test, shell_test

MIB = 1 << 20


def meminfo(m):
    out = m.command("meminfo")
    values = {k: int(v) * 1024 for k, v in re.findall(r"^(\w+):\s+(\d+) kB$", out, re.M)}
    for key in ("MemTotal", "MemFree", "MemAvailable", "Reserved", "KernelImage",
                "PageTables", "Slab", "VmallocUsed"):
        check(key in values, "meminfo lacks %s:\n%s" % (key, out))
    return values


def firmware_usable(m):
    """Bytes the firmware called available, from the first half of `memmap`."""
    out = m.command("memmap")
    firmware = out.split("Kernel view")[0]
    total = 0
    for start, end in re.findall(r"\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] available", firmware):
        total += int(end, 16) + 1 - int(start, 16)
    usable = re.search(r"(\d+) KiB usable, of which (\d+) KiB reserved by the kernel, "
                       r"(\d+) KiB managed", out)
    check(usable, "memmap has no summary line:\n" + out)
    return total, [int(x) * 1024 for x in usable.groups()], out


def check_memory_size(m, given):
    info = meminfo(m)
    fw_total, (usable, reserved, managed), memmap_out = firmware_usable(m)
    # The firmware keeps a little: 384 KiB of legacy hole, SeaBIOS ~256 KiB, OVMF ~6 MiB.
    check(0 < given - fw_total < 16 * MIB,
          "firmware map has %d bytes available of %d given" % (fw_total, given))
    check(abs(usable - fw_total) < 64 * 1024,
          "kernel view usable %d vs firmware %d" % (usable, fw_total))
    check(info["MemTotal"] == managed, "MemTotal %d != managed %d" % (info["MemTotal"], managed))
    check(info["MemTotal"] + info["Reserved"] == usable,
          "MemTotal %d + Reserved %d != usable %d" % (info["MemTotal"], info["Reserved"], usable))
    # Reservations: kernel image, boot info, page tables, descriptors (~0.8 %), legacy area;
    # the modules GRUB loaded (the initrd) are the user's, not the kernel's overhead.
    modules = sum(int(end, 16) + 1 - int(start, 16) for start, end in
                  re.findall(r"\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] reserved: module", memmap_out))
    check(modules > 0, "memmap lists no module reservation (the initrd):\n" + memmap_out)
    check(info["Reserved"] - modules < 3 * MIB + usable // 100,
          "the kernel reserves %d bytes of %d (%d of them modules)" %
          (info["Reserved"], usable, modules))
    check(info["MemFree"] <= info["MemTotal"] and info["MemFree"] > info["MemTotal"] * 0.9,
          "MemFree %d of MemTotal %d" % (info["MemFree"], info["MemTotal"]))
    for line in re.findall(r"^\[mem .*$", memmap_out, re.M):
        check(re.match(r"^\[mem 0x[0-9a-f]{16}-0x[0-9a-f]{16}\] \S", line), "bad line " + line)


def check_settled_at_prompt(m):
    """The first command: the processes the kernel starts at boot have settled.

    kmain returns to the prompt only once init sleeps in sigsuspend and the
    name server waits for its first message (process_settle), so `ipc` run
    first already shows the name server queued on its endpoint. Before that
    wait, on one CPU the shell's priority kept the name server's start-up
    page faults for later, under `exhaust` and buddyinfo.
    """
    out = m.command("ipc")
    ps = m.command("ps")
    found = re.search(r"^\s+(\d+)\s+0\s.*\snameserver$", ps, re.M)
    check(found, "ps lists no name server:\n" + ps)
    row = re.search(r"^\s+1\s+0\s+\d+\s+1\s+live\s+\d+\s+\d+\s+-\s+(\d+)$", out, re.M)
    check(row and row.group(1) == found.group(1),
          "the name server (pid %s) is not waiting on endpoint 1 at the prompt:\n%s"
          % (found.group(1), out))


def exhaust_free(out):
    """exhaust's count of free pages at its start."""
    found = re.search(r"allocated \d+ pages \(\d+ KiB\) of (\d+) free", out)
    check(found, "exhaust printed:\n" + out)
    return int(found.group(1))


def check_exhaust(m):
    # The first run also drains the per-CPU lists (boot-time allocations left
    # pages there, which buddyinfo does not show); the second must change nothing,
    # and nothing in the background may have taken a page in between.
    first = m.command("exhaust", timeout=600)
    before = m.command("buddyinfo")
    out = m.command("exhaust", timeout=600)
    check("buddyinfo unchanged" in out and "did not read back: 0" in out,
          "exhaust failed:\n" + out)
    check(exhaust_free(first) == exhaust_free(out),
          "free pages moved between two exhausts:\n%s\n---\n%s\n%s"
          % (first, out, m.command("ps")))
    after = m.command("buddyinfo")
    check(before == after, "buddyinfo changed:\n%s\n---\n%s" % (before, after))


SIZES = [("32M", 32 * MIB), ("128M", 128 * MIB), ("1G", 1024 * MIB), ("3G", 3072 * MIB),
         ("8G", 8192 * MIB)]


def size_test(firmware, mem, given):
    m = Machine("pmm-%s-%s" % (firmware, mem), firmware=firmware, mem=mem)
    try:
        m.wait_prompt()
        check_settled_at_prompt(m)
        check_memory_size(m, given)
        check_exhaust(m)
        if given > 4096 * MIB:
            out = m.command("alloc -p 0 normal")
            found = re.search(r"phys 0x([0-9a-f]+) virt 0x([0-9a-f]+)", out)
            check(found and int(found.group(1), 16) >= 4 << 30,
                  "no Normal-zone page above 4 GiB:\n" + out)
            out = m.command("free 0x" + found.group(1))
            check("freed" in out, "free of the Normal page failed:\n" + out)
        out = m.command("selftest pmm_boot", timeout=600)
        check(re.search(r"selftest: \d+ passed, 0 failed", out), "pmm_boot failed:\n" + out)
    finally:
        m.close()


@machine_test("MemTotal, exhaust and pmm_boot selftests at 32M, 128M, 1G, 3G and 8G (BIOS)")
def memory_sizes_bios(firmware):
    for mem, given in SIZES:
        size_test("bios", mem, given)


@machine_test("MemTotal, exhaust and a page above 4 GiB at 8G under UEFI", firmwares=("uefi",))
def memory_8g_uefi(firmware):
    size_test("uefi", "8G", 8192 * MIB)


@machine_test("too little memory stops the boot with a clear message")
def not_enough_memory(firmware):
    m = Machine("pmm-tiny-" + firmware, firmware=firmware, mem="8M")
    try:
        m.expect(r"not enough memory", 60)
        m.expect(r"needs at least \d+ KiB", 10)
        check(m.wait_exit(2) is None, "QEMU exited instead of halting")
    finally:
        m.close()


@shell_test("alloc -p / free round trip; bogus and double frees are refused")
def alloc_free_round_trip(m):
    free_before = meminfo(m)["MemFree"]
    out = m.command("alloc -p 3 dma32")
    found = re.search(r"order-3 block \(32 KiB\) in zone (\w+): phys 0x([0-9a-f]+) "
                      r"virt 0x([0-9a-f]+)", out)
    check(found, "alloc -p 3 printed:\n" + out)
    check(found.group(1) in ("DMA32", "DMA"), "dma32 request served by " + found.group(1))
    phys, virt = int(found.group(2), 16), int(found.group(3), 16)
    check(phys % (32 * 1024) == 0, "order-3 block not 32 KiB aligned: 0x%x" % phys)
    check(virt - phys == 0xffff800000000000, "virt is not the direct-map address")
    check(meminfo(m)["MemFree"] == free_before - 32 * 1024, "MemFree did not drop by 32 KiB")
    check("order 3" in m.command("allocs"), "allocs does not list the block")
    out = m.command("free 0x%x" % virt)
    check("freed" in out, "free failed:\n" + out)
    check(meminfo(m)["MemFree"] == free_before, "MemFree not restored after free")
    out = m.command("free 0x%x" % virt)
    check("not allocated by the shell" in out, "double free not refused:\n" + out)
    for bogus in ("0x1234", "0xffffffff80200000", "12345678901234567890123", "xyz"):
        out = m.command("free " + bogus)
        check("not allocated" in out or "bad address" in out,
              "free %s not refused:\n%s" % (bogus, out))
    for bad in ("alloc -p", "alloc -p 11", "alloc -p -1", "alloc -p 0 highmem", "alloc",
                "alloc -p 99999999999999999999"):
        out = m.command(bad)
        check("alloc:" in out or "usage" in out, "%r not refused:\n%s" % (bad, out))
    check(meminfo(m)["MemFree"] == free_before, "bad commands changed MemFree")


@shell_test("buddyinfo, zoneinfo and fragmentation print every populated zone")
def reports(m):
    out = m.command("buddyinfo")
    rows = re.findall(r"^Node 0, zone\s+(\w+)((?:\s+\d+){11})$", out, re.M)
    check(rows and rows[0][0] == "DMA", "buddyinfo format:\n" + out)
    out = m.command("zoneinfo")
    for word in ("managed", "free", "min", "low", "high", "per-CPU pages"):
        check(word in out, "zoneinfo lacks %r:\n%s" % (word, out))
    out = m.command("fragmentation")
    check(re.search(r"zone\s+DMA32( \d\.\d{3}){11}\s+largest free block: order \d+", out),
          "fragmentation format:\n" + out)


@machine_test("the direct map uses 1 GiB pages when the CPU has them, 2 MiB otherwise")
def direct_map_page_sizes(firmware):
    for cpu, want_1g in (("qemu64,+pdpe1gb", True), ("qemu64,-pdpe1gb", False)):
        m = Machine("directmap-%s-%s" % (want_1g, firmware), firmware=firmware, mem="5G",
                    cpu=cpu)
        try:
            m.wait_prompt()
            out = m.command("memmap")
            found = re.search(r"(\d+) x 1 GiB \+ (\d+) x 2 MiB pages", out)
            check(found, "memmap shows no direct-map line:\n" + out)
            gib, mib2 = int(found.group(1)), int(found.group(2))
            if want_1g:
                check(gib >= 4, "-cpu %s: only %d 1 GiB pages" % (cpu, gib))
            else:
                check(gib == 0 and mib2 >= 2048, "-cpu %s: %d 1 GiB, %d 2 MiB pages"
                      % (cpu, gib, mib2))
            out = m.command("selftest pmm_boot", timeout=300)
            check("0 failed" in out, "pmm_boot failed with -cpu %s:\n%s" % (cpu, out))
        finally:
            m.close()
