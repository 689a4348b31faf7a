/*
 * phys_owner.c - who owns a physical range (contracts in phys_owner.h).
 *
 * One question per frame, answered from the records in this order:
 *   1. not in memblock's memory list  -> nobody's (a hole: devices, firmware)
 *   2. in a memblock reservation       -> its owner ("kernel image", ...)
 *   3. no descriptor, or PG_RESERVED   -> reserved (RAM the kernel keeps out)
 *   4. the head of its buddy block     -> free, page table, slab or allocated
 * Each answer covers a whole extent (the hole, the reservation, the block),
 * so a range is checked in a few steps however large it is.
 *
 * Invariants:
 *   [x] reads memblock and the descriptors only; changes nothing
 *   [x] descriptor flags are read with interrupts off (one consistent view
 *       on this CPU)
 *
 * Context: phys_owner.h. Host-compilable.
 * Lock order: takes no lock of its own; the alias check walks spaces with
 * paging_for_each_range (their page-table locks). Descriptor flags are
 * read without the zone lock: with other CPUs allocating, the answer is
 * what the frame was an instant ago (a report, never a decision).
 */
#include "mm/phys_owner.h"

#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/memblock.h"
#include "mm/page.h"
#include "mm/paging.h"

#define PHYS_TOP UINT64_MAX /* end of the last hole: 2^64 - 1 (exclusive ends cannot say 2^64) */

/*
 * The region of list holding pa, or NULL; *below and *above are then where
 * the gap around pa starts (end of the region before it, or 0) and ends
 * (start of the region after it, or PHYS_TOP).
 */
static const struct memblock_region *list_find(const struct memblock_list *list, phys_addr_t pa,
					       phys_addr_t *below, phys_addr_t *above)
{
	*below = 0;
	*above = PHYS_TOP;
	for (size_t i = 0; i < list->count; i++) {
		const struct memblock_region *r = &list->regions[i];
		if (pa < r->start) {
			*above = r->start;
			return NULL;
		}
		if (pa < r->end)
			return r;
		*below = r->end;
	}
	return NULL;
}

/* One frame of RAM kept out of the allocator, without a memblock reservation. */
static void owner_reserved_frame(phys_addr_t pa, const char *why, struct phys_owner *out)
{
	phys_addr_t start = pa & ~(PAGE_SIZE - 1);

	*out = (struct phys_owner){PHYS_OWNER_RESERVED, start, start + PAGE_SIZE, why};
}

void phys_owner_of(phys_addr_t pa, struct phys_owner *out)
{
	phys_addr_t below, above;
	const struct memblock_region *ram = list_find(&memblock.memory, pa, &below, &above);

	if (!ram) {
		*out = (struct phys_owner){PHYS_OWNER_NONE, below, above, NULL};
		return;
	}
	const struct memblock_region *res = list_find(&memblock.reserved, pa, &below, &above);
	if (res) {
		*out = (struct phys_owner){PHYS_OWNER_RESERVED,
					   res->start > ram->start ? res->start : ram->start,
					   res->end < ram->end ? res->end : ram->end, res->owner};
		return;
	}
	struct page *page = phys_to_page(pa);
	if (!page) {
		owner_reserved_frame(pa, "RAM without page descriptors", out);
		return;
	}
	unsigned long irq = arch_irq_save();
	const struct page *head = page->flags & PG_RESERVED ? NULL : buddy_block_of(page);
	uint32_t flags = head ? head->flags : 0;
	unsigned order = head && !(flags & PG_PCP) ? head->order : 0;
	arch_irq_restore(irq);
	if (!head) {
		owner_reserved_frame(pa, "reserved RAM", out);
		return;
	}
	enum phys_owner_kind kind = PHYS_OWNER_ALLOCATED;
	if (flags & (PG_BUDDY | PG_PCP))
		kind = PHYS_OWNER_FREE;
	else if (flags & PG_TABLE)
		kind = PHYS_OWNER_PAGE_TABLE;
	else if (flags & PG_SLAB)
		kind = PHYS_OWNER_SLAB;
	phys_addr_t start = page_to_phys(head);
	*out = (struct phys_owner){kind, start, start + (PAGE_SIZE << order), NULL};
}

bool phys_range_find_owned(phys_addr_t pa, uint64_t size, phys_owner_allow_fn allow, void *arg,
			   phys_addr_t *at, struct phys_owner *owner)
{
	phys_addr_t end = pa + size < pa ? PHYS_TOP : pa + size;

	for (phys_addr_t p = pa; p < end;) {
		struct phys_owner o;
		phys_owner_of(p, &o);
		if (o.kind != PHYS_OWNER_NONE && !(allow && allow(&o, arg))) {
			*at = p;
			*owner = o;
			return true;
		}
		if (o.end <= p)
			break; /* the last hole reaches PHYS_TOP */
		p = o.end;
	}
	return false;
}

/* What each boot reservation of mm/pmm.c, mm/page.c and mm/direct_map.c is, in words. */
static const struct {
	const char *owner;
	const char *text;
} reservation_texts[] = {
	{"kernel image", "is the kernel image"},
	{"page tables", "belongs to the page tables (reserved at boot)"},
	{"page descriptors", "holds the page descriptors (the struct page arrays)"},
	{"boot information", "is the boot information GRUB passed"},
	{"module", "is a module GRUB loaded"},
	{"page 0", "is page 0 (kept unused so that NULL stays invalid)"},
};

const char *phys_owner_text(const struct phys_owner *owner, char *buf, size_t size)
{
	switch (owner->kind) {
	case PHYS_OWNER_NONE:
		strlcpy(buf, "is not RAM (a device or firmware hole)", size);
		break;
	case PHYS_OWNER_RESERVED:
		for (size_t i = 0; i < sizeof(reservation_texts) / sizeof(reservation_texts[0]); i++)
			if (strcmp(owner->reserved_by, reservation_texts[i].owner) == 0) {
				strlcpy(buf, reservation_texts[i].text, size);
				return buf;
			}
		ksnprintf(buf, size, "is reserved at boot (%s)", owner->reserved_by);
		break;
	case PHYS_OWNER_FREE:
		strlcpy(buf, "is free memory of the page allocator", size);
		break;
	case PHYS_OWNER_PAGE_TABLE:
		ksnprintf(buf, size, "belongs to the page tables%s",
			  owner->start == arch_current_root() ? " (the PML4 that CR3 points to)" : "");
		break;
	case PHYS_OWNER_SLAB:
		strlcpy(buf, "is allocated by the kernel heap (a slab)", size);
		break;
	case PHYS_OWNER_ALLOCATED:
		strlcpy(buf, "is allocated by the kernel", size);
		break;
	}
	return buf;
}

/* phys_find_alias's search, carried through paging_for_each_range. */
struct alias_search {
	phys_addr_t pa, pa_end;
	unsigned need;
	virt_addr_t skip, skip_end;
	bool found;
	struct phys_alias *out;
};

static bool alias_check_run(virt_addr_t start, virt_addr_t end, phys_addr_t run_pa,
			    uint64_t page_size, unsigned flags, void *arg)
{
	struct alias_search *s = arg;
	phys_addr_t run_end = run_pa + (end - start); /* end may be 0 (the top): modular */

	(void)page_size;
	if ((flags & s->need) != s->need)
		return true;
	phys_addr_t lo = run_pa > s->pa ? run_pa : s->pa;
	phys_addr_t hi = run_end < s->pa_end ? run_end : s->pa_end;
	if (lo >= hi)
		return true;
	virt_addr_t va = start + (lo - run_pa), va_end = va + (hi - lo);
	if (va >= s->skip && va < s->skip_end)
		va = s->skip_end; /* the part inside the skipped range is not an alias */
	if (va >= va_end || va < start)
		return true;
	*s->out = (struct phys_alias){va, run_pa + (va - start), flags};
	s->found = true;
	return false;
}

bool phys_find_alias(const struct address_space *as, phys_addr_t pa, uint64_t size,
		     unsigned need, virt_addr_t skip, uint64_t skip_size, struct phys_alias *out)
{
	struct alias_search s = {pa, pa + size, need, skip, skip + skip_size, false, out};

	if (size == 0)
		return false;
	paging_for_each_range(as, 0, 0, alias_check_run, &s);
	return s.found;
}
