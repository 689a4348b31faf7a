/*
 * page.h - one descriptor per physical page frame, and how to find it.
 *
 * Every 4 KiB frame of RAM the kernel manages has a struct page (32 bytes,
 * 0.78 % of the memory it describes; Linux's is 64). Descriptors live in
 * per-section arrays, as in Linux's SPARSEMEM: physical memory is cut into
 * 128 MiB sections, and only sections that contain RAM get an array. So a
 * hole in the physical address space (the PCI hole below 4 GiB, or RAM
 * starting at 1 TiB) costs one NULL pointer per 128 MiB, not descriptors.
 *
 *   pfn = physical address >> 12
 *   +---------------------------+-----------------+
 *   | section = pfn >> 15       | index = pfn & 0x7fff
 *   +---------------------------+-----------------+
 *   page = page_sections[section] + index   (NULL section: no RAM there)
 *
 * Shortcut: the sections from 0 up to the first hole have their arrays side
 * by side, so for the pfns they cover (on a PC, all RAM below the PCI hole)
 * page = page_flat_map + pfn, one add and no table load. pfn_to_page() and
 * virt_to_page() take it first; kfree() is two loads shorter for it.
 *
 * The section number is also kept in the top bits of page->flags, so
 * page_to_pfn() needs no search. Descriptors of frames that are not RAM or
 * that the kernel reserved (kernel image, boot information, ...) carry
 * PG_RESERVED and never enter the allocator. Host-compilable.
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/list.h"
#include "mm/layout.h"

#define SECTION_SHIFT 27                               /* 128 MiB sections */
#define PAGES_PER_SECTION (1ull << (SECTION_SHIFT - PAGE_SHIFT))
#define SECTION_FLAG_SHIFT 16                          /* section number in flags[31:16] */
#define MAX_SECTIONS (1u << 16)                        /* 8 TiB of physical address space */

/* Page flags (bits 0-15 of page->flags). */
#define PG_RESERVED (1u << 0) /* not managed: firmware, hole, kernel image, boot data */
#define PG_BUDDY (1u << 1)    /* head of a free block on a buddy free list; order valid */
#define PG_PCP (1u << 2)      /* free order-0 page on a per-CPU list */
#define PG_HEAD (1u << 3)     /* head of an allocated block; order valid */
#define PG_POISONED (1u << 4) /* freed with poisoning on: contents must still be poison */
#define PG_SLAB (1u << 5)     /* owned by the slab allocator (heap issue) */
#define PG_TABLE (1u << 6)    /* a page-table page of the engine (mm/paging.c); Linux: PG_table */
#define PG_FLAG_MASK 0xffffu

struct page {
	struct list_node list; /* free list, per-CPU list, or the owner's list */
	uint32_t flags;        /* PG_* in bits 0-15, section number in bits 16-31 */
	uint32_t refcount;     /* users of an allocated block (head page); 0 when free */
	uint8_t order;         /* block order, valid with PG_BUDDY or PG_HEAD */
	uint8_t zone;          /* enum zone_type of this frame */
	uint16_t reserved16;   /* slab: the owning cache's index + 1 (mm/slab.c) */
	uint32_t private;      /* for the owner (e.g. slab object count) */
};

/*
 * Section descriptor arrays, indexed by section number; NULL where no RAM.
 * The pointer table itself comes from memblock, one slot per section below
 * the highest RAM address (page_section_count of them).
 */
extern struct page **page_sections;
extern uint32_t page_section_count;

/* The shortcut: descriptors of pfns 0 .. page_flat_pfns-1 form one array. */
extern struct page *page_flat_map;
extern uint64_t page_flat_pfns;

/* The descriptor of frame pfn, or NULL if the frame has none (not RAM). */
static inline struct page *pfn_to_page(uint64_t pfn)
{
	uint64_t section = pfn >> (SECTION_SHIFT - PAGE_SHIFT);

	if (__builtin_expect(pfn < page_flat_pfns, 1))
		return page_flat_map + pfn;
	if (section >= page_section_count || !page_sections[section])
		return NULL;
	return page_sections[section] + (pfn & (PAGES_PER_SECTION - 1));
}

static inline uint64_t page_to_pfn(const struct page *page)
{
	uint32_t section = page->flags >> SECTION_FLAG_SHIFT;

	return ((uint64_t)section << (SECTION_SHIFT - PAGE_SHIFT)) +
	       (uint64_t)(page - page_sections[section]);
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return page_to_pfn(page) << PAGE_SHIFT;
}

/* The descriptor of the frame containing physical address pa, or NULL. */
static inline struct page *phys_to_page(phys_addr_t pa)
{
	return pfn_to_page(pa >> PAGE_SHIFT);
}

/* The direct-map address of the frame's first byte. */
static inline void *page_address(const struct page *page)
{
	return phys_to_virt(page_to_phys(page));
}

/* The descriptor of the frame behind direct-map address va, or NULL. */
static inline struct page *virt_to_page(const void *va)
{
	return phys_to_page(virt_to_phys(va));
}

/*
 * Allocate and initialize descriptors for every section that overlaps a
 * usable range of memblock's memory list (from memblock, anywhere; all the
 * arrays in one allocation), all marked PG_RESERVED, with zone numbers from
 * zone_of(pfn). RAM above MAX_SECTIONS sections (8 TiB) gets no descriptors
 * and is reported as unused.
 * Returns 0 or -ENOMEM. Boot CPU, once (tests: after page_descriptors_reset()).
 */
__must_check int page_descriptors_init(uint8_t (*zone_of)(uint64_t pfn));

/*
 * Is page really a descriptor: a pointer to the start of one struct page in
 * the descriptor arrays (of any frame, reserved or not)? O(1), and it reads
 * nothing through page, so any pointer value may be asked about. This is
 * how free_pages() refuses a bogus pointer instead of trusting its flags.
 */
bool page_is_descriptor(const struct page *page);

/* Forget all sections (host tests, between cases). */
void page_descriptors_reset(void);

/* Bytes of descriptor arrays allocated (for meminfo and the docs' 0.8 % claim). */
uint64_t page_descriptors_bytes(void);

#endif
