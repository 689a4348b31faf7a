/*
 * memblock.c - the early allocator (see memblock.h): two sorted lists of
 * page-aligned physical ranges, `memory` and `reserved`.
 *
 * Design: every change to a list goes through one function,
 * memblock_list_insert(), which rebuilds the list into a scratch copy: the
 * existing regions are copied in order and the parts of the new range that
 * no existing region covers are slotted into the gaps, merging with a
 * neighbour that touches it and has the same owner. A list that would
 * overflow is left untouched (-ENOSPC). Everything else (allocation,
 * accounting, the free-range walk) only reads the lists. With at most
 * MEMBLOCK_MAX regions per list, plain loops are fast enough.
 * Invariants (of both lists):
 *   [x] sorted by start, disjoint, non-empty, page-aligned;
 *   [x] touching regions are merged when their owners are equal
 *       (memory: always).
 * Calling context: the boot CPU during pmm_init(), and the selftests (which
 * save and restore the whole struct); not reentrant (static scratch list).
 */
#include "mm/memblock.h"

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

struct memblock memblock;

/* Where memblock_list_insert() builds the new list (too big for the stack). */
static struct memblock_list memblock_scratch;

/* The highest page-aligned address: the end of the last page a list can hold. */
#define MEMBLOCK_TOP ALIGN_DOWN(UINT64_MAX, PAGE_SIZE)

static bool memblock_same_owner(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Append [start, end) to list, merged into the last region if it touches it
 * with the same owner. Returns false if the list is already full.
 */
static bool memblock_list_append(struct memblock_list *list, phys_addr_t start, phys_addr_t end,
				 const char *owner)
{
	if (list->count > 0) {
		struct memblock_region *last = &list->regions[list->count - 1];
		if (last->end == start && memblock_same_owner(last->owner, owner)) {
			last->end = end;
			return true;
		}
	}
	if (list->count == MEMBLOCK_MAX)
		return false;
	list->regions[list->count++] = (struct memblock_region){start, end, owner};
	return true;
}

/*
 * Add the page-aligned range [start, end) (start < end) to list: the parts
 * already in the list keep their owner, the rest gets owner.
 * Returns 0, or -ENOSPC with the list unchanged.
 */
static int memblock_list_insert(struct memblock_list *list, phys_addr_t start, phys_addr_t end,
				const char *owner)
{
	struct memblock_list *out = &memblock_scratch;
	phys_addr_t pos = start; /* the new range is placed up to here */
	bool fits = true;

	out->count = 0;
	for (size_t i = 0; i < list->count; i++) {
		const struct memblock_region *r = &list->regions[i];
		if (pos < end && pos < r->start) /* a gap before r: the new range's part there */
			fits &= memblock_list_append(out, pos, MIN(end, r->start), owner);
		fits &= memblock_list_append(out, r->start, r->end, r->owner);
		if (r->end > pos)
			pos = r->end;
	}
	if (pos < end)
		fits &= memblock_list_append(out, pos, end, owner);
	if (!fits)
		return -ENOSPC;
	memcpy(list->regions, out->regions, out->count * sizeof(out->regions[0]));
	list->count = out->count;
	return 0;
}

void memblock_reset(void)
{
	memset(&memblock, 0, sizeof(memblock));
}

int memblock_add(phys_addr_t start, phys_addr_t end)
{
	if (memblock.retired || start > MEMBLOCK_TOP)
		return -EINVAL;
	start = ALIGN_UP(start, PAGE_SIZE); /* cannot wrap: start <= MEMBLOCK_TOP */
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (start >= end)
		return -EINVAL;
	return memblock_list_insert(&memblock.memory, start, end, NULL);
}

int memblock_reserve(phys_addr_t start, phys_addr_t end, const char *owner)
{
	if (memblock.retired || start >= end)
		return -EINVAL;
	start = ALIGN_DOWN(start, PAGE_SIZE);
	/*
	 * Grow end up to its page. In the very last page of the address space
	 * that would wrap to 0; no memory can lie there (memblock_add shrinks
	 * to MEMBLOCK_TOP), so stopping at MEMBLOCK_TOP loses nothing.
	 */
	end = end > MEMBLOCK_TOP ? MEMBLOCK_TOP : ALIGN_UP(end, PAGE_SIZE);
	if (start >= end)
		return 0;
	return memblock_list_insert(&memblock.reserved, start, end, owner);
}

/* What memblock_alloc() looks for, and the best (highest) place found so far. */
struct memblock_fit {
	uint64_t size, align;
	phys_addr_t limit;
	phys_addr_t best; /* 0: nothing yet (0 is never a valid answer) */
};

/* memblock_for_each_free() callback: the highest aligned place in this free range. */
static void memblock_fit_range(phys_addr_t start, phys_addr_t end, void *arg)
{
	struct memblock_fit *fit = arg;

	if (end > fit->limit)
		end = fit->limit;
	if (end <= start || end - start < fit->size)
		return;
	phys_addr_t at = ALIGN_DOWN(end - fit->size, fit->align);
	if (at >= start && at > fit->best)
		fit->best = at;
}

phys_addr_t memblock_alloc(uint64_t size, uint64_t align, phys_addr_t limit, const char *owner)
{
	if (memblock.retired || size == 0 || size > MEMBLOCK_TOP || !IS_POWER_OF_TWO(align))
		return 0;
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;

	/*
	 * The free ranges come in ascending order, so the last one that fits
	 * gives the highest address: top-down first fit, without a second
	 * (descending) walk to get right.
	 */
	struct memblock_fit fit = {ALIGN_UP(size, PAGE_SIZE), align, limit, 0};
	memblock_for_each_free(memblock_fit_range, &fit);
	if (fit.best == 0)
		return 0;
	if (memblock_reserve(fit.best, fit.best + fit.size, owner) != 0)
		return 0; /* reserved list full */
	return fit.best;
}

/* Bytes of the reserved regions (only those of owner, unless any_owner) that are memory. */
static uint64_t memblock_reserved_in_memory(const char *owner, bool any_owner)
{
	uint64_t total = 0;

	for (size_t i = 0; i < memblock.reserved.count; i++) {
		const struct memblock_region *r = &memblock.reserved.regions[i];
		if (!any_owner && !memblock_same_owner(r->owner, owner))
			continue;
		for (size_t j = 0; j < memblock.memory.count; j++) {
			const struct memblock_region *m = &memblock.memory.regions[j];
			phys_addr_t start = r->start > m->start ? r->start : m->start;
			phys_addr_t end = r->end < m->end ? r->end : m->end;
			if (start < end)
				total += end - start;
		}
	}
	return total;
}

uint64_t memblock_memory_bytes(void)
{
	uint64_t total = 0;

	for (size_t i = 0; i < memblock.memory.count; i++)
		total += memblock.memory.regions[i].end - memblock.memory.regions[i].start;
	return total;
}

uint64_t memblock_reserved_bytes(void)
{
	return memblock_reserved_in_memory(NULL, true);
}

uint64_t memblock_reserved_bytes_of(const char *owner)
{
	return memblock_reserved_in_memory(owner, false);
}

void memblock_for_each_free(void (*fn)(phys_addr_t start, phys_addr_t end, void *arg), void *arg)
{
	for (size_t i = 0; i < memblock.memory.count; i++) {
		const struct memblock_region *m = &memblock.memory.regions[i];
		phys_addr_t pos = m->start; /* [m->start, pos) is handled */

		for (size_t j = 0; j < memblock.reserved.count && pos < m->end; j++) {
			const struct memblock_region *r = &memblock.reserved.regions[j];
			if (r->end <= pos)
				continue;
			if (r->start >= m->end)
				break;
			if (r->start > pos)
				fn(pos, r->start, arg);
			pos = r->end;
		}
		if (pos < m->end)
			fn(pos, m->end, arg);
	}
}

void memblock_retire(void)
{
	memblock.retired = true;
}
