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
 * split, merge, merge_rules, pcp_refill and pcp_drain each test one part of
 * lab 1 (docs/labs/lab1-buddy.md) on a zone that is a single order-10
 * block, and say in their failure what the part should have done.
 * Hosted code: may use libc, but the allocator is reached only through mm/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/memblock.h"
#include "tests/host/arena.h"

extern unsigned host_cpus_online; /* tests/host/mm_arch_host.c */

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
		MUST_SUCCEED(free_pages(page, page->order), "free_chained: a block the test allocated");
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

/*
 * A zone's counters as the snapshot shows them: struct zone keeps those the
 * per-CPU fast path bumps (alloc_pages, free_pages, pcp_hits) per CPU.
 */
static struct zone_stats zone_stats_of(const struct zone *zone)
{
	struct zone_stats st = zone->stats;

	for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
		st.alloc_pages += zone->pcp[cpu].allocs;
		st.free_pages += zone->pcp[cpu].frees;
		st.pcp_hits += zone->pcp[cpu].hits;
	}
	return st;
}

/*
 * Issue 12 item 3.4: commands read zone state through buddy_zone_snapshot(),
 * not zones[]. The snapshot must be the zone's state, field for field, and a
 * zone number outside the zones must be refused without writing anything.
 */
static const char *test_zone_snapshot(void)
{
	static const struct arena_range ram[] = {{0, 40 * MIB}};
	static const struct arena_layout layout = {ram, 1, NULL, 0};
	BUILD(&layout);

	struct page *held[3] = {alloc_pages(0, 0), alloc_pages(ALLOC_DMA, 2),
				alloc_pages(ALLOC_DMA32, 5)};
	CHECK(held[0] && held[1] && held[2]);
	for (int z = 0; z < ZONE_COUNT; z++) {
		struct zone_snapshot snap;
		const struct zone *zone = &zones[z];
		CHECK(buddy_zone_snapshot(z, &snap) == 0);
		CHECKF(strcmp(snap.name, zone->name) == 0 && snap.start_pfn == zone->start_pfn &&
		       snap.end_pfn == zone->end_pfn && snap.managed_pages == zone->managed_pages &&
		       snap.free_pages == zone->free_pages, "zone %s: span or counts differ",
		       zone->name);
		CHECK(snap.watermark_min == zone->watermark_min &&
		      snap.watermark_low == zone->watermark_low &&
		      snap.watermark_high == zone->watermark_high);
		for (int o = 0; o <= MAX_ORDER; o++)
			CHECKF(snap.free_blocks[o] == zone->free_area[o].count,
			       "zone %s order %d: %zu blocks in the snapshot, %zu on the list",
			       zone->name, o, snap.free_blocks[o], zone->free_area[o].count);
		for (int cpu = 0; cpu < MM_MAX_CPUS; cpu++)
			CHECK(snap.pcp[cpu].count == zone->pcp[cpu].count &&
			      snap.pcp[cpu].high == zone->pcp[cpu].high &&
			      snap.pcp[cpu].batch == zone->pcp[cpu].batch);
		struct zone_stats st = zone_stats_of(zone);
		CHECK(memcmp(&snap.stats, &st, sizeof(snap.stats)) == 0);
		CHECK(strcmp(buddy_zone_name(z), zone->name) == 0);
	}
	CHECK(zone_stats_of(&zones[ZONE_DMA32]).alloc_pages > 0); /* the snapshot saw activity */
	struct zone_snapshot untouched;
	memset(&untouched, 0x5a, sizeof(untouched));
	CHECK(buddy_zone_snapshot(-1, &untouched) == -EINVAL);
	CHECK(buddy_zone_snapshot(ZONE_COUNT, &untouched) == -EINVAL);
	CHECK(untouched.managed_pages == 0x5a5a5a5a5a5a5a5aull);
	CHECK(strcmp(buddy_zone_name(ZONE_COUNT), "?") == 0);
	CHECK(strcmp(buddy_zone_name(-1), "?") == 0);
	CHECK(free_pages(held[0], 0) == 0 && free_pages(held[1], 2) == 0 &&
	      free_pages(held[2], 5) == 0);
	CHECK_INVARIANTS();
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
	CHECK(zone->stats.pcp_refills == 1 && zone_stats_of(zone).pcp_hits == 0);
	CHECK(free_page(page) == 0 && zone->pcp[0].count == batch);
	buddy_drain_pcp();
	CHECK(dma32_blocks_are(1u << MAX_ORDER) && zone->pcp[0].count == 0);
	CHECK(zone->free_pages == 1024 && zone->stats.pcp_drains == 1);
	CHECK_INVARIANTS();
	return NULL;
}

/* ---- lab 1: split, merge and the per-CPU lists, one part at a time -------- */

#define ONE_BLOCK_PA (4 * MIB) /* the one free DMA32 block of one_block_layout */
#define DMA32_ANY (ALLOC_DMA32 | ALLOC_RESERVE | ALLOC_NO_SHRINK) /* no watermark, no shrinker */

/* The DMA32 free lists, for failure messages: "DMA32 free blocks of order 0-10: 1 0 ...". */
static const char *dma32_lists_text(void)
{
	static char text[160];
	int n = ksnprintf(text, sizeof(text), "DMA32 free blocks of order 0-10:");

	for (unsigned o = 0; o <= MAX_ORDER && n < (int)sizeof(text); o++)
		n += ksnprintf(text + n, sizeof(text) - (size_t)n, " %zu",
			       zones[ZONE_DMA32].free_area[o].count);
	return text;
}

/* The physical address of the first block on DMA32's free list of order o (0 if none). */
static phys_addr_t dma32_first_block(unsigned o)
{
	const struct free_area *area = &zones[ZONE_DMA32].free_area[o];

	if (list_empty(&area->blocks))
		return 0;
	return page_to_phys(list_first_entry(&area->blocks, struct page, list));
}

/* A fresh allocator whose DMA32 zone is one free order-10 block at 4 MiB (DMA is empty). */
static const char *build_one_block(void)
{
	static const struct arena_range ram[] = {{0, ARENA_DEFAULT_SIZE}};
	struct arena_layout layout = one_block_layout;

	layout.ram = ram;
	layout.ram_count = 1;
	BUILD(&layout);
	CHECKF(dma32_blocks_are(1u << MAX_ORDER) && dma32_first_block(MAX_ORDER) == ONE_BLOCK_PA,
	       "setup: DMA32 should be one free order-10 block at 0x400000; %s",
	       dma32_lists_text());
	return NULL;
}

static const char *test_split(void)
{
	CHECK_OK(build_one_block());
	struct zone *zone = &zones[ZONE_DMA32];

	struct page *block = alloc_pages(DMA32_ANY, 3);
	CHECKF(block, "alloc_pages(order 3) returned NULL although DMA32 had a free order-10 "
	       "block");
	CHECKF(page_to_phys(block) == ONE_BLOCK_PA, "alloc_pages(order 3) should keep the lower "
	       "half at every split and so return 0x400000, the start of the order-10 block; it "
	       "returned 0x%lx", page_to_phys(block));
	CHECKF(dma32_blocks_are(0x3f8), "after an order-10 block is split for an order-3 request "
	       "the free lists should hold one block of each order 3 to 9 (the upper halves); %s",
	       dma32_lists_text());
	for (unsigned o = 3; o < MAX_ORDER; o++) {
		phys_addr_t want = ONE_BLOCK_PA + (PAGE_SIZE << o);
		const struct page *head = phys_to_page(dma32_first_block(o));
		CHECKF(page_to_phys(head) == want, "the free order-%u block should be the upper half "
		       "at 0x%lx; it is at 0x%lx", o, want, page_to_phys(head));
		CHECKF(head->order == o && (head->flags & PG_BUDDY), "the free block at 0x%lx should "
		       "have PG_BUDDY and order %u (free_list_add does both); it has flags 0x%x, "
		       "order %u", want, o, head->flags & PG_FLAG_MASK, head->order);
	}
	CHECKF(zone->stats.splits == 7, "an order-10 block split down to order 3 takes 7 splits; "
	       "zone->stats.splits is %lu", zone->stats.splits);
	CHECK_INVARIANTS();

	/* Each later request is served by the block of its order, with no further split. */
	for (unsigned o = 3; o < MAX_ORDER; o++) {
		phys_addr_t want = ONE_BLOCK_PA + (PAGE_SIZE << o);
		struct page *page = alloc_pages(DMA32_ANY, o);
		CHECKF(page && page_to_phys(page) == want, "alloc_pages(order %u) should take the free "
		       "order-%u block at 0x%lx; it returned 0x%lx", o, o, want,
		       page ? page_to_phys(page) : 0);
	}
	CHECKF(zone->stats.splits == 7 && dma32_blocks_are(0), "blocks of the exact order need no "
	       "split: splits went from 7 to %lu; %s", zone->stats.splits, dma32_lists_text());

	/* The edge cases: one split (order 9 from 10), and none (order 10 from 10). */
	CHECK_OK(build_one_block());
	block = alloc_pages(DMA32_ANY, MAX_ORDER - 1);
	CHECKF(block && page_to_phys(block) == ONE_BLOCK_PA && dma32_blocks_are(1u << 9) &&
	       dma32_first_block(9) == ONE_BLOCK_PA + (2 * MIB) && zone->stats.splits == 1,
	       "order 9 from an order-10 block: expected 0x400000 and one free order-9 block at "
	       "0x600000 after 1 split; got 0x%lx, %lu split(s), %s",
	       block ? page_to_phys(block) : 0, zone->stats.splits, dma32_lists_text());
	CHECK_OK(build_one_block());
	block = alloc_pages(DMA32_ANY, MAX_ORDER);
	CHECKF(block && page_to_phys(block) == ONE_BLOCK_PA && dma32_blocks_are(0) &&
	       zone->stats.splits == 0, "order 10 from an order-10 block: expected the block "
	       "itself and no split; got 0x%lx, %lu split(s), %s", block ? page_to_phys(block) : 0,
	       zone->stats.splits, dma32_lists_text());
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_merge(void)
{
	CHECK_OK(build_one_block());
	struct zone *zone = &zones[ZONE_DMA32];

	/* The two halves: the first freed waits for its buddy, the second merges with it. */
	struct page *low = alloc_pages(DMA32_ANY, 9), *high = alloc_pages(DMA32_ANY, 9);
	CHECKF(low && high && page_to_phys(low) == ONE_BLOCK_PA &&
	       page_to_phys(high) == ONE_BLOCK_PA + 2 * MIB,
	       "setup: two order-9 allocations should get 0x400000 and 0x600000 (is buddy_split "
	       "done?); got 0x%lx and 0x%lx", low ? page_to_phys(low) : 0,
	       high ? page_to_phys(high) : 0);
	CHECK(free_pages(low, 9) == 0);
	CHECKF(dma32_blocks_are(1u << 9) && dma32_first_block(9) == ONE_BLOCK_PA,
	       "0x400000 (order 9) freed while its buddy 0x600000 is allocated should wait on the "
	       "order-9 list; %s", dma32_lists_text());
	CHECK(free_pages(high, 9) == 0);
	CHECKF(dma32_blocks_are(1u << MAX_ORDER) && dma32_first_block(MAX_ORDER) == ONE_BLOCK_PA,
	       "freeing 0x600000 (order 9) while its buddy 0x400000 is free should merge the two "
	       "into the order-10 block at 0x400000 (the lower address heads it); %s",
	       dma32_lists_text());
	CHECKF(zone->stats.merges == 1, "one merge should count 1 in zone->stats.merges, not %lu",
	       zone->stats.merges);

	/* The whole zone as 256 order-2 blocks, freed in a scrambled order. */
	static struct page *blocks[256];
	for (unsigned i = 0; i < 256; i++) {
		blocks[i] = alloc_pages(DMA32_ANY, 2);
		CHECKF(blocks[i], "setup: order-2 allocation %u of 256 returned NULL (is buddy_split "
		       "done?); %s", i + 1, dma32_lists_text());
	}
	uint64_t merges = zone->stats.merges;
	for (unsigned k = 0; k < 256; k++) {
		unsigned i = (k * 97) % 256;
		int err = free_pages(blocks[i], 2);
		CHECKF(err == 0, "free_pages(0x%lx, 2) returned %d", page_to_phys(blocks[i]), err);
	}
	CHECKF(dma32_blocks_are(1u << MAX_ORDER) && dma32_first_block(MAX_ORDER) == ONE_BLOCK_PA,
	       "after all 256 order-2 blocks of DMA32 are freed (in a scrambled order) they should "
	       "have merged back into the one order-10 block at 0x400000; %s", dma32_lists_text());
	CHECKF(zone->stats.merges - merges == 255, "256 blocks become one in 255 merges; "
	       "zone->stats.merges counted %lu", zone->stats.merges - merges);
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_merge_rules(void)
{
	CHECK_OK(build_one_block());
	/* a = [0x400000, 0x404000) order 2; b and c the two order-1 halves of the next 16 KiB. */
	struct page *a = alloc_pages(DMA32_ANY, 2);
	struct page *b = alloc_pages(DMA32_ANY, 1);
	struct page *c = alloc_pages(DMA32_ANY, 1);
	CHECKF(a && b && c && page_to_phys(a) == ONE_BLOCK_PA &&
	       page_to_phys(b) == ONE_BLOCK_PA + 0x4000 && page_to_phys(c) == ONE_BLOCK_PA + 0x6000,
	       "setup: orders 2, 1, 1 should get 0x400000, 0x404000, 0x406000 (is buddy_split "
	       "done?); got 0x%lx, 0x%lx, 0x%lx", a ? page_to_phys(a) : 0,
	       b ? page_to_phys(b) : 0, c ? page_to_phys(c) : 0);
	CHECK(dma32_blocks_are(0x3f8));

	CHECK(free_pages(b, 1) == 0);
	CHECKF(dma32_first_block(1) == ONE_BLOCK_PA + 0x4000 && dma32_blocks_are(0x3fa),
	       "0x404000 (order 1) freed while its buddy 0x406000 is allocated must stay a free "
	       "order-1 block; %s", dma32_lists_text());
	CHECK(free_pages(a, 2) == 0);
	CHECKF(dma32_first_block(2) == ONE_BLOCK_PA && dma32_first_block(1) == ONE_BLOCK_PA + 0x4000 &&
	       dma32_blocks_are(0x3fe),
	       "0x400000 (order 2) was freed while its buddy, the order-2 block at 0x404000, is only "
	       "partly free (0x404000 is a free order-1 block, 0x406000 is allocated): the buddy "
	       "must be free *and of the same order* to merge, so 0x400000 stays on the order-2 "
	       "list; %s", dma32_lists_text());
	CHECK_INVARIANTS();

	/* The last piece: 0x406000 merges with 0x404000, then 0x400000, ... up to order 10. */
	CHECK(free_pages(c, 1) == 0);
	CHECKF(dma32_blocks_are(1u << MAX_ORDER) && dma32_first_block(MAX_ORDER) == ONE_BLOCK_PA,
	       "freeing 0x406000 (order 1) completes every buddy pair: the merges should go on "
	       "up to the order-10 block at 0x400000; %s", dma32_lists_text());
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_pcp_refill(void)
{
	CHECK_OK(build_one_block());
	struct zone *zone = &zones[ZONE_DMA32];
	struct per_cpu_pages *pcp = &zone->pcp[0];
	unsigned batch = pcp->batch;
	CHECKF(batch == 8 && pcp->count == 0, "setup: 1024 pages give a batch of 8 (1024 / 128) "
	       "and an empty per-CPU list; batch %u, %u pages listed", batch, pcp->count);

	struct page *first = alloc_page(ALLOC_DMA32 | ALLOC_NO_SHRINK);
	CHECKF(first, "alloc_page returned NULL: the per-CPU list was empty and the refill "
	       "gave it nothing");
	CHECKF(zone->stats.pcp_refills == 1 && pcp->count == batch - 1,
	       "the first order-0 allocation should refill the empty per-CPU list with a batch of "
	       "%u pages (counted once in stats.pcp_refills) and take one, leaving %u; the list "
	       "holds %u after %lu refill(s)", batch, batch - 1, pcp->count,
	       zone->stats.pcp_refills);
	CHECKF(page_to_phys(first) == ONE_BLOCK_PA, "the refill should take the pages lowest "
	       "address first and append each at the tail, so the first page handed out is "
	       "0x400000; it was 0x%lx", page_to_phys(first));
	unsigned i = 1;
	struct page *page;
	list_for_each_entry(page, &pcp->pages, list) {
		phys_addr_t want = ONE_BLOCK_PA + i * PAGE_SIZE;
		CHECKF(page_to_phys(page) == want && (page->flags & (PG_PCP | PG_BUDDY)) == PG_PCP,
		       "per-CPU page %u should be 0x%lx with PG_PCP set and PG_BUDDY clear; it is "
		       "0x%lx with flags 0x%x", i, want, page_to_phys(page),
		       page->flags & PG_FLAG_MASK);
		i++;
	}
	CHECKF(dma32_blocks_are(1024 - batch), "the refill takes its %u pages off the free lists, "
	       "leaving [0x408000, 0x800000) as blocks of orders 3 to 9; %s", batch,
	       dma32_lists_text());
	CHECKF(zone->free_pages == 1023, "pages on a per-CPU list still count as free: "
	       "free_pages should be 1023, it is %lu", zone->free_pages);
	CHECK_INVARIANTS();

	/* The rest of the batch: hits, in address order; then the second refill. */
	for (i = 1; i <= batch; i++) {
		phys_addr_t want = ONE_BLOCK_PA + i * PAGE_SIZE;
		page = alloc_page(ALLOC_DMA32 | ALLOC_NO_SHRINK);
		CHECKF(page && page_to_phys(page) == want, "order-0 allocation %u should get 0x%lx; "
		       "it got 0x%lx", i + 1, want, page ? page_to_phys(page) : 0);
	}
	CHECKF(pcp->hits == batch - 1 && zone->stats.pcp_refills == 2 &&
	       pcp->count == batch - 1, "%u allocations: expected %u per-CPU hits and 2 refills "
	       "leaving %u pages listed; got %lu hits, %lu refills, %u listed", batch + 1,
	       batch - 1, batch - 1, pcp->hits, zone->stats.pcp_refills, pcp->count);
	CHECK_INVARIANTS();
	return NULL;
}

static const char *test_pcp_drain(void)
{
	CHECK_OK(build_one_block());
	struct zone *zone = &zones[ZONE_DMA32];
	struct per_cpu_pages *pcp = &zone->pcp[0];
	unsigned batch = pcp->batch, high = pcp->high;
	static struct page *pages[40];
	CHECKF(batch == 8 && high == 24, "setup: batch 8 and high 24 expected; %u and %u", batch,
	       high);

	for (unsigned i = 0; i < 40; i++)
		CHECKF((pages[i] = alloc_page(ALLOC_DMA32 | ALLOC_NO_SHRINK)),
		       "setup: order-0 allocation %u of 40 returned NULL", i + 1);
	unsigned listed = pcp->count;
	uint64_t drains = zone->stats.pcp_drains;
	buddy_drain_pcp();
	CHECKF(pcp->count == 0 && list_empty(&pcp->pages), "buddy_drain_pcp() should give all %u "
	       "per-CPU pages back to the free lists (pcp_drain with count = the list's length); "
	       "%u are still listed", listed, pcp->count);
	CHECKF(listed == 0 || zone->stats.pcp_drains == drains + 1, "a drain that moved pages "
	       "counts once in zone->stats.pcp_drains: expected %lu, got %lu", drains + 1,
	       zone->stats.pcp_drains);
	CHECK_INVARIANTS();

	/* Free one page at a time: the free that takes the list past high drains a batch. */
	unsigned expect = 0;
	for (unsigned i = 0; i < 40; i++) {
		CHECK(free_page(pages[i]) == 0);
		if (++expect > high)
			expect -= batch;
		CHECKF(pcp->count == expect, "after %u single-page frees the per-CPU list should "
		       "hold %u pages (high %u, batch %u: the free that takes it past high gives %u "
		       "back); it holds %u", i + 1, expect, high, batch, batch, pcp->count);
	}
	/* 40 frees, 2 drains: the 16 pages freed first went back, the last 24 are listed.
	 * The list and the PG_PCP flag are checked apart, and the message says which is wrong. */
	for (unsigned i = 0; i < 40; i++) {
		bool want = i >= 16, flagged = (pages[i]->flags & PG_PCP) != 0, listed = false;
		struct page *p;
		list_for_each_entry(p, &pcp->pages, list)
			listed = listed || p == pages[i];
		unsigned n = i + 1;
		const char *nth = n % 100 / 10 == 1 ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd"
							  : n % 10 == 3 ? "rd" : "th";
		CHECKF(listed == want, "the page freed %u%s (0x%lx) %s on the per-CPU list (its PG_PCP "
		       "flag is %s): a drain takes the oldest pages, from the list's tail, so the first "
		       "16 freed should be back on the free lists and the last 24 listed", n, nth,
		       page_to_phys(pages[i]), listed ? "is still" : "is not",
		       flagged ? "set" : "clear");
		CHECKF(flagged == want, "the page freed %u%s (0x%lx) is %s the per-CPU list, as it "
		       "should be, but its PG_PCP flag is %s: a page %s the list has PG_PCP %s",
		       n, nth, page_to_phys(pages[i]), listed ? "on" : "off",
		       flagged ? "set" : "clear", want ? "on" : "off", want ? "set" : "clear");
	}
	CHECK_INVARIANTS();
	buddy_drain_pcp();
	CHECKF(pcp->count == 0 && dma32_blocks_are(1u << MAX_ORDER),
	       "after the last drain every page is free again and merged: expected one order-10 "
	       "block, an empty per-CPU list; %u listed, %s", pcp->count, dma32_lists_text());
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
	CHECKF(n == free && buddy_free_pages() == 0, "single-page allocations until NULL should "
	       "hand out all %lu free pages; they got %lu, and %lu are still counted free", free, n,
	       buddy_free_pages());
	for (unsigned order = 0; order <= MAX_ORDER; order++)
		CHECKF(alloc_pages(ALLOC_RESERVE, order) == NULL, "with no page free, an order-%u "
		       "request should return NULL", order);
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
	CHECKF(buddyinfo_same(&start, &end) && buddy_free_pages() == free,
	       "after every page has been freed again (and the per-CPU lists drained), the free "
	       "lists should be exactly as at the start, every page merged back into its block; "
	       "%s, %lu of %lu pages free", buddyinfo_same(&start, &end) ? "they are" : "they "
	       "differ", buddy_free_pages(), free);

	/* The same with the largest blocks: when they are gone, smaller ones remain. */
	uint64_t big = 0;
	for (int z = 0; z < ZONE_COUNT; z++)
		big += zones[z].free_area[MAX_ORDER].count;
	n = alloc_until_null(ALLOC_RESERVE | ALLOC_NO_SHRINK, MAX_ORDER, &all);
	CHECKF(n == big && big > 0, "order-%d allocations until NULL should get the %lu free "
	       "order-%d blocks; they got %lu", MAX_ORDER, big, MAX_ORDER, n);
	struct page *smaller = alloc_pages(ALLOC_RESERVE | ALLOC_NO_SHRINK, MAX_ORDER - 1);
	CHECKF(smaller && free_pages(smaller, MAX_ORDER - 1) == 0, "with the order-%d blocks gone "
	       "an order-%d block should still be found", MAX_ORDER, MAX_ORDER - 1);
	free_chained(&all);
	buddyinfo_take(&end);
	CHECKF(buddyinfo_same(&start, &end), "after the order-%d blocks are freed the free lists "
	       "should be exactly as at the start", MAX_ORDER);
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
	CHECK(free_page(plain) == 0);
	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		struct page *page = alloc_pages(ALLOC_ZERO | ALLOC_NO_SHRINK, order);
		CHECK(page);
		size_t bytes = PAGE_SIZE << order;
		size_t at = first_byte_not(page_address(page), bytes, 0);
		memset(page_address(page), ARENA_GARBAGE_BYTE, bytes);
		CHECK(free_pages(page, order) == 0);
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
	CHECK(free_page(again) == 0);
	CHECK(alloc_page(ALLOC_NO_SHRINK) == page && buddy_poison_violations() == 1);
	CHECK(free_page(page) == 0);

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
		MUST_SUCCEED(free_page(page), "test_shrinker_fn: a page the test allocated");
		freed++;
	}
	return freed;
}

/* Shrinkers that free nothing, each a different function (the table holds one entry per fn). */
#define IDLE_SHRINKER(n)                                                                   \
	static uint64_t idle_shrinker_##n(void) { return 0; }
IDLE_SHRINKER(0)
IDLE_SHRINKER(1)
IDLE_SHRINKER(2)
IDLE_SHRINKER(3)
IDLE_SHRINKER(4)
IDLE_SHRINKER(5)
IDLE_SHRINKER(6)
IDLE_SHRINKER(7)
static const shrinker_fn idle_shrinkers[] = {idle_shrinker_0, idle_shrinker_1, idle_shrinker_2,
					     idle_shrinker_3, idle_shrinker_4, idle_shrinker_5,
					     idle_shrinker_6, idle_shrinker_7};

static const char *test_shrinker(void)
{
	BUILD(NULL);
	struct zone *dma = &zones[ZONE_DMA];
	struct page *page;

	list_init(&shrinker_held);
	shrinker_calls = 0;
	CHECK(buddy_register_shrinker(test_shrinker_fn) == 0);
	CHECK(buddy_register_shrinker(test_shrinker_fn) == 0); /* again: still one entry */
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

	/* Seven more fit beside test_shrinker_fn; the eighth does not. */
	int err = 0;
	size_t added = 0;
	while (added < ARRAY_SIZE(idle_shrinkers) && err == 0)
		if ((err = buddy_register_shrinker(idle_shrinkers[added])) == 0)
			added++;
	CHECKF(added == 7 && err == -ENOSPC, "%zu more shrinkers fitted, then %d", added, err);
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
#define RANDOM_CHECK_EVERY_STEP 5000  /* full invariant check after each of these first steps */
#define RANDOM_CHECK_INTERVAL 500      /* then after every this many */
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
		if (bad) {
			char why[200]; /* bad may be selftest_reason's buffer, which CHECKF reuses */
			strlcpy(why, bad, sizeof(why));
			CHECKF(false, "step %lu (seed 0x%llx): %s", step, RANDOM_SEED, why);
		}
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

/*
 * "Drain all per-CPU lists" reaches every CPU: with four simulated CPUs,
 * each frees pages onto its own list; one buddy_drain_pcp() from CPU 0
 * (arch_on_each_cpu runs the drain on each) leaves every list empty, every
 * page back on the free lists, and the invariants whole.
 */
static const char *test_drain_every_cpu(void)
{
	static const struct arena_range ram[] = {{0, 40 * MIB}};
	static const struct arena_layout layout = {ram, 1, NULL, 0};
	BUILD(&layout);
	enum { CPUS = 4, PAGES = 3 };
	struct page *pages[CPUS][PAGES];
	uint64_t free = buddy_free_pages();

	host_cpus_online = CPUS;
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		host_cpu_id = cpu;
		for (int i = 0; i < PAGES; i++)
			CHECK((pages[cpu][i] = alloc_page(ALLOC_DMA32)) != NULL);
	}
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		host_cpu_id = cpu;
		for (int i = 0; i < PAGES; i++)
			CHECK(free_page(pages[cpu][i]) == 0);
	}
	host_cpu_id = 0;
	struct zone *zone = &zones[ZONE_DMA32];
	for (unsigned cpu = 0; cpu < CPUS; cpu++)
		CHECKF(zone->pcp[cpu].count > 0 && zone->pcp[cpu].frees == PAGES,
		       "CPU %u: %u pages listed, %lu frees", cpu, zone->pcp[cpu].count,
		       zone->pcp[cpu].frees);
	buddy_drain_pcp();
	host_cpus_online = 1;
	for (unsigned cpu = 0; cpu < CPUS; cpu++)
		CHECKF(zone->pcp[cpu].count == 0 && list_empty(&zone->pcp[cpu].pages),
		       "CPU %u still lists %u pages after one drain", cpu, zone->pcp[cpu].count);
	CHECK(buddy_free_pages() == free);
	CHECK_INVARIANTS();
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
	{"zone_snapshot", "buddy_zone_snapshot copies a zone field for field; bad zones refused",
	 test_zone_snapshot},
	{"split_merge", "exact splits from one order-10 block, merged back to one",
	 test_split_and_merge},
	{"split", "alloc_pages splits: the lower half is kept, each upper half freed one order "
	 "down", test_split},
	{"merge", "free_pages merges a block with its free buddy, again and again, up to order 10",
	 test_merge},
	{"merge_rules", "no merge with an allocated buddy, nor with one that is only partly free",
	 test_merge_rules},
	{"pcp_refill", "an empty per-CPU list is refilled with a batch, lowest address first",
	 test_pcp_refill},
	{"pcp_drain", "a per-CPU list past high gives its oldest batch back; drain all empties it",
	 test_pcp_drain},
	{"drain_every_cpu", "4 simulated CPUs fill their own per-CPU lists; one drain empties all",
	 test_drain_every_cpu},
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
	{"shrinker", "shrinkers run once per request below low (once per fn registered twice)",
	 test_shrinker},
	{"checker", "buddy_check_invariants() names each planted corruption",
	 test_checker_catches},
	{"random", "10^6 seeded random operations against a shadow model", test_random},
};

SELFTEST_SUITE(buddy, buddy_tests);
