/*
 * region.h - the region set of an address space: which virtual ranges exist,
 * what kind of memory each one is and what it allows. The page tables say
 * what is mapped now; the regions say what may be, so the page-fault handler
 * (mm/fault.c) looks a faulting address up here to decide what the fault
 * means (demand-zero, copy-on-write, stack growth, guard hit, plain bug).
 *
 * The set is a sorted array searched by binary search: O(log n) lookup,
 * O(n) insert and remove (a memmove), which is fine for the tens of regions
 * a space has and keeps the code short. Linux keeps its VMAs in a maple tree
 * (an rbtree before 6.1) because a process may have thousands of them.
 *
 * Invariants (all checked by region_check_invariants()):
 *   [x] regions are sorted by start and disjoint (one's end <= next's start);
 *   [x] every range is page-aligned, non-empty, canonical, in one half;
 *   [x] kind < REGION_KINDS, prot holds only REGION_PROT_MASK bits;
 *   [x] a stack has grow_limit <= start (page-aligned); others have 0;
 *   [x] a file region has a page-aligned file_phys; others have file_phys
 *       and file_bytes 0;
 *   [x] names are NUL-terminated and zero-filled after the NUL;
 *   [x] no two neighbours are mergeable (touching ANON, COW or GRANTED
 *       regions with the same kind, prot and name are always one region;
 *       FILE never merges, so each one keeps its own file_phys; SHARED and
 *       PAGER never merge either: each is one IPC mapping or one pager's).
 *
 * Context for every function: process context (boot code, the shell, a
 * system call, threads on any CPU), not from interrupt handlers. Each set
 * has a spinlock ("region set") that every function below takes for its
 * own work, so lookups and changes on several CPUs never see a half-moved
 * array. A pointer that region_find/region_next return stays valid until
 * the set next changes: the space's owner orders its changes after its own
 * lookups (the kernel's set never changes after boot); region_grow_down,
 * the one change the fault handler makes, moves nothing in memory. The
 * page-fault handler calls only region_find_copy, region_next and
 * region_grow_down, which never allocate.
 * Lock order: region set -> slab cache -> zone (a change may kmalloc a
 * bigger array under the lock); the fault handler takes the set's lock and
 * the space's page-table lock one after the other, never nested.
 * Host-compilable.
 */
#ifndef MM_REGION_H
#define MM_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "mm/spinlock.h"

enum region_kind {
	REGION_ANON,         /* demand-zero: pages appear, zeroed, on first touch */
	REGION_COW,          /* copy-on-write: frames shared read-only until written */
	REGION_STACK,        /* demand-zero, grows down on a touch below start, to grow_limit */
	REGION_GUARD,        /* never mapped: any access is a guard-page hit */
	REGION_FILE,         /* pages of an initrd file, private: read-only shared, copied on write */
	REGION_DEVICE,       /* memory-mapped I/O, mapped eagerly */
	REGION_KERNEL_IMAGE, /* the kernel's text/rodata/data/bss, mapped at boot */
	REGION_DIRECT_MAP,   /* all RAM at DIRECT_MAP_BASE, mapped at boot */
	REGION_VMALLOC,      /* the vmalloc window: areas are looked up in mm/vmalloc.c */
	REGION_SHARED,       /* frames passed by IPC map (mm/share.c): mapped in another space
			      * too, or got from one; never demand-zero, never copy-on-write */
	REGION_GRANTED,      /* received by IPC grant: private memory, behaves as ANON */
	REGION_PAGER,        /* a not-present page is asked of a user-level pager */
	REGION_KINDS
};

/* The MAP_* bits a region's prot may hold (read access is implied). */
#define REGION_PROT_MASK (MAP_WRITE | MAP_EXEC | MAP_USER)
#define REGION_NAME_SIZE 24 /* bytes of struct region.name, the NUL included */

struct region {
	virt_addr_t start, end;  /* [start, end), page-aligned, start < end */
	unsigned prot;           /* MAP_WRITE | MAP_EXEC | MAP_USER (read is implied) */
	enum region_kind kind;
	virt_addr_t grow_limit;  /* REGION_STACK: lowest start it may grow down to; else 0 */
	phys_addr_t file_phys;   /* REGION_FILE: the file frame behind start, page-aligned; else 0 */
	uint64_t file_bytes;     /* REGION_FILE: file bytes from start (beyond: zero); else 0 */
	char name[REGION_NAME_SIZE]; /* e.g. "lazy", "cow-twin", "kernel text"; copied, truncated */
};

/*
 * The set: items[0 .. count) sorted by start; capacity slots allocated with
 * kmalloc (items is NULL while capacity is 0). Read it through the functions
 * below; region_check_invariants() may also be pointed at a hand-made one.
 */
struct region_set {
	struct region *items;
	size_t count, capacity;
	spinlock_t lock;        /* items, count, capacity, hint (region_set_init names it) */
	size_t hint;            /* index of the region the last lookup found: tried first (a
				 * hint only: checked against count and the range each time) */
};

/*
 * Is the frame at pa (page-aligned) the file's own frame for the page at
 * page_va of r? Only for a FILE region's page that holds file bytes: the
 * frames behind pages past the file's end are not the file's (they may be
 * any RAM), so a private copy there is never taken for one. Any context.
 */
static inline bool region_is_file_frame(const struct region *r, virt_addr_t page_va,
					phys_addr_t pa)
{
	uint64_t offset = page_va - r->start;

	return r->kind == REGION_FILE && offset < r->file_bytes && pa == r->file_phys + offset;
}

/* Make set empty. Allocates nothing, cannot fail. */
void region_set_init(struct region_set *set);

/* Free the array (kfree) and leave set empty, as after region_set_init. */
void region_set_destroy(struct region_set *set);

/*
 * Make dst (initialized, empty) a copy of every region of src (fork): one
 * allocation of src's count and one copy, no per-region insert. src is
 * read under its lock. Returns 0, or -ENOMEM with dst still empty.
 */
__must_check int region_set_clone(struct region_set *dst, const struct region_set *src);

/*
 * "anon", "cow", "stack", "guard", "file", "device", "kernel image",
 * "direct map", "vmalloc", "shared", "granted", "pager"; "?" for a value
 * that is not a kind. Any context.
 */
const char *region_kind_name(enum region_kind kind);

/*
 * Add a copy of r (the name is copied up to its first NUL, truncated to
 * REGION_NAME_SIZE - 1 characters). r may be merged with a touching
 * neighbour of the same kind, prot and name if the kind is ANON, COW or
 * GRANTED; STACK, GUARD and the other kinds never merge.
 * Returns 0;
 *   -EINVAL  bad range (unaligned, empty, wrapping, non-canonical or
 *            crossing the canonical hole), kind >= REGION_KINDS, prot
 *            outside REGION_PROT_MASK, a stack whose grow_limit is
 *            unaligned, above start or in the other half, a grow_limit
 *            other than 0 for any other kind, a file region whose
 *            file_phys is unaligned, a file_phys or file_bytes other
 *            than 0 for any other kind;
 *   -EEXIST  r overlaps a region of the set;
 *   -ENOMEM  the array had to grow and kmalloc could not.
 * On error the set is unchanged. A merging insert never allocates.
 */
__must_check int region_insert(struct region_set *set, const struct region *r);

/*
 * The region containing va (start <= va < end), or NULL. Binary search,
 * O(log n), no allocation (fault handler). The pointer is valid until the
 * next change to the set.
 */
const struct region *region_find(const struct region_set *set, virt_addr_t va);

/*
 * Copy the region containing va into *out, under the set's lock, so the
 * copy holds whatever changes the set next; false (out untouched) if none.
 * The page-fault handler's lookup.
 */
bool region_find_copy(const struct region_set *set, virt_addr_t va, struct region *out);

/*
 * The region with the lowest start above va, or NULL: what lies just above
 * a faulting address (the stack the fault is below) or a hole (reports).
 * O(log n), no allocation; valid until the next change to the set.
 */
const struct region *region_next(const struct region_set *set, virt_addr_t va);

/*
 * Remove [start, end) from the set: regions inside it go, regions that
 * straddle start or end are trimmed, a region that contains the whole range
 * is split in two (which needs one more slot). A file region cut at offset
 * k from its start keeps file_phys + k and file_bytes - k (0 when k is past
 * the file's bytes) for its upper part. Pages with no region are
 * fine: removing a range that holds none returns 0 and changes nothing.
 * Returns 0; -EINVAL for a bad range (as region_insert); -ENOMEM when the
 * split needed a slot and kmalloc could not give one (set unchanged).
 */
__must_check int region_remove(struct region_set *set, virt_addr_t start, virt_addr_t end);

/*
 * Give every part of a region inside [start, end) protection prot, splitting
 * the regions that straddle start or end (only if they change) and merging
 * the touching ANON/COW neighbours that become equal.
 * Returns 0; -EINVAL for a bad range or prot outside REGION_PROT_MASK;
 * -ENOENT if some page of [start, end) is in no region; -ENOMEM when a split
 * needed a slot and kmalloc could not give one. On error the set is unchanged.
 */
__must_check int region_protect(struct region_set *set, virt_addr_t start, virt_addr_t end,
				unsigned prot);

/*
 * Change the kind of every part of a region inside [start, end) (ANON ->
 * COW when a space is shared, say), with region_protect's splitting,
 * merging and errors. A part that stops being a stack gets grow_limit 0, a
 * part that stops being a file file_phys and file_bytes 0. kind
 * REGION_STACK or REGION_FILE is -EINVAL: a stack needs its grow_limit and
 * a file its frames, so insert them.
 */
__must_check int region_set_kind(struct region_set *set, virt_addr_t start, virt_addr_t end,
				 enum region_kind kind);

/*
 * Move stack's start down to new_start, for a fault just below a stack.
 * stack must be a REGION_STACK region of set (as region_find/next returned
 * it), new_start page-aligned with grow_limit <= new_start < stack->start.
 * Returns 0; -EINVAL otherwise; -EEXIST if the previous region ends above
 * new_start (set unchanged). Never allocates: safe in the fault handler.
 */
__must_check int region_grow_down(struct region_set *set, const struct region *stack,
				  virt_addr_t new_start);

/*
 * Call fn(r, arg) for each region in address order; stop early when fn
 * returns false. fn must not change the set.
 */
void region_for_each(const struct region_set *set,
		     bool (*fn)(const struct region *r, void *arg), void *arg);

/*
 * NULL if set keeps every invariant listed at the top of this file, else a
 * description of the first violation, in a static buffer that the next call
 * overwrites.
 */
const char *region_check_invariants(const struct region_set *set);

#endif
