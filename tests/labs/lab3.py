"""Lab 3 rubric: slab caches, kmalloc size classes, red zones and poisoning
(docs/labs/lab3-slab.md).

Parts (scripts/lab.py parts 3): slab_carve, slab_red_zone_check and
slab_poison_check (mm/slab.c), kmalloc_class_of (mm/kmalloc.c).
"""
TITLE = "Slab allocator: caches, kmalloc size classes, red zones and poisoning"

RUBRIC = [
    # a new slab's free list (slab_carve)
    (6, "host", "test_slab:slab/carve",
     "slab_carve: a new slab hands out every object slot before the cache grows"),
    (2, "host", "test_slab:slab/fill",
     "objects never overlap and keep their bytes, debug on and off"),
    # size classes (kmalloc_class_of)
    (5, "host", "test_slab:kmalloc/classes",
     "kmalloc_class_of: each class for its size and one past the class below"),
    (3, "host", "test_slab:kmalloc/boundaries",
     "2^k-1, 2^k, 2^k+1 up to 16 KiB: class, alignment, KM_ZERO"),
    (2, "host", "test_slab:kmalloc/fragmentation",
     "the classes waste less than powers of two on a size mix"),
    # debug checks (slab_red_zone_check, slab_poison_check)
    (5, "host", "test_slab:slab/red_zones",
     "slab_red_zone_check: damage before or after an object: -EIO, report"),
    (5, "host", "test_slab:slab/write_after_free",
     "slab_poison_check: a write after free reported once, object quarantined"),
    # everything together
    (2, "host", "test_slab:kmalloc/random",
     "10^6 random kmalloc/krealloc/kfree against a shadow model"),
    (2, "kernel", "heap/kmalloc_sizes",
     "kmalloc on real memory: every class and past it, all given back"),
    (1, "kernel", "heap/krealloc",
     "krealloc through classes and pages keeps contents"),
    (1, "kernel", "heap/private_cache",
     "a private cache: created, refused destroy while live, destroyed"),
    (3, "qemu", "test_lab3.size_classes",
     "alloc SIZE from the shell gets the smallest class that holds SIZE"),
    (3, "qemu", "test_lab3.slabs_fill_up",
     "slabinfo: 30 kmalloc-64 objects fill one slab before another"),
]


def skeleton_probe(m):
    """A shell command of the lab 3 skeleton that needs a missing part:
    kmalloc must find the size class for 100 bytes (kmalloc_class_of)."""
    return m.command("alloc 100")
