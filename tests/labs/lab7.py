"""Lab 7 rubric: fork's memory, copy-on-write duplication and teardown (docs/labs/lab7-fork.md).

Parts (scripts/lab.py parts 7): fork_share_ptes (mm/paging.c), fork_space and
exit_release_space (mm/user_space.c). Lab 4's copy-on-write break is given.
"""

TITLE = "Fork: duplicating an address space copy-on-write, tearing it down"

FORK = "test_user_space_fork:user_space_fork/"

RUBRIC = [
    # the page tables copied (fork_share_ptes)
    (5, "host", FORK + "share_copies_entries",
     "paging_share_cow: same frame and flags, read-only in both, fn once per page in order, "
     "one TLB batch, only tables that get a page"),
    (3, "host", FORK + "share_range_and_errors",
     "only the range; an empty range makes no table; -EEXIST; -ENOMEM: the pages before "
     "shared, the rest untouched"),
    # the child built (fork_space)
    (4, "host", FORK + "fork_shares_read_only",
     "fork: the same frames read-only in both, one owner more, initrd frames only mapped, "
     "counters exact"),
    (3, "host", FORK + "write_copies_then_reuses",
     "after fork the first write copies, the last owner's reuses; each side keeps its bytes"),
    (2, "host", FORK + "three_owners", "a fork of a fork: two copies, then a reuse"),
    (2, "host", FORK + "child_space_is_its_own",
     "brk, stack growth, munmap, untouched pages: each space its own"),
    (2, "host", FORK + "mprotect_keeps_shared_read_only",
     "mprotect RW leaves a shared frame read-only"),
    (3, "host", FORK + "fork_without_memory",
     "each allocation failing in turn: -ENOMEM, the child empty, nothing leaked"),
    # the teardown (exit_release_space)
    (4, "host", FORK + "destroy_in_one_walk",
     "teardown: the pages it mapped counted, shared frames lose one owner, everything back, "
     "one TLB batch at most"),
    (2, "host", FORK + "parent_destroyed_first",
     "the parent's space goes first: the child is the last owner and reuses"),
    # processes (all three)
    (3, "user", "usertests:cow_fork_shares_counted",
     "the child sees the parent's pages resident, reads cost no fault, each first write one"),
    (2, "user", "usertests:cow_untouched_not_shared",
     "pages the parent never touched are not resident in the child"),
    (2, "user", "usertests:cow_private_file_and_heap",
     "a private file page and the heap: the child's writes and brk stay its own"),
    (3, "user", "usertests:forklab_chain",
     "six generations of forks: each sees its ancestors' bytes, never its descendants'"),
    (2, "user", "usertests:forklab_exit_rss",
     "wait4's ru_maxrss counts the pages the child's teardown released"),
    (3, "user", "usertests:cow_fork_storm",
     "12 children forking at once, each with a grandchild: every one sees its own bytes"),
    # leaks (all three)
    (3, "qemu", "test_lab7.fork_storm_memory_back",
     "forkbomb up to the process limit: all reaped, MemFree, Slab, PageTables back"),
    (3, "qemu", "test_lab7.fork_exit_memory_back",
     "forking usertests run three times: MemFree, Slab, PageTables, AnonPages back"),
]


def skeleton_probe(m):
    """Shell commands of the lab 7 skeleton that need a missing part: a program
    that forks (fork_space) and exits (exit_release_space)."""
    return m.command("run usertests forklab_chain", timeout=60)
