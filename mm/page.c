/*
 * page.c - the page descriptors: one struct page per frame, in per-section
 * arrays (see page.h for the layout and the pfn <-> page arithmetic).
 *
 * Boot builds two things from memblock: the section pointer table (one slot
 * per 128 MiB section up to the top of RAM) and the arrays of the sections
 * that contain RAM. All the arrays come from ONE memblock allocation, side
 * by side, so "is this pointer a descriptor?" is a single range check
 * (page_is_descriptor), which free_pages() relies on to refuse bogus pointers.
 * Invariants:
 *   [x] page_sections[s] is NULL exactly when section s has no usable RAM;
 *   [x] every descriptor of a present section exists, including those of
 *       holes inside it: they stay PG_RESERVED forever, so the buddy
 *       allocator can look at any frame's buddy without a NULL check;
 *   [x] flags bits 31:16 hold the descriptor's own section number;
 *   [x] page_flat_map[pfn] == page_sections[s][pfn & 0x7fff] for every
 *       pfn < page_flat_pfns (the present sections 0..k-1 before a hole).
 * Boot CPU, before the buddy allocator; page_is_descriptor any time after.
 */
#include "mm/page.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/memblock.h"

STATIC_ASSERT(sizeof(struct page) == 32, "struct page must stay 32 bytes (page.h, docs/pmm.md)");
STATIC_ASSERT(MAX_SECTIONS <= 1ull << (32 - SECTION_FLAG_SHIFT),
	      "section numbers must fit in flags bits 31:16");

#define SECTION_BYTES (1ull << SECTION_SHIFT)
#define SECTION_ARRAY_BYTES (PAGES_PER_SECTION * sizeof(struct page)) /* 1 MiB */

struct page **page_sections;
uint32_t page_section_count;
struct page *page_flat_map;
uint64_t page_flat_pfns;

/* The one allocation that holds every section's array: [start, end). */
static struct page *descriptors_start, *descriptors_end;

/* Does section s overlap a range of memblock's memory list? */
static bool section_has_ram(uint64_t s)
{
	phys_addr_t start = s << SECTION_SHIFT, end = start + SECTION_BYTES;

	for (size_t i = 0; i < memblock.memory.count; i++) {
		const struct memblock_region *r = &memblock.memory.regions[i];
		if (r->start < end && r->end > start)
			return true;
	}
	return false;
}

/* Give every descriptor of section s its boot state: reserved, not on any list. */
static void section_init(uint64_t s, struct page *array, uint8_t (*zone_of)(uint64_t pfn))
{
	uint64_t first_pfn = s * PAGES_PER_SECTION;

	for (uint64_t i = 0; i < PAGES_PER_SECTION; i++) {
		struct page *page = &array[i];
		list_init(&page->list);
		page->flags = PG_RESERVED | (uint32_t)(s << SECTION_FLAG_SHIFT);
		page->refcount = 0;
		page->order = 0;
		page->zone = zone_of(first_pfn + i);
		page->reserved16 = 0;
		page->private = 0;
	}
}

/*
 * Implementation note: two passes over the sections, one to count those
 * with RAM (to size the single allocation), one to fill them in. Each test
 * walks memblock's memory list (at most MEMBLOCK_MAX ranges): cheap beside
 * initializing 32768 descriptors per section.
 */
int page_descriptors_init(uint8_t (*zone_of)(uint64_t pfn))
{
	const struct memblock_list *memory = &memblock.memory;
	uint64_t sections, present = 0;

	page_descriptors_reset();
	if (memory->count == 0)
		return 0;
	phys_addr_t top = memory->regions[memory->count - 1].end;
	sections = (top + SECTION_BYTES - 1) >> SECTION_SHIFT;
	if (sections > MAX_SECTIONS) {
		kprintf("page: RAM above %llu GiB has no descriptors and is left unused\n",
			(MAX_SECTIONS * SECTION_BYTES) >> 30);
		sections = MAX_SECTIONS;
	}
	for (uint64_t s = 0; s < sections; s++)
		present += section_has_ram(s);

	phys_addr_t table = memblock_alloc(sections * sizeof(struct page *), PAGE_SIZE, ~0ull,
					   "page descriptors");
	phys_addr_t arrays = memblock_alloc(present * SECTION_ARRAY_BYTES, PAGE_SIZE, ~0ull,
					    "page descriptors");
	if (table == 0 || arrays == 0)
		return -ENOMEM;

	page_sections = phys_to_virt(table);
	memset(page_sections, 0, sections * sizeof(struct page *));
	descriptors_start = phys_to_virt(arrays);
	descriptors_end = descriptors_start + present * PAGES_PER_SECTION;

	struct page *next = descriptors_start;
	for (uint64_t s = 0; s < sections; s++) {
		if (!section_has_ram(s))
			continue;
		page_sections[s] = next;
		section_init(s, next, zone_of);
		next += PAGES_PER_SECTION;
	}
	page_section_count = (uint32_t)sections;
	page_flat_map = page_sections[0]; /* NULL, and the shortcut unused, if section 0 is a hole */
	for (uint64_t s = 0; s < sections && page_sections[s]; s++)
		page_flat_pfns += PAGES_PER_SECTION;
	return 0;
}

void page_descriptors_reset(void)
{
	page_sections = NULL;
	page_section_count = 0;
	page_flat_map = NULL;
	page_flat_pfns = 0;
	descriptors_start = descriptors_end = NULL;
}

uint64_t page_descriptors_bytes(void)
{
	return (uint64_t)(descriptors_end - descriptors_start) * sizeof(struct page);
}

/* Compared as integers: the pointer may point anywhere, even outside any object. */
bool page_is_descriptor(const struct page *page)
{
	uintptr_t p = (uintptr_t)page;
	uintptr_t start = (uintptr_t)descriptors_start, end = (uintptr_t)descriptors_end;

	return p >= start && p < end && (p - start) % sizeof(struct page) == 0;
}
