/*
 * buddy.h - the page allocator: zones, buddy free lists, per-CPU page caches.
 *
 * Physical memory is split into zones by address, because some devices can
 * only reach low memory:
 *   ZONE_DMA     [0, 16 MiB)    ISA DMA
 *   ZONE_DMA32   [16 MiB, 4 GiB) 32-bit DMA
 *   ZONE_NORMAL  [4 GiB, ...)   everything else
 * A request names the highest zone it can use (ALLOC_DMA, ALLOC_DMA32, or
 * neither for Normal) and falls back downward only: Normal -> DMA32 -> DMA.
 *
 * Within a zone, free memory is kept as blocks of 2^order pages, order
 * 0..MAX_ORDER, each aligned to its size, on one free list per order. An
 * allocation takes a block of the smallest order that has one and splits
 * it in halves ("buddies") down to the order asked for; a free merges the
 * block with its buddy (pfn ^ (1 << order)) as long as the buddy is free
 * and of the same order. In front of the lists, each CPU keeps a short list
 * of free single pages (per-CPU pages): most order-0 allocations and frees
 * touch only that list, and it is refilled or drained in batches.
 *
 * Locking: each zone's free lists are under zone->lock (a spinlock taken
 * with interrupts off); each CPU's per-CPU list is that CPU's alone, used
 * with interrupts off and no lock, and only its refill and drain take the
 * zone lock. zone->free_pages changes by atomic adds (the per-CPU fast path
 * takes no lock), and the counters the fast path bumps are per CPU.
 * Contracts for every function below: interrupts may be on or off (the
 * allocator disables them around its lists), any CPU, never sleeps; not
 * from an interrupt handler that interrupted the allocator itself.
 * Lock order: zone locks are leaves (taken last: the slab, vmalloc and
 * paging locks may be held around an allocation); two zone locks nest only
 * in zone order (DMA, DMA32, Normal: the invariant checker).
 * Host-compilable.
 */
#ifndef MM_BUDDY_H
#define MM_BUDDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/list.h"
#include "mm/arch.h"
#include "mm/page.h"
#include "mm/spinlock.h"

#define MAX_ORDER 10 /* largest block: 2^10 pages = 4 MiB */

enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_COUNT };

/* Allocation flags. */
#define ALLOC_DMA (1u << 0)     /* highest zone allowed: DMA (< 16 MiB) */
#define ALLOC_DMA32 (1u << 1)   /* highest zone allowed: DMA32 (< 4 GiB) */
#define ALLOC_ZERO (1u << 2)    /* fill the block with zeroes */
#define ALLOC_RESERVE (1u << 3) /* may go below the min watermark (emergencies, tests) */
#define ALLOC_NO_SHRINK (1u << 4) /* do not call the shrinkers when memory is low */

struct free_area {
	struct list_node blocks; /* head pages of free blocks of this order */
	size_t count;            /* blocks on the list */
};

struct per_cpu_pages {
	struct list_node pages; /* free order-0 pages, PG_PCP set */
	unsigned count;         /* pages on the list */
	unsigned high;          /* drain a batch when count exceeds this */
	unsigned batch;         /* pages moved per refill or drain */
	/* This CPU's share of the zone's counters (no lock: only this CPU writes them). */
	uint64_t allocs;        /* alloc_pages() calls this CPU served from the zone */
	uint64_t frees;         /* free_pages() calls this CPU made into the zone */
	uint64_t hits;          /* order-0 allocations served straight from this list */
};

/*
 * A zone's counters. In struct zone the first three stay 0: each CPU counts
 * them in its per_cpu_pages (allocs, frees, hits), and buddy_zone_snapshot()
 * adds them up; the rest change under the zone lock.
 */
struct zone_stats {
	uint64_t alloc_pages;     /* successful alloc_pages() calls served by this zone */
	uint64_t free_pages;      /* free_pages() calls into this zone */
	uint64_t pcp_hits;        /* order-0 allocations served straight from a per-CPU list */
	uint64_t pcp_refills;     /* batch refills of a per-CPU list */
	uint64_t pcp_drains;      /* batch drains back to the buddy lists */
	uint64_t splits;          /* blocks split in two */
	uint64_t merges;          /* buddies merged */
	uint64_t watermark_refusals; /* requests refused to keep the min reserve */
};

struct zone {
	spinlock_t lock;           /* the free lists, spans, watermarks, stats (not pcp[]) */
	const char *name;          /* "DMA", "DMA32", "Normal" */
	uint64_t start_pfn;        /* zone span [start_pfn, end_pfn), may contain holes */
	uint64_t end_pfn;
	uint64_t managed_pages;    /* pages handed to this zone by buddy_add_free_range() */
	uint64_t free_pages;       /* free: on free lists and on per-CPU lists (atomic adds) */
	uint64_t watermark_min;    /* ordinary requests keep at least this many free */
	uint64_t watermark_low;    /* below this, the shrinkers are called */
	uint64_t watermark_high;   /* reclaim target (shown in zoneinfo) */
	struct free_area free_area[MAX_ORDER + 1];
	struct per_cpu_pages pcp[MM_MAX_CPUS];
	struct zone_stats stats;
};

extern struct zone zones[ZONE_COUNT];

/* Zone limits: physical addresses where DMA and DMA32 end (tests shrink them). */
struct buddy_config {
	phys_addr_t dma_limit;   /* default 16 MiB */
	phys_addr_t dma32_limit; /* default 4 GiB */
};

/*
 * Empty every zone and set the zone limits (both multiples of the largest
 * block size). Call before page_descriptors_init() (which uses
 * buddy_zone_of_pfn) and before adding memory.
 */
void buddy_init(const struct buddy_config *config);

/* The zone of frame pfn under the current limits (for page_descriptors_init). */
uint8_t buddy_zone_of_pfn(uint64_t pfn);

/*
 * Give the frames of [start, end) (page-aligned, all with descriptors) to
 * the allocator as free memory, as blocks as large as alignment allows.
 * Used once at boot for every range memblock has left.
 */
void buddy_add_free_range(phys_addr_t start, phys_addr_t end);

/* Recompute each zone's watermarks from its managed pages (after adding memory). */
void buddy_set_watermarks(void);

/*
 * Allocate 2^order contiguous frames (order 0..MAX_ORDER) from the highest
 * zone flags allow, falling back to lower zones. The block is naturally
 * aligned (its physical address is a multiple of its size), its head
 * descriptor has PG_HEAD, order and refcount 1. Returns NULL when no zone
 * allowed has such a block without going below its min watermark
 * (ALLOC_RESERVE ignores the watermark), or for an order above MAX_ORDER.
 * Never sleeps, never panics.
 */
__must_check struct page *alloc_pages(unsigned flags, unsigned order);

/*
 * Return the block headed by page, which alloc_pages(..., order) returned.
 * Checked before anything changes; on error nothing is modified, a report
 * naming the caller is printed, and the result is:
 *   -EINVAL  page is NULL, has no descriptor or is PG_RESERVED (not managed RAM),
 *            or order > MAX_ORDER
 *   -EFAULT  page is not the head of an allocated block (a page inside one)
 *   -ERANGE  the block was allocated with a different order
 *   -EBUSY   double free: the page is already free
 * Returns 0 on success.
 */
__must_check int free_pages(struct page *page, unsigned order);

/*
 * Reference counts, for frames with several owners (copy-on-write sharing):
 * a block comes from alloc_pages() with refcount 1; page_get() adds an
 * owner; page_put() drops one, and the last page_put() frees the block
 * (free_pages() of a block with more than one owner is a bug: it asserts).
 * page must head an allocated block. Interrupts on or off.
 */
void page_get(struct page *page);
void page_put(struct page *page);

/* Single pages. */
static inline __must_check struct page *alloc_page(unsigned flags) { return alloc_pages(flags, 0); }
static inline __must_check int free_page(struct page *page) { return free_pages(page, 0); }

/*
 * Like free_pages() for a direct-map address or physical address: the
 * caller's pointer is converted and checked (outside managed RAM: -EINVAL).
 */
__must_check int free_pages_phys(phys_addr_t pa, unsigned order);

/*
 * The head of the block that holds frame page: page itself when it heads a
 * free block (PG_BUDDY), is a per-CPU page (PG_PCP) or heads an allocated
 * block (PG_HEAD); otherwise the head of the free or allocated block around
 * it; NULL when it is in none (PG_RESERVED frames). The head's flags say
 * which, its order how large. page must be a descriptor. Reads only, in
 * O(MAX_ORDER); interrupts off for an answer that stays true.
 */
const struct page *buddy_block_of(const struct page *page);

/*
 * Move every per-CPU page of every zone, on every CPU, back to the buddy
 * lists: each online CPU drains its own lists (arch_on_each_cpu), so that
 * counts compared afterwards are exact. Interrupts on (other CPUs are
 * asked), or off while only one CPU is online.
 */
void buddy_drain_pcp(void);

/* Free pages in all zones (free lists + per-CPU lists), and managed pages. */
uint64_t buddy_free_pages(void);
uint64_t buddy_managed_pages(void);

/*
 * A consistent copy of one zone's state, for reports (the shell's
 * buddyinfo, zoneinfo, fragmentation, meminfo): readers outside mm/ use
 * this instead of reaching into zones[].
 */
struct zone_snapshot {
	const char *name;               /* "DMA", "DMA32", "Normal" */
	uint64_t start_pfn, end_pfn;    /* span [start_pfn, end_pfn) */
	uint64_t managed_pages;         /* 0: no RAM in this zone */
	uint64_t free_pages;            /* free lists + per-CPU lists */
	uint64_t watermark_min, watermark_low, watermark_high;
	size_t free_blocks[MAX_ORDER + 1]; /* blocks on each order's free list */
	struct {
		unsigned count, high, batch;
	} pcp[MM_MAX_CPUS];             /* each CPU's list of free single pages */
	struct zone_stats stats;        /* counters since boot */
};

/*
 * Copy zone z (ZONE_DMA .. ZONE_NORMAL) into *out, under the zone's lock so
 * that the free-list counts agree with each other (other CPUs' per-CPU
 * counts are read as they are at that moment; drain first for exact ones). Returns 0, or -EINVAL
 * for a z outside the zones (*out untouched). Interrupts on or off.
 */
int buddy_zone_snapshot(int z, struct zone_snapshot *out);

/* The name of zone z ("DMA", "DMA32", "Normal"), or "?" for a z outside the zones. */
const char *buddy_zone_name(int z);

/*
 * Free-page poisoning (debug): while on, freed pages are filled with
 * PAGE_POISON_BYTE and checked when handed out again; a changed byte is
 * reported as a use-after-free write (frame, offset, value) and counted.
 */
#define PAGE_POISON_BYTE 0x6b
void buddy_set_poisoning(bool on);
bool buddy_poisoning(void);
uint64_t buddy_poison_violations(void);

/*
 * Shrinkers: functions that give memory back (the slab allocator's empty
 * slabs, later). alloc_pages() calls them, once per request, when a zone
 * is below its low watermark. Registering fn again changes nothing (slab_init
 * may run more than once, in tests). Returns 0, -EINVAL for NULL, or
 * -ENOSPC when the table is full.
 */
typedef uint64_t (*shrinker_fn)(void); /* returns pages freed */
__must_check int buddy_register_shrinker(shrinker_fn fn);

/*
 * Check every invariant of every zone (see buddy.c's opening comment);
 * returns NULL or a description of the first violation. O(free blocks) for
 * the lists plus one pass over all descriptors (a few loads per frame:
 * stray flags and overlapping blocks show only there), interrupts off and
 * every zone lock held throughout. Other CPUs' per-CPU lists are walked
 * too: exact only while no other CPU allocates (tests). For tests and the
 * `selftest` suites.
 */
const char *buddy_check_invariants(void);

#endif
