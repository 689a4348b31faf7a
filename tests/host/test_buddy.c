/*
 * test_buddy.c - suite "buddy": the page descriptors and the buddy allocator
 * on the host, each test on a fresh allocator built over the simulated RAM
 * arena (tests/host/arena.h: DMA < 4 MiB, DMA32 < 16 MiB, Normal above).
 *
 * What needs a fresh or specially shaped allocator lives here: descriptor
 * sections and holes, unaligned ranges, exact split and merge counts from a
 * single block, exhaustion, zone fallback, watermarks, poisoning, shrinkers,
 * the invariant checker catching planted corruption, and a long seeded
 * random run against a shadow model. Bad frees are tested by suite `pmm`
 * (tests/unit/test_pmm.c), which runs on the host's arena allocator too.
 * Hosted code: may use libc, but the allocator is reached only through mm/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/memblock.h"
#include "tests/host/arena.h"

#define MIB (1ull << 20)
#define ARENA_FRAMES (ARENA_DEFAULT_SIZE / PAGE_SIZE)

/* Build the allocator for a test; fail the test if that fails. */
#define BUILD(layout) CHECKF(arena_build(layout) == 0, "cannot build the arena allocator")

/* Fail with the violation if the invariants do not hold. */
#define CHECK_INVARIANTS()                                                                 \
	do {                                                                                \
		const char *violation_ = buddy_check_invariants();                           \
		CHECKF(!violation_, "invariant: %s", violation_);                            \
	} while (0)

/* The per-order free-block counts of every zone (/proc/buddyinfo). */
struct buddyinfo {
	size_t blocks[ZONE_COUNT][MAX_ORDER + 1];
};

static void buddyinfo_take(struct buddyinfo *info)
{
	for (int z = 0; z < ZONE_COUNT; z++)
		for (int o = 0; o <= MAX_ORDER; o++)
			info->blocks[z][o] = zones[z].free_area[o].count;
}

static bool buddyinfo_same(const struct buddyinfo *a, const struct buddyinfo *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Allocate blocks of order with flags until it fails; chain them on list. Returns how many. */
static uint64_t alloc_until_null(unsigned flags, unsigned order, struct list_node *list)
{
	uint64_t n = 0;
	struct page *page;

	while ((page = alloc_pages(flags, order))) {
		list_add_tail(list, &page->list);
		n++;
	}
	return n;
}

/* Free every block chained on list (each of its head's order). */
static void free_chained(struct list_node *list)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, list) {
		list_remove(&page->list);
		free_pages(page, page->order);
	}
}

/* ---- page descriptors ------------------------------------------------- */

static const char *test_sections(void)
{
	/* RAM in sections 0 and 3 only; 24 MiB - 128 MiB of section 0 is a hole. */
	static const struct arena_range ram[] = {{0, 24 * MIB}, {384 * MIB, 400 * MIB}};
	static const struct arena_layout layout = {ram, 2, NULL, 0};
	BUILD(&layout);

	CHECK(sizeof(struct page) == 32);
	CHECKF(page_section_count == 4, "%u sections for RAM up to 400 MiB", page_section_count);
	CHECK(page_sections[0] && !page_sections[1] && !page_sections[2] && page_sections[3]);
	/* The flat shortcut covers section 0, up to the first missing section. */
	CHECKF(page_flat_map == page_sections[0] && page_flat_pfns == PAGES_PER_SECTION,
	       "flat shortcut: %lu pfns", page_flat_pfns);
	CHECKF(page_descriptors_bytes() == 2 * MIB, "%lu bytes of descriptors for 2 sections",
	       page_descriptors_bytes());
	for (uint64_t s = 0; s < 4; s += 3) {
		uint64_t first = s * PAGES_PER_SECTION;
		for (uint64_t pfn = first; pfn < first + PAGES_PER_SECTION; pfn++) {
			const struct page *page = pfn_to_page(pfn);
			CHECKF(page && page_to_pfn(page) == pfn && page_is_descriptor(page),
			       "pfn 0x%lx does not round-trip", pfn);
			CHECK(page->zone == buddy_zone_of_pfn(pfn));
		}
	}
	CHECK(pfn_to_page((200 * MIB) >> PAGE_SHIFT) == NULL);
	CHECK(pfn_to_page((600 * MIB) >> PAGE_SHIFT) == NULL);
	CHECK(phys_to_page(100 * MIB)->flags & PG_RESERVED); /* the hole inside section 0 */
	CHECK(!page_is_descriptor((const struct page *)((const char *)page_sections[0] + 16)));
	CHECK(!page_is_descriptor(page_sections[0] - 1));
	CHECK(phys_to_page(390 * MIB)->zone == ZONE_NORMAL);

	selftest_capture_begin();
	int err = free_pages_phys(200 * MIB, 0);
	selftest_capture_end();
	CHECKF(err == -EINVAL, "free in a section without RAM returned %d", err);

	/* Every free page is RAM: none in the holes. */
	struct list_node all;
	list_init(&all);
	uint64_t n = alloc_until_null(ALLOC_RESERVE | ALLOC_NO_SHRINK, 0, &all), in_hole = 0;
	struct page *page;
	list_for_each_entry(page, &all, list) {
		phys_addr_t pa = page_to_phys(page);
		in_hole += (pa >= 24 * MIB && pa < 384 * MIB) || pa >= 400 * MIB || pa == 0;
	}
	free_chained(&all);
	CHECKF(in_hole == 0, "%lu of %lu pages handed out lie outside RAM", in_hole, n);
	CHECK(n == buddy_managed_pages());
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_flat_shortcut(void)
{
	/* RAM in sections 0-1 and 3: the shortcut covers 0-1, section 3 goes by the table. */
	static const struct arena_range ram[] = {{0, 256 * MIB}, {384 * MIB, 392 * MIB}};
	static const struct arena_layout layout = {ram, 2, NULL, 0};
	BUILD(&layout);

	CHECKF(page_flat_pfns == 2 * PAGES_PER_SECTION, "flat shortcut: %lu pfns", page_flat_pfns);
	for (uint64_t s = 0; s < 4; s++) {
		uint64_t pfn = s * PAGES_PER_SECTION + 12345;
		struct page *by_table = page_sections[s] ? page_sections[s] + 12345 : NULL;
		CHECKF(pfn_to_page(pfn) == by_table, "section %lu: shortcut and table disagree", s);
		CHECK(!by_table || page_to_pfn(by_table) == pfn);
	}
	CHECK(pfn_to_page(2 * PAGES_PER_SECTION) == NULL); /* the first pfn past the shortcut */
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_no_room_for_descriptors(void)
{
	static const struct arena_range ram[] = {{0, 512 * 1024}}; /* a section's array is 1 MiB */
	static const struct arena_layout layout = {ram, 1, NULL, 0};
	int err = arena_build(&layout);

	CHECKF(err == -ENOMEM, "building with no room for descriptors returned %d", err);
	return NULL;
}

/* ---- adding memory, splitting, merging --------------------------------- */

static const char *test_unaligned_ranges(void)
{
	static const struct arena_range ram[] = {
		{3 * PAGE_SIZE, 5 * MIB + 3 * PAGE_SIZE},
		{7 * MIB + PAGE_SIZE, 32 * MIB - 5 * PAGE_SIZE},
	};
	static const struct arena_range reserved[] = {{MIB + 2 * PAGE_SIZE, MIB + 5 * PAGE_SIZE}};
	static const struct arena_layout layout = {ram, 2, reserved, 1};
	BUILD(&layout);

	uint64_t expected = (memblock_memory_bytes() - memblock_reserved_bytes()) / PAGE_SIZE;
	CHECKF(buddy_managed_pages() == expected && buddy_free_pages() == expected,
	       "managed %lu, free %lu, memblock left %lu", buddy_managed_pages(),
	       buddy_free_pages(), expected);
	/* Aligned and fully merged (checked here) means: the largest blocks possible. */
	CHECK_INVARIANTS();
	CHECK(zones[ZONE_DMA].free_area[0].count > 0);
	CHECK(zones[ZONE_DMA32].free_area[MAX_ORDER].count > 0);
	return NULL;
}

/* DMA32 holds exactly one free block, [4 MiB, 8 MiB) of order 10; DMA is empty. */
static const struct arena_range one_block_reserved[] = {{0, 4 * MIB}, {8 * MIB, 16 * MIB}};
static const struct arena_layout one_block_layout = {NULL, 0, one_block_reserved, 2};

/* Are the DMA32 free lists exactly the blocks whose orders are the bits of mask? */
static bool dma32_blocks_are(uint64_t mask)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		if (zones[ZONE_DMA32].free_area[o].count != ((mask >> o) & 1))
			return false;
	return true;
}

static const char *test_split_and_merge(void)
{
	static const struct arena_range ram[] = {{0, ARENA_DEFAULT_SIZE}};
	struct arena_layout layout = one_block_layout;
	layout.ram = ram;
	layout.ram_count = 1;
	BUILD(&layout);
	struct zone *zone = &zones[ZONE_DMA32];
	CHECK(dma32_blocks_are(1u << MAX_ORDER));

	/* Order 3 from one order-10 block: 7 splits leave one block of each order 3..9. */
	struct page *block = alloc_pages(ALLOC_DMA32 | ALLOC_NO_SHRINK, 3);
	CHECK(block && page_to_phys(block) == 4 * MIB);
	CHECKF(dma32_blocks_are(0x3f8) && zone->stats.splits == 7, "splits %lu",
	       zone->stats.splits);
	CHECK(free_pages(block, 3) == 0);
	CHECKF(dma32_blocks_are(1u << MAX_ORDER) && zone->stats.merges == 7, "merges %lu",
	       zone->stats.merges);

	/*
	 * Order 0 goes through the per-CPU list: one refill takes `batch` pages,
	 * lowest first, leaving [batch, 1024) in the largest aligned blocks, one
	 * for each bit of 1024 - batch.
	 */
	unsigned batch = zone->pcp[0].batch;
	struct page *page = alloc_page(ALLOC_DMA32 | ALLOC_NO_SHRINK);
	CHECK(page && page_to_phys(page) == 4 * MIB);
	CHECKF(dma32_blocks_are(1024 - batch) && zone->pcp[0].count == batch - 1,
	       "batch %u: per-CPU count %u", batch, zone->pcp[0].count);
	CHECK(zone->stats.pcp_refills == 1 && zone->stats.pcp_hits == 0);
	CHECK(free_page(page) == 0 && zone->pcp[0].count == batch);
	buddy_drain_pcp();
	CHECK(dma32_blocks_are(1u << MAX_ORDER) && zone->pcp[0].count == 0);
	CHECK(zone->free_pages == 1024 && zone->stats.pcp_drains == 1);
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_exhaustion(void)
{
	BUILD(NULL);
	struct buddyinfo start, end;
	struct list_node all;
	buddyinfo_take(&start);
	uint64_t free = buddy_free_pages();

	list_init(&all);
	uint64_t n = alloc_until_null(ALLOC_RESERVE | ALLOC_NO_SHRINK, 0, &all);
	CHECKF(n == free && buddy_free_pages() == 0, "got %lu of %lu free pages", n, free);
	for (unsigned order = 0; order <= MAX_ORDER; order++)
		CHECK(alloc_pages(ALLOC_RESERVE, order) == NULL);
	CHECK_INVARIANTS();

	/* Recovery: one page back, one page out. */
	struct page *one = list_first_entry(&all, struct page, list);
	list_remove(&one->list);
	CHECK(free_page(one) == 0 && buddy_free_pages() == 1);
	CHECK(alloc_page(ALLOC_RESERVE) == one && alloc_page(ALLOC_RESERVE) == NULL);
	list_add(&all, &one->list);
	free_chained(&all);
	buddy_drain_pcp();
	buddyinfo_take(&end);
	CHECK(buddyinfo_same(&start, &end) && buddy_free_pages() == free);

	/* The same with the largest blocks: when they are gone, smaller ones remain. */
	uint64_t big = 0;
	for (int z = 0; z < ZONE_COUNT; z++)
		big += zones[z].free_area[MAX_ORDER].count;
	n = alloc_until_null(ALLOC_RESERVE | ALLOC_NO_SHRINK, MAX_ORDER, &all);
	CHECKF(n == big && big > 0, "%lu of %lu order-%d blocks", n, big, MAX_ORDER);
	struct page *smaller = alloc_pages(ALLOC_RESERVE | ALLOC_NO_SHRINK, MAX_ORDER - 1);
	CHECK(smaller && free_pages(smaller, MAX_ORDER - 1) == 0);
	free_chained(&all);
	buddyinfo_take(&end);
	CHECK(buddyinfo_same(&start, &end));
	CHECK_INVARIANTS();
	return NULL;
}

/* ---- zones and watermarks ----------------------------------------------- */

/*
 * Allocate single pages with flags (highest allowed zone: highest) until
 * none is left: every page must come from an allowed zone, the highest one
 * first, a lower zone only while every higher one is at its low watermark,
 * and all free pages of the allowed zones must be handed out.
 */
static const char *check_fallback(unsigned flags, int highest)
{
	BUILD(NULL);
	struct list_node all;
	uint64_t expected = 0, n = 0, wrong_zone = 0, too_early = 0;
	int first = -1;

	list_init(&all);
	for (int z = 0; z <= highest; z++)
		expected += zones[z].free_pages;
	for (;;) {
		uint64_t free_before[ZONE_COUNT];
		for (int z = 0; z < ZONE_COUNT; z++)
			free_before[z] = zones[z].free_pages;
		struct page *page = alloc_page(flags | ALLOC_RESERVE | ALLOC_NO_SHRINK);
		if (!page)
			break;
		list_add_tail(&all, &page->list);
		n++;
		if (first < 0)
			first = page->zone;
		wrong_zone += page->zone > highest;
		for (int h = page->zone + 1; h <= highest; h++)
			too_early += free_before[h] > zones[h].watermark_low;
	}
	free_chained(&all);
	CHECKF(wrong_zone == 0, "%lu pages above zone %s", wrong_zone, zones[highest].name);
	CHECKF(first == highest, "the first page came from zone %d, not %d", first, highest);
	CHECKF(too_early == 0, "%lu pages from a lower zone while a higher one had plenty",
	       too_early);
	CHECKF(n == expected, "%lu pages handed out, %lu were free", n, expected);
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_fallback_dma(void)
{
	return check_fallback(ALLOC_DMA, ZONE_DMA);
}

static const char *test_fallback_dma32(void)
{
	return check_fallback(ALLOC_DMA32, ZONE_DMA32);
}

static const char *test_fallback_normal(void)
{
	return check_fallback(0, ZONE_NORMAL);
}

static const char *test_watermarks(void)
{
	BUILD(NULL);
	uint64_t held_back = 0;
	for (int z = 0; z < ZONE_COUNT; z++) {
		const struct zone *zone = &zones[z];
		CHECKF(zone->watermark_min >= 4 && zone->watermark_min <= zone->managed_pages / 8 &&
			       zone->watermark_low == zone->watermark_min * 5 / 4 &&
			       zone->watermark_high == zone->watermark_min * 3 / 2,
		       "zone %s: min %lu low %lu high %lu of %lu pages", zone->name,
		       zone->watermark_min, zone->watermark_low, zone->watermark_high,
		       zone->managed_pages);
		held_back += zone->watermark_min;
	}
	CHECKF(held_back * 32 < buddy_managed_pages(), "the reserves keep %lu of %lu pages",
	       held_back, buddy_managed_pages());

	struct zone *dma = &zones[ZONE_DMA];
	uint64_t free = dma->free_pages, refusals = dma->stats.watermark_refusals;
	struct list_node all;
	list_init(&all);
	uint64_t n = alloc_until_null(ALLOC_DMA | ALLOC_NO_SHRINK, 0, &all);
	CHECKF(n == free - dma->watermark_min && dma->free_pages == dma->watermark_min,
	       "took %lu of %lu pages, %lu left, min %lu", n, free, dma->free_pages,
	       dma->watermark_min);
	CHECK(dma->stats.watermark_refusals > refusals);
	struct page *emergency = alloc_page(ALLOC_DMA | ALLOC_RESERVE | ALLOC_NO_SHRINK);
	CHECKF(emergency && emergency->zone == ZONE_DMA, "ALLOC_RESERVE refused below min");
	list_add(&all, &emergency->list);
	free_chained(&all);
	CHECK(dma->free_pages == free);
	CHECK_INVARIANTS();
	return NULL;
}

/* ---- zeroing and poisoning ----------------------------------------------- */

/* Offset of the first byte of [p, p + n) that is not value, or n. */
static size_t first_byte_not(const void *p, size_t n, uint8_t value)
{
	const uint8_t *bytes = p;
	size_t i = 0;

	while (i < n && bytes[i] == value)
		i++;
	return i;
}

static const char *test_zeroing_dirty_ram(void)
{
	BUILD(NULL);
	struct page *plain = alloc_page(ALLOC_NO_SHRINK);
	CHECK(plain);
	CHECKF(first_byte_not(page_address(plain), PAGE_SIZE, ARENA_GARBAGE_BYTE) == PAGE_SIZE,
	       "fresh arena RAM should hold garbage");
	free_page(plain);
	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		struct page *page = alloc_pages(ALLOC_ZERO | ALLOC_NO_SHRINK, order);
		CHECK(page);
		size_t bytes = PAGE_SIZE << order;
		size_t at = first_byte_not(page_address(page), bytes, 0);
		memset(page_address(page), ARENA_GARBAGE_BYTE, bytes);
		free_pages(page, order);
		CHECKF(at == bytes, "order %u: byte 0x%zx of a zeroed block is not 0", order, at);
	}
	return NULL;
}

static const char *test_poisoning(void)
{
	char expected[96];

	BUILD(NULL);
	buddy_set_poisoning(true);
	CHECK(buddy_poisoning());
	struct page *page = alloc_page(ALLOC_NO_SHRINK);
	CHECK(page && free_page(page) == 0);
	uint8_t *bytes = page_address(page);
	CHECK(page->flags & PG_POISONED);
	CHECK(first_byte_not(bytes, PAGE_SIZE, PAGE_POISON_BYTE) == PAGE_SIZE);
	CHECK_INVARIANTS();

	bytes[0x7b] = 0x42; /* the write after free */
	selftest_capture_begin();
	struct page *again = alloc_page(ALLOC_NO_SHRINK);
	const char *report = selftest_capture_end();
	CHECKF(again == page && buddy_poison_violations() == 1, "%lu violations",
	       buddy_poison_violations());
	CHECK(!(page->flags & PG_POISONED));
	ksnprintf(expected, sizeof(expected), "frame 0x%lx at offset 0x7b: 0x42 instead of 0x6b",
		  page_to_phys(page));
	CHECKF(strstr(report, expected), "report '%s' lacks '%s'", report, expected);

	/* Reported once: the frame is poisoned afresh when freed again. */
	free_page(again);
	CHECK(alloc_page(ALLOC_NO_SHRINK) == page && buddy_poison_violations() == 1);
	free_page(page);

	/* A frame inside a larger block is checked wherever it ends up. */
	struct page *block = alloc_pages(ALLOC_NO_SHRINK, 2);
	CHECK(block && free_pages(block, 2) == 0);
	((uint8_t *)page_address(block + 2))[PAGE_SIZE - 1] = 0;
	struct list_node all;
	list_init(&all);
	selftest_capture_begin();
	alloc_until_null(ALLOC_RESERVE | ALLOC_NO_SHRINK, 0, &all);
	selftest_capture_end();
	CHECKF(buddy_poison_violations() == 2, "%lu violations", buddy_poison_violations());

	/* Off: what is freed now is not poisoned (nor checked). */
	buddy_set_poisoning(false);
	free_chained(&all);
	CHECK(!(page->flags & PG_POISONED) && buddy_poison_violations() == 2);
	CHECK_INVARIANTS();
	return NULL;
}

/* ---- shrinkers ----------------------------------------------------------- */

static struct list_node shrinker_held; /* pages the test's shrinker may give back */
static unsigned shrinker_calls;

/* A shrinker: gives back up to 8 of the pages the test holds. */
static uint64_t test_shrinker_fn(void)
{
	uint64_t freed = 0;

	shrinker_calls++;
	while (freed < 8 && !list_empty(&shrinker_held)) {
		struct page *page = list_first_entry(&shrinker_held, struct page, list);
		list_remove(&page->list);
		free_page(page);
		freed++;
	}
	return freed;
}

static const char *test_shrinker(void)
{
	BUILD(NULL);
	struct zone *dma = &zones[ZONE_DMA];
	struct page *page;

	list_init(&shrinker_held);
	shrinker_calls = 0;
	CHECK(buddy_register_shrinker(test_shrinker_fn) == 0);
	CHECK(buddy_register_shrinker(NULL) == -EINVAL);
	CHECK((page = alloc_page(ALLOC_DMA))); /* far above low: no shrinking */
	list_add_tail(&shrinker_held, &page->list);
	while (dma->free_pages >= dma->watermark_low) { /* down to just below low */
		CHECK((page = alloc_page(ALLOC_DMA | ALLOC_NO_SHRINK)));
		list_add_tail(&shrinker_held, &page->list);
	}
	CHECKF(shrinker_calls == 0, "shrinkers called %u times above low", shrinker_calls);

	uint64_t free = dma->free_pages;
	CHECK((page = alloc_page(ALLOC_DMA)));
	list_add_tail(&shrinker_held, &page->list);
	CHECKF(shrinker_calls == 1 && dma->free_pages == free + 8 - 1,
	       "%u calls, free %lu -> %lu", shrinker_calls, free, dma->free_pages);
	CHECK((page = alloc_page(ALLOC_DMA | ALLOC_NO_SHRINK)));
	list_add_tail(&shrinker_held, &page->list);
	CHECK(shrinker_calls == 1);

	int err = 0;
	for (int i = 0; i < 8 && err == 0; i++)
		err = buddy_register_shrinker(test_shrinker_fn);
	CHECKF(err == -ENOSPC, "a full shrinker table gave %d", err);
	free_chained(&shrinker_held);
	CHECK_INVARIANTS();
	return NULL;
}

/* ---- the invariant checker itself ---------------------------------------- */

/* NULL if the checker reports a violation whose text contains says. */
static const char *checker_says(const char *says)
{
	const char *violation = buddy_check_invariants();

	CHECKF(violation && strstr(violation, says), "planted '%s'; the checker said: %s", says,
	       violation ? violation : "nothing");
	return NULL;
}

/* Put block[i] on the order-0 free list by hand, as if freed and never merged. */
static void plant_free_page(struct zone *zone, struct page *page)
{
	page->flags = (page->flags & ~PG_HEAD) | PG_BUDDY;
	page->order = 0;
	page->refcount = 0;
	list_add(&zone->free_area[0].blocks, &page->list);
	zone->free_area[0].count++;
	zone->free_pages++;
}

static void unplant_free_page(struct zone *zone, struct page *page)
{
	list_remove(&page->list);
	page->flags &= ~PG_BUDDY;
	zone->free_area[0].count--;
	zone->free_pages--;
}

static const char *test_checker_catches(void)
{
	BUILD(NULL);
	struct page *block = alloc_pages(ALLOC_NO_SHRINK, 1);
	CHECK(block);
	struct zone *zone = &zones[block->zone];
	const char *bad;

	zone->free_area[MAX_ORDER].count++;
	bad = checker_says("count");
	zone->free_area[MAX_ORDER].count--;
	if (bad)
		return bad;

	zone->free_pages++;
	bad = checker_says("free_pages");
	zone->free_pages--;
	if (bad)
		return bad;

	block[1].flags |= PG_BUDDY;
	bad = checker_says("inside the allocated order-1 block");
	block[1].flags &= ~PG_BUDDY;
	if (bad)
		return bad;

	block->flags |= PG_PCP;
	bad = checker_says("more than one of");
	block->flags &= ~PG_PCP;
	if (bad)
		return bad;

	block->refcount = 0;
	bad = checker_says("refcount");
	block->refcount = 1;
	if (bad)
		return bad;

	plant_free_page(zone, &block[0]);
	plant_free_page(zone, &block[1]);
	bad = checker_says("not merged");
	unplant_free_page(zone, &block[1]);
	unplant_free_page(zone, &block[0]);
	block->flags |= PG_HEAD;
	block->order = 1;
	block->refcount = 1;
	if (bad)
		return bad;

	CHECK_INVARIANTS();
	CHECK(free_pages(block, 1) == 0);
	CHECK_INVARIANTS();
	return NULL;
}

/* ---- a long random run against a shadow model ---------------------------- */

#define RANDOM_STEPS 1000000
#define RANDOM_CHECK_EVERY_STEP 50000 /* full invariant check after each of these first steps */
#define RANDOM_CHECK_INTERVAL 1000     /* then after every this many */
#define RANDOM_SEED 0x2545f4914f6cdd1dull
#define RANDOM_PHASE 10000             /* steps between switching fill and drain phases */

struct random_block {
	struct page *page;
	unsigned order;
};

static struct random_block random_held[ARENA_FRAMES]; /* the model's allocated blocks */
static size_t random_held_count;
static uint64_t random_frames[ARENA_FRAMES / 64];     /* bitmap of allocated frames */
static uint64_t random_allocated;                      /* frames allocated */
static uint64_t random_state;                          /* lib/random.h, from RANDOM_SEED */

/* Mark frames [pfn, pfn + n) allocated (set) or free; false if one already was. */
static bool random_mark(uint64_t pfn, uint64_t n, bool set)
{
	for (uint64_t f = pfn; f < pfn + n; f++) {
		uint64_t bit = 1ull << (f % 64);
		if (((random_frames[f / 64] & bit) != 0) == set)
			return false;
		random_frames[f / 64] ^= bit;
	}
	return true;
}

/* After a NULL: no allowed zone may have had a block it was allowed to give. */
static const char *random_check_refusal(unsigned flags, int highest, unsigned order)
{
	for (int z = 0; z < ZONE_COUNT; z++)
		for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++)
			CHECKF(zones[z].pcp[cpu].count == 0, "per-CPU pages left after a refusal");
	for (int z = 0; z <= highest; z++) {
		const struct zone *zone = &zones[z];
		uint64_t keep = flags & ALLOC_RESERVE ? 0 : zone->watermark_min;
		bool has_block = false;
		for (unsigned o = order; o <= MAX_ORDER; o++)
			has_block = has_block || zone->free_area[o].count > 0;
		CHECKF(!has_block || zone->free_pages < keep + (1ull << order),
		       "order-%u request refused though zone %s has %lu free (keeps %lu)", order,
		       zone->name, zone->free_pages, keep);
	}
	return NULL;
}

static const char *random_alloc(void)
{
	static const unsigned zone_flags[8] = {ALLOC_DMA, ALLOC_DMA32, ALLOC_DMA32};
	uint64_t r = random_next(&random_state);
	uint64_t order_bits = random_next(&random_state) | (1ull << MAX_ORDER);
	unsigned order = (unsigned)__builtin_ctzll(order_bits);
	unsigned flags = zone_flags[r % 8] | ALLOC_NO_SHRINK;
	int highest = flags & ALLOC_DMA ? ZONE_DMA : flags & ALLOC_DMA32 ? ZONE_DMA32 : ZONE_NORMAL;

	flags |= (r >> 8) % 16 == 0 ? ALLOC_RESERVE : 0;
	flags |= (r >> 16) % 32 == 0 ? ALLOC_ZERO : 0;
	struct page *page = alloc_pages(flags, order);
	if (!page)
		return random_check_refusal(flags, highest, order);

	uint64_t pfn = page_to_pfn(page), n = 1ull << order;
	CHECKF(pfn % n == 0, "order-%u block at pfn 0x%lx is not aligned", order, pfn);
	CHECKF(page->zone <= highest && buddy_zone_of_pfn(pfn) == page->zone,
	       "pfn 0x%lx (zone %u) for a request up to zone %d", pfn, page->zone, highest);
	CHECKF(pfn + n <= ARENA_FRAMES && random_mark(pfn, n, true),
	       "order-%u block at pfn 0x%lx overlaps an allocated block", order, pfn);
	CHECK(page->flags & PG_HEAD && page->order == order && page->refcount == 1);
	uint64_t *words = page_address(page);
	if (flags & ALLOC_ZERO)
		CHECKF(first_byte_not(words, PAGE_SIZE << order, 0) == PAGE_SIZE << order,
		       "ALLOC_ZERO block at pfn 0x%lx is not zero", pfn);
	words[0] = pfn ^ RANDOM_SEED; /* checked when freed: nobody else wrote here */
	random_held[random_held_count++] = (struct random_block){page, order};
	random_allocated += n;
	return NULL;
}

static const char *random_free(void)
{
	size_t i = random_below(&random_state, random_held_count);
	struct random_block b = random_held[i];
	uint64_t pfn = page_to_pfn(b.page), n = 1ull << b.order;

	random_held[i] = random_held[--random_held_count];
	CHECKF(*(uint64_t *)page_address(b.page) == (pfn ^ RANDOM_SEED),
	       "block at pfn 0x%lx was overwritten while allocated", pfn);
	CHECK(random_mark(pfn, n, false));
	int err = free_pages(b.page, b.order);
	CHECKF(err == 0, "free of order-%u block at pfn 0x%lx returned %d", b.order, pfn, err);
	random_allocated -= n;
	return NULL;
}

static const char *test_random(void)
{
	BUILD(NULL);
	struct buddyinfo start, end;
	uint64_t managed = buddy_managed_pages();
	const char *bad;

	buddyinfo_take(&start);
	memset(random_frames, 0, sizeof(random_frames));
	random_held_count = 0;
	random_allocated = 0;
	random_state = RANDOM_SEED;
	for (unsigned long step = 0; step < RANDOM_STEPS; step++) {
		unsigned alloc_permille = (step / RANDOM_PHASE) % 2 ? 350 : 700;
		bool alloc = random_held_count == 0 ||
			     random_below(&random_state, 1000) < alloc_permille;
		bad = alloc ? random_alloc() : random_free();
		if (!bad && buddy_free_pages() + random_allocated != managed)
			bad = selftest_reason("free %lu + allocated %lu != managed %lu",
					      buddy_free_pages(), random_allocated, managed);
		if (!bad && (step < RANDOM_CHECK_EVERY_STEP || step % RANDOM_CHECK_INTERVAL == 0))
			bad = buddy_check_invariants();
		CHECKF(!bad, "step %lu (seed 0x%llx): %s", step, RANDOM_SEED, bad);
	}
	while (random_held_count > 0)
		if ((bad = random_free()))
			return bad;
	buddy_drain_pcp();
	CHECK_INVARIANTS();
	buddyinfo_take(&end);
	CHECKF(buddyinfo_same(&start, &end), "buddyinfo differs after freeing everything");
	CHECK(buddy_free_pages() == managed);
	return NULL;
}

static const struct selftest buddy_tests[] = {
	{"sections", "descriptors for RAM sections only; pfn round trip; nothing from holes",
	 test_sections},
	{"flat_shortcut", "pfn_to_page: the one-array shortcut below the first hole agrees "
	 "with the table", test_flat_shortcut},
	{"no_room", "no memory for the descriptor arrays: -ENOMEM", test_no_room_for_descriptors},
	{"unaligned_ranges", "odd-sized ranges become aligned, fully merged blocks",
	 test_unaligned_ranges},
	{"split_merge", "exact splits from one order-10 block, merged back to one",
	 test_split_and_merge},
	{"exhaustion", "every free page then NULL; recovery; buddyinfo restored", test_exhaustion},
	{"fallback_dma", "ALLOC_DMA gets DMA pages only, all of them", test_fallback_dma},
	{"fallback_dma32", "ALLOC_DMA32: DMA32 first, then DMA, never Normal",
	 test_fallback_dma32},
	{"fallback_normal", "Normal first, then DMA32, then DMA", test_fallback_normal},
	{"watermarks", "ordinary requests stop at min, ALLOC_RESERVE goes below",
	 test_watermarks},
	{"zeroing", "ALLOC_ZERO blocks of every order are zero in dirty RAM",
	 test_zeroing_dirty_ram},
	{"poisoning", "a write after free is reported once, with frame and offset",
	 test_poisoning},
	{"shrinker", "shrinkers run once per request below low, not above, not with NO_SHRINK",
	 test_shrinker},
	{"checker", "buddy_check_invariants() names each planted corruption",
	 test_checker_catches},
	{"random", "10^6 seeded random operations against a shadow model", test_random},
};

SELFTEST_SUITE(buddy, buddy_tests);
