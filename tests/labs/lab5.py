"""Lab 5 rubric: guard pages, guarded kernel stacks and vmalloc areas
(docs/labs/lab5-guards.md).

Parts (scripts/lab.py parts 5): vmalloc_guard_layout, vmalloc_find_guard
(mm/vmalloc.c), fault_vmalloc_classify (mm/fault.c).
"""
TITLE = "Guard pages and vmalloc: guarded kernel stacks and vmalloc areas, with fault reports"

RUBRIC = [
    # the layout (vmalloc_guard_layout)
    (5, "host", "test_vmalloc:vmalloc/guard_layout",
     "a guard page after every area, one more below a stack; vfree frees them"),
    (2, "host", "test_vmalloc:vmalloc/sizes",
     "areas of 1 B-1 MiB: mapped, zeroed, a guard page between neighbours"),
    (2, "host", "test_vmalloc:vmalloc/window_exhaustion",
     "a full window: the guards count, nothing changes on failure"),
    (2, "host", "test_vmalloc:vmalloc/random_cycles",
     "10^4 random alloc/free cycles keep every guard unmapped, nothing leaks"),
    # finding the area of a guard (vmalloc_find_guard)
    (4, "host", "test_vmalloc:vmalloc/find_and_guard",
     "vmalloc_find/is_guard: start, middle, last byte, guard after, outside"),
    (3, "host", "test_vmalloc:vmalloc/find_stack_guard",
     "vmalloc_find/is_guard: the guard below a stack and the one above it"),
    (2, "kernel", "heap/vmalloc",
     "real vmalloc memory: zeroed, writable, guard unmapped and found"),
    # the report (fault_vmalloc_classify)
    (5, "host", "test_fault:fault/vmalloc_guards",
     "guard after an area, guard below a stack, NX inside: each named"),
    (3, "kernel", "fault_kernel/stack_guards",
     "the main kernel stack has its guard; a fault there is an overflow"),
    (3, "qemu", "test_faults.vmalloc_guard",
     "alloc -v 100; touching one page past it names the area's guard page"),
    (4, "qemu", "test_faults.stack_overflow",
     "stackoverflow: \"kernel stack overflow\" reported twice; the shell goes on"),
]


def skeleton_probe(m):
    """A shell command of the lab 5 skeleton that needs a missing part: a
    vmalloc area must be laid out with its guard pages (vmalloc_guard_layout)."""
    return m.command("alloc -v 100")
