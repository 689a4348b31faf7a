"""Lab 4 rubric: page faults, demand-zero and copy-on-write (docs/labs/lab4-faults.md).

Parts (scripts/lab.py parts 4): fault_demand_zero, fault_cow_break (mm/fault.c),
anon_share_frames (mm/anon.c), and the challenge fault_stack_growth (mm/fault.c).
"""
import re

TITLE = "Page faults: demand-zero and copy-on-write (challenge: stack growth)"

RUBRIC = [
    # demand-zero (fault_demand_zero)
    (4, "host", "test_fault:fault/demand_zero",
     "a touch maps exactly that page, zeroed; the same fault again is spurious"),
    (2, "host", "test_fault:fault/no_memory",
     "no frame or page table left: \"out of memory\", nothing kept"),
    (3, "kernel", "fault_kernel/demand_zero",
     "real #PF: touching 3 of 16 lazy pages maps exactly those 3, zeroed"),
    (2, "qemu", "test_faults.lazy_touch_maps_one_page",
     "lazy 16K; touch VA w: one page, one frame, all given back by free"),
    # sharing (anon_share_frames)
    (4, "host", "test_fault:fault/cow_share",
     "anon_cow_share: each frame mapped read-only on both sides, refcount 2"),
    (2, "host", "test_fault:fault/cow_share_rollback",
     "a share that runs out of memory leaves no mapping, region or reference"),
    # breaking the sharing (fault_cow_break)
    (4, "host", "test_fault:fault/cow_copy",
     "a write to a frame with two owners copies it; the other side keeps the old"),
    (3, "host", "test_fault:fault/cow_reuse",
     "a write by a frame's last owner makes it writable in place, no copy"),
    (2, "host", "test_fault:fault/cow_no_memory",
     "a COW copy with no frame left: \"out of memory\", nothing changed"),
    # all three together
    (3, "host", "test_fault:fault/cow_pair",
     "two spaces share until a write copies one page; refcounts and memory back"),
    (2, "host", "test_fault:fault/release_keeps_shared",
     "releasing one side of a pair leaves the other the sole owner (reuse)"),
    (3, "kernel", "fault_kernel/cow_pair",
     "real #PF: two address spaces share until a write copies one page"),
    (2, "qemu", "test_faults.cow_copy_and_reuse",
     "cow VA 16K; touch TWIN w copies, touch VA w reuses, free gives all back"),
    # challenge (fault_stack_growth)
    (2, "host", "test_fault:fault/stack_growth",
     "challenge: touches below a stack grow it to its limit; below: guard"),
    (2, "kernel", "fault_kernel/stack_growth",
     "challenge: real #PF: a touch below a stack region grows it"),
]


def skeleton_probe(m):
    """Shell commands of the lab 4 skeleton that need a missing part: the
    first write to a lazy page is a demand-zero fault (fault_demand_zero)."""
    out = m.command("lazy 16K")
    found = re.search(r"^lazy: 0x([0-9a-f]+)-", out, re.M)
    if not found:
        return out
    return out + m.command("touch 0x%s w" % found.group(1))
