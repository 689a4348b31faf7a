/*
 * memblock.h - the early allocator: physical memory before the buddy
 * allocator exists (the same idea as Linux's memblock).
 *
 * Two sorted lists of physical ranges: `memory` (usable RAM from the
 * sanitized map) and `reserved` (what is in use, each with the name of its
 * owner: "kernel image", "boot information", "page descriptors", ...).
 * Allocation is first-fit from the top of memory below a limit, so early
 * allocations stay out of the scarce low zones. When the buddy allocator is
 * up, memblock_for_each_free() hands it every range that is memory and not
 * reserved, so nothing is lost; memblock is then retired (further calls
 * refused).
 * Invariants (of both lists):
 *   [x] sorted by start, disjoint, non-empty, page-aligned;
 *   [x] adjacent memory ranges are merged; adjacent reserved ranges are
 *       merged only when they have the same owner.
 * Boot CPU only, before interrupts matter; host-compilable.
 */
#ifndef MM_MEMBLOCK_H
#define MM_MEMBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

#define MEMBLOCK_MAX 128 /* ranges per list */

struct memblock_region {
	phys_addr_t start, end; /* [start, end), page-aligned */
	const char *owner;      /* reserved list: who reserved it; memory list: NULL */
};

struct memblock_list {
	struct memblock_region regions[MEMBLOCK_MAX];
	size_t count;
};

struct memblock {
	struct memblock_list memory;
	struct memblock_list reserved;
	bool retired; /* handed over to the buddy allocator */
};

extern struct memblock memblock;

/* Empty both lists and un-retire (tests call it between cases). */
void memblock_reset(void);

/*
 * Add usable RAM [start, end); shrunk inward to whole pages.
 * Returns 0, -EINVAL (empty after shrinking, or retired), -ENOSPC (list full).
 */
__must_check int memblock_add(phys_addr_t start, phys_addr_t end);

/*
 * Mark [start, end) as in use by owner (a string that outlives memblock);
 * grown outward to whole pages. May overlap memory or not (reserving a
 * hole is harmless) and may overlap other reservations (the union is kept;
 * where owners differ the earlier reservation keeps its name).
 * Returns 0, -EINVAL (start >= end, or retired), -ENOSPC (list full).
 */
__must_check int memblock_reserve(phys_addr_t start, phys_addr_t end, const char *owner);

/*
 * Allocate size bytes (rounded up to pages) aligned to align (a power of two,
 * at least PAGE_SIZE) entirely below limit, from the highest free range that
 * fits, and reserve it for owner. The memory is NOT zeroed.
 * Returns its physical address, or 0 when nothing fits (0 is never handed
 * out: page 0 is always reserved by the caller).
 */
__must_check phys_addr_t memblock_alloc(uint64_t size, uint64_t align, phys_addr_t limit,
					const char *owner);

/* Bytes of memory, and bytes of memory that are also reserved. */
uint64_t memblock_memory_bytes(void);
uint64_t memblock_reserved_bytes(void);

/* Reserved bytes (inside memory) whose owner is exactly owner. */
uint64_t memblock_reserved_bytes_of(const char *owner);

/*
 * Call fn(start, end, arg) for every page-aligned range that is memory and
 * not reserved, in ascending order.
 */
void memblock_for_each_free(void (*fn)(phys_addr_t start, phys_addr_t end, void *arg), void *arg);

/* Refuse all further changes: the buddy allocator owns free memory now. */
void memblock_retire(void);

#endif
