"""Lab 2 rubric: page tables (docs/labs/lab2-paging.md), graded by scripts/grade.py.

RUBRIC rows are (points, kind, test, what); scripts/grade.py explains the kinds.
The handout's rubric table must match this list.
"""
TITLE = "Page tables: walk, map and unmap with huge pages, and W^X (challenge: PCID)"

RUBRIC = [
    # paging_walk: paging_walk() in mm/paging.c
    (3, "host", "test_paging:paging/walk",
     "paging_walk: each level's table, index and entry, and why the walk stopped"),
    (1, "qemu", "test_paging.walk_and_ptdump",
     "walk of a kernel address: its PML4, PDPT, PD entries and the stop; ptdump W^X"),
    # paging_page_size_choice: largest_page_level() in mm/paging.c
    (3, "host", "test_paging:paging/size_choice",
     "page size choice: 2M+2M+4K+4K, 1G+2M+4K, at most 2M without 1 GiB pages"),
    (1, "host", "test_paging:paging/map_2m", "a 2 MiB mapping is one PD entry, no page table"),
    (1, "host", "test_paging:paging/map_1g", "a 1 GiB mapping is one PDPT entry"),
    (1, "host", "test_paging:paging/tlb", "one invlpg per page, huge or not; a flush past 33"),
    # paging_split_huge: split_huge() in mm/paging.c
    (3, "host", "test_paging:paging/split_2m_unmap",
     "unmapping one page of a 2 MiB page keeps the other 511"),
    (2, "host", "test_paging:paging/split_1g", "a 1 GiB page split twice for one 4 KiB page"),
    (2, "host", "test_paging:paging/split_protect",
     "protect splits only a huge page partly inside the range"),
    (2, "host", "test_paging:paging/pat_split",
     "the PAT bit moves from bit 12 to bit 7 in a split down to 4 KiB"),
    (1, "host", "test_paging:paging/replace", "MAP_REPLACE of 4 KiB inside a 1 GiB page"),
    (1, "host", "test_paging:paging/enomem", "a split without a free page changes nothing"),
    (3, "host", "test_paging:paging/storm",
     "10^4 random map/unmap/protect against a shadow model, every table freed"),
    # paging_wx_check: check_wx() in mm/paging.c
    (2, "host", "test_paging:paging/write_xor_execute",
     "W^X: map and protect refuse writable+executable, changing nothing"),
    # the kernel's own address space, in the kernel
    (1, "kernel", "kernel_space/write_xor_execute",
     "no kernel page is both writable and executable"),
    (1, "kernel", "kernel_space/sections", "text r-x, rodata r--, data rw-, direct map rw-"),
    (1, "kernel", "kernel_space/switch", "CR3 switched to a new space (with its PCID) and back"),
    # the shell, checked against QEMU's own view of the page tables
    (3, "qemu", "test_paging.huge_pages",
     "map 4M at 2 MiB aligned addresses: 2M pages; unmap 4K splits one"),
    (2, "qemu", "test_paging.write_xor_execute", "map and protect refuse rwx in the shell"),
    (1, "qemu", "test_paging.translate_matches_qemu",
     "translate agrees with QEMU's gva2gpa; unmap removes mappings"),
    # challenge, pcid_assign: paging_pcid_assign() in mm/paging.c
    (2, "host", "test_paging:paging/pcid",
     "challenge: PCIDs 1..4095 in order, kept per space, start over with a flush"),
]


def skeleton_probe(m):
    """A shell command of the lab 2 skeleton that needs missing parts: a
    mapping wants its page size chosen and its flags checked for W^X."""
    return m.command("map 0xffffc00040000000 4M 0xe0000000 r")
