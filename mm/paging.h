/*
 * paging.h - the page-table engine: map, unmap, protect, translate and walk
 * virtual ranges of an address space in x86-64 4-level paging.
 *
 * An address space is a tree of page tables rooted at its PML4 (see
 * mm/pte.h for the entry format and the 48-bit address split). The engine
 * manipulates that tree with one loop over the four levels, allocating
 * table pages from the buddy allocator (zeroed) and giving back the ones
 * that become empty. It maps with the largest page (1 GiB, 2 MiB, 4 KiB)
 * that alignment and size allow, or one size on request, and splits a huge
 * page when only part of it is unmapped or changes protection.
 *
 * Every operation checks its arguments first: non-canonical, misaligned or
 * wrapping ranges return -EINVAL and never reach the tables, and so do
 * flags that are writable and executable at once (-EPERM: W^X). Operations
 * either complete or leave the space as it was (a failed allocation halfway
 * through a map rolls back).
 *
 * TLB: after changing live entries the engine invalidates the pages it
 * touched with invlpg, or, past PAGING_FLUSH_THRESHOLD pages, flushes the
 * whole TLB once (Linux switches at 33); counters of both are kept. Then
 * the other CPUs that may cache the pages are told (arch_tlb_flush_remote:
 * one request per CPU for the whole batch), before any table page is freed.
 *
 * Locking: each space has a spinlock that every operation below holds for
 * its whole work (tables, TLB invalidation), with interrupts off, so
 * operations on one space from several CPUs serialize; paging_walk alone
 * reads without it (diagnostics). The kernel half is shared: change it only
 * through kernel_space, whose lock then covers it. Table pages are
 * allocated under the lock (lock order: page tables -> slab cache (the
 * shrinker) -> zone). paging_for_each_range calls fn with the lock held:
 * fn may read the same space again (paging_translate and
 * paging_for_each_range see this CPU holds the lock and nest), never
 * change it (a map or unmap there is reported as a lock recursion).
 * Contracts: any CPU, interrupts on or off, never sleeps. Host-compilable:
 * CR3 and invlpg go through mm/arch.h.
 */
#ifndef MM_PAGING_H
#define MM_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/panic.h"
#include "mm/arch.h"
#include "mm/layout.h"
#include "mm/pte.h"
#include "mm/spinlock.h"

/* What a mapping allows: flags, not bools. Default (0): kernel, read-only, no-execute. */
#define MAP_WRITE (1u << 0)       /* writable (never together with MAP_EXEC: W^X) */
#define MAP_USER (1u << 1)        /* ring 3 may access */
#define MAP_EXEC (1u << 2)        /* instructions may be fetched (clears NX) */
#define MAP_GLOBAL (1u << 3)      /* survives CR3 switches (kernel mappings) */
#define MAP_UNCACHED (1u << 4)    /* UC: device registers */
#define MAP_WRITE_COMBINE (1u << 5) /* WC through the PAT: frame buffers */
#define MAP_WRITE_THROUGH (1u << 6) /* WT */
#define MAP_CACHE_MASK (MAP_UNCACHED | MAP_WRITE_COMBINE | MAP_WRITE_THROUGH)
/* Options of paging_map only. */
#define MAP_REPLACE (1u << 8)     /* overwrite existing mappings instead of -EEXIST */
#define MAP_SIZE_4K (1u << 9)     /* use only 4 KiB pages */
#define MAP_SIZE_2M (1u << 10)    /* use only 2 MiB pages (range must be 2 MiB aligned) */
#define MAP_SIZE_1G (1u << 11)    /* use only 1 GiB pages (range must be 1 GiB aligned) */

#define PAGING_FLUSH_THRESHOLD 33 /* more pages than this: one full TLB flush */
#define PAGING_LEVELS 4
#define PAGING_KERNEL_HALF KERNEL_HALF_START /* PML4 slots 256-511, shared by every space */

struct region_set;

struct address_space {
	phys_addr_t pml4;       /* physical address of the root table */
	uint16_t pcid;          /* process-context identifier, 0 when unused */
	bool shares_kernel;     /* PML4 slots 256-511 point to the kernel's tables */
	uint64_t table_pages;   /* page-table pages owned (the PML4 included) */
	uint64_t minflt;        /* faults resolved in it (mm/fault.c, atomic adds): ru_minflt */
	cpumask_t cpus;         /* CPUs with this space in CR3 now (address_space_activate):
				 * the targets of its TLB shootdowns */
	struct region_set *regions; /* what the space's ranges are for (mm/region.h), or NULL;
				     * set by the space's owner, never touched by the engine */
	spinlock_t lock;        /* the tables and table_pages (named by paging_create) */
};

/* Result of paging_translate. */
struct paging_translation {
	phys_addr_t pa;         /* physical address va maps to */
	uint64_t page_size;     /* 4 KiB, 2 MiB or 1 GiB */
	unsigned flags;         /* MAP_* of the mapping */
	pte_t entry;            /* the leaf entry, raw */
};

/* Result of paging_walk: the entries met on the way down. */
struct paging_walk {
	int levels;             /* entries recorded (1..4) */
	struct {
		const char *name;   /* "PML4", "PDPT", "PD", "PT" */
		unsigned index;     /* 0..511 */
		phys_addr_t table;  /* physical address of the table */
		pte_t entry;        /* the entry at index, raw */
	} level[PAGING_LEVELS];
	const char *stop;       /* why the walk ended: "not present", "1 GiB page", ... */
	bool mapped;            /* ended at a present leaf */
};

/*
 * TLB and page-table counters, one set per CPU (paging_stats_cpu, counted
 * with interrupts off by paging.c); readers sum them with paging_stats_total().
 */
struct paging_stats {
	uint64_t invlpg;        /* single-page invalidations */
	uint64_t full_flushes;  /* whole-TLB flushes */
	uint64_t tables_allocated;
	uint64_t tables_freed;
	uint64_t splits;        /* huge pages split */
};

extern struct paging_stats paging_stats_cpu[MM_MAX_CPUS];

/* Every CPU's paging counters summed (`ptdump`, `vmstat`, meminfo, tests). Any context. */
struct paging_stats paging_stats_total(void);

/* Is va canonical (bits 63..47 all equal)? */
static inline bool paging_canonical(virt_addr_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/*
 * What the CPU supports, from CPUID, set once at boot before the first
 * mapping (both default to true). Without NX (EFER.NXE off) bit 63 is
 * reserved, so no entry gets PTE_NX and every page is executable. Without
 * 1 GiB pages (CPUID pdpe1gb) paging_map picks at most 2 MiB pages and
 * refuses MAP_SIZE_1G with -ENOTSUP.
 */
void paging_set_nx(bool usable);
void paging_set_1g_pages(bool usable);

/*
 * Create an empty address space (a zeroed PML4 from the buddy allocator).
 * With kernel non-NULL, the new space shares the kernel half (PML4 slots
 * 256-511) of kernel. Returns 0 or -ENOMEM.
 */
__must_check int paging_create(struct address_space *as, const struct address_space *kernel);

/*
 * Free every page-table page of the user half, and the PML4 (the shared
 * kernel half is left alone). The pages the space mapped are not freed:
 * they belong to whoever mapped them. The space must not be the current one.
 * A space created without a kernel owns its kernel half too and frees it:
 * destroy the spaces sharing it first.
 */
void paging_destroy(struct address_space *as);

/*
 * Map [va, va + size) to [pa, pa + size) with flags (MAP_*). va, pa and
 * size must be 4 KiB aligned (or aligned to the forced MAP_SIZE_*), size
 * non-zero, neither range may wrap, the virtual range must be canonical and
 * not cross the canonical hole, pa + size <= 2^52; flags hold at most one
 * cache type and one MAP_SIZE_*. In a space that shares the kernel half,
 * kernel-half ranges are -EINVAL here and in unmap and protect: the kernel
 * half changes through the kernel's own space, and every space sees it.
 * Returns 0; -EINVAL for bad arguments; -EPERM for MAP_WRITE with MAP_EXEC
 * (W^X: nothing is mapped writable and executable at once); -ENOTSUP for
 * MAP_SIZE_1G without 1 GiB pages; -EEXIST if any page of the range is
 * already mapped (unless MAP_REPLACE); -ENOMEM when a table page cannot be
 * allocated (the space is as before: no page of the range changed, no table
 * leaks).
 */
__must_check int paging_map(struct address_space *as, virt_addr_t va, phys_addr_t pa, uint64_t size,
			    unsigned flags);

/*
 * Unmap [va, va + size) (4 KiB aligned, canonical, non-wrapping): holes are
 * skipped; a huge page only partly inside is split first. Page-table pages
 * that become empty are freed (the PML4 never is).
 * Returns 0, -EINVAL, or -ENOMEM when a split cannot get a table page (then
 * nothing is unmapped; a huge page at the other end may stay split, with
 * the same translations).
 */
__must_check int paging_unmap(struct address_space *as, virt_addr_t va, uint64_t size);

/*
 * Give every mapped page of [va, va + size) the protection and caching in
 * flags (MAP_WRITE/USER/EXEC/GLOBAL/cache bits), splitting huge pages only
 * partly inside. Returns 0, -EINVAL, -EPERM for MAP_WRITE with MAP_EXEC
 * (W^X, as for paging_map), -ENOENT if part of the range is not mapped
 * (nothing changed), -ENOMEM (no protection changed; as for unmap, a huge
 * page may stay split).
 */
__must_check int paging_protect(struct address_space *as, virt_addr_t va, uint64_t size,
				unsigned flags);

/* What va maps to. Returns 0 and fills *out, -ENOENT if unmapped, -EINVAL if non-canonical. */
__must_check int paging_translate(const struct address_space *as, virt_addr_t va,
				  struct paging_translation *out);

/*
 * Record the walk for va level by level (the `walk` command). Returns 0
 * (even when not mapped) or -EINVAL (va not canonical).
 */
__must_check int paging_walk(const struct address_space *as, virt_addr_t va,
			     struct paging_walk *out);

/*
 * Call fn for each maximal run of consecutive virtual pages in [from, to)
 * that are mapped with the same flags and page size and physically
 * contiguous (ptdump). to == 0 means the top of the address space; the
 * canonical hole is skipped. fn returns false to stop.
 */
typedef bool (*paging_range_fn)(virt_addr_t start, virt_addr_t end, phys_addr_t pa,
				uint64_t page_size, unsigned flags, void *arg);
void paging_for_each_range(const struct address_space *as, virt_addr_t from, virt_addr_t to,
			   paging_range_fn fn, void *arg);

/*
 * 4 KiB pages mapped in the user half of as (a 2 MiB leaf counts 512):
 * from the tables' present-entry counts, without visiting each entry of a
 * page table (exit's ru_maxrss, getrusage). Takes the tables' lock; any
 * context where paging_for_each_range may run.
 */
uint64_t paging_user_pages(const struct address_space *as);

/*
 * Mapped runs in batches, for callers that change the tables run by run
 * (release, mprotect) and so cannot do it inside paging_for_each_range's
 * callback, which holds the space's lock. A run is as
 * paging_for_each_range's: consecutive pages, same flags and page size,
 * physically contiguous, so run->pa + (va - run->start) is va's frame.
 */
#define PAGING_RUN_BATCH 16 /* runs recorded per walk (a longer range takes more walks) */

struct paging_run {
	virt_addr_t start, end; /* [start, end), clipped to the range asked for */
	phys_addr_t pa;         /* what start maps to */
};

struct paging_run_batch {
	unsigned count;
	virt_addr_t from, to; /* paging_next_runs's own: the range the runs are clipped to */
	struct paging_run runs[PAGING_RUN_BATCH];
};

/* paging_for_each_range callback of paging_next_runs (paging.c); arg: the batch. */
bool paging_record_run(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
		       unsigned flags, void *arg);

/*
 * Fill batch with the first mapped runs of as in [from, to) (from < to,
 * to != 0), in address order, each clipped to [from, to) (a huge page that
 * begins before from: start and pa move up together). Returns
 * batch->count: 0 when nothing in [from, to) is mapped, else at most
 * PAGING_RUN_BATCH; to go on, call again from the last run's end. One
 * page-table walk; the batch is a snapshot that the caller's own changes
 * outdate. Context: as paging_for_each_range (not from inside its fn).
 * Inline: munmap's path calls it once per page it frees.
 */
static inline unsigned paging_next_runs(const struct address_space *as, virt_addr_t from,
					virt_addr_t to, struct paging_run_batch *batch)
{
	ASSERT(from < to, "paging_next_runs: empty range (to == 0 is not the top here)");
	batch->count = 0;
	batch->from = from;
	batch->to = to;
	paging_for_each_range(as, from, to, paging_record_run, batch);
	return batch->count;
}

/*
 * fork's copy of the page tables, in one walk: every 4 KiB page mapped in
 * src's [start, end) (user half, page-aligned, start < end) is mapped in
 * dst at the same address to the same frame, read-only in both: src's
 * writable entries lose their write bit (invalidated here and on the CPUs
 * in src->cpus, one batch for the whole walk), dst gets src's entry as it
 * is then (flags, accessed, dirty). fn(va, pa, arg) is called once per page
 * shared, in address order, after both entries are written (the caller
 * counts owners: page_get). dst's tables are made as needed (one descent
 * per page table of src that has pages in range); only tables that get a
 * page are made. dst must be a space no one else uses yet (not active on
 * any CPU, not read by anyone: its lock is not taken); src's lock is held
 * throughout (fn runs under it: it must not call paging_* on src or dst).
 * Returns 0; -EINVAL (bad range, or a huge page in src's range: user pages
 * are 4 KiB); -EEXIST (dst maps a page of the range already); -ENOMEM (no
 * table page for dst). On an error the pages shared so far stay shared
 * (fn was called for each of them), the others are untouched in both.
 */
typedef void (*paging_share_fn)(virt_addr_t va, phys_addr_t pa, void *arg);
__must_check int paging_share_cow(struct address_space *dst, struct address_space *src,
				  virt_addr_t start, virt_addr_t end, paging_share_fn fn,
				  void *arg);

/*
 * paging_destroy, telling fn(va, pa, arg) first each 4 KiB page that the
 * tables being freed map, in address order (fn NULL: paging_destroy): the
 * owner of a dying space drops its frames in the same walk that frees the
 * tables. fn runs with the space's lock held (lock order: page tables ->
 * zone: it may free pages, never touch the space). The space is active on
 * no CPU, so no TLB can use its entries while fn frees what they map.
 */
void paging_destroy_each(struct address_space *as, paging_share_fn fn, void *arg);

/*
 * PCIDs (process-context identifiers, SDM 4.10.1): with CR4.PCIDE on, the
 * TLB tags each entry with the PCID in CR3 bits 11:0 when it was cached, so
 * several spaces' entries can be in it at once. A pool hands out 1, 2, ...,
 * PCID_MAX in order; 0 is the kernel space's (CR4.PCIDE may only be set
 * while CR3 holds PCID 0). Initialize a pool with PCID_POOL_INIT.
 */
#define PCID_MAX 4095
struct pcid_pool {
	uint16_t next; /* the identifier to hand out next; PCID_MAX + 1: used up */
};
#define PCID_POOL_INIT {1}

/*
 * Give as the pool's next PCID if it has none yet (as->pcid == 0); a space
 * that has one keeps it, and the pool does not change. When the pool is
 * used up it starts over at 1, and the identifiers are then shared with
 * spaces that got them before: returns true in that case, and the caller
 * must flush the whole TLB, every PCID's entries, before using the new one.
 * Returns false otherwise. Callers serialize (the space switch).
 */
__must_check bool paging_pcid_assign(struct pcid_pool *pool, struct address_space *as);

/* "rw-ug" style text of flags into buf (for the shell). */
const char *paging_flags_text(unsigned flags, char *buf, unsigned size);

#endif
