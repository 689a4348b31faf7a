/*
 * buddy.c - the zoned buddy allocator with per-CPU page lists (buddy.h has
 * the idea and the contracts, docs/pmm.md the pictures).
 *
 * Each zone has a free list per order, holding the head page of each free
 * block of that order, and a list of free single pages per CPU. A page's
 * flags say where it is.
 * Invariants (all checked by buddy_check_invariants()):
 *   [x] every free block is aligned to its order (pfn % 2^order == 0);
 *   [x] blocks (free, per-CPU, allocated) are disjoint, hold no reserved
 *       frame, and never cross a zone limit;
 *   [x] fully merged: no free-list block has its buddy free at the same order
 *       (per-CPU pages are exempt: they merge when drained);
 *   [x] PG_BUDDY is on exactly the heads of free-list blocks, with the right
 *       order and zone; PG_PCP on exactly the per-CPU pages; each list's count
 *       is its length, and a per-CPU count never exceeds high;
 *   [x] a block head's refcount is 0 when free, >= 1 when allocated (PG_HEAD);
 *   [x] zone free_pages = free-list pages + per-CPU pages; managed_pages =
 *       the zone's frames without PG_RESERVED; PG_POISONED only on free frames;
 *   [x] a per-CPU list is touched only by its CPU, with interrupts off.
 * Context: any CPU, interrupts on or off; list changes run with interrupts
 * off, free-list changes with the zone's lock held.
 * Lock order:
 *   [x] zone->lock is a leaf: nothing is taken inside it (shrinkers run
 *       outside it, the per-CPU lists need no lock);
 *   [x] zone locks nest only in zone order, DMA -> DMA32 -> Normal;
 *   [x] callers may hold paging, vmalloc and slab-cache locks around
 *       alloc_pages/free_pages (docs/pmm.md, "Locking").
 */
#include "mm/buddy.h"

#include <stdarg.h>

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/failinject.h"

/* A block's buddy is in the same MAX_ORDER-aligned group, so in the same section. */
STATIC_ASSERT(SECTION_SHIFT - PAGE_SHIFT >= MAX_ORDER, "a largest block must fit in a section");

#define BLOCK_PAGES(order) (1ull << (order))
#define MAX_BLOCK_BYTES (PAGE_SIZE << MAX_ORDER) /* 4 MiB */
#define PCP_BATCH_MAX 31    /* pages per per-CPU refill or drain */
#define SHRINKERS_MAX 8
#define PAGE_STATE_FLAGS (PG_RESERVED | PG_BUDDY | PG_PCP | PG_HEAD) /* at most one is set */

struct zone zones[ZONE_COUNT];

static const char *const zone_names[ZONE_COUNT] = {"DMA", "DMA32", "Normal"};

/* The frames each zone may hold, [start_pfn, end_pfn), from the buddy_config limits. */
static struct {
	uint64_t start_pfn, end_pfn;
} zone_limits[ZONE_COUNT];

static bool poisoning;
static uint64_t poison_violations;   /* atomic adds */
static uint64_t poisoned_free_pages; /* frames with PG_POISONED (all free); atomic adds */

static const char *const zone_lock_names[ZONE_COUNT] = {"zone DMA", "zone DMA32", "zone Normal"};

/* Add delta to a counter written by several CPUs without a common lock. */
static inline void counter_add(uint64_t *counter, int64_t delta)
{
	__atomic_fetch_add(counter, (uint64_t)delta, __ATOMIC_RELAXED);
}

static shrinker_fn shrinkers[SHRINKERS_MAX];
static unsigned shrinker_count;

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */

/*
 * Implementation note: besides the zones, this forgets the shrinkers and
 * switches poisoning off, so that every host test starts from scratch.
 */
void buddy_init(const struct buddy_config *config)
{
	static const struct buddy_config defaults = {16ull << 20, 4ull << 30};

	if (!config)
		config = &defaults;
	ASSERT(IS_ALIGNED(config->dma_limit, MAX_BLOCK_BYTES) &&
		       IS_ALIGNED(config->dma32_limit, MAX_BLOCK_BYTES) &&
		       config->dma_limit <= config->dma32_limit,
	       "buddy_init: zone limits must be ordered multiples of the largest block");
	zone_limits[ZONE_DMA].start_pfn = 0;
	zone_limits[ZONE_DMA].end_pfn = config->dma_limit >> PAGE_SHIFT;
	zone_limits[ZONE_DMA32].start_pfn = config->dma_limit >> PAGE_SHIFT;
	zone_limits[ZONE_DMA32].end_pfn = config->dma32_limit >> PAGE_SHIFT;
	zone_limits[ZONE_NORMAL].start_pfn = config->dma32_limit >> PAGE_SHIFT;
	zone_limits[ZONE_NORMAL].end_pfn = UINT64_MAX;

	for (int z = 0; z < ZONE_COUNT; z++) {
		struct zone *zone = &zones[z];
		memset(zone, 0, sizeof(*zone));
		spin_lock_init(&zone->lock, zone_lock_names[z]);
		zone->name = zone_names[z];
		for (int o = 0; o <= MAX_ORDER; o++)
			list_init(&zone->free_area[o].blocks);
		/* Until buddy_set_watermarks() sizes them: high 0, every free drains at once. */
		for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
			list_init(&zone->pcp[cpu].pages);
			zone->pcp[cpu].batch = 1;
		}
	}
	poisoning = false;
	poison_violations = 0;
	poisoned_free_pages = 0;
	shrinker_count = 0;
}

uint8_t buddy_zone_of_pfn(uint64_t pfn)
{
	if (pfn < zone_limits[ZONE_DMA].end_pfn)
		return ZONE_DMA;
	if (pfn < zone_limits[ZONE_DMA32].end_pfn)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

/* ------------------------------------------------------------------------ */
/* Free lists: splitting and merging                                        */

/* Put the block headed by page on its zone's free list of that order. */
static void free_list_add(struct zone *zone, struct page *page, unsigned order)
{
	page->order = (uint8_t)order;
	page->flags |= PG_BUDDY;
	list_add(&zone->free_area[order].blocks, &page->list);
	zone->free_area[order].count++;
}

static void free_list_remove(struct zone *zone, struct page *page, unsigned order)
{
	list_remove(&page->list);
	page->flags &= ~PG_BUDDY;
	zone->free_area[order].count--;
}

/*
 * May the free block of `order` headed by page merge with buddy? Only if
 * buddy is, right now (Linux's page_is_buddy):
 *   [ ] the head of a block on a free list (PG_BUDDY): not allocated, not a
 *       per-CPU page, not reserved, not a page inside a bigger free block;
 *   [ ] of the same order: a buddy that is split further is not whole;
 *   [ ] in the same zone: zones never mix, whatever the addresses.
 * The buddy's descriptor always exists: a block and its buddy lie in one
 * MAX_ORDER-aligned group, so in one section, whose descriptors all exist.
 */
static bool page_is_buddy(const struct page *page, const struct page *buddy, unsigned order)
{
	return (buddy->flags & PG_BUDDY) && buddy->order == order && buddy->zone == page->zone;
}

/*
 * Return the block of 2^order frames headed by page to the free lists,
 * merged with its buddy for as long as the buddy is free and whole:
 *
 *   free pfn 5, order 0: buddy 4 free?  -> block 4, order 1: buddy 6 free?
 *   -> block 4, order 2: buddy 0 free?  -> block 0, order 3 ...
 *
 * The buddy of the block at pfn is at pfn ^ 2^order (the other half of the
 * aligned block of twice the size); the merged block starts at the lower
 * of the two. Each merge takes the buddy off its free list and counts one
 * in zone->stats.merges; the final block goes on the free list of its
 * order (free_list_add). Interrupts off; the caller updates zone->free_pages.
 */
static void buddy_merge_and_free(struct zone *zone, struct page *page, unsigned order)
{
	ASSERT_IRQS_OFF();
	/* LAB 1 BEGIN buddy_merge: merge the block with its free buddy while it has one, then list it */
	uint64_t pfn = page_to_pfn(page);

	while (order < MAX_ORDER) {
		uint64_t buddy_pfn = pfn ^ BLOCK_PAGES(order);
		struct page *buddy = buddy_pfn > pfn ? page + BLOCK_PAGES(order)
						     : page - BLOCK_PAGES(order);
		if (!page_is_buddy(page, buddy, order))
			break;
		free_list_remove(zone, buddy, order);
		zone->stats.merges++;
		if (buddy_pfn < pfn) {
			page = buddy;
			pfn = buddy_pfn;
		}
		order++;
	}
	free_list_add(zone, page, order);
	/* LAB 1 END buddy_merge */
}

/*
 * Cut the block of 2^high frames headed by page, just taken off its free
 * list, down to 2^low frames. Each split keeps the lower half and frees the
 * upper half (the buddy) one order down:
 *
 *   want order 3; smallest free block: order 5 at pfn 0
 *   [0 ................ 32) -> [0 ...... 16)[16 ...... 32) -> [0 .. 8)[8 .. 16)
 *                              keep          order-4 list     keep    order-3 list
 *
 * So the frames after the kept block go back as one free block of each
 * order from high - 1 down to low (free_list_add), each split counted in
 * zone->stats.splits. Interrupts off; zone->free_pages does not change
 * (the caller accounts for the whole request).
 */
static void buddy_split(struct zone *zone, struct page *page, unsigned high, unsigned low)
{
	ASSERT_IRQS_OFF();
	/* LAB 1 BEGIN buddy_split: halve the block down to order low, freeing each upper half */
	while (high > low) {
		high--;
		free_list_add(zone, page + BLOCK_PAGES(high), high);
		zone->stats.splits++;
	}
	/* LAB 1 END buddy_split */
}

/*
 * Take a block of exactly 2^order frames off the free lists: the first block
 * of the smallest order >= order that has one, split down to the right size
 * (buddy_split). Returns the head (PG_BUDDY cleared) or NULL. Interrupts
 * off; the caller updates zone->free_pages.
 */
static struct page *buddy_take_block(struct zone *zone, unsigned order)
{
	ASSERT_IRQS_OFF();
	for (unsigned o = order; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];
		if (list_empty(&area->blocks))
			continue;
		struct page *page = list_first_entry(&area->blocks, struct page, list);
		free_list_remove(zone, page, o);
		buddy_split(zone, page, o, order);
		return page;
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Per-CPU page lists                                                       */

/*
 * Move up to pcp->batch single pages from the free lists to the per-CPU
 * list: each taken with buddy_take_block(zone, 0), marked PG_PCP and
 * appended at the tail, so the list holds them in the order taken, lowest
 * address first, and zone_take() hands them out in that order. Adds them
 * to pcp->count, and counts one refill in zone->stats.pcp_refills if any
 * moved. Returns how many (0: the free lists have no page left).
 * Interrupts off, zone->lock held; zone->free_pages does not change
 * (per-CPU pages are free).
 */
static unsigned pcp_refill(struct zone *zone, struct per_cpu_pages *pcp)
{
	ASSERT_IRQS_OFF();
	/* LAB 1 BEGIN pcp_refill: move a batch of single pages from the free lists to the per-CPU list */
	unsigned n;

	for (n = 0; n < pcp->batch; n++) {
		struct page *page = buddy_take_block(zone, 0);
		if (!page)
			break;
		page->flags |= PG_PCP;
		list_add_tail(&pcp->pages, &page->list);
	}
	pcp->count += n;
	if (n)
		zone->stats.pcp_refills++;
	return n;
	/* LAB 1 END pcp_refill */
}

/*
 * Give up to count pages of the per-CPU list back to the free lists,
 * merged (buddy_merge_and_free at order 0). They come from the tail: frees
 * push at the head and allocations pop there, so the tail holds the pages
 * freed longest ago, whose contents are the least likely to still be in
 * the CPU's cache. Each leaves with PG_PCP cleared and pcp->count one
 * lower; a drain that moved pages counts once in zone->stats.pcp_drains.
 * Returns how many. Interrupts off, zone->lock held; zone->free_pages does
 * not change.
 */
static unsigned pcp_drain(struct zone *zone, struct per_cpu_pages *pcp, unsigned count)
{
	ASSERT_IRQS_OFF();
	/* LAB 1 BEGIN pcp_drain: give up to count of the oldest per-CPU pages back to the free lists */
	unsigned n;

	for (n = 0; n < count && pcp->count > 0; n++) {
		struct page *page = list_entry(pcp->pages.prev, struct page, list);
		list_remove(&page->list);
		page->flags &= ~PG_PCP;
		pcp->count--;
		buddy_merge_and_free(zone, page, 0);
	}
	if (n)
		zone->stats.pcp_drains++;
	return n;
	/* LAB 1 END pcp_drain */
}

/*
 * Empty this CPU's per-CPU list of every zone, each under its zone's lock;
 * returns the pages moved. Interrupts off. (One pcp_drain() per list empties
 * it; the loop only matters to a pcp_drain() that moves fewer than asked.)
 */
static uint64_t pcp_drain_this_cpu(void)
{
	ASSERT_IRQS_OFF();
	unsigned cpu = arch_cpu_id();
	uint64_t moved = 0;
	unsigned n;

	for (int z = 0; z < ZONE_COUNT; z++) {
		struct per_cpu_pages *pcp = &zones[z].pcp[cpu];
		if (pcp->count == 0)
			continue;
		spin_lock(&zones[z].lock);
		while (pcp->count > 0 && (n = pcp_drain(&zones[z], pcp, pcp->count)) > 0)
			moved += n;
		spin_unlock(&zones[z].lock);
	}
	return moved;
}

/* arch_on_each_cpu() body: drain this CPU, add the pages moved to *arg. */
static void pcp_drain_on_cpu(void *arg)
{
	counter_add(arg, (int64_t)pcp_drain_this_cpu());
}

/*
 * Empty the per-CPU lists of every CPU, each CPU its own; returns the pages
 * moved. Interrupts on, or off with one CPU online (arch_on_each_cpu).
 */
static uint64_t pcp_drain_every_cpu(void)
{
	uint64_t moved = 0;

	arch_on_each_cpu(pcp_drain_on_cpu, &moved);
	return moved;
}

void buddy_drain_pcp(void)
{
	ASSERT(arch_can_reach_every_cpu(), "buddy_drain_pcp: interrupts off with other CPUs online");
	pcp_drain_every_cpu();
}

/* ------------------------------------------------------------------------ */
/* Adding memory, watermarks                                                */

/* Give the block of 2^order reserved frames headed by page to its zone, free. */
static void zone_add_block(struct page *page, unsigned order)
{
	struct zone *zone = &zones[page->zone];
	uint64_t pfn = page_to_pfn(page), pages = BLOCK_PAGES(order);

	for (uint64_t i = 0; i < pages; i++) {
		ASSERT(page[i].flags & PG_RESERVED, "buddy_add_free_range: frame added twice");
		page[i].flags &= ~PG_RESERVED;
	}
	if (zone->managed_pages == 0 || pfn < zone->start_pfn)
		zone->start_pfn = pfn;
	if (pfn + pages > zone->end_pfn)
		zone->end_pfn = pfn + pages;
	zone->managed_pages += pages;
	counter_add(&zone->free_pages, (int64_t)pages);
	buddy_merge_and_free(zone, page, order);
}

/* The largest order whose block at pfn is aligned and ends by end_pfn. */
static unsigned largest_block_order(uint64_t pfn, uint64_t end_pfn)
{
	unsigned order = MAX_ORDER;

	while (order > 0 && (!IS_ALIGNED(pfn, BLOCK_PAGES(order)) ||
			     pfn + BLOCK_PAGES(order) > end_pfn))
		order--;
	return order;
}

/*
 * Implementation note: blocks are freed with merging, so ranges that touch
 * end up merged whatever order they come in. A block whose frames have no
 * descriptors (RAM beyond what page.c describes) is skipped; a block never
 * straddles a section, so its head tells for the whole block.
 */
void buddy_add_free_range(phys_addr_t start, phys_addr_t end)
{
	uint64_t pfn = ALIGN_UP(start, PAGE_SIZE) >> PAGE_SHIFT;
	uint64_t end_pfn = end >> PAGE_SHIFT;
	unsigned long irq = arch_irq_save();

	while (pfn < end_pfn) {
		unsigned order = largest_block_order(pfn, end_pfn);
		struct page *page = pfn_to_page(pfn);
		if (page) {
			spin_lock(&zones[page->zone].lock);
			zone_add_block(page, order);
			spin_unlock(&zones[page->zone].lock);
		}
		pfn += BLOCK_PAGES(order);
	}
	arch_irq_restore(irq);
}

/* The largest x with x * x <= n (binary search; n < 2^62). */
static uint64_t isqrt(uint64_t n)
{
	uint64_t low = 0, high = 1ull << 31; /* the answer is in [low, high) */

	while (high - low > 1) {
		uint64_t mid = (low + high) / 2;
		if (mid * mid <= n)
			low = mid;
		else
			high = mid;
	}
	return low;
}

/*
 * Implementation note - the numbers, Linux's rules scaled to this kernel:
 *   reserve  sqrt(16 * RAM in KiB) KiB (Linux's min_free_kbytes): 724 KiB at
 *            32 MiB, 4 MiB at 1 GiB, 11.3 MiB at 8 GiB; clamped to
 *            [128 KiB, 64 MiB] and shared among the zones by size.
 *   min      a zone's share, at least 4 pages, at most 1/8 of the zone (a
 *            tiny zone must stay usable); low = min * 5/4, high = min * 3/2.
 *   per-CPU  batch = zone pages / 128, between 1 and 31; high = 3 * batch.
 *            A big batch makes refills rare; a small zone should not have a
 *            large share of its pages parked on per-CPU lists.
 * The per-CPU lists are drained first (every CPU's), so their new limits
 * hold at once; a CPU allocating meanwhile may refill its list to the old
 * limit: call it at boot, or while no other CPU allocates (tests).
 */
void buddy_set_watermarks(void)
{
	uint64_t managed = buddy_managed_pages();
	uint64_t reserve_kib = isqrt(managed * (PAGE_SIZE >> 10) * 16);
	uint64_t reserve = MIN(MAX(reserve_kib, 128), 65536) / (PAGE_SIZE >> 10);

	pcp_drain_every_cpu();
	unsigned long irq = arch_irq_save();
	for (int z = 0; z < ZONE_COUNT; z++) {
		struct zone *zone = &zones[z];
		spin_lock(&zone->lock);
		uint64_t min = 0;
		unsigned batch = 1, high = 0;
		if (zone->managed_pages > 0) {
			min = MAX(reserve * zone->managed_pages / managed, 4);
			min = MIN(min, zone->managed_pages / 8);
			batch = (unsigned)MIN(MAX(zone->managed_pages / 128, 1), PCP_BATCH_MAX);
			high = 3 * batch;
		}
		zone->watermark_min = min;
		zone->watermark_low = min * 5 / 4;
		zone->watermark_high = min * 3 / 2;
		for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
			zone->pcp[cpu].batch = batch;
			zone->pcp[cpu].high = high;
		}
		spin_unlock(&zone->lock);
	}
	arch_irq_restore(irq);
}

/* ------------------------------------------------------------------------ */
/* Poisoning                                                                */

typedef uint64_t __attribute__((may_alias)) poison_word; /* reads any memory as words */
#define POISON_WORD (0x0101010101010101ull * PAGE_POISON_BYTE)

/* Fill every frame of the block with poison and mark it. Interrupts off. */
static void poison_block(struct page *page, unsigned order)
{
	ASSERT_IRQS_OFF();
	for (uint64_t i = 0; i < BLOCK_PAGES(order); i++) {
		memset(page_address(&page[i]), PAGE_POISON_BYTE, PAGE_SIZE);
		page[i].flags |= PG_POISONED;
	}
	counter_add(&poisoned_free_pages, (int64_t)BLOCK_PAGES(order));
}

/* Offset of the first byte of the frame that is not poison, or PAGE_SIZE. */
static size_t poison_first_change(const uint8_t *frame)
{
	const poison_word *words = (const poison_word *)frame;

	for (size_t w = 0; w < PAGE_SIZE / sizeof(poison_word); w++) {
		if (words[w] == POISON_WORD)
			continue;
		size_t offset = w * sizeof(poison_word);
		while (frame[offset] == PAGE_POISON_BYTE)
			offset++;
		return offset;
	}
	return PAGE_SIZE;
}

/*
 * The block was just allocated: check its poisoned frames, report each one
 * written to since it was freed, and unmark them. The block is the caller's
 * already, so only the shared counters need care (atomic adds).
 */
static void poison_check_block(struct page *page, unsigned order)
{
	uint64_t checked = 0, changed = 0;

	for (uint64_t i = 0; i < BLOCK_PAGES(order); i++) {
		if (!(page[i].flags & PG_POISONED))
			continue;
		page[i].flags &= ~PG_POISONED;
		checked++;
		const uint8_t *frame = page_address(&page[i]);
		size_t offset = poison_first_change(frame);
		if (offset < PAGE_SIZE) {
			kprintf("alloc_pages: use-after-free write in frame 0x%lx at offset 0x%zx: "
				"0x%02x instead of 0x%02x\n",
				page_to_phys(&page[i]), offset, frame[offset], PAGE_POISON_BYTE);
			changed++;
		}
	}
	counter_add(&poisoned_free_pages, -(int64_t)checked);
	counter_add(&poison_violations, (int64_t)changed);
}

void buddy_set_poisoning(bool on)
{
	poisoning = on;
}

bool buddy_poisoning(void)
{
	return poisoning;
}

uint64_t buddy_poison_violations(void)
{
	return poison_violations;
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */

int buddy_register_shrinker(shrinker_fn fn)
{
	if (!fn)
		return -EINVAL;
	for (unsigned i = 0; i < shrinker_count; i++)
		if (shrinkers[i] == fn)
			return 0; /* once is enough: it would only run twice per request */
	if (shrinker_count == SHRINKERS_MAX)
		return -ENOSPC;
	shrinkers[shrinker_count++] = fn;
	return 0;
}

/* Take zone's lock around pcp_refill (interrupts off). Out of line: the miss path. */
static __noinline unsigned pcp_refill_locked(struct zone *zone, struct per_cpu_pages *pcp)
{
	spin_lock(&zone->lock);
	unsigned n = pcp_refill(zone, pcp);
	spin_unlock(&zone->lock);
	return n;
}

/* buddy_take_block under zone's lock (interrupts off). */
static __noinline struct page *zone_take_block(struct zone *zone, unsigned order)
{
	spin_lock(&zone->lock);
	struct page *page = buddy_take_block(zone, order);
	spin_unlock(&zone->lock);
	return page;
}

/*
 * Take 2^order frames from zone; order 0 goes through this CPU's list, with
 * no lock unless it must be refilled. Interrupts off.
 */
static inline struct page *zone_take(struct zone *zone, unsigned order)
{
	ASSERT_IRQS_OFF();
	struct page *page = NULL;
	struct per_cpu_pages *pcp = &zone->pcp[arch_cpu_id()];

	if (likely(order == 0)) {
		struct per_cpu_pages *list = pcp;
		if (likely(pcp->count > 0))
			pcp->hits++;
		else if (pcp_refill_locked(zone, pcp) == 0)
			list = NULL; /* nothing could be listed */
		if (list) {
			page = list_first_entry(&list->pages, struct page, list);
			list_remove(&page->list);
			page->flags &= ~PG_PCP;
			list->count--;
		}
	}
	/* Blocks; and a single page that could not be listed: then the free lists are
	 * empty too, unless pcp_refill is lab 1's stub, which lists nothing. */
	if (!page && !(page = zone_take_block(zone, order)))
		return NULL;
	counter_add(&zone->free_pages, -(int64_t)BLOCK_PAGES(order));
	pcp->allocs++;
	return page;
}

enum watermark { WATERMARK_LOW, WATERMARK_MIN, WATERMARK_NONE };

/* The free pages zone must keep after an allocation, under watermark mark. */
static inline uint64_t watermark_pages(const struct zone *zone, enum watermark mark)
{
	return mark == WATERMARK_LOW ? zone->watermark_low
	       : mark == WATERMARK_MIN ? zone->watermark_min
				       : 0;
}

/*
 * Try the zones from highest down to ZONE_DMA, taking from the first that
 * has a block and keeps at least `mark` free pages after it.
 * Interrupts off.
 */
static inline struct page *zones_take(int highest, unsigned order, enum watermark mark)
{
	ASSERT_IRQS_OFF();
	for (int z = highest; z >= 0; z--) {
		struct zone *zone = &zones[z];
		if (zone->free_pages < watermark_pages(zone, mark) + BLOCK_PAGES(order))
			continue;
		struct page *page = zone_take(zone, order);
		if (page)
			return page;
	}
	return NULL;
}

/*
 * Count a refusal in each zone above `served` (the zone that gave the block,
 * -1 if none did) that had the pages but was kept from giving them by its
 * min watermark. Interrupts off.
 */
static void count_refusals(int highest, unsigned order, int served)
{
	ASSERT_IRQS_OFF();
	for (int z = highest; z > served; z--) {
		struct zone *zone = &zones[z];
		if (zone->free_pages >= BLOCK_PAGES(order) &&
		    zone->free_pages < zone->watermark_min + BLOCK_PAGES(order)) {
			spin_lock(&zone->lock);
			zone->stats.watermark_refusals++;
			spin_unlock(&zone->lock);
		}
	}
}

/* Is a zone the request may use too close to its low watermark to serve it? */
static bool zones_below_low(int highest, unsigned order)
{
	for (int z = highest; z >= 0; z--)
		if (zones[z].managed_pages > 0 &&
		    zones[z].free_pages < zones[z].watermark_low + BLOCK_PAGES(order))
			return true;
	return false;
}

/*
 * No zone could serve the request above its low watermark. In turn:
 *   1. if that is because memory is low, ask the shrinkers for memory back
 *      (once, with interrupts on: they free pages through free_pages);
 *   2. go below low, down to min (or to nothing with ALLOC_RESERVE);
 *   3. empty the per-CPU lists, whose single pages may be what keeps a big
 *      enough block from forming, and try step 2 once more: every CPU's
 *      lists when this context may ask them (interrupts on, or one CPU),
 *      else this CPU's.
 */
static struct page *alloc_pages_slow(unsigned flags, unsigned order, int highest)
{
	enum watermark mark = flags & ALLOC_RESERVE ? WATERMARK_NONE : WATERMARK_MIN;

	if (!(flags & ALLOC_NO_SHRINK) && shrinker_count > 0 && zones_below_low(highest, order))
		for (unsigned i = 0; i < shrinker_count; i++)
			shrinkers[i]();

	bool ask_all = arch_can_reach_every_cpu();
	unsigned long irq = arch_irq_save();
	struct page *page = zones_take(highest, order, mark);
	if (!page) {
		uint64_t moved;
		if (ask_all) {
			arch_irq_restore(irq);
			moved = pcp_drain_every_cpu();
			irq = arch_irq_save();
		} else {
			moved = pcp_drain_this_cpu();
		}
		if (moved > 0)
			page = zones_take(highest, order, mark);
	}
	if (mark == WATERMARK_MIN)
		count_refusals(highest, order, page ? page->zone : -1);
	arch_irq_restore(irq);
	return page;
}

/*
 * Implementation note: the common case is the first zones_take() with the
 * low watermark, which for order 0 is a per-CPU list hit: a few loads and
 * stores, no loop over orders, no merging. Everything unusual (low memory,
 * poison, zeroing) is behind a branch predicted not taken.
 */
struct page *alloc_pages(unsigned flags, unsigned order)
{
	if (unlikely(order > MAX_ORDER) || failinject_should_fail(FAILINJECT_PMM))
		return NULL;
	int highest = flags & ALLOC_DMA ? ZONE_DMA : flags & ALLOC_DMA32 ? ZONE_DMA32 : ZONE_NORMAL;

	unsigned long irq = arch_irq_save();
	struct page *page = zones_take(highest, order, WATERMARK_LOW);
	arch_irq_restore(irq);
	if (unlikely(!page)) {
		page = alloc_pages_slow(flags, order, highest);
		if (!page)
			return NULL;
	}
	if (unlikely(poisoned_free_pages > 0))
		poison_check_block(page, order);
	page->flags |= PG_HEAD;
	page->order = (uint8_t)order;
	page->refcount = 1;
	if (flags & ALLOC_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	return page;
}

/* ------------------------------------------------------------------------ */
/* Freeing, and catching bad frees                                          */

/*
 * The head of the block (free or allocated) of order > order that contains
 * the block of `order` at page, or NULL. Blocks are aligned, so the head of
 * a block of order k around pfn can only be at pfn rounded down to 2^k:
 * try k = order + 1 ... MAX_ORDER. O(MAX_ORDER).
 */
static const struct page *block_around(const struct page *page, unsigned order)
{
	uint64_t pfn = page_to_pfn(page);

	for (unsigned k = order + 1; k <= MAX_ORDER; k++) {
		const struct page *head = page - (pfn & (BLOCK_PAGES(k) - 1));
		if ((head->flags & (PG_BUDDY | PG_HEAD)) && head->order >= k)
			return head;
	}
	return NULL;
}

const struct page *buddy_block_of(const struct page *page)
{
	if (page->flags & (PG_BUDDY | PG_PCP | PG_HEAD))
		return page;
	return block_around(page, 0);
}

/*
 * What is wrong with freeing the block of `order` at page: an error number
 * (buddy.h lists them) with an explanation written to why, or 0 for a good
 * free. Reads only, and reads *page only once it is known to be a
 * descriptor. Interrupts off.
 */
static int free_problem(const struct page *page, unsigned order, char *why, size_t size)
{
	ASSERT_IRQS_OFF();
	if (!page) {
		ksnprintf(why, size, "NULL page (order %u)", order);
		return -EINVAL;
	}
	if (!page_is_descriptor(page)) {
		ksnprintf(why, size, "%p is not a page descriptor (order %u)", (const void *)page,
			  order);
		return -EINVAL;
	}
	phys_addr_t pa = page_to_phys(page);
	if (order > MAX_ORDER) {
		ksnprintf(why, size, "order %u of frame 0x%lx is above MAX_ORDER (%d)", order, pa,
			  MAX_ORDER);
		return -EINVAL;
	}
	if (page->flags & PG_RESERVED) {
		ksnprintf(why, size, "frame 0x%lx (order %u) is reserved, not managed RAM", pa,
			  order);
		return -EINVAL;
	}
	if (page->flags & (PG_BUDDY | PG_PCP)) {
		ksnprintf(why, size, "double free of frame 0x%lx (order %u)", pa, order);
		return -EBUSY;
	}
	if (!(page->flags & PG_HEAD)) {
		const struct page *head = block_around(page, 0);
		if (head && (head->flags & PG_BUDDY)) {
			ksnprintf(why, size, "double free of frame 0x%lx (order %u), inside "
				  "the free order-%u block at 0x%lx", pa, order, head->order,
				  page_to_phys(head));
			return -EBUSY;
		}
		if (head)
			ksnprintf(why, size, "frame 0x%lx (order %u) is not a block head: it lies "
				  "inside the order-%u block at 0x%lx", pa, order, head->order,
				  page_to_phys(head));
		else
			ksnprintf(why, size, "frame 0x%lx (order %u) is not the head of an "
				  "allocated block", pa, order);
		return -EFAULT;
	}
	if (page->order != order) {
		ksnprintf(why, size, "wrong order for frame 0x%lx: freed as order %u, allocated "
			  "as order %u", pa, order, page->order);
		return -ERANGE;
	}
	ASSERT(page->refcount == 1, "free_pages: allocated block whose refcount is not 1");
	return 0;
}

/* Print "<who>: <why> by <caller's symbol+offset>". */
static void free_report(const char *who, const char *why, void *caller)
{
	char symbol[64];

	arch_symbolize((uint64_t)(uintptr_t)caller, symbol, sizeof(symbol));
	kprintf("%s: %s by %s\n", who, why, symbol);
}

/*
 * The part of a free that needs zone's lock: a block, or a single page
 * when this CPU's list is full (the oldest batch goes back first, then the
 * page is listed, or merged if the drain made no room: high 0, or lab 1's
 * pcp_drain stub). Interrupts off.
 */
static __noinline void buddy_free_locked(struct zone *zone, struct per_cpu_pages *pcp,
					 struct page *page, unsigned order)
{
	spin_lock(&zone->lock);
	if (order == 0) {
		pcp_drain(zone, pcp, pcp->batch);
		if (pcp->count < pcp->high) {
			page->flags |= PG_PCP;
			list_add(&pcp->pages, &page->list);
			pcp->count++;
		} else {
			buddy_merge_and_free(zone, page, 0);
		}
	} else {
		buddy_merge_and_free(zone, page, order);
	}
	spin_unlock(&zone->lock);
}

/* free_pages() proper; who and caller name the entry point and its caller in reports. */
static int buddy_free(struct page *page, unsigned order, const char *who, void *caller)
{
	char why[160];
	unsigned long irq = arch_irq_save();
	int err = free_problem(page, order, why, sizeof(why));

	if (unlikely(err)) {
		arch_irq_restore(irq);
		free_report(who, why, caller);
		return err;
	}
	struct zone *zone = &zones[page->zone];
	struct per_cpu_pages *pcp = &zone->pcp[arch_cpu_id()];
	page->flags &= ~PG_HEAD;
	page->refcount = 0;
	if (unlikely(poisoning))
		poison_block(page, order);
	if (likely(order == 0 && pcp->count < pcp->high)) { /* the fast path: no lock */
		page->flags |= PG_PCP;
		list_add(&pcp->pages, &page->list);
		pcp->count++;
	} else {
		buddy_free_locked(zone, pcp, page, order);
	}
	counter_add(&zone->free_pages, (int64_t)BLOCK_PAGES(order));
	pcp->frees++;
	arch_irq_restore(irq);
	return 0;
}

int free_pages(struct page *page, unsigned order)
{
	return buddy_free(page, order, "free_pages", __builtin_return_address(0));
}

/*
 * Implementation note: the count changes by atomic operations (owners on
 * several CPUs). page_put() leaves a count of 1 for buddy_free() to check
 * and clear: only the last owner sees 1, since an owner cannot be added by
 * anyone but another owner.
 */
void page_get(struct page *page)
{
	ASSERT(page && (page->flags & PG_HEAD) && page->refcount > 0,
	       "page_get: not an allocated block");
	__atomic_fetch_add(&page->refcount, 1, __ATOMIC_RELAXED);
}

void page_put(struct page *page)
{
	ASSERT(page && (page->flags & PG_HEAD) && page->refcount > 0,
	       "page_put: not an allocated block");
	__typeof__(page->refcount) count = __atomic_load_n(&page->refcount, __ATOMIC_RELAXED);
	while (count > 1 && !__atomic_compare_exchange_n(&page->refcount, &count, count - 1, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
	if (count == 1)
		buddy_free(page, page->order, "page_put", __builtin_return_address(0));
}

int free_pages_phys(phys_addr_t pa, unsigned order)
{
	void *caller = __builtin_return_address(0);

	if (pa >= DIRECT_MAP_START) /* a direct-map address: physical addresses are below */
		pa = virt_to_phys((const void *)(uintptr_t)pa);
	struct page *page = phys_to_page(pa);
	char why[96];
	if (!page) {
		ksnprintf(why, sizeof(why), "no managed RAM at 0x%lx (order %u)", pa, order);
		free_report("free_pages_phys", why, caller);
		return -EINVAL;
	}
	if (!IS_ALIGNED(pa, PAGE_SIZE)) {
		ksnprintf(why, sizeof(why), "0x%lx (order %u) is not the start of a frame", pa,
			  order);
		free_report("free_pages_phys", why, caller);
		return -EFAULT;
	}
	return buddy_free(page, order, "free_pages_phys", caller);
}

/* ------------------------------------------------------------------------ */
/* Totals and the invariant checker                                         */

uint64_t buddy_free_pages(void)
{
	uint64_t sum = 0;

	for (int z = 0; z < ZONE_COUNT; z++)
		sum += zones[z].free_pages;
	return sum;
}

uint64_t buddy_managed_pages(void)
{
	uint64_t sum = 0;

	for (int z = 0; z < ZONE_COUNT; z++)
		sum += zones[z].managed_pages;
	return sum;
}

int buddy_zone_snapshot(int z, struct zone_snapshot *out)
{
	if (z < 0 || z >= ZONE_COUNT)
		return -EINVAL;
	struct zone *zone = &zones[z];
	unsigned long irq = spin_lock_irqsave(&zone->lock);
	out->name = zone->name;
	out->start_pfn = zone->start_pfn;
	out->end_pfn = zone->end_pfn;
	out->managed_pages = zone->managed_pages;
	out->free_pages = zone->free_pages;
	out->watermark_min = zone->watermark_min;
	out->watermark_low = zone->watermark_low;
	out->watermark_high = zone->watermark_high;
	for (int o = 0; o <= MAX_ORDER; o++)
		out->free_blocks[o] = zone->free_area[o].count;
	out->stats = zone->stats;
	for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
		const struct per_cpu_pages *pcp = &zone->pcp[cpu];
		out->pcp[cpu].count = pcp->count;
		out->pcp[cpu].high = pcp->high;
		out->pcp[cpu].batch = pcp->batch;
		out->stats.alloc_pages += pcp->allocs;
		out->stats.free_pages += pcp->frees;
		out->stats.pcp_hits += pcp->hits;
	}
	spin_unlock_irqrestore(&zone->lock, irq);
	return 0;
}

const char *buddy_zone_name(int z)
{
	return z >= 0 && z < ZONE_COUNT && zones[z].name ? zones[z].name : "?";
}

static char violation_text[200];

/* Format a violation into violation_text and return it. */
static const char *violation(const char *fmt, ...) __printf(1, 2);
static const char *violation(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(violation_text, sizeof(violation_text), fmt, ap);
	va_end(ap);
	return violation_text;
}

/* The checks on one block of a free list (zone z, order o). */
static const char *check_free_block(int z, const struct page *page, unsigned o)
{
	uint64_t pfn = page_to_pfn(page);
	const char *name = zone_names[z];

	if ((page->flags & PAGE_STATE_FLAGS) != PG_BUDDY)
		return violation("zone %s order %u: frame 0x%lx on the free list has flags 0x%x",
				 name, o, pfn << PAGE_SHIFT, page->flags & PG_FLAG_MASK);
	if (page->order != o || page->zone != z || page->refcount != 0)
		return violation("zone %s order %u: frame 0x%lx says order %u, zone %u, "
				 "refcount %u", name, o, pfn << PAGE_SHIFT, page->order,
				 page->zone, page->refcount);
	if (!IS_ALIGNED(pfn, BLOCK_PAGES(o)))
		return violation("zone %s order %u: block at 0x%lx is not aligned to its order",
				 name, o, pfn << PAGE_SHIFT);
	if (pfn < zone_limits[z].start_pfn || pfn + BLOCK_PAGES(o) > zone_limits[z].end_pfn)
		return violation("zone %s order %u: block at 0x%lx crosses the zone's limits",
				 name, o, pfn << PAGE_SHIFT);
	if (o < MAX_ORDER) {
		uint64_t buddy_pfn = pfn ^ BLOCK_PAGES(o);
		const struct page *buddy = buddy_pfn > pfn ? page + BLOCK_PAGES(o)
							   : page - BLOCK_PAGES(o);
		if (page_is_buddy(page, buddy, o))
			return violation("zone %s order %u: free buddies 0x%lx and 0x%lx "
					 "not merged", name, o, pfn << PAGE_SHIFT,
					 buddy_pfn << PAGE_SHIFT);
	}
	return NULL;
}

/*
 * Walk one list of free pages: links intact, length = count (the walk stops
 * at count + 1, so a cycle cannot trap it), each page a descriptor passing
 * check (free-list blocks) or being a per-CPU page (check NULL).
 */
static const char *check_list(int z, const struct list_node *head, size_t count,
			      const char *what, unsigned o, bool free_list)
{
	size_t n = 0;

	for (const struct list_node *node = head->next; node != head; node = node->next) {
		const struct page *page = list_entry(node, struct page, list);
		if (node->next->prev != node || ++n > count || !page_is_descriptor(page))
			return violation("zone %s %s %u: list broken or longer than its count %zu",
					 zone_names[z], what, o, count);
		const char *bad = NULL;
		if (free_list)
			bad = check_free_block(z, page, o);
		else if ((page->flags & PAGE_STATE_FLAGS) != PG_PCP || page->zone != z ||
			 page->refcount != 0)
			bad = violation("zone %s cpu %u: per-CPU page 0x%lx has flags 0x%x, "
					"zone %u", zone_names[z], o, page_to_phys(page),
					page->flags & PG_FLAG_MASK, page->zone);
		if (bad)
			return bad;
	}
	if (n != count)
		return violation("zone %s %s %u: count %zu but %zu on the list", zone_names[z],
				 what, o, count, n);
	return NULL;
}

/* Lists of zone z: structure, counts, and free_pages = their total. */
static const char *check_zone_lists(int z)
{
	const struct zone *zone = &zones[z];
	uint64_t free = 0;
	const char *bad;

	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		const struct free_area *area = &zone->free_area[o];
		if ((bad = check_list(z, &area->blocks, area->count, "order", o, true)))
			return bad;
		free += area->count << o;
	}
	for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
		const struct per_cpu_pages *pcp = &zone->pcp[cpu];
		if ((bad = check_list(z, &pcp->pages, pcp->count, "cpu", cpu, false)))
			return bad;
		if (pcp->count > pcp->high && pcp->count > 0)
			return violation("zone %s cpu %u: %u per-CPU pages, above high %u",
					 zone->name, cpu, pcp->count, pcp->high);
		free += pcp->count;
	}
	if (free != zone->free_pages || free > zone->managed_pages)
		return violation("zone %s: free_pages %lu, but %lu on its lists (managed %lu)",
				 zone->name, zone->free_pages, free, zone->managed_pages);
	return NULL;
}

/* What one pass over every descriptor counts, per zone. */
struct descriptor_counts {
	uint64_t managed[ZONE_COUNT], buddy_heads[ZONE_COUNT], pcp_pages[ZONE_COUNT];
	uint64_t poisoned;
};

/*
 * One descriptor in the pass over all frames in pfn order. *block_end is
 * where the block that began most recently ends and *block_head its head:
 * frames before block_end must be plain members of that block. This is how
 * the pass proves blocks disjoint and free of reserved frames in O(frames).
 */
static const char *check_descriptor(const struct page *page, uint64_t pfn,
				    const struct page **block_head, uint64_t *block_end,
				    struct descriptor_counts *c)
{
	uint32_t flags = page->flags, state = flags & PAGE_STATE_FLAGS;
	phys_addr_t pa = pfn << PAGE_SHIFT;

	if (flags >> SECTION_FLAG_SHIFT != pfn / PAGES_PER_SECTION ||
	    page->zone != buddy_zone_of_pfn(pfn))
		return violation("frame 0x%lx: wrong section (flags 0x%x) or zone %u", pa, flags,
				 page->zone);
	if (state & (state - 1))
		return violation("frame 0x%lx: more than one of PG_RESERVED, PG_BUDDY, PG_PCP, "
				 "PG_HEAD (flags 0x%x)", pa, flags & PG_FLAG_MASK);
	if (pfn < *block_end) {
		bool free_block = (*block_head)->flags & PG_BUDDY;
		if (state || ((flags & PG_POISONED) && !free_block))
			return violation("frame 0x%lx (flags 0x%x) lies inside the %s order-%u "
					 "block at 0x%lx", pa, flags & PG_FLAG_MASK,
					 free_block ? "free" : "allocated", (*block_head)->order,
					 page_to_phys(*block_head));
	} else if (state & (PG_BUDDY | PG_HEAD)) {
		*block_head = page;
		*block_end = pfn + BLOCK_PAGES(page->order);
		if (page->order > MAX_ORDER || !IS_ALIGNED(pfn, BLOCK_PAGES(page->order)) ||
		    *block_end > zone_limits[page->zone].end_pfn)
			return violation("frame 0x%lx: head of a misplaced order-%u block", pa,
					 page->order);
		if ((state == PG_HEAD) != (page->refcount > 0))
			return violation("frame 0x%lx: block head with flags 0x%x has refcount %u",
					 pa, flags & PG_FLAG_MASK, page->refcount);
	}
	if ((flags & PG_POISONED) && (state & (PG_HEAD | PG_RESERVED)))
		return violation("frame 0x%lx: poisoned but not free (flags 0x%x)", pa,
				 flags & PG_FLAG_MASK);
	if (!(state & PG_RESERVED)) {
		const struct zone *zone = &zones[page->zone];
		if (pfn < zone->start_pfn || pfn >= zone->end_pfn)
			return violation("frame 0x%lx: managed but outside zone %s's span", pa,
					 zone->name);
		c->managed[page->zone]++;
	}
	c->buddy_heads[page->zone] += (state == PG_BUDDY);
	c->pcp_pages[page->zone] += (state == PG_PCP);
	c->poisoned += (flags & PG_POISONED) != 0;
	return NULL;
}

/* Every descriptor, and the counts they add up to against the zones' own. */
static const char *check_descriptors(void)
{
	struct descriptor_counts c = {0};
	const struct page *block_head = NULL;
	uint64_t block_end = 0;
	const char *bad;

	for (uint64_t s = 0; s < page_section_count; s++) {
		const struct page *array = page_sections[s];
		for (uint64_t i = 0; array && i < PAGES_PER_SECTION; i++) {
			bad = check_descriptor(&array[i], s * PAGES_PER_SECTION + i, &block_head,
					       &block_end, &c);
			if (bad)
				return bad;
		}
	}
	for (int z = 0; z < ZONE_COUNT; z++) {
		const struct zone *zone = &zones[z];
		uint64_t listed = 0, pcp = 0;
		for (int o = 0; o <= MAX_ORDER; o++)
			listed += zone->free_area[o].count;
		for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++)
			pcp += zone->pcp[cpu].count;
		if (c.managed[z] != zone->managed_pages || c.buddy_heads[z] != listed ||
		    c.pcp_pages[z] != pcp)
			return violation("zone %s: descriptors show %lu managed, %lu PG_BUDDY, %lu "
					 "PG_PCP; the zone says %lu, %lu, %lu", zone->name,
					 c.managed[z], c.buddy_heads[z], c.pcp_pages[z],
					 zone->managed_pages, listed, pcp);
	}
	if (c.poisoned != poisoned_free_pages)
		return violation("%lu frames are PG_POISONED, the counter says %lu", c.poisoned,
				 poisoned_free_pages);
	return NULL;
}

/*
 * Implementation note: two parts. The list walks are O(free blocks); the
 * pass over all descriptors is O(frames) but only a few loads per frame,
 * and it is what proves the "exactly" and "disjoint" parts of the checklist
 * (a stray PG_BUDDY off every list, or an allocated block overlapping a free
 * one, is visible only from the descriptors).
 */
const char *buddy_check_invariants(void)
{
	const char *bad = NULL;
	unsigned long irq = arch_irq_save();

	for (int z = 0; z < ZONE_COUNT; z++)
		spin_lock(&zones[z].lock); /* in zone order */
	for (int z = 0; z < ZONE_COUNT && !bad; z++)
		bad = check_zone_lists(z);
	if (!bad)
		bad = check_descriptors();
	for (int z = ZONE_COUNT; z-- > 0;)
		spin_unlock(&zones[z].lock);
	arch_irq_restore(irq);
	return bad;
}
