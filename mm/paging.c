/*
 * paging.c - the page-table engine (contracts in paging.h). One loop over a
 * table of level descriptors {name, shift} does all walking: path_walk()
 * reads the way down to va, descend() makes it (allocating tables, splitting
 * a huge page in the way), range_next() steps through a range one leaf or
 * hole at a time (a missing PML4 entry skips 512 GiB at once).
 * Invariants:
 *   [x] a table page's struct page `private` counts its present entries (kept
 *       by entry_set(), the one writer; a split sets 512 at once), so "became
 *       empty" is one comparison; no table is empty but the PML4 and the PDPTs
 *       below kernel-half slots, which other spaces copy and which stay;
 *   [x] table pages come from and go back to the buddy allocator, zeroed, and
 *       carry PG_TABLE while they are tables (mm/phys_owner.c names them);
 *   [x] what can fail (arguments, overlap, holes, allocations, splits) runs
 *       before live entries change, so an error leaves translations as
 *       they were;
 *   [x] a table page is freed only after the TLB invalidation (tlb_finish).
 * Context: paging.h (any CPU; each space's tables under its lock).
 * Recursion at most 3 deep.
 * Lock order:
 *   [x] as->lock ("kernel page tables" for kernel_space and other spaces
 *       that own the kernel half, "page tables" for the rest) is held for a
 *       whole map/unmap/protect/translate/destroy/for_each_range, the TLB
 *       invalidation included, with interrupts off;
 *   [x] inside it only the allocator: as->lock -> (shrinker: slab cache) ->
 *       zone, for table pages; never vmalloc's or a region set's (callers
 *       take those before or after, not around); another space's only as
 *       "page tables" -> "kernel page tables" (a walk's fn reading the
 *       kernel's tables, as `protect` does for aliases), never the reverse;
 *   [x] paging_walk reads without it (diagnostics, also from the #PF report);
 *       translate and for_each_range called from a for_each_range callback
 *       on the same space see this CPU holds it and read without retaking.
 */
#include "mm/paging.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/list.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/spinlock.h"

enum { LEVEL_PML4, LEVEL_PDPT, LEVEL_PD, LEVEL_PT };

/* The four levels, top down: an entry at level l covers 2^shift bytes. */
static const struct paging_level {
	const char *name;      /* the table's name, as in the SDM */
	unsigned shift;        /* log2 of the bytes one entry covers */
	const char *leaf_stop; /* a leaf here maps a page of this size (NULL: none can) */
} levels[PAGING_LEVELS] = {
	{"PML4", PML4_SHIFT, NULL},
	{"PDPT", PDPT_SHIFT, "1 GiB page"},
	{"PD", PD_SHIFT, "2 MiB page"},
	{"PT", PT_SHIFT, "4 KiB page"},
};

#define PHYS_LIMIT (1ull << 52)        /* x86-64's architectural maximum */
#define KERNEL_SLOT_FIRST 256          /* PML4 slots 256..511: the kernel half */
#define MAP_PROTECTION (MAP_WRITE | MAP_USER | MAP_EXEC | MAP_GLOBAL | MAP_CACHE_MASK)
#define MAP_SIZE_MASK (MAP_SIZE_4K | MAP_SIZE_2M | MAP_SIZE_1G)
#define INTERMEDIATE_BITS (PTE_PRESENT | PTE_WRITABLE) /* the leaf decides: see descend() */

struct paging_stats paging_stats_cpu[MM_MAX_CPUS];

/* Add n to this CPU's paging counter `field`, interrupts off around it. */
#define PAGING_COUNT(field, n)                                         \
	do {                                                           \
		unsigned long irq_ = arch_irq_save();                  \
		paging_stats_cpu[arch_cpu_id()].field += (n);          \
		arch_irq_restore(irq_);                                \
	} while (0)

struct paging_stats paging_stats_total(void)
{
	struct paging_stats sum = {0};

	for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
		const struct paging_stats *s = &paging_stats_cpu[cpu];
		sum.invlpg += s->invlpg;
		sum.full_flushes += s->full_flushes;
		sum.tables_allocated += s->tables_allocated;
		sum.tables_freed += s->tables_freed;
		sum.splits += s->splits;
	}
	return sum;
}

static bool nx_usable = true;      /* EFER.NXE is on: bit 63 may be set */
static bool pages_1g_usable = true; /* CPUID pdpe1gb: PDPT entries may be leaves */

void paging_set_nx(bool usable)
{
	nx_usable = usable;
}

void paging_set_1g_pages(bool usable)
{
	pages_1g_usable = usable;
}

static uint64_t level_size(int level)
{
	return 1ull << levels[level].shift;
}

/* The table whose physical address is pa, through the direct map. */
static pte_t *table_at(phys_addr_t pa)
{
	return phys_to_virt(pa);
}

/* The table that contains entry. */
static pte_t *table_of(pte_t *entry)
{
	return (pte_t *)ALIGN_DOWN((uintptr_t)entry, PAGE_SIZE);
}

/* Does present entry e at level map a page (rather than point to a table)? */
static bool entry_is_leaf(pte_t e, int level)
{
	return level == LEVEL_PT || (level != LEVEL_PML4 && (e & PTE_HUGE));
}

/* ---- entry encoding ----------------------------------------------------- */

/* The PAT bit sits at bit 7 in a 4 KiB entry, where huge entries have PS. */
static pte_t pat_bit(int level)
{
	return level == LEVEL_PT ? PTE_PAT : PTE_PAT_HUGE;
}

/* MAP_* cache type of each PAT index (mm/pte.h's layout; UC- reads as UC). */
static const unsigned cache_of_pat_index[8] = {
	0, MAP_WRITE_COMBINE, MAP_UNCACHED, MAP_UNCACHED,
	0, MAP_WRITE_THROUGH, MAP_UNCACHED, MAP_UNCACHED,
};

/* The PAT index (PAT:PCD:PWT) of the one cache flag in flags. */
static unsigned pat_index_of(unsigned flags)
{
	if (flags & MAP_UNCACHED)
		return 3;
	if (flags & MAP_WRITE_COMBINE)
		return 1;
	if (flags & MAP_WRITE_THROUGH)
		return 5;
	return 0; /* write-back */
}

/*
 * The protection bits of a leaf for flags, without a branch: MAP_WRITE and
 * MAP_USER (bits 0, 1) become PTE_WRITABLE and PTE_USER (bits 1, 2) by one
 * shift, MAP_GLOBAL (bit 3) PTE_GLOBAL (bit 8), and a missing MAP_EXEC sets
 * PTE_NX when the CPU has NX. (Every page fault maps a leaf: this is on the
 * path whose length `bench fault` measures.)
 */
_Static_assert(MAP_WRITE << 1 == PTE_WRITABLE && MAP_USER << 1 == PTE_USER &&
	       (uint64_t)MAP_GLOBAL << 5 == PTE_GLOBAL && MAP_EXEC == 4,
	       "leaf_protection: the MAP_* bits moved");
static pte_t leaf_protection(unsigned flags)
{
	pte_t nx = (pte_t)((~flags >> 2) & 1 & nx_usable) << 63;

	return ((pte_t)(flags & (MAP_WRITE | MAP_USER)) << 1) |
	       ((pte_t)(flags & MAP_GLOBAL) << 5) | nx;
}

/* The leaf entry mapping pa with flags at level (PT: 4 KiB, PD: 2 MiB, PDPT: 1 GiB). */
static pte_t leaf_entry(phys_addr_t pa, unsigned flags, int level)
{
	pte_t e = pa | PTE_PRESENT | leaf_protection(flags);

	if (level != LEVEL_PT)
		e |= PTE_HUGE;
	if (unlikely(flags & MAP_CACHE_MASK)) {
		unsigned pat = pat_index_of(flags);
		if (pat & 1)
			e |= PTE_PWT;
		if (pat & 2)
			e |= PTE_PCD;
		if (pat & 4)
			e |= pat_bit(level);
	}
	return e;
}

/* The MAP_* flags leaf e at level stands for (leaf_entry's inverse). */
static unsigned leaf_flags(pte_t e, int level)
{
	unsigned pat = (e & PTE_PWT ? 1 : 0) | (e & PTE_PCD ? 2 : 0) | (e & pat_bit(level) ? 4 : 0);
	unsigned flags = cache_of_pat_index[pat];

	if (e & PTE_WRITABLE)
		flags |= MAP_WRITE;
	if (e & PTE_USER)
		flags |= MAP_USER;
	if (!(e & PTE_NX))
		flags |= MAP_EXEC;
	if (e & PTE_GLOBAL)
		flags |= MAP_GLOBAL;
	return flags;
}

/* The physical address leaf e maps (bit 12 of a huge entry is PAT, not address). */
static phys_addr_t leaf_address(pte_t e, int level)
{
	return e & PTE_ADDR_MASK & ~(level_size(level) - 1);
}

/*
 * Bits of present entry e at level that must be 0 (the CPU faults on them).
 * (__unused: a lab skeleton stubs its one caller, paging_walk.)
 */
static __unused pte_t reserved_bits(pte_t e, int level)
{
	pte_t mask = nx_usable ? 0 : PTE_NX;

	if (level == LEVEL_PML4)
		mask |= PTE_HUGE; /* no 512 GiB pages */
	else if (entry_is_leaf(e, level) && level != LEVEL_PT)
		mask |= (level_size(level) - 1) & ~(PTE_PAT_HUGE | (PAGE_SIZE - 1)); /* 20:13 */
	return e & mask;
}

/* ---- TLB batches -------------------------------------------------------- */

/*
 * What one operation must invalidate, gathered while it changes entries and
 * acted on once at the end (Linux's mmu_gather): the pages whose present
 * entries changed, and the table pages unlinked, which go back to the buddy
 * allocator only after the invalidation.
 */
struct tlb_batch {
	const struct address_space *as;
	bool live;      /* this CPU may cache the range: current space or kernel half */
	bool kernel;    /* kernel half: global entries must go too */
	bool overflow;  /* more than PAGING_FLUSH_THRESHOLD pages: flush everything */
	unsigned count; /* pages in page[] */
	virt_addr_t page[PAGING_FLUSH_THRESHOLD];
	virt_addr_t freed_va;           /* an address below an unlinked table */
	struct list_node freed_tables;  /* their struct pages, via page->list */
};

/* May this CPU's TLB hold translations of va in as (the current space, or the kernel half)? */
static bool tlb_may_cache(const struct address_space *as, virt_addr_t va)
{
	return va >= PAGING_KERNEL_HALF || as->pml4 == arch_current_root();
}

static void tlb_begin(struct tlb_batch *tlb, const struct address_space *as, virt_addr_t va)
{
	tlb->as = as;
	tlb->kernel = va >= PAGING_KERNEL_HALF;
	tlb->live = tlb_may_cache(as, va);
	tlb->overflow = false;
	tlb->count = 0;
	list_init(&tlb->freed_tables);
}

/* The present entry mapping va (any page size: one entry, one invalidation) changed. */
static void tlb_add(struct tlb_batch *tlb, virt_addr_t va)
{
	if (tlb->overflow || (tlb->count && tlb->page[tlb->count - 1] == va))
		return;
	if (tlb->count == PAGING_FLUSH_THRESHOLD)
		tlb->overflow = true;
	else
		tlb->page[tlb->count++] = va;
}

/*
 * Invalidate here, then on the other CPUs that may cache the pages, then
 * free the unlinked tables. Any invlpg also empties the paging-structure
 * caches (SDM 4.10.4.1), so unlinked tables need one only when no page was
 * invalidated anyway.
 */
static void tlb_finish(struct tlb_batch *tlb)
{
	if (!tlb->count && !tlb->overflow && !list_empty(&tlb->freed_tables))
		tlb_add(tlb, tlb->freed_va);
	if (tlb->live) {
		if (tlb->overflow) {
			arch_flush_tlb(tlb->kernel);
			PAGING_COUNT(full_flushes, 1);
		} else {
			for (unsigned i = 0; i < tlb->count; i++)
				arch_invalidate_page(tlb->page[i]);
			PAGING_COUNT(invlpg, tlb->count);
		}
	}
	if (tlb->count || tlb->overflow)
		arch_tlb_flush_remote(tlb->as, tlb->page, tlb->count,
				      (tlb->kernel ? TLB_FLUSH_KERNEL : 0) |
				      (tlb->overflow ? TLB_FLUSH_ALL : 0));
	struct page *page, *next;
	list_for_each_entry_safe(page, next, &tlb->freed_tables, list) {
		list_remove(&page->list);
		page->private = 0;
		page->flags &= ~PG_TABLE;
		MUST_SUCCEED(free_page(page), "tlb_finish: freeing an emptied table page");
	}
}

/* ---- table pages -------------------------------------------------------- */

/* A zeroed table page for as (its present-entry count 0), or NULL. */
static pte_t *table_alloc(struct address_space *as)
{
	struct page *page = alloc_page(ALLOC_ZERO);

	if (!page)
		return NULL;
	page->private = 0;
	page->flags |= PG_TABLE;
	as->table_pages++;
	PAGING_COUNT(tables_allocated, 1);
	return table_at(page_to_phys(page));
}

/* Hand table (already unlinked from its parent) to tlb, to be freed after the flush. */
static void table_release(struct address_space *as, pte_t *table, virt_addr_t va,
			  struct tlb_batch *tlb)
{
	list_add_tail(&tlb->freed_tables, &virt_to_page(table)->list);
	tlb->freed_va = va;
	as->table_pages--;
	PAGING_COUNT(tables_freed, 1);
}

/* The present-entry count of table, kept in its page's descriptor. */
static uint32_t *table_count(pte_t *table)
{
	return &virt_to_page(table)->private;
}

/* Write entry, keeping its table's count of present entries. */
static void entry_set(pte_t *entry, pte_t value)
{
	uint32_t *count = table_count(table_of(entry));

	if ((*entry & PTE_PRESENT) && !(value & PTE_PRESENT))
		(*count)--;
	else if (!(*entry & PTE_PRESENT) && (value & PTE_PRESENT))
		(*count)++;
	/* one 64-bit store: the CPU's page walker must never see half an entry */
	*(volatile pte_t *)entry = value;
}

/* Present bits of the entry pointing to a table below va (user half: the leaf decides). */
static pte_t intermediate_bits(virt_addr_t va, bool user)
{
	return INTERMEDIATE_BITS | (user || va < USER_HALF_END ? PTE_USER : 0);
}

/* ---- walking ------------------------------------------------------------ */

/* The entries on the way down to va. */
struct path {
	pte_t *entry[PAGING_LEVELS]; /* va's entry at each level reached */
	int depth;                   /* the last level: a leaf or a non-present entry */
};

/* Follow va down from the PML4 without changing anything. */
static void path_walk(const struct address_space *as, virt_addr_t va, struct path *path)
{
	pte_t *table = table_at(as->pml4);

	for (int level = LEVEL_PML4;; level++) {
		pte_t *entry = &table[pt_index(va, levels[level].shift)];
		path->entry[level] = entry;
		path->depth = level;
		if (!(*entry & PTE_PRESENT) || entry_is_leaf(*entry, level))
			return;
		table = table_at(*entry & PTE_ADDR_MASK);
	}
}

/*
 * Free the tables on va's path that are empty, bottom up, unlinking each
 * from its parent (which may become empty in turn). Never the PML4, nor a
 * PDPT below a kernel-half slot (shared by copy with other spaces).
 */
static void release_empty_tables(struct address_space *as, virt_addr_t va,
				 struct tlb_batch *tlb)
{
	struct path path;

	path_walk(as, va, &path);
	for (int level = path.depth; level > LEVEL_PML4; level--) {
		pte_t *table = table_of(path.entry[level]);
		if (*table_count(table) != 0 || (level == LEVEL_PDPT && va >= PAGING_KERNEL_HALF))
			return;
		entry_set(path.entry[level - 1], 0);
		table_release(as, table, va, tlb);
	}
}

/*
 * Replace huge leaf *entry at level (PDPT or PD), which maps va, by a table
 * of 512 pages one level down with the same attributes: the translations do
 * not change. The new table is filled before the parent entry is swapped,
 * so a failed allocation changes nothing. Returns 0 or -ENOMEM.
 */
static int split_huge(struct address_space *as, pte_t *entry, int level, virt_addr_t va,
		      struct tlb_batch *tlb)
{
	/* LAB 2 BEGIN paging_split_huge: split a huge leaf into a table of 512 smaller pages */
	pte_t huge = *entry;
	int child = level + 1;
	pte_t attrs = huge & ~PTE_ADDR_MASK; /* flags, PS (bit 7), NX; PAT bit 12 is excluded */
	phys_addr_t pa = leaf_address(huge, level);
	pte_t *table = table_alloc(as);

	if (!table)
		return -ENOMEM;
	if (child == LEVEL_PT) {
		attrs &= ~PTE_HUGE;      /* bit 7 of a 4 KiB entry is PAT... */
		if (huge & PTE_PAT_HUGE) /* ...which moves there from bit 12 */
			attrs |= PTE_PAT;
	} else {
		attrs |= huge & PTE_PAT_HUGE; /* 2 MiB pages: PAT stays at bit 12 */
	}
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		table[i] = (pa + i * level_size(child)) | attrs;
	*table_count(table) = PT_ENTRIES;
	entry_set(entry, virt_to_phys(table) | intermediate_bits(va, huge & PTE_USER));
	tlb_add(tlb, ALIGN_DOWN(va, level_size(level))); /* the page size changed (SDM 4.10.2.3) */
	PAGING_COUNT(splits, 1);
	return 0;
	/* LAB 2 END paging_split_huge */
}

/*
 * The entry for va at target level, making the way down: missing tables are
 * allocated, a huge page above target is split, and intermediate entries
 * get the bits a leaf below them needs (PRESENT, WRITABLE, and USER in the
 * user half or for a user leaf: access is then decided by the leaf alone).
 * Returns NULL when a table page cannot be allocated; the tables this call
 * created are freed again (a split already done stays: same translations).
 */
static pte_t *descend(struct address_space *as, virt_addr_t va, int target, bool user,
		      struct tlb_batch *tlb)
{
	pte_t *table = table_at(as->pml4);
	pte_t needed = intermediate_bits(va, user);

	for (int level = LEVEL_PML4; level < target; level++) {
		pte_t *entry = &table[pt_index(va, levels[level].shift)];
		if (!(*entry & PTE_PRESENT)) {
			pte_t *next = table_alloc(as);
			if (!next) {
				release_empty_tables(as, va, tlb);
				return NULL;
			}
			entry_set(entry, virt_to_phys(next) | needed);
		} else if (entry_is_leaf(*entry, level)) {
			if (split_huge(as, entry, level, va, tlb)) {
				release_empty_tables(as, va, tlb);
				return NULL;
			}
		} else if ((*entry & needed) != needed) {
			entry_set(entry, *entry | needed);
			tlb_add(tlb, va); /* permissions widened: avoid a spurious fault */
		}
		table = table_at(*entry & PTE_ADDR_MASK);
	}
	return &table[pt_index(va, levels[target].shift)];
}

/*
 * The first index in [i, stop] of table whose entry is present, or stop + 1.
 * Four entries a step while they are all absent: the walks of fork, of a
 * space's end and of paging_for_each_range cross mostly empty tables.
 */
static inline unsigned next_present(const pte_t *table, unsigned i, unsigned stop)
{
	for (; i + 3 <= stop; i += 4)
		if ((table[i] | table[i + 1] | table[i + 2] | table[i + 3]) & PTE_PRESENT)
			break;
	while (i <= stop && !(table[i] & PTE_PRESENT))
		i++;
	return i;
}

/*
 * next_present for a walk's first step, told how many present entries the
 * table holds (left): when it is one (a table on the path to one other,
 * the usual PDPT and PD of a small process), look from both ends at once,
 * so that an entry at the top of the table (the stack's) is found at once.
 */
static inline unsigned first_present(const pte_t *table, unsigned i, unsigned stop,
				     unsigned left)
{
	if (left != 1)
		return next_present(table, i, stop);
	for (unsigned j = stop; i <= j; i++, j--) {
		if (table[i] & PTE_PRESENT)
			return i;
		if (table[j] & PTE_PRESENT)
			return j;
		if (j == 0)
			break; /* no wrap below entry 0 */
	}
	return stop + 1;
}

/*
 * Unlink nothing, but free every table below table (at level, covering
 * from va) and table itself, noting each present leaf for the TLB and, with
 * fn, telling fn each 4 KiB page a leaf maps (in address order). Stops
 * looking in a table once it has met every present entry (its count).
 * Recursion depth: at most 3 (PDPT, PD, PT).
 */
static void free_subtree(struct address_space *as, pte_t *table, int level, virt_addr_t va,
			 struct tlb_batch *tlb, paging_share_fn fn, void *arg)
{
	unsigned left = *table_count(table);

	for (unsigned i = first_present(table, 0, PT_ENTRIES - 1, left); i < PT_ENTRIES && left;
	     i = next_present(table, i + 1, PT_ENTRIES - 1)) {
		pte_t e = table[i];
		virt_addr_t entry_va = va + i * level_size(level);
		left--;
		if (!entry_is_leaf(e, level)) {
			free_subtree(as, table_at(e & PTE_ADDR_MASK), level + 1, entry_va, tlb, fn,
				     arg);
			continue;
		}
		tlb_add(tlb, entry_va);
		for (uint64_t off = 0; fn && off < level_size(level); off += PAGE_SIZE)
			fn(entry_va + off, leaf_address(e, level) + off, arg);
	}
	table_release(as, table, va, tlb);
}

/* Write leaf value into *entry (at level, for va), replacing whatever was there. */
static void leaf_set(struct address_space *as, pte_t *entry, int level, virt_addr_t va,
		     pte_t value, struct tlb_batch *tlb)
{
	pte_t old = *entry;

	if (old & PTE_PRESENT) {
		if (entry_is_leaf(old, level))
			tlb_add(tlb, va);
		else /* MAP_REPLACE of a table by a huge page: its subtree goes */
			free_subtree(as, table_at(old & PTE_ADDR_MASK), level + 1, va, tlb, NULL, NULL);
	}
	entry_set(entry, value);
}

/* Make addr a boundary between leaves, splitting the huge page across it. 0 or -ENOMEM. */
static int split_at(struct address_space *as, virt_addr_t addr, struct tlb_batch *tlb)
{
	struct path path;

	if (!paging_canonical(addr))
		return 0; /* the end of the user half: nothing can straddle it */
	for (;;) { /* a 1 GiB page may need two splits */
		path_walk(as, addr, &path);
		pte_t *entry = path.entry[path.depth];
		if (!(*entry & PTE_PRESENT) || IS_ALIGNED(addr, level_size(path.depth)))
			return 0;
		int err = split_huge(as, entry, path.depth, addr, tlb);
		if (err)
			return err;
	}
}

/* Split the huge pages across either end of [va, va + size): then every leaf met is inside. */
static int split_ends(struct address_space *as, virt_addr_t va, uint64_t size,
		      struct tlb_batch *tlb)
{
	int err = split_at(as, va, tlb);

	return err ? err : split_at(as, va + size, tlb);
}

/* ---- ranges ------------------------------------------------------------- */

/* A walk over [first, last], one region (a leaf or a hole) at a time. */
struct range_walk {
	const struct address_space *as;
	virt_addr_t next, last; /* the next region starts at next; the range ends at last */
	bool done;
	/* the current region, after range_next(): */
	virt_addr_t addr;       /* its first byte inside the range */
	virt_addr_t base;       /* its first byte (a multiple of size) */
	uint64_t size;          /* what one entry at level covers */
	int level;
	pte_t *entry;           /* the leaf, or the non-present entry, covering it */
};

static void range_start(struct range_walk *rw, const struct address_space *as,
			virt_addr_t first, virt_addr_t last)
{
	rw->as = as;
	rw->next = first;
	rw->last = last;
	rw->done = false;
}

/*
 * After range_next() stopped on a hole: take in the holes that follow it in
 * the same table, so that the walk steps over an empty stretch of a table
 * in one go instead of walking from the PML4 for each missing entry (a
 * mostly empty page table would cost 512 walks).
 */
static void range_skip_holes(struct range_walk *rw)
{
	unsigned shift = levels[rw->level].shift, first = pt_index(rw->next, shift);

	if (rw->done || first == 0)
		return; /* the next entry is in the following table */
	/* the entries from next's to last's, or to the end of the table (next <= last: not done) */
	uint64_t span = (rw->last >> shift) - (rw->next >> shift);
	unsigned stop = span < PT_ENTRIES - first ? first + (unsigned)span : PT_ENTRIES - 1;
	const pte_t *table = rw->entry + 1 - first;
	uint64_t holes = next_present(table, first, stop) - first;
	if (holes == 0)
		return;
	virt_addr_t region_last = rw->next + holes * rw->size - 1; /* no wrap: <= last's table */
	if (region_last >= rw->last)
		rw->done = true;
	else
		rw->next = region_last + 1;
}

/* Move to the next region; false when the range is done. Inclusive ends: no overflow at 2^64. */
static bool range_next(struct range_walk *rw)
{
	struct path path;

	if (rw->done)
		return false;
	rw->addr = rw->next;
	path_walk(rw->as, rw->addr, &path);
	rw->level = path.depth;
	rw->entry = path.entry[path.depth];
	rw->size = level_size(rw->level);
	rw->base = ALIGN_DOWN(rw->addr, rw->size);
	virt_addr_t region_last = rw->base + (rw->size - 1);
	if (region_last >= rw->last)
		rw->done = true;
	else
		rw->next = region_last + 1;
	return true;
}

/*
 * Check a virtual range of as: size > 0, both aligned to align, no wrap,
 * canonical, in one half, and not in a kernel half as only shares (its
 * tables are the kernel space's: changed, and counted, through that one).
 */
static int check_range(const struct address_space *as, virt_addr_t va, uint64_t size,
		       uint64_t align)
{
	virt_addr_t last = va + size - 1;

	if (size == 0 || !IS_ALIGNED(va, align) || !IS_ALIGNED(size, align) || last < va)
		return -EINVAL;
	if (!paging_canonical(va) || !paging_canonical(last) || (va ^ last) >> 63)
		return -EINVAL; /* the second test: the range crosses the canonical hole */
	if (as->shares_kernel && va >= PAGING_KERNEL_HALF)
		return -EINVAL;
	return 0;
}

/* At most one cache type. */
static bool one_cache_type(unsigned flags)
{
	unsigned cache = flags & MAP_CACHE_MASK;

	return (cache & (cache - 1)) == 0;
}

/* ---- the operations ----------------------------------------------------- */

int paging_create(struct address_space *as, const struct address_space *kernel)
{
	*as = (struct address_space){0};
	spin_lock_init(&as->lock, kernel ? "page tables" : "kernel page tables");
	pte_t *pml4 = table_alloc(as);

	if (!pml4)
		return -ENOMEM;
	as->pml4 = virt_to_phys(pml4);
	if (kernel) {
		const pte_t *shared = table_at(kernel->pml4);
		uint32_t present = 0;
		/* A table no CPU walks yet: filled at once and counted once, as a split's. */
		for (unsigned slot = KERNEL_SLOT_FIRST; slot < PT_ENTRIES; slot++) {
			pml4[slot] = shared[slot];
			present += (shared[slot] & PTE_PRESENT) != 0;
		}
		*table_count(pml4) = present;
		as->shares_kernel = true;
	}
	return 0;
}

/* The address where PML4 slot begins (sign-extended for the kernel half). */
static virt_addr_t slot_address(unsigned slot)
{
	return (virt_addr_t)((int64_t)((uint64_t)slot << (PML4_SHIFT + 16)) >> 16);
}

static void destroy_locked(struct address_space *as, paging_share_fn fn, void *arg)
{
	struct tlb_batch tlb;
	pte_t *pml4 = table_at(as->pml4);
	/* a space that does not share the kernel half owns it (the kernel's, a test's) */
	unsigned slots = as->shares_kernel ? KERNEL_SLOT_FIRST : PT_ENTRIES;

	ASSERT(!__atomic_load_n(&as->cpus, __ATOMIC_RELAXED),
	       "paging_destroy: the space is still active on a CPU");
	tlb_begin(&tlb, as, 0);
	for (unsigned slot = 0; slot < slots; slot++)
		if (pml4[slot] & PTE_PRESENT)
			free_subtree(as, table_at(pml4[slot] & PTE_ADDR_MASK), LEVEL_PDPT,
				     slot_address(slot), &tlb, fn, arg);
	table_release(as, pml4, 0, &tlb);
	tlb_finish(&tlb);
	as->pml4 = 0;
}

/*
 * The level of the largest page that may map va to pa with remaining bytes
 * to go: PDPT (1 GiB, when the CPU has 1 GiB pages), PD (2 MiB) or PT
 * (4 KiB). A page of a size fits when va and pa are both multiples of it and
 * remaining is at least as large.
 */
static int largest_page_level(virt_addr_t va, phys_addr_t pa, uint64_t remaining)
{
	/* LAB 2 BEGIN paging_page_size_choice: the largest page that alignment and size allow */
	for (int level = pages_1g_usable ? LEVEL_PDPT : LEVEL_PD; level < LEVEL_PT; level++)
		if (IS_ALIGNED(va | pa, level_size(level)) && remaining >= level_size(level))
			return level;
	return LEVEL_PT;
	/* LAB 2 END paging_page_size_choice */
}

/* The level of the page paging_map uses at va/pa with remaining bytes to go (and flags). */
static int map_step_level(virt_addr_t va, phys_addr_t pa, uint64_t remaining, unsigned flags)
{
	if (flags & MAP_SIZE_1G)
		return LEVEL_PDPT;
	if (flags & MAP_SIZE_2M)
		return LEVEL_PD;
	if (flags & MAP_SIZE_4K)
		return LEVEL_PT;
	return largest_page_level(va, pa, remaining);
}

/*
 * W^X: a mapping may be writable or executable, never both, so that no
 * write (a bug's, an attacker's) can plant code the CPU will run. Returns
 * 0 for flags that respect it, -EPERM for MAP_WRITE together with MAP_EXEC.
 */
static int check_wx(unsigned flags)
{
	/* LAB 2 BEGIN paging_wx_check: refuse flags that are writable and executable at once */
	if ((flags & MAP_WRITE) && (flags & MAP_EXEC))
		return -EPERM;
	return 0;
	/* LAB 2 END paging_wx_check */
}

static int check_map(const struct address_space *as, virt_addr_t va, phys_addr_t pa,
		     uint64_t size, unsigned flags)
{
	unsigned forced = flags & MAP_SIZE_MASK;
	uint64_t align = flags & MAP_SIZE_1G ? PAGE_SIZE_1G :
			 flags & MAP_SIZE_2M ? PAGE_SIZE_2M : PAGE_SIZE;

	if ((flags & ~(MAP_PROTECTION | MAP_REPLACE | MAP_SIZE_MASK)) || !one_cache_type(flags) ||
	    (forced & (forced - 1)))
		return -EINVAL;
	if ((flags & MAP_SIZE_1G) && !pages_1g_usable)
		return -ENOTSUP;
	int err = check_range(as, va, size, align);
	if (err)
		return err;
	if (!IS_ALIGNED(pa, align) || size > PHYS_LIMIT || pa > PHYS_LIMIT - size)
		return -EINVAL;
	return check_wx(flags);
}

/*
 * paging_map of one 4 KiB page when its tables exist already and carry the
 * bits the leaf needs: what every page fault maps, except the first in a
 * 2 MiB range. One read-only walk, then the leaf, instead of the general
 * path's check walk and two descents. Returns true with paging_map's
 * result (0 or -EEXIST) in *result, or false, having changed nothing, when
 * the general path must decide: a table missing, a huge page in the way, an
 * intermediate entry to widen.
 */
static bool map_one_page(struct address_space *as, virt_addr_t va, phys_addr_t pa,
			 unsigned flags, int *result)
{
	pte_t needed = intermediate_bits(va, flags & MAP_USER);
	pte_t *table = table_at(as->pml4);

	/* PML4, PDPT, PD: each entry a table (not PS) with the bits the leaf needs. */
	for (unsigned shift = PML4_SHIFT; shift > PAGE_SHIFT; shift -= 9) {
		pte_t e = table[(va >> shift) & (PT_ENTRIES - 1)];
		if ((e & (needed | PTE_HUGE)) != needed)
			return false;
		table = table_at(e & PTE_ADDR_MASK);
	}
	pte_t *entry = &table[(va >> PAGE_SHIFT) & (PT_ENTRIES - 1)], old = *entry;
	*result = 0;
	if ((old & PTE_PRESENT) && !(flags & MAP_REPLACE)) {
		*result = -EEXIST;
		return true;
	}
	entry_set(entry, leaf_entry(pa, flags, LEVEL_PT));
	if ((old & PTE_PRESENT) && tlb_may_cache(as, va)) { /* tlb_finish's work, for one page */
		arch_invalidate_page(va);
		PAGING_COUNT(invlpg, 1);
	}
	if (old & PTE_PRESENT)
		arch_tlb_flush_remote(as, &va, 1, va >= PAGING_KERNEL_HALF ? TLB_FLUSH_KERNEL : 0);
	return true;
}

/*
 * In two passes, so that only the first can fail: (1) make every table the
 * steps need (and split huge pages in the way, with MAP_REPLACE); on
 * -ENOMEM free the tables made so far, which are still empty; (2) write the
 * leaves, which allocates nothing. One 4 KiB page whose tables exist takes
 * the short way, map_one_page.
 */
static int map_locked(struct address_space *as, virt_addr_t va, phys_addr_t pa, uint64_t size,
		      unsigned flags)
{
	struct tlb_batch tlb;
	struct range_walk rw;
	bool user = flags & MAP_USER;
	uint64_t done;
	int level;
	int err = check_map(as, va, pa, size, flags);

	if (err)
		return err;
	if (size == PAGE_SIZE && map_one_page(as, va, pa, flags, &err))
		return err;
	if (!(flags & MAP_REPLACE)) {
		range_start(&rw, as, va, va + size - 1);
		while (range_next(&rw))
			if (*rw.entry & PTE_PRESENT)
				return -EEXIST;
	}
	tlb_begin(&tlb, as, va);
	/* Each step maps one page, of the size map_step_level() picks there. Pass 1: */
	for (done = 0; done < size; done += level_size(level)) {
		level = map_step_level(va + done, pa + done, size - done, flags);
		if (!descend(as, va + done, level, user, &tlb))
			break;
	}
	if (done < size) {
		for (uint64_t undone = 0; undone < done; undone += level_size(level)) {
			level = map_step_level(va + undone, pa + undone, size - undone, flags);
			release_empty_tables(as, va + undone, &tlb);
		}
		tlb_finish(&tlb);
		return -ENOMEM;
	}
	/* Pass 2: */
	for (done = 0; done < size; done += level_size(level)) {
		level = map_step_level(va + done, pa + done, size - done, flags);
		pte_t *entry = descend(as, va + done, level, user, &tlb); /* tables exist now */
		leaf_set(as, entry, level, va + done, leaf_entry(pa + done, flags, level), &tlb);
	}
	tlb_finish(&tlb);
	return 0;
}

static int unmap_locked(struct address_space *as, virt_addr_t va, uint64_t size)
{
	struct tlb_batch tlb;
	struct range_walk rw;
	int err = check_range(as, va, size, PAGE_SIZE);

	if (err)
		return err;
	tlb_begin(&tlb, as, va);
	err = split_ends(as, va, size, &tlb);
	if (!err) {
		range_start(&rw, as, va, va + size - 1);
		while (range_next(&rw)) {
			if (!(*rw.entry & PTE_PRESENT))
				continue;
			entry_set(rw.entry, 0);
			tlb_add(&tlb, rw.base);
			if (*table_count(table_of(rw.entry)) == 0)
				release_empty_tables(as, rw.base, &tlb);
		}
	}
	tlb_finish(&tlb);
	return err;
}

static int protect_locked(struct address_space *as, virt_addr_t va, uint64_t size,
			  unsigned flags)
{
	struct tlb_batch tlb;
	struct range_walk rw;
	int err = check_range(as, va, size, PAGE_SIZE);

	if (err)
		return err;
	if ((flags & ~MAP_PROTECTION) || !one_cache_type(flags))
		return -EINVAL;
	err = check_wx(flags);
	if (err)
		return err;
	range_start(&rw, as, va, va + size - 1);
	while (range_next(&rw))
		if (!(*rw.entry & PTE_PRESENT))
			return -ENOENT;
	tlb_begin(&tlb, as, va);
	err = split_ends(as, va, size, &tlb);
	if (!err) {
		range_start(&rw, as, va, va + size - 1);
		while (range_next(&rw)) {
			pte_t old = *rw.entry;
			pte_t value = leaf_entry(leaf_address(old, rw.level), flags, rw.level) |
				      (old & (PTE_ACCESSED | PTE_DIRTY));
			if (value == old)
				continue;
			/* descend() returns rw.entry, widening the entries above for MAP_USER */
			pte_t *entry = descend(as, rw.base, rw.level, flags & MAP_USER, &tlb);
			entry_set(entry, value);
			tlb_add(&tlb, rw.base);
		}
	}
	tlb_finish(&tlb);
	return err;
}

static int translate_locked(const struct address_space *as, virt_addr_t va,
			    struct paging_translation *out)
{
	struct path path;

	if (!paging_canonical(va))
		return -EINVAL;
	path_walk(as, va, &path);
	pte_t e = *path.entry[path.depth];
	if (!(e & PTE_PRESENT))
		return -ENOENT;
	out->page_size = level_size(path.depth);
	out->pa = leaf_address(e, path.depth) + (va & (out->page_size - 1));
	out->flags = leaf_flags(e, path.depth);
	out->entry = e;
	return 0;
}

/*
 * Like path_walk, but recording for people, and refusing to follow a
 * malformed entry: from the PML4 (as->pml4) down, record at each level the
 * table's physical address, the index va selects in it and the entry found
 * there; stop at an entry that is not present ("not present"), has reserved
 * bits set ("reserved bits set") or is a leaf (levels[level].leaf_stop,
 * e.g. "2 MiB page", and out->mapped), else follow the entry to the next
 * table.
 */
int paging_walk(const struct address_space *as, virt_addr_t va, struct paging_walk *out)
{
	if (!paging_canonical(va))
		return -EINVAL;
	out->mapped = false;
	/* LAB 2 BEGIN paging_walk: follow va down the levels, recording each entry and why the walk stopped */
	phys_addr_t table = as->pml4;

	for (int level = LEVEL_PML4;; level++) {
		pte_t e = table_at(table)[pt_index(va, levels[level].shift)];
		out->level[level].name = levels[level].name;
		out->level[level].index = pt_index(va, levels[level].shift);
		out->level[level].table = table;
		out->level[level].entry = e;
		out->levels = level + 1;
		if (!(e & PTE_PRESENT)) {
			out->stop = "not present";
			return 0;
		}
		if (reserved_bits(e, level)) {
			out->stop = "reserved bits set";
			return 0;
		}
		if (entry_is_leaf(e, level)) {
			out->stop = levels[level].leaf_stop;
			out->mapped = true;
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	/* LAB 2 END paging_walk */
}

/* A run of pages for paging_for_each_range, growing until something differs. */
struct run {
	bool open;
	virt_addr_t start, end; /* end exclusive; 0 at the top of the address space */
	phys_addr_t pa;
	uint64_t page_size;
	unsigned flags;
};

/* Report run (if any) and close it; false when fn asked to stop. */
static bool run_emit(struct run *run, paging_range_fn fn, void *arg)
{
	bool more = !run->open ||
		    fn(run->start, run->end, run->pa, run->page_size, run->flags, arg);

	run->open = false;
	return more;
}

/* The part of [first, last] in one half: merge its leaves into runs. False: fn said stop. */
static bool for_each_in_half(const struct address_space *as, virt_addr_t first, virt_addr_t last,
			     struct run *run, paging_range_fn fn, void *arg)
{
	struct range_walk rw;

	range_start(&rw, as, first, last);
	while (range_next(&rw)) {
		pte_t e = *rw.entry;
		if (!(e & PTE_PRESENT)) {
			range_skip_holes(&rw);
			if (!run_emit(run, fn, arg))
				return false;
			continue;
		}
		phys_addr_t pa = leaf_address(e, rw.level) + (rw.addr - rw.base);
		unsigned flags = leaf_flags(e, rw.level);
		virt_addr_t end = rw.done ? last + 1 : rw.next;
		if (run->open && run->end == rw.addr && run->flags == flags &&
		    run->page_size == rw.size && run->pa + (rw.addr - run->start) == pa) {
			run->end = end;
			continue;
		}
		if (!run_emit(run, fn, arg))
			return false;
		*run = (struct run){true, rw.addr, end, pa, rw.size, flags};
	}
	return true;
}

static void for_each_range_locked(const struct address_space *as, virt_addr_t from,
				  virt_addr_t to, paging_range_fn fn, void *arg)
{
	struct run run = {0};
	virt_addr_t last = to - 1; /* to == 0: the top of the address space */

	if (to != 0 && from >= to)
		return;
	if (from < USER_HALF_END &&
	    !for_each_in_half(as, from, last < USER_HALF_END ? last : USER_HALF_END - 1, &run,
			      fn, arg))
		return;
	if (last >= PAGING_KERNEL_HALF &&
	    !for_each_in_half(as, from > PAGING_KERNEL_HALF ? from : PAGING_KERNEL_HALF, last,
			      &run, fn, arg))
		return;
	run_emit(&run, fn, arg);
}

/* ---- fork: share a range copy-on-write --------------------------------- */

/* One paging_share_cow: the two spaces, the TLB batches, the caller's fn. */
struct share_walk {
	struct address_space *dst, *src;
	struct tlb_batch src_tlb; /* src's write-protected pages */
	struct tlb_batch dst_tlb; /* dst's tables freed by a failed descent (never live) */
	paging_share_fn fn;
	void *arg;
};

/*
 * The present leaves of src's page table pt (covering from base) in
 * [first, last]: write-protect each in src, copy it into dst's page table
 * for base, made on the first leaf (one descent). 0, -EEXIST, -ENOMEM.
 */
static int share_pt(struct share_walk *sw, pte_t *pt, virt_addr_t base, virt_addr_t first,
		    virt_addr_t last)
{
	/* LAB 7 BEGIN fork_share_ptes: copy pt's present leaves to dst, read-only in both, src's TLB told */
	pte_t *dst_pt = NULL;
	unsigned stop = pt_index(last, PT_SHIFT), left = *table_count(pt);

	/* left: present entries not met yet; none left, the rest of pt is empty */
	for (unsigned i = first_present(pt, pt_index(first, PT_SHIFT), stop, left);
	     i <= stop && left;
	     i = next_present(pt, i + 1, stop)) {
		pte_t e = pt[i];
		left--;
		virt_addr_t va = base + ((virt_addr_t)i << PT_SHIFT);
		if (!dst_pt) {
			pte_t *entry = descend(sw->dst, va, LEVEL_PT, true, &sw->dst_tlb);
			if (!entry)
				return -ENOMEM;
			dst_pt = table_of(entry);
		}
		if (dst_pt[i] & PTE_PRESENT)
			return -EEXIST;
		if (e & PTE_WRITABLE) {
			e &= ~PTE_WRITABLE;
			entry_set(&pt[i], e);
			tlb_add(&sw->src_tlb, va);
		}
		entry_set(&dst_pt[i], e);
		sw->fn(va, leaf_address(e, LEVEL_PT), sw->arg);
	}
	return 0;
	/* LAB 7 END fork_share_ptes */
}

/* The part [first, last] of src's table at level (covering from base), recursively. */
static int share_table(struct share_walk *sw, pte_t *table, int level, virt_addr_t base,
		       virt_addr_t first, virt_addr_t last)
{
	unsigned shift = levels[level].shift, stop = pt_index(last, shift);
	unsigned left = *table_count(table); /* as in share_pt */

	if (level == LEVEL_PT)
		return share_pt(sw, table, base, first, last);
	for (unsigned i = first_present(table, pt_index(first, shift), stop, left);
	     i <= stop && left;
	     i = next_present(table, i + 1, stop)) {
		pte_t e = table[i];
		left--;
		if (entry_is_leaf(e, level))
			return -EINVAL;
		virt_addr_t lo = base + ((virt_addr_t)i << shift), hi = lo + (level_size(level) - 1);
		int err = share_table(sw, table_at(e & PTE_ADDR_MASK), level + 1, lo, MAX(lo, first),
				      MIN(hi, last));
		if (err)
			return err;
	}
	return 0;
}

int paging_share_cow(struct address_space *dst, struct address_space *src, virt_addr_t start,
		     virt_addr_t end, paging_share_fn fn, void *arg)
{
	struct share_walk sw = {.dst = dst, .src = src, .fn = fn, .arg = arg};

	if (start >= end || end > USER_HALF_END || !IS_ALIGNED(start | end, PAGE_SIZE) ||
	    dst == src)
		return -EINVAL;
	unsigned long irq = spin_lock_irqsave(&src->lock);
	tlb_begin(&sw.src_tlb, src, start);
	tlb_begin(&sw.dst_tlb, dst, start);
	int err = share_table(&sw, table_at(src->pml4), LEVEL_PML4, 0, start, end - 1);
	tlb_finish(&sw.src_tlb);
	tlb_finish(&sw.dst_tlb);
	spin_unlock_irqrestore(&src->lock, irq);
	return err;
}

bool paging_pcid_assign(struct pcid_pool *pool, struct address_space *as)
{
	/* LAB 2 BEGIN pcid_assign: give the space the next PCID; start over when used up */
	bool used_up = false;

	if (as->pcid != 0)
		return false;
	if (pool->next > PCID_MAX) {
		pool->next = 1;
		used_up = true;
	}
	as->pcid = pool->next++;
	return used_up;
	/* LAB 2 END pcid_assign */
}

const char *paging_flags_text(unsigned flags, char *buf, unsigned size)
{
	const char *cache = flags & MAP_UNCACHED ? " uc" :
			    flags & MAP_WRITE_COMBINE ? " wc" :
			    flags & MAP_WRITE_THROUGH ? " wt" : "";

	ksnprintf(buf, size, "r%c%c%c%c%s", flags & MAP_WRITE ? 'w' : '-',
		  flags & MAP_EXEC ? 'x' : '-', flags & MAP_USER ? 'u' : '-',
		  flags & MAP_GLOBAL ? 'g' : '-', cache);
	return buf;
}

/* ---- the public operations: each holds the space's lock around its work ---- */

/* The lock of a space passed as const (reading its tables still takes it). */
static spinlock_t *space_lock(const struct address_space *as)
{
	return (spinlock_t *)&as->lock;
}

void paging_destroy(struct address_space *as)
{
	paging_destroy_each(as, NULL, NULL);
}

void paging_destroy_each(struct address_space *as, paging_share_fn fn, void *arg)
{
	unsigned long irq = spin_lock_irqsave(&as->lock);

	destroy_locked(as, fn, arg);
	spin_unlock_irqrestore(&as->lock, irq);
}

int paging_map(struct address_space *as, virt_addr_t va, phys_addr_t pa, uint64_t size,
	       unsigned flags)
{
	unsigned long irq = spin_lock_irqsave(&as->lock);
	int err = map_locked(as, va, pa, size, flags);

	spin_unlock_irqrestore(&as->lock, irq);
	return err;
}

int paging_unmap(struct address_space *as, virt_addr_t va, uint64_t size)
{
	unsigned long irq = spin_lock_irqsave(&as->lock);
	int err = unmap_locked(as, va, size);

	spin_unlock_irqrestore(&as->lock, irq);
	return err;
}

int paging_protect(struct address_space *as, virt_addr_t va, uint64_t size, unsigned flags)
{
	unsigned long irq = spin_lock_irqsave(&as->lock);
	int err = protect_locked(as, va, size, flags);

	spin_unlock_irqrestore(&as->lock, irq);
	return err;
}

int paging_translate(const struct address_space *as, virt_addr_t va,
		     struct paging_translation *out)
{
	unsigned long irq = arch_irq_save();
	bool take = !spin_held_here(space_lock(as)); /* else: a read nested in a walk's fn */

	if (take)
		spin_lock(space_lock(as));
	int err = translate_locked(as, va, out);
	if (take)
		spin_unlock(space_lock(as));
	arch_irq_restore(irq);
	return err;
}

void paging_for_each_range(const struct address_space *as, virt_addr_t from, virt_addr_t to,
			   paging_range_fn fn, void *arg)
{
	unsigned long irq = arch_irq_save();
	bool take = !spin_held_here(space_lock(as)); /* else: a read nested in a walk's fn */

	if (take)
		spin_lock(space_lock(as));
	for_each_range_locked(as, from, to, fn, arg);
	if (take)
		spin_unlock(space_lock(as));
	arch_irq_restore(irq);
}

/*
 * 4 KiB pages mapped below table (a table at level): the present-entry
 * counts end each scan early, and a page table's count is its pages.
 */
static uint64_t pages_below(pte_t *table, int level)
{
	uint32_t left = *table_count(table);
	uint64_t pages = 0;

	if (level == LEVEL_PT)
		return left;
	for (unsigned i = 0; left > 0 && i < 512; i += 8) {
		pte_t any = 0;
		for (unsigned j = 0; j < 8; j++)
			any |= table[i + j]; /* eight empty entries at once: the common case */
		if (!(any & PTE_PRESENT))
			continue;
		for (unsigned j = i; j < i + 8; j++) {
			pte_t e = table[j];
			if (!(e & PTE_PRESENT))
				continue;
			left--;
			pages += entry_is_leaf(e, level)
					 ? level_size(level) / PAGE_SIZE
					 : pages_below(table_at(e & PTE_ADDR_MASK), level + 1);
		}
	}
	return pages;
}

uint64_t paging_user_pages(const struct address_space *as)
{
	unsigned long irq = spin_lock_irqsave(space_lock(as));
	pte_t *pml4 = table_at(as->pml4);
	uint64_t pages = 0;

	for (unsigned i = 0; i < pt_index(PAGING_KERNEL_HALF, levels[LEVEL_PML4].shift); i++)
		if (pml4[i] & PTE_PRESENT)
			pages += pages_below(table_at(pml4[i] & PTE_ADDR_MASK), LEVEL_PDPT);
	spin_unlock_irqrestore(space_lock(as), irq);
	return pages;
}

/*
 * Record runs, clipped to [batch->from, batch->to), until the batch is
 * full. A huge page may begin before from: start and pa move up together.
 */
bool paging_record_run(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
		       unsigned flags, void *arg)
{
	struct paging_run_batch *batch = arg;

	(void)page_size;
	(void)flags;
	if (start < batch->from) {
		pa += batch->from - start;
		start = batch->from;
	}
	batch->runs[batch->count++] = (struct paging_run){start, MIN(end, batch->to), pa};
	return batch->count < PAGING_RUN_BATCH;
}
