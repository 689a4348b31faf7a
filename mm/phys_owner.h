/*
 * phys_owner.h - who owns a physical range, and where else it is mapped.
 *
 * Before anything maps a physical address it was given (the shell's `map VA
 * SIZE PA`), it must know whether that memory is already somebody's: a
 * second mapping of a page table, of the kernel image or of a free frame
 * lets a stray write corrupt the kernel behind its back. The answer comes
 * from the two records the kernel already keeps, not from a new table:
 *   - memblock's lists: which ranges are RAM, and which of those were
 *     reserved at boot and by whom ("kernel image", "page tables", ...);
 *   - the page descriptors: a managed frame is free (PG_BUDDY or PG_PCP on
 *     its block's head) or in an allocated block (PG_HEAD), which may be a
 *     page table (PG_TABLE) or a slab (PG_SLAB).
 * Addresses outside RAM (device registers, firmware areas, nothing at all)
 * are nobody's here: the kernel does not manage them.
 *
 * Invariants:
 *   [x] reads only: no lock taken, nothing changed (interrupts are off
 *       around the descriptor reads, so one answer is one consistent view)
 *   [x] an extent reported always contains the address asked about
 *
 * Context: after pmm_init() (memblock's lists and the descriptors exist);
 * any thread, interrupts on or off. Host-compilable (tests/host/test_phys_owner.c).
 */
#ifndef MM_PHYS_OWNER_H
#define MM_PHYS_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/layout.h"

struct address_space;

enum phys_owner_kind {
	PHYS_OWNER_NONE,       /* not RAM: a device or firmware hole, or nothing */
	PHYS_OWNER_RESERVED,   /* RAM reserved at boot (memblock): reserved_by says for what */
	PHYS_OWNER_FREE,       /* free in the page allocator (a free block or a per-CPU page) */
	PHYS_OWNER_PAGE_TABLE, /* a page-table page of some address space */
	PHYS_OWNER_SLAB,       /* a slab of the kernel heap */
	PHYS_OWNER_ALLOCATED,  /* any other block allocated from the page allocator */
};

struct phys_owner {
	enum phys_owner_kind kind;
	phys_addr_t start, end;  /* [start, end): the hole, reservation or block holding the
				  * address (a hole ends where RAM starts again, or at 2^64-1) */
	const char *reserved_by; /* PHYS_OWNER_RESERVED: memblock's owner name; else NULL */
};

/* Who owns the frame holding physical address pa. Fills *out; never fails. */
void phys_owner_of(phys_addr_t pa, struct phys_owner *out);

/* Asked for each owned extent found: true if the caller may map it anyway. */
typedef bool (*phys_owner_allow_fn)(const struct phys_owner *owner, void *arg);

/*
 * The first frame of [pa, pa + size) that is owned (kind other than
 * PHYS_OWNER_NONE) and that allow (may be NULL: nothing is allowed) does not
 * accept. Returns true and fills *at with the lowest such address inside the
 * range and *owner with its owner, or false when the whole range is holes
 * and allowed extents. pa and size need no alignment; size 0 is an empty
 * range; a range that wraps past 2^64 is treated as ending there.
 * O(extents in the range * (memblock ranges + MAX_ORDER)).
 */
bool phys_range_find_owned(phys_addr_t pa, uint64_t size, phys_owner_allow_fn allow, void *arg,
			   phys_addr_t *at, struct phys_owner *owner);

/*
 * The owner in words, as the predicate of a sentence about the address:
 * "is the kernel image", "belongs to the page tables", "is free memory of
 * the page allocator", ... Written into buf (size bytes, NUL-terminated,
 * truncated if needed); returns buf.
 */
const char *phys_owner_text(const struct phys_owner *owner, char *buf, size_t size);

/* A mapping of part of a physical range, found by phys_find_alias(). */
struct phys_alias {
	virt_addr_t va;    /* the first virtual address of the alias that maps the range */
	phys_addr_t pa;    /* the physical address it maps */
	unsigned flags;    /* the mapping's MAP_* flags */
};

/*
 * Is some page of [pa, pa + size) mapped in as (both halves) with all of the
 * MAP_* flags in need (0: with any flags), at a virtual address outside
 * [skip, skip + skip_size)? Returns true with the lowest such mapping in
 * *out, or false. Used to keep W^X across aliases: a frame must not be
 * writable at one address and executable at another. Walks every mapping of
 * as (as ptdump does); callers serialize with changes to as (paging.h).
 */
bool phys_find_alias(const struct address_space *as, phys_addr_t pa, uint64_t size,
		     unsigned need, virt_addr_t skip, uint64_t skip_size, struct phys_alias *out);

#endif
