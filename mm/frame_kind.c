/*
 * frame_kind.c - the kind of every page frame (contracts in frame_kind.h).
 *
 * The map is filled in passes, each refining what the one before wrote:
 *   1. everything FRAME_NOT_RAM, then the firmware's ranges FRAME_FIRMWARE
 *      (rounded outward: a frame partly the firmware's is not usable);
 *   2. RAM, block by block from the descriptors: the head of the block
 *      holding a frame says free (and its order), page table, slab or
 *      allocated, and how far the block reaches, so a free 4 MiB block is
 *      one step; PG_RESERVED frames are FRAME_RESERVED;
 *   3. memblock's reservations name the reserved frames by owner;
 *   4. vmalloc's pages turn allocated frames into vmalloc or kernel stack.
 * frame_map_add_user is pass 5, one process at a time, by the caller.
 *
 * Invariants:
 *   [x] a pass only rewrites frames whose kind the pass before left in the
 *       state it refines (3: FRAME_RESERVED; 4 and 5: FRAME_ALLOCATED or a
 *       user kind), so a racing change shows as the older kind, never as
 *       a kind the records do not support;
 *   [x] descriptor reads happen with interrupts off, one block at a time.
 *
 * Context: frame_kind.h. Host-compilable.
 * Lock order: no lock of its own; vmalloc's lock, then (released) a
 * space's page-table lock; the descriptors are read without the zone lock.
 */
#include "mm/frame_kind.h"

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/memblock.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/vmalloc.h"

/* Set kinds[from, to) to kind, clipped to the map. */
static void fill(struct frame_map *m, uint64_t from, uint64_t to, enum frame_kind kind)
{
	if (to > m->pfns)
		to = m->pfns;
	if (from < to)
		memset(m->kinds + from, kind, to - from);
}

uint64_t frame_map_ram_pfns(void)
{
	const struct memblock_list *memory = &memblock.memory;

	return memory->count ? memory->regions[memory->count - 1].end >> PAGE_SHIFT : 0;
}

/* Pass 1: the firmware's ranges, rounded outward to whole frames. */
static void classify_firmware(struct frame_map *m, const struct memmap *firmware)
{
	for (size_t i = 0; firmware && i < firmware->count; i++) {
		const struct memmap_range *r = &firmware->ranges[i];
		if (r->type != MEMMAP_USABLE)
			fill(m, r->start >> PAGE_SHIFT, (r->end + PAGE_SIZE - 1) >> PAGE_SHIFT,
			     FRAME_FIRMWARE);
	}
}

/*
 * The kind of the block holding frame pfn (which has descriptor page), and
 * in *next the first frame after that block (pfn + 1 at least).
 */
static enum frame_kind block_kind(uint64_t pfn, const struct page *page, uint64_t *next)
{
	unsigned long irq = arch_irq_save();
	const struct page *head = page->flags & PG_RESERVED ? NULL : buddy_block_of(page);
	uint32_t flags = head ? head->flags : 0;
	unsigned order = head && !(flags & PG_PCP) ? head->order : 0;
	uint64_t head_pfn = head ? page_to_pfn(head) : pfn;
	arch_irq_restore(irq);

	if (order > MAX_ORDER)
		order = 0; /* a block changing under us: one frame at a time */
	*next = head_pfn + (1ull << order);
	if (*next <= pfn)
		*next = pfn + 1;
	if (!head)
		return FRAME_RESERVED;
	if (flags & (PG_BUDDY | PG_PCP))
		return FRAME_FREE + order;
	if (flags & PG_TABLE)
		return FRAME_PAGE_TABLE;
	if (flags & PG_SLAB)
		return FRAME_SLAB;
	return FRAME_ALLOCATED;
}

/* Pass 2: every RAM range of memblock, block by block. */
static void classify_ram(struct frame_map *m)
{
	for (size_t i = 0; i < memblock.memory.count; i++) {
		const struct memblock_region *r = &memblock.memory.regions[i];
		uint64_t pfn = r->start >> PAGE_SHIFT;
		uint64_t end = r->end >> PAGE_SHIFT;

		if (end > m->pfns)
			end = m->pfns;
		while (pfn < end) {
			const struct page *page = pfn_to_page(pfn);
			uint64_t next = pfn + 1;
			enum frame_kind kind = page ? block_kind(pfn, page, &next) : FRAME_RESERVED;

			if (next > end)
				next = end;
			fill(m, pfn, next, kind);
			pfn = next;
		}
	}
}

/* What each boot reservation's owner (mm/pmm.c, mm/page.c, mm/direct_map.c) is. */
static const struct {
	const char *owner;
	enum frame_kind kind;
} reservation_kinds[] = {
	{"kernel image", FRAME_KERNEL_IMAGE},
	{"page tables", FRAME_PAGE_TABLE},
	{"page descriptors", FRAME_PAGE_DESCRIPTORS},
	{"boot information", FRAME_BOOT_INFO},
	{"module", FRAME_MODULE},
	{"AP trampoline", FRAME_TRAMPOLINE},
};

/* Pass 3: the reserved frames get their reservation's kind. */
static void classify_reservations(struct frame_map *m)
{
	for (size_t i = 0; i < memblock.reserved.count; i++) {
		const struct memblock_region *r = &memblock.reserved.regions[i];
		enum frame_kind kind = FRAME_RESERVED;

		for (size_t k = 0; k < sizeof(reservation_kinds) / sizeof(reservation_kinds[0]); k++)
			if (strcmp(r->owner, reservation_kinds[k].owner) == 0)
				kind = reservation_kinds[k].kind;
		uint64_t end = r->end >> PAGE_SHIFT;
		if (end > m->pfns)
			end = m->pfns;
		for (uint64_t pfn = r->start >> PAGE_SHIFT; pfn < end; pfn++)
			if (m->kinds[pfn] == FRAME_RESERVED)
				m->kinds[pfn] = kind;
	}
}

/* Pass 4, vmalloc_for_each_page's callback: arg is the map. */
static void mark_vmalloc(virt_addr_t va, phys_addr_t pa, unsigned area_flags, void *arg)
{
	struct frame_map *m = arg;
	uint64_t pfn = pa >> PAGE_SHIFT;

	(void)va;
	if (pfn < m->pfns && m->kinds[pfn] == FRAME_ALLOCATED)
		m->kinds[pfn] = area_flags & VMALLOC_STACK ? FRAME_KERNEL_STACK : FRAME_VMALLOC;
}

/* The first frame of zone z: buddy_zone_of_pfn only grows with pfn, so search. */
static uint64_t zone_start_pfn(int z, uint64_t pfns)
{
	uint64_t lo = 0, hi = pfns; /* the answer is in [lo, hi] */

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (buddy_zone_of_pfn(mid) >= z)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int frame_map_classify(struct frame_map *m, const struct memmap *firmware)
{
	m->pfns = frame_map_ram_pfns();
	if (m->pfns > m->capacity)
		return -ENOSPC;
	fill(m, 0, m->pfns, FRAME_NOT_RAM);
	classify_firmware(m, firmware);
	classify_ram(m);
	classify_reservations(m);
	vmalloc_for_each_page(mark_vmalloc, m);
	for (int z = 0; z < ZONE_COUNT; z++)
		m->zone_start[z] = zone_start_pfn(z, m->pfns);
	return 0;
}

/* frame_map_add_user's walk, carried through paging_for_each_range. */
struct user_walk {
	struct frame_map *m;
	uint8_t kind;     /* FRAME_USER + slot */
	uint64_t marked;
};

static bool mark_user_run(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
			  unsigned flags, void *arg)
{
	struct user_walk *w = arg;

	(void)page_size, (void)flags;
	for (uint64_t pfn = pa >> PAGE_SHIFT, n = (end - start) >> PAGE_SHIFT; n > 0; pfn++, n--) {
		if (pfn >= w->m->pfns)
			break;
		uint8_t *k = &w->m->kinds[pfn];
		if (*k == FRAME_ALLOCATED)
			*k = w->kind;
		else if (frame_kind_is_user(*k) && *k != w->kind)
			*k = FRAME_USER_SHARED;
		w->marked += *k == w->kind || *k == FRAME_USER_SHARED;
	}
	return true;
}

uint64_t frame_map_add_user(struct frame_map *m, const struct address_space *as, unsigned slot)
{
	struct user_walk w = {m, (uint8_t)(FRAME_USER + slot), 0};

	if (slot >= FRAME_USER_SLOTS)
		return 0;
	paging_for_each_range(as, 0, PAGING_KERNEL_HALF, mark_user_run, &w);
	return w.marked;
}

/* Eight kinds at once, from any address (the map is bytes). */
typedef uint64_t __attribute__((may_alias, aligned(1))) kinds8_t;

enum frame_kind frame_map_summary(const struct frame_map *m, uint64_t pfn, uint64_t count)
{
	uint8_t first = frame_map_kind(m, pfn);
	uint64_t i = 1;

	if (pfn < m->pfns && count <= m->pfns - pfn) { /* inside the map: eight at a time */
		const uint64_t same = first * 0x0101010101010101ull;
		for (i = 0; i + 8 <= count && *(const kinds8_t *)(m->kinds + pfn + i) == same; i += 8)
			;
	}
	for (; i < count && frame_map_kind(m, pfn + i) == first; i++)
		;
	if (i == count)
		return first; /* the common case: one kind throughout */

	uint32_t counts[FRAME_KIND_COUNT] = {0};
	uint8_t met[FRAME_KIND_COUNT] = {0}; /* kinds in the order met */
	unsigned kinds = 0;
	for (i = 0; i < count; i++) {
		uint8_t k = frame_map_kind(m, pfn + i);
		if (counts[k]++ == 0)
			met[kinds++] = k;
	}
	uint8_t best = met[0];
	for (unsigned j = 1; j < kinds; j++)
		if (counts[met[j]] > counts[best])
			best = met[j];
	return best;
}

uint64_t frame_map_count(const struct frame_map *m, enum frame_kind k)
{
	uint64_t n = 0;

	for (uint64_t pfn = 0; pfn < m->pfns; pfn++)
		n += m->kinds[pfn] == k;
	return n;
}

static const char *const kind_names[FRAME_FREE] = {
	[FRAME_NOT_RAM] = "not RAM",
	[FRAME_FIRMWARE] = "firmware",
	[FRAME_RESERVED] = "reserved",
	[FRAME_KERNEL_IMAGE] = "kernel image",
	[FRAME_PAGE_DESCRIPTORS] = "page descriptors",
	[FRAME_BOOT_INFO] = "boot information",
	[FRAME_MODULE] = "initrd/module",
	[FRAME_TRAMPOLINE] = "AP trampoline",
	[FRAME_PAGE_TABLE] = "page table",
	[FRAME_SLAB] = "slab",
	[FRAME_VMALLOC] = "vmalloc",
	[FRAME_KERNEL_STACK] = "kernel stack",
	[FRAME_ALLOCATED] = "other allocation",
	[FRAME_USER_SHARED] = "user page shared by processes",
};

const char *frame_kind_text(unsigned k, char *buf, size_t size)
{
	if (k < FRAME_FREE)
		strlcpy(buf, kind_names[k], size);
	else if (frame_kind_is_free(k))
		ksnprintf(buf, size, "free (order %u)", k - FRAME_FREE);
	else if (frame_kind_is_user(k))
		ksnprintf(buf, size, "user page of slot %u", k - FRAME_USER);
	else
		ksnprintf(buf, size, "unknown kind %u", k);
	return buf;
}
