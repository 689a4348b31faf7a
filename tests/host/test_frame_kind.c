/*
 * test_frame_kind.c - suite "frame_kind": the kind of every page frame
 * (mm/frame_kind.c) over a simulated RAM arena (tests/host/arena.h) with a
 * firmware range, a hole and a boot reservation; real allocations, page
 * tables, slabs, vmalloc areas and two user spaces sharing a frame.
 *
 * The classification is what `memview` draws, so each kind a student is
 * told about is produced here from the record that says so, and the free
 * kinds are checked against the buddy allocator's own free lists (every
 * frame of a free block of order k, and nothing else, is "free, order k").
 *
 * Invariants:
 *   [x] every test builds its arena afresh and frees what it allocated
 *       (vmalloc's window is left with no area, so later walks find none).
 *
 * Hosted code: may use libc, but reaches mm/ only through its headers.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/frame_kind.h"
#include "mm/kmalloc.h"
#include "mm/memblock.h"
#include "mm/memmap.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "tests/host/arena.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define FIRMWARE_START (16 * MIB)
#define FIRMWARE_END (17 * MIB)   /* the firmware's, then a hole up to 32 MiB */
#define HOLE_END (32 * MIB)
#define RAM_END (48 * MIB)
#define RESERVED_START (1 * MIB)
#define RESERVED_END (2 * MIB)
#define PFN(pa) ((pa) >> PAGE_SHIFT)
#define USER_VA 0x400000ull

static uint8_t kinds[PFN(RAM_END)];
static struct frame_map map = {kinds, sizeof(kinds), 0, {0}};
static struct memmap firmware;    /* the firmware's map of the test machine */

/* RAM [0, 16 MiB) and [32 MiB, 48 MiB), firmware [16, 17) MiB, [1, 2) MiB reserved by "test". */
static const char *build(void)
{
	static const struct arena_range ram[] = {{0, FIRMWARE_START}, {HOLE_END, RAM_END}};
	static const struct arena_range reserved[] = {{RESERVED_START, RESERVED_END}};
	static const struct arena_layout layout = {ram, 2, reserved, 1};

	CHECKF(arena_build(&layout) == 0, "cannot build the arena allocator");
	memset(&firmware, 0, sizeof(firmware));
	firmware.ranges[0] = (struct memmap_range){0, FIRMWARE_START, MEMMAP_USABLE};
	firmware.ranges[1] = (struct memmap_range){FIRMWARE_START, FIRMWARE_END, MEMMAP_RESERVED};
	firmware.ranges[2] = (struct memmap_range){HOLE_END, RAM_END, MEMMAP_USABLE};
	firmware.count = 3;
	return NULL;
}

static const char *classify(void)
{
	memset(kinds, 0xee, sizeof(kinds)); /* not a kind: every byte must be written */
	CHECK(frame_map_classify(&map, &firmware) == 0);
	return NULL;
}

static const char *test_layout(void)
{
	CHECK_OK(build());
	CHECK_OK(classify());
	CHECKF(map.pfns == PFN(RAM_END), "pfns %lu", map.pfns);
	for (uint64_t pfn = 0; pfn < map.pfns; pfn++)
		CHECKF(kinds[pfn] < FRAME_KIND_COUNT, "frame %lu: kind %u", pfn, kinds[pfn]);
	CHECK(frame_map_kind(&map, 0) == FRAME_RESERVED); /* page 0 */
	for (uint64_t pfn = PFN(FIRMWARE_START); pfn < PFN(FIRMWARE_END); pfn++)
		CHECKF(kinds[pfn] == FRAME_FIRMWARE, "frame %lu: kind %u", pfn, kinds[pfn]);
	for (uint64_t pfn = PFN(FIRMWARE_END); pfn < PFN(HOLE_END); pfn++)
		CHECKF(kinds[pfn] == FRAME_NOT_RAM, "frame %lu: kind %u", pfn, kinds[pfn]);
	CHECK(frame_map_kind(&map, PFN(RAM_END)) == FRAME_NOT_RAM); /* past the map */
	for (uint64_t pfn = PFN(RESERVED_START); pfn < PFN(RESERVED_END); pfn++)
		CHECKF(kinds[pfn] == FRAME_RESERVED, "frame %lu: kind %u", pfn, kinds[pfn]);
	CHECKF(frame_map_count(&map, FRAME_PAGE_DESCRIPTORS) * PAGE_SIZE ==
	       memblock_reserved_bytes_of("page descriptors"), "descriptors: %lu frames",
	       frame_map_count(&map, FRAME_PAGE_DESCRIPTORS));
	/* The arena's zones: DMA [0, 4 MiB), DMA32 [4, 16) MiB, Normal from 16 MiB. */
	CHECK(map.zone_start[ZONE_DMA] == 0);
	CHECK(map.zone_start[ZONE_DMA32] == PFN(ARENA_DMA_LIMIT));
	CHECK(map.zone_start[ZONE_NORMAL] == PFN(ARENA_DMA32_LIMIT));
	/* Too small a map: refused, and told the size it needs. */
	struct frame_map small = {kinds, 100, 0, {0}};
	CHECK(frame_map_classify(&small, &firmware) == -ENOSPC && small.pfns == PFN(RAM_END));
	/* Without a firmware map, the firmware's range is a hole. */
	CHECK(frame_map_classify(&map, NULL) == 0);
	CHECK(frame_map_kind(&map, PFN(FIRMWARE_START)) == FRAME_NOT_RAM);
	return NULL;
}

static const char *test_free_orders(void)
{
	CHECK_OK(build());
	struct page *single = alloc_page(0); /* then freed: a per-CPU page, free order 0 */
	CHECK(single && free_page(single) == 0 && (single->flags & PG_PCP));
	CHECK_OK(classify());
	CHECKF(frame_map_kind(&map, page_to_pfn(single)) == FRAME_FREE,
	       "per-CPU page: kind %u", frame_map_kind(&map, page_to_pfn(single)));

	/* Every frame of every free block on the lists is free with the block's order. */
	uint64_t listed = 0, pcp = 0;
	for (int z = 0; z < ZONE_COUNT; z++) {
		for (unsigned k = 0; k <= MAX_ORDER; k++) {
			const struct page *p;
			list_for_each_entry(p, &zones[z].free_area[k].blocks, list) {
				uint64_t head = page_to_pfn(p);
				for (uint64_t i = 0; i < (1ull << k); i++)
					CHECKF(kinds[head + i] == FRAME_FREE + k,
					       "frame %lu of an order-%u block: kind %u", head + i, k,
					       kinds[head + i]);
				listed += 1ull << k;
			}
		}
		for (unsigned c = 0; c < MM_MAX_CPUS; c++)
			pcp += zones[z].pcp[c].count;
	}
	/* ... and nothing else is free. */
	uint64_t free_frames = 0;
	for (unsigned k = 0; k <= MAX_ORDER; k++)
		free_frames += frame_map_count(&map, FRAME_FREE + k);
	CHECKF(free_frames == listed + pcp && free_frames == buddy_free_pages(),
	       "free frames %lu, on lists %lu + per-CPU %lu, allocator %lu", free_frames, listed,
	       pcp, buddy_free_pages());
	CHECK(frame_map_count(&map, FRAME_FREE + MAX_ORDER) > 0);
	return NULL;
}

static const char *test_reservation_names(void)
{
	static const struct {
		const char *owner;
		enum frame_kind kind;
	} names[] = {
		{"kernel image", FRAME_KERNEL_IMAGE}, {"page tables", FRAME_PAGE_TABLE},
		{"page descriptors", FRAME_PAGE_DESCRIPTORS}, {"boot information", FRAME_BOOT_INFO},
		{"module", FRAME_MODULE}, {"AP trampoline", FRAME_TRAMPOLINE},
		{"legacy VGA/BIOS area", FRAME_RESERVED},
	};
	struct memblock_region *test_region = NULL;

	CHECK_OK(build());
	for (size_t i = 0; i < memblock.reserved.count; i++)
		if (strcmp(memblock.reserved.regions[i].owner, "test") == 0)
			test_region = &memblock.reserved.regions[i];
	CHECK(test_region);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		test_region->owner = names[i].owner; /* the same range, reserved by each owner */
		CHECK_OK(classify());
		CHECKF(frame_map_summary(&map, PFN(RESERVED_START), PFN(RESERVED_END - RESERVED_START))
		       == names[i].kind && frame_map_count(&map, names[i].kind) >=
		       PFN(RESERVED_END - RESERVED_START), "%s: kind %u", names[i].owner,
		       frame_map_kind(&map, PFN(RESERVED_START)));
	}
	test_region->owner = "test";
	return NULL;
}

static const char *test_allocations(void)
{
	struct address_space as;

	CHECK_OK(build());
	slab_init();
	CHECK(slab_set_debug(false) == 0);
	kmalloc_init();
	struct page *block = alloc_pages(0, 3);
	CHECK(block);
	CHECK(paging_create(&as, NULL) == 0);
	void *object = kmalloc(100, 0);
	CHECK(object);
	CHECK_OK(classify());
	uint64_t pfn = page_to_pfn(block);
	for (uint64_t i = 0; i < 8; i++)
		CHECKF(kinds[pfn + i] == FRAME_ALLOCATED, "block frame %lu: kind %u", i,
		       kinds[pfn + i]);
	CHECK(frame_map_kind(&map, PFN(as.pml4)) == FRAME_PAGE_TABLE);
	CHECK(frame_map_kind(&map, page_to_pfn(virt_to_page(object))) == FRAME_SLAB);

	uint64_t pml4 = PFN(as.pml4);
	kfree(object);
	paging_destroy(&as);
	CHECK(free_pages(block, 3) == 0);
	CHECK_OK(classify());
	CHECKF(frame_kind_is_free(kinds[pfn]), "the freed block: kind %u", kinds[pfn]);
	CHECK(frame_kind_is_free(kinds[pml4]));
	return NULL;
}

/* The frame behind va in as. */
static uint64_t frame_of(const struct address_space *as, virt_addr_t va)
{
	struct paging_translation t;

	return paging_translate(as, va, &t) == 0 ? PFN(t.pa) : UINT64_MAX;
}

static const char *test_vmalloc(void)
{
	struct address_space as;

	CHECK_OK(build());
	CHECK(paging_create(&as, NULL) == 0);
	CHECK(vmalloc_init(&as, VMALLOC_START, 1ull << 30) == 0);
	virt_addr_t area = (virt_addr_t)vmalloc(3 * PAGE_SIZE);
	virt_addr_t stack = (virt_addr_t)vmalloc_stack(4 * PAGE_SIZE);
	CHECK(area && stack);
	CHECK_OK(classify());
	for (unsigned i = 0; i < 3; i++)
		CHECKF(frame_map_kind(&map, frame_of(&as, area + i * PAGE_SIZE)) == FRAME_VMALLOC,
		       "area page %u", i);
	for (unsigned i = 0; i < 4; i++)
		CHECKF(frame_map_kind(&map, frame_of(&as, stack + i * PAGE_SIZE)) ==
		       FRAME_KERNEL_STACK, "stack page %u", i);
	CHECK(frame_map_count(&map, FRAME_VMALLOC) == 3);
	CHECK(frame_map_count(&map, FRAME_KERNEL_STACK) == 4);
	/* The window's page tables are page tables. */
	CHECK(frame_map_kind(&map, PFN(as.pml4)) == FRAME_PAGE_TABLE);

	uint64_t first = frame_of(&as, area);
	CHECK(vfree((void *)area) == 0 && vfree((void *)stack) == 0);
	CHECK_OK(classify());
	CHECK(frame_map_count(&map, FRAME_VMALLOC) == 0 &&
	      frame_map_count(&map, FRAME_KERNEL_STACK) == 0);
	CHECK(frame_kind_is_free(kinds[first]));
	paging_destroy(&as);
	return NULL;
}

static const char *test_user_pages(void)
{
	struct address_space a, b;
	const unsigned user = MAP_USER | MAP_WRITE;

	CHECK_OK(build());
	CHECK(paging_create(&a, NULL) == 0 && paging_create(&b, NULL) == 0);
	struct page *both = alloc_page(0), *only_a = alloc_page(0), *only_b = alloc_page(0);
	CHECK(both && only_a && only_b);
	CHECK(paging_map(&a, USER_VA, page_to_phys(both), PAGE_SIZE, user) == 0);
	CHECK(paging_map(&b, USER_VA, page_to_phys(both), PAGE_SIZE, user) == 0);
	CHECK(paging_map(&a, USER_VA + PAGE_SIZE, page_to_phys(only_a), PAGE_SIZE, user) == 0);
	CHECK(paging_map(&b, USER_VA + PAGE_SIZE, page_to_phys(only_b), PAGE_SIZE, user) == 0);
	/* A reserved frame mapped by a (as file regions map the initrd's) stays reserved. */
	CHECK(paging_map(&a, USER_VA + 2 * PAGE_SIZE, RESERVED_START, PAGE_SIZE, MAP_USER) == 0);

	CHECK_OK(classify());
	CHECK(frame_map_kind(&map, page_to_pfn(both)) == FRAME_ALLOCATED); /* before the walk */
	CHECKF(frame_map_add_user(&map, &a, 0) == 2, "slot 0 marked");
	CHECKF(frame_map_add_user(&map, &b, 1) == 2, "slot 1 marked");
	CHECK(frame_map_add_user(&map, &b, FRAME_USER_SLOTS) == 0); /* no such slot */
	CHECK(frame_map_kind(&map, page_to_pfn(both)) == FRAME_USER_SHARED);
	CHECK(frame_map_kind(&map, page_to_pfn(only_a)) == FRAME_USER + 0);
	CHECK(frame_map_kind(&map, page_to_pfn(only_b)) == FRAME_USER + 1);
	CHECK(frame_map_kind(&map, PFN(RESERVED_START)) == FRAME_RESERVED);
	/* Walking a again changes nothing: its own pages stay its own. */
	CHECK(frame_map_add_user(&map, &a, 0) == 2);
	CHECK(frame_map_kind(&map, page_to_pfn(only_a)) == FRAME_USER + 0);

	paging_destroy(&a);
	paging_destroy(&b);
	CHECK(free_page(both) == 0 && free_page(only_a) == 0 && free_page(only_b) == 0);
	return NULL;
}

static const char *test_summary(void)
{
	static uint8_t k[8];
	struct frame_map m = {k, sizeof(k), 6, {0}};

	memcpy(k, (uint8_t[]){FRAME_SLAB, FRAME_SLAB, FRAME_VMALLOC, FRAME_VMALLOC, FRAME_VMALLOC,
			      FRAME_FREE + 2}, 6);
	CHECK(frame_map_summary(&m, 0, 6) == FRAME_VMALLOC);  /* the most frames */
	CHECK(frame_map_summary(&m, 0, 4) == FRAME_SLAB);     /* a tie: the kind met first */
	CHECK(frame_map_summary(&m, 2, 3) == FRAME_VMALLOC);  /* one kind throughout */
	CHECK(frame_map_summary(&m, 5, 1) == FRAME_FREE + 2);
	CHECK(frame_map_summary(&m, 4, 4) == FRAME_NOT_RAM);  /* two of four past the map */
	CHECK(frame_map_summary(&m, 100, 1) == FRAME_NOT_RAM);

	/* Long blocks (compared eight frames at a time): one odd frame anywhere is seen. */
	static uint8_t big[80];
	struct frame_map b = {big, sizeof(big), 77, {0}};
	for (unsigned start = 0; start < 3; start++)
		for (unsigned odd = 0; odd < 64; odd++) {
			memset(big, FRAME_SLAB, sizeof(big));
			big[start + odd] = FRAME_VMALLOC;
			CHECK(frame_map_summary(&b, start, 64) == FRAME_SLAB);
			memset(big + start + odd, FRAME_VMALLOC, 64 - odd); /* VMALLOC from odd on */
			CHECKF(frame_map_summary(&b, start, 64) ==
			       (odd < 32 ? FRAME_VMALLOC : FRAME_SLAB), "start %u odd %u", start, odd);
		}
	memset(big, FRAME_SLAB, sizeof(big));
	CHECK(frame_map_summary(&b, 70, 16) == FRAME_NOT_RAM); /* 7 in the map, 9 past it */
	return NULL;
}

static const char *test_text(void)
{
	char buf[48];

	CHECK(strcmp(frame_kind_text(FRAME_KERNEL_IMAGE, buf, sizeof(buf)), "kernel image") == 0);
	CHECK(strcmp(frame_kind_text(FRAME_FREE + 9, buf, sizeof(buf)), "free (order 9)") == 0);
	CHECK(strcmp(frame_kind_text(FRAME_USER + 3, buf, sizeof(buf)), "user page of slot 3") == 0);
	CHECK(strcmp(frame_kind_text(FRAME_KIND_COUNT, buf, sizeof(buf)), "unknown kind 89") == 0);
	for (unsigned k = 0; k < FRAME_KIND_COUNT; k++)
		CHECKF(strncmp(frame_kind_text(k, buf, sizeof(buf)), "unknown", 7) != 0, "kind %u", k);
	return NULL;
}

static const struct selftest frame_kind_tests[] = {
	{"layout", "holes, firmware, page 0, a reservation, the descriptors and the zones",
	 test_layout},
	{"free_orders", "free frames have the order of their block on the buddy lists, per-CPU "
	 "pages order 0, and nothing else is free", test_free_orders},
	{"reservation_names", "each boot reservation's owner gives its frames their kind",
	 test_reservation_names},
	{"allocations", "an allocated block, a page table, a slab; free again once freed",
	 test_allocations},
	{"vmalloc", "vmalloc areas and kernel stacks, found through vmalloc's pages",
	 test_vmalloc},
	{"user_pages", "two spaces: each one's pages, a frame both map is shared, a reserved "
	 "frame stays reserved", test_user_pages},
	{"summary", "a block's kind is the kind of most of its frames, ties to the first",
	 test_summary},
	{"text", "every kind has a name", test_text},
};

SELFTEST_SUITE(frame_kind, frame_kind_tests);
