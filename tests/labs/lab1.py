"""Lab 1 rubric: the buddy allocator's split and merge (docs/labs/lab1-buddy.md).

Parts (scripts/lab.py parts 1), all in mm/buddy.c: buddy_split, buddy_merge,
and the challenge, the per-CPU page lists: pcp_refill and pcp_drain.
The core tests pass with the challenge's stubs in place (they move one page
at a time), so the challenge's 7 points are the only ones it decides.
"""
TITLE = "Physical pages: buddy split and coalesce (challenge: per-CPU page lists)"

RUBRIC = [
    # splitting (buddy_split)
    (6, "host", "test_buddy:buddy/split",
     "buddy_split: lower half kept, each upper half freed one order down"),
    # merging (buddy_merge)
    (6, "host", "test_buddy:buddy/merge",
     "buddy_merge: a freed block merges with its free buddy, up to order 10"),
    (4, "host", "test_buddy:buddy/merge_rules",
     "buddy_merge: no merge with an allocated or partly free buddy"),
    # both, and everything built on them
    (3, "host", "test_buddy:buddy/exhaustion",
     "every page out, NULL, every page back; buddyinfo restored"),
    (3, "host", "test_buddy:buddy/random",
     "10^6 random operations against a shadow model, invariants checked"),
    (2, "host", "test_pmm:pmm/counts_restored",
     "a mix of orders allocated and freed leaves the free lists as they were"),
    (2, "kernel", "pmm/counts_restored",
     "the same on the kernel's real memory"),
    (2, "kernel", "pmm/invariants_after",
     "buddy_check_invariants() on real memory after the pmm suite"),
    (3, "qemu", "test_lab1.split_and_merge_in_buddyinfo",
     "alloc -p splits a block as buddyinfo shows; free merges it back"),
    (2, "qemu", "test_lab1.exhaust_merges_back",
     "exhaust: every page out and back in, buddyinfo unchanged"),
    # challenge: the per-CPU page lists (pcp_refill, pcp_drain)
    (3, "host", "test_buddy:buddy/pcp_refill",
     "challenge pcp_refill: a batch of pages, lowest address first"),
    (3, "host", "test_buddy:buddy/pcp_drain",
     "challenge pcp_drain: past high, the oldest batch goes back"),
    (1, "host", "test_pmm:pmm/pcp",
     "challenge: the per-CPU list is LIFO and drains instead of passing high"),
]


def skeleton_probe(m):
    """A shell command of the lab 1 skeleton that needs a missing part: an
    order-3 block must be split from a larger one (buddy_split)."""
    return m.command("alloc -p 3")
