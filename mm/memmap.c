/*
 * memmap.c - the memory-map sanitizer: from the firmware's list of entries
 * to the sorted, disjoint, page-aligned map the rest of mm/ trusts.
 *
 * Design: a sweep over the address line. Every clipped entry contributes
 * two boundaries (its start and its end). Between two consecutive
 * boundaries no entry begins or ends, so one type describes that whole
 * elementary interval: the most restrictive type of the entries covering
 * it (none: a hole, left out). Intervals are produced left to right, merged
 * with an equal neighbour, and only a finished (fully merged) usable range
 * is shrunk inward to pages - so two unaligned usable halves of a page keep
 * that page. The next boundary is found by scanning all entries, which
 * makes the sweep O(n^2) but needs no sorting and no scratch memory: at
 * most a few hundred entries, once per boot.
 * Invariants:
 *   [x] the output keeps those listed in mm/memmap.h.
 * Calling context: any; uses only the caller's storage and a little stack.
 */
#include "mm/memmap.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Ranks 1..5 in increasing restrictiveness; index 0 means "no entry covers it". */
static const uint32_t memmap_type_of_rank[] = {
	0, MEMMAP_USABLE, MEMMAP_ACPI_RECLAIMABLE, MEMMAP_ACPI_NVS, MEMMAP_RESERVED, MEMMAP_BAD,
};

static unsigned memmap_rank(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:
		return 1;
	case MEMMAP_ACPI_RECLAIMABLE:
		return 2;
	case MEMMAP_ACPI_NVS:
		return 3;
	case MEMMAP_BAD:
		return 5;
	default:
		return 4; /* MEMMAP_RESERVED, and any type we do not know: keep our hands off */
	}
}

/*
 * The highest end address a range may have. 2^64 itself does not fit in a
 * phys_addr_t, so with 64 physical address bits the last byte (2^64 - 1)
 * is simply never part of the map.
 */
static phys_addr_t memmap_limit(unsigned phys_bits)
{
	return phys_bits >= 64 ? UINT64_MAX : 1ull << phys_bits;
}

/* True when base + length does not fit in 64 bits (reaches or passes 2^64). */
static bool memmap_wraps(const struct memmap_entry *e)
{
	return e->length > UINT64_MAX - e->base;
}

/* The part [*start, *end) of e below limit; false if nothing of it is left. */
static bool memmap_clip(const struct memmap_entry *e, phys_addr_t limit, phys_addr_t *start,
			phys_addr_t *end)
{
	phys_addr_t e_end = memmap_wraps(e) ? UINT64_MAX : e->base + e->length;

	if (e_end > limit)
		e_end = limit;
	*start = e->base;
	*end = e_end;
	return e->base < e_end;
}

/* Remember a dropped or cut entry: the first MEMMAP_DROPPED_MAX in full, all in the count. */
static void memmap_drop(struct memmap *out, struct memmap_entry entry,
			enum memmap_drop_reason reason)
{
	if (out->dropped_count < MEMMAP_DROPPED_MAX)
		out->dropped[out->dropped_count] = (struct memmap_dropped){entry, reason};
	out->dropped_count++;
}

static struct memmap_entry memmap_range_as_entry(const struct memmap_range *r)
{
	return (struct memmap_entry){r->start, r->end - r->start, r->type};
}

/*
 * Append a finished range (nothing more will merge into it) to out: a usable
 * range is shrunk inward to whole pages first, and dropped if none is left.
 */
static void memmap_finish(struct memmap *out, struct memmap_range r)
{
	if (r.type == MEMMAP_USABLE) {
		phys_addr_t end = ALIGN_DOWN(r.end, PAGE_SIZE);
		/* end > r.start guarantees ALIGN_UP(r.start) <= end: no wrap at the top. */
		if (end <= r.start || ALIGN_UP(r.start, PAGE_SIZE) == end) {
			memmap_drop(out, memmap_range_as_entry(&r), MEMMAP_DROP_TOO_SMALL);
			return;
		}
		r.start = ALIGN_UP(r.start, PAGE_SIZE);
		r.end = end;
	}
	if (out->count == MEMMAP_MAX) {
		memmap_drop(out, memmap_range_as_entry(&r), MEMMAP_DROP_OVERFLOW);
		return;
	}
	out->ranges[out->count++] = r;
}

int memmap_sanitize(const struct memmap_entry *in, size_t n, unsigned phys_bits,
		    struct memmap *out)
{
	if (phys_bits < 1 || phys_bits > 64 || (in == NULL && n > 0) || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));

	phys_addr_t limit = memmap_limit(phys_bits);

	/* Report the malformed entries once, before the sweep. */
	for (size_t i = 0; i < n; i++) {
		if (in[i].length == 0)
			memmap_drop(out, in[i], MEMMAP_DROP_EMPTY);
		else if (memmap_wraps(&in[i]))
			memmap_drop(out, in[i], MEMMAP_DROP_WRAPS);
		else if (in[i].base + in[i].length > limit)
			memmap_drop(out, in[i], MEMMAP_DROP_UNREACHABLE);
	}

	/* The sweep: [pos, next) is the elementary interval being decided. */
	struct memmap_range pending = {0, 0, 0}; /* the range still growing by merges */
	bool have_pending = false;
	phys_addr_t pos = 0;

	for (;;) {
		phys_addr_t next = 0;
		bool found = false;
		unsigned rank = 0;

		for (size_t i = 0; i < n; i++) {
			phys_addr_t start, end;
			if (!memmap_clip(&in[i], limit, &start, &end))
				continue;
			/* No boundary lies inside (pos, next), so covering pos covers it all. */
			if (start <= pos && pos < end && memmap_rank(in[i].type) > rank)
				rank = memmap_rank(in[i].type);
			if (start > pos && (!found || start < next)) {
				next = start;
				found = true;
			}
			if (end > pos && (!found || end < next)) {
				next = end;
				found = true;
			}
		}
		if (!found)
			break;
		if (rank > 0) {
			uint32_t type = memmap_type_of_rank[rank];
			if (have_pending && pending.end == pos && pending.type == type) {
				pending.end = next;
			} else {
				if (have_pending)
					memmap_finish(out, pending);
				pending = (struct memmap_range){pos, next, type};
				have_pending = true;
			}
		}
		pos = next;
	}
	if (have_pending)
		memmap_finish(out, pending);
	return 0;
}

uint64_t memmap_total(const struct memmap *map, uint32_t type)
{
	uint64_t total = 0;

	for (size_t i = 0; i < map->count; i++)
		if (map->ranges[i].type == type)
			total += map->ranges[i].end - map->ranges[i].start;
	return total;
}

const char *memmap_type_name(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:
		return "usable";
	case MEMMAP_RESERVED:
		return "reserved";
	case MEMMAP_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case MEMMAP_ACPI_NVS:
		return "ACPI NVS";
	case MEMMAP_BAD:
		return "bad RAM";
	default:
		return "unknown";
	}
}

const char *memmap_drop_reason_text(enum memmap_drop_reason reason)
{
	switch (reason) {
	case MEMMAP_DROP_EMPTY:
		return "zero length, ignored";
	case MEMMAP_DROP_WRAPS:
		return "wraps past the top of the 64-bit address space, cut there";
	case MEMMAP_DROP_UNREACHABLE:
		return "beyond the CPU's physical address width, cut there";
	case MEMMAP_DROP_TOO_SMALL:
		return "usable, but holds no whole page, ignored";
	case MEMMAP_DROP_OVERFLOW:
		return "more ranges than the map holds, lost";
	}
	return "unknown reason";
}

uint32_t memmap_type_from_efi(uint32_t efi_type)
{
	switch (efi_type) {
	case 1: /* EfiLoaderCode: the boot loader's, free once we run */
	case 2: /* EfiLoaderData */
	case 3: /* EfiBootServicesCode: free after ExitBootServices() */
	case 4: /* EfiBootServicesData */
	case 7: /* EfiConventionalMemory */
		return MEMMAP_USABLE;
	case 8: /* EfiUnusableMemory: errors detected */
		return MEMMAP_BAD;
	case 9: /* EfiACPIReclaimMemory */
		return MEMMAP_ACPI_RECLAIMABLE;
	case 10: /* EfiACPIMemoryNVS */
		return MEMMAP_ACPI_NVS;
	default: /* reserved, runtime services, MMIO, PAL code, persistent memory, unknown */
		return MEMMAP_RESERVED;
	}
}
