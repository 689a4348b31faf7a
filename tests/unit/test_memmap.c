/*
 * test_memmap.c - suite "memmap": the memory-map sanitizer (mm/memmap.c).
 *
 * Each test feeds memmap_sanitize() a small hand-made firmware map and
 * compares the result with the ranges worked out by hand, or (for the
 * every-pair-of-types tests) probes it address by address against the
 * restrictiveness order. Every result is also checked against the output
 * invariants of mm/memmap.h by check_invariants(). Covered: sorted and
 * unsorted input, overlaps and containment of every pair of types,
 * duplicates, merging, shrinking of unaligned usable ranges (also when two
 * halves make a page), zero-length, wrapping and unreachable entries,
 * phys_bits 64, overflow of MEMMAP_MAX, the EFI type mapping, a realistic
 * QEMU BIOS map and a realistic OVMF (EFI) map, and memmap_total().
 * Freestanding (built into the kernel too) and pure: no global state is
 * touched; the maps are static because a struct memmap is ~7 KiB.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/memmap.h"

static struct memmap test_map;
static struct memmap test_map_other;
static struct memmap_entry test_big_input[300];

/* Every invariant promised by mm/memmap.h, or the first one broken. */
static const char *check_invariants(const struct memmap *map, unsigned phys_bits)
{
	uint64_t limit = phys_bits == 64 ? UINT64_MAX : 1ull << phys_bits;

	if (map->count > MEMMAP_MAX)
		return selftest_reason("count %zu > MEMMAP_MAX", map->count);
	for (size_t i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->ranges[i];
		if (r->start >= r->end)
			return selftest_reason("range %zu [0x%lx, 0x%lx) is empty", i, r->start,
					       r->end);
		if (r->end > limit)
			return selftest_reason("range %zu ends at 0x%lx, beyond 2^%u", i, r->end,
					       phys_bits);
		if (r->type != MEMMAP_USABLE && r->type != MEMMAP_RESERVED &&
		    r->type != MEMMAP_ACPI_RECLAIMABLE && r->type != MEMMAP_ACPI_NVS &&
		    r->type != MEMMAP_BAD)
			return selftest_reason("range %zu has unknown type %u", i, r->type);
		if (r->type == MEMMAP_USABLE &&
		    (r->start % PAGE_SIZE != 0 || r->end % PAGE_SIZE != 0))
			return selftest_reason("usable range %zu [0x%lx, 0x%lx) is not aligned",
					       i, r->start, r->end);
		if (i == 0)
			continue;
		const struct memmap_range *p = &map->ranges[i - 1];
		if (p->end > r->start)
			return selftest_reason("ranges %zu and %zu overlap or are unsorted",
					       i - 1, i);
		if (p->end == r->start && p->type == r->type)
			return selftest_reason("ranges %zu and %zu touch with the same type",
					       i - 1, i);
	}
	return NULL;
}

/* Sanitize in[0..n) into *map, expecting success and a valid result. */
static const char *sanitize_into(struct memmap *map, const struct memmap_entry *in, size_t n,
				 unsigned phys_bits)
{
	int rc = memmap_sanitize(in, n, phys_bits, map);

	if (rc != 0)
		return selftest_reason("memmap_sanitize returned %d", rc);
	return check_invariants(map, phys_bits);
}

static const char *sanitize(const struct memmap_entry *in, size_t n, unsigned phys_bits)
{
	return sanitize_into(&test_map, in, n, phys_bits);
}

/* The map is exactly want[0..n). */
static const char *check_ranges(const struct memmap *map, const struct memmap_range *want,
				size_t n)
{
	if (map->count != n)
		return selftest_reason("%zu ranges, expected %zu", map->count, n);
	for (size_t i = 0; i < n; i++) {
		const struct memmap_range *r = &map->ranges[i];
		if (r->start != want[i].start || r->end != want[i].end || r->type != want[i].type)
			return selftest_reason("range %zu is [0x%lx, 0x%lx) %s, expected "
					       "[0x%lx, 0x%lx) %s", i, r->start, r->end,
					       memmap_type_name(r->type), want[i].start,
					       want[i].end, memmap_type_name(want[i].type));
	}
	return NULL;
}

/* The type of the range holding address a, 0 in a hole. */
static uint32_t type_at(const struct memmap *map, uint64_t a)
{
	for (size_t i = 0; i < map->count; i++)
		if (map->ranges[i].start <= a && a < map->ranges[i].end)
			return map->ranges[i].type;
	return 0;
}

/* Some remembered drop has this reason and entry base. */
static bool has_drop(const struct memmap *map, enum memmap_drop_reason reason, uint64_t base)
{
	for (size_t i = 0; i < map->dropped_count && i < MEMMAP_DROPPED_MAX; i++)
		if (map->dropped[i].reason == reason && map->dropped[i].entry.base == base)
			return true;
	return false;
}

/* ---- ordering, overlaps -------------------------------------------------- */

static const struct memmap_entry sample_map[] = {
	{0x0, 0x9f000, MEMMAP_USABLE},
	{0x9f000, 0x1000, MEMMAP_RESERVED},
	{0x100000, 0x700000, MEMMAP_USABLE},
	{0x800000, 0x10000, MEMMAP_ACPI_NVS},
	{0x810000, 0x10000, MEMMAP_ACPI_RECLAIMABLE},
	{0x1000000, 0x1000000, MEMMAP_USABLE},
};

static const struct memmap_range sample_want[] = {
	{0x0, 0x9f000, MEMMAP_USABLE},
	{0x9f000, 0xa0000, MEMMAP_RESERVED},
	{0x100000, 0x800000, MEMMAP_USABLE},
	{0x800000, 0x810000, MEMMAP_ACPI_NVS},
	{0x810000, 0x820000, MEMMAP_ACPI_RECLAIMABLE},
	{0x1000000, 0x2000000, MEMMAP_USABLE},
};

static const char *test_sorted(void)
{
	CHECK_OK(sanitize(sample_map, ARRAY_SIZE(sample_map), 36));
	CHECK_OK(check_ranges(&test_map, sample_want, ARRAY_SIZE(sample_want)));
	CHECKF(test_map.dropped_count == 0, "%zu entries dropped", test_map.dropped_count);
	return NULL;
}

static const char *test_unsorted(void)
{
	static const size_t order[] = {4, 0, 5, 2, 1, 3};
	struct memmap_entry shuffled[ARRAY_SIZE(sample_map)];

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		shuffled[i] = sample_map[order[i]];
	CHECK_OK(sanitize(shuffled, ARRAY_SIZE(shuffled), 36));
	CHECK_OK(check_ranges(&test_map, sample_want, ARRAY_SIZE(sample_want)));
	return NULL;
}

/* The input types probed pairwise; 9 is not a known type and must count as reserved. */
static const uint32_t probe_types[] = {
	MEMMAP_USABLE, MEMMAP_ACPI_RECLAIMABLE, MEMMAP_ACPI_NVS, MEMMAP_RESERVED, MEMMAP_BAD, 9,
};

/* Position in the order usable < ACPI reclaimable < ACPI NVS < reserved < bad. */
static int restrictiveness(uint32_t type)
{
	static const uint32_t order[] = {MEMMAP_USABLE, MEMMAP_ACPI_RECLAIMABLE, MEMMAP_ACPI_NVS,
					 MEMMAP_RESERVED, MEMMAP_BAD};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (order[i] == type)
			return (int)i;
	return 3; /* unknown: reserved */
}

static uint32_t output_type(uint32_t type)
{
	return restrictiveness(type) == 3 ? MEMMAP_RESERVED : type;
}

/* Two entries, a = {a0, a1 - a0, ta} and b = {b0, b1 - b0, tb}, in the given order. */
struct pair_case {
	uint64_t a0, a1, b0, b1;
	uint32_t ta, tb;
};

/*
 * Sanitize a pair of entries (b first if b_first) and probe the map at the
 * edges of every piece: where they overlap the more restrictive type wins,
 * elsewhere each entry keeps its own type, outside both is a hole.
 */
static const char *check_pair(const struct pair_case *c, bool b_first)
{
	struct memmap_entry a = {c->a0, c->a1 - c->a0, c->ta}, b = {c->b0, c->b1 - c->b0, c->tb};
	struct memmap_entry in[2] = {b_first ? b : a, b_first ? a : b};
	uint64_t probes[] = {c->a0 - 1, c->a0, c->a0 + 0xfff, c->a1 - 1, c->a1,
			     c->b0 - 1, c->b0, c->b1 - 1, c->b1};
	uint32_t winner = restrictiveness(c->ta) >= restrictiveness(c->tb) ? c->ta : c->tb;

	CHECK_OK(sanitize(in, 2, 48));
	for (size_t k = 0; k < ARRAY_SIZE(probes); k++) {
		uint64_t x = probes[k];
		bool in_a = c->a0 <= x && x < c->a1, in_b = c->b0 <= x && x < c->b1;
		uint32_t want = 0; /* a hole */
		if (in_a && in_b)
			want = output_type(winner);
		else if (in_a || in_b)
			want = output_type(in_a ? c->ta : c->tb);
		uint32_t got = type_at(&test_map, x);
		CHECKF(got == want, "types %u+%u: at 0x%lx got %u, expected %u", c->ta, c->tb, x,
		       got, want);
	}
	return NULL;
}

/* check_pair() for every ordered pair of types, in both input orders. */
static const char *check_all_pairs(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	for (size_t i = 0; i < ARRAY_SIZE(probe_types); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(probe_types); j++) {
			struct pair_case c = {a0, a1, b0, b1, probe_types[i], probe_types[j]};
			CHECK_OK(check_pair(&c, false));
			CHECK_OK(check_pair(&c, true));
		}
	}
	return NULL;
}

static const char *test_overlap_pairs(void)
{
	return check_all_pairs(0x10000, 0x30000, 0x20000, 0x40000);
}

static const char *test_containment_pairs(void)
{
	return check_all_pairs(0x10000, 0x80000, 0x30000, 0x40000);
}

static const char *test_containment_split(void)
{
	static const struct memmap_entry in[] = {
		{0x0, 0x1000000, MEMMAP_USABLE},
		{0x100000, 0x100000, MEMMAP_RESERVED},
		{0x400000, 0x1000, MEMMAP_BAD},
		{0x2000000, 0x100000, MEMMAP_RESERVED}, /* reserved around a usable hole */
		{0x2040000, 0x10000, MEMMAP_USABLE},
	};
	static const struct memmap_range want[] = {
		{0x0, 0x100000, MEMMAP_USABLE},
		{0x100000, 0x200000, MEMMAP_RESERVED},
		{0x200000, 0x400000, MEMMAP_USABLE},
		{0x400000, 0x401000, MEMMAP_BAD},
		{0x401000, 0x1000000, MEMMAP_USABLE},
		{0x2000000, 0x2100000, MEMMAP_RESERVED},
	};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	return NULL;
}

static const char *test_duplicates(void)
{
	static const struct memmap_entry in[] = {
		{0x100000, 0x100000, MEMMAP_USABLE},
		{0x100000, 0x100000, MEMMAP_USABLE},
		{0x300000, 0x1000, MEMMAP_ACPI_NVS},
		{0x300000, 0x1000, MEMMAP_ACPI_NVS},
		{0x300000, 0x1000, MEMMAP_ACPI_NVS},
		{0x500000, 0x2000, MEMMAP_USABLE}, /* same extent, different types */
		{0x500000, 0x2000, MEMMAP_ACPI_RECLAIMABLE},
	};
	static const struct memmap_range want[] = {
		{0x100000, 0x200000, MEMMAP_USABLE},
		{0x300000, 0x301000, MEMMAP_ACPI_NVS},
		{0x500000, 0x502000, MEMMAP_ACPI_RECLAIMABLE},
	};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECK(test_map.dropped_count == 0);
	return NULL;
}

static const char *test_adjacent_merge(void)
{
	static const struct memmap_entry in[] = {
		{0x3000, 0x1000, MEMMAP_USABLE},
		{0x1000, 0x1000, MEMMAP_USABLE},
		{0x2000, 0x1000, MEMMAP_USABLE},
		{0x10000, 0x100, MEMMAP_RESERVED}, /* reserved pieces merge too, unaligned */
		{0x10100, 0x300, MEMMAP_RESERVED},
		{0x10400, 0x1000, MEMMAP_ACPI_NVS}, /* a different type touches: no merge */
		{0x20000, 0x1000, MEMMAP_USABLE},   /* a hole in between: no merge */
		{0x22000, 0x1000, MEMMAP_USABLE},
	};
	static const struct memmap_range want[] = {
		{0x1000, 0x4000, MEMMAP_USABLE},
		{0x10000, 0x10400, MEMMAP_RESERVED},
		{0x10400, 0x11400, MEMMAP_ACPI_NVS},
		{0x20000, 0x21000, MEMMAP_USABLE},
		{0x22000, 0x23000, MEMMAP_USABLE},
	};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	return NULL;
}

/* ---- alignment ------------------------------------------------------------ */

static const char *test_unaligned_shrink(void)
{
	static const struct memmap_entry in[] = {
		{0x1234, 0x5678 - 0x1234, MEMMAP_USABLE},  /* -> [0x2000, 0x5000) */
		{0x10100, 0xe00, MEMMAP_USABLE},           /* no whole page: dropped */
		{0x20000, 0x9fc00, MEMMAP_USABLE},          /* like 0 .. 0x9fc00 on a PC */
		{0xbfc00, 0x400, MEMMAP_RESERVED},          /* reserved keeps its exact bounds */
	};
	static const struct memmap_range want[] = {
		{0x2000, 0x5000, MEMMAP_USABLE},
		{0x20000, 0xbf000, MEMMAP_USABLE},
		{0xbfc00, 0xc0000, MEMMAP_RESERVED},
	};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECKF(test_map.dropped_count == 1, "%zu drops, expected 1", test_map.dropped_count);
	CHECK(has_drop(&test_map, MEMMAP_DROP_TOO_SMALL, 0x10100));
	return NULL;
}

static const char *test_two_halves_of_a_page(void)
{
	static const struct memmap_entry aligned_halves[] = {
		{0x1800, 0x800, MEMMAP_USABLE},
		{0x1000, 0x800, MEMMAP_USABLE},
	};
	static const struct memmap_entry unaligned_halves[] = {
		{0x800, 0x1000, MEMMAP_USABLE},  /* [0x800, 0x1800) */
		{0x1800, 0x1000, MEMMAP_USABLE}, /* [0x1800, 0x2800) */
	};
	static const struct memmap_range want[] = {{0x1000, 0x2000, MEMMAP_USABLE}};

	CHECK_OK(sanitize(aligned_halves, ARRAY_SIZE(aligned_halves), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECK(test_map.dropped_count == 0);
	CHECK_OK(sanitize(unaligned_halves, ARRAY_SIZE(unaligned_halves), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	return NULL;
}

/* ---- malformed entries ---------------------------------------------------- */

static const char *test_zero_length(void)
{
	static const struct memmap_entry in[] = {
		{0x100000, 0, MEMMAP_USABLE},
		{0x200000, 0x100000, MEMMAP_USABLE},
		{0x250000, 0, MEMMAP_BAD}, /* empty, so it must not punch a hole */
	};
	static const struct memmap_range want[] = {{0x200000, 0x300000, MEMMAP_USABLE}};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECK(test_map.dropped_count == 2);
	CHECK(has_drop(&test_map, MEMMAP_DROP_EMPTY, 0x100000));
	CHECK(has_drop(&test_map, MEMMAP_DROP_EMPTY, 0x250000));
	return NULL;
}

static const char *test_wrapping(void)
{
	static const struct memmap_entry in[] = {
		{0xfffffffffff00000ull, 0x200000, MEMMAP_USABLE}, /* passes 2^64 */
		{0x1000, 0x1000, MEMMAP_USABLE},
	};
	static const struct memmap_range want64[] = {
		{0x1000, 0x2000, MEMMAP_USABLE},
		{0xfffffffffff00000ull, 0xfffffffffffff000ull, MEMMAP_USABLE},
	};
	static const struct memmap_entry everything[] = {{0x1000, UINT64_MAX, MEMMAP_RESERVED}};
	static const struct memmap_range want36[] = {{0x1000, 1ull << 36, MEMMAP_RESERVED}};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 64));
	CHECK_OK(check_ranges(&test_map, want64, ARRAY_SIZE(want64)));
	CHECK(test_map.dropped_count == 1);
	CHECK(has_drop(&test_map, MEMMAP_DROP_WRAPS, 0xfffffffffff00000ull));

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36)); /* wraps and unreachable: dropped */
	CHECK(test_map.count == 1 && test_map.ranges[0].end == 0x2000);
	CHECK(has_drop(&test_map, MEMMAP_DROP_WRAPS, 0xfffffffffff00000ull));

	CHECK_OK(sanitize(everything, 1, 36));
	CHECK_OK(check_ranges(&test_map, want36, ARRAY_SIZE(want36)));
	CHECK(has_drop(&test_map, MEMMAP_DROP_WRAPS, 0x1000));
	return NULL;
}

static const char *test_beyond_phys_bits(void)
{
	static const struct memmap_entry in[] = {
		{0x0, 0x1000, MEMMAP_USABLE},
		{0xff0000000ull, 0x20000000, MEMMAP_USABLE}, /* crosses 2^36: cut */
		{0x2000000000ull, 0x1000, MEMMAP_USABLE},    /* entirely beyond: dropped */
		{0x1000000000ull, 0x1000, MEMMAP_RESERVED},  /* starts exactly at 2^36: dropped */
		{0xffffff000ull, 0x1000, MEMMAP_BAD},        /* ends exactly at 2^36: kept */
	};
	static const struct memmap_range want[] = {
		{0x0, 0x1000, MEMMAP_USABLE},
		{0xff0000000ull, 0xffffff000ull, MEMMAP_USABLE},
		{0xffffff000ull, 0x1000000000ull, MEMMAP_BAD},
	};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECKF(test_map.dropped_count == 3, "%zu drops, expected 3", test_map.dropped_count);
	CHECK(has_drop(&test_map, MEMMAP_DROP_UNREACHABLE, 0xff0000000ull));
	CHECK(has_drop(&test_map, MEMMAP_DROP_UNREACHABLE, 0x2000000000ull));
	CHECK(has_drop(&test_map, MEMMAP_DROP_UNREACHABLE, 0x1000000000ull));
	return NULL;
}

static const char *test_phys_bits_64(void)
{
	static const struct memmap_entry in[] = {
		{0x8000000000000000ull, 0x1000, MEMMAP_USABLE},
		{0xffffffffffffe000ull, 0x1000, MEMMAP_USABLE},
		{0xfffffffffffff000ull, 0xfff, MEMMAP_RESERVED}, /* ends at 2^64 - 1: fits */
		{0x1000, 0x1000, MEMMAP_USABLE},
	};
	static const struct memmap_range want[] = {
		{0x1000, 0x2000, MEMMAP_USABLE},
		{0x8000000000000000ull, 0x8000000000001000ull, MEMMAP_USABLE},
		{0xffffffffffffe000ull, 0xfffffffffffff000ull, MEMMAP_USABLE},
		{0xfffffffffffff000ull, UINT64_MAX, MEMMAP_RESERVED},
	};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 64));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECKF(test_map.dropped_count == 0, "%zu drops, expected none", test_map.dropped_count);
	return NULL;
}

static const char *test_invalid_arguments(void)
{
	static const struct memmap_entry in[] = {{0x0, 0x100000, MEMMAP_USABLE}};

	CHECK(memmap_sanitize(in, 1, 0, &test_map) == -EINVAL);
	CHECK(memmap_sanitize(in, 1, 65, &test_map) == -EINVAL);
	CHECK(memmap_sanitize(NULL, 1, 36, &test_map) == -EINVAL);
	test_map.count = 99;
	CHECK(memmap_sanitize(NULL, 0, 36, &test_map) == 0);
	CHECK(test_map.count == 0 && test_map.dropped_count == 0);
	/* phys_bits 1: only [0, 2) exists, too small for a usable page */
	CHECK_OK(sanitize(in, 1, 1));
	CHECK(test_map.count == 0 && test_map.dropped_count == 2);
	CHECK(has_drop(&test_map, MEMMAP_DROP_UNREACHABLE, 0x0));
	CHECK(has_drop(&test_map, MEMMAP_DROP_TOO_SMALL, 0x0));
	return NULL;
}

static const char *test_overflow(void)
{
	size_t n = ARRAY_SIZE(test_big_input);

	/* Usable pages with a hole after each: n separate ranges, listed top down. */
	for (size_t i = 0; i < n; i++)
		test_big_input[i] = (struct memmap_entry){(n - 1 - i) * 0x2000, 0x1000,
							  MEMMAP_USABLE};
	CHECK_OK(sanitize(test_big_input, n, 36));
	CHECKF(test_map.count == MEMMAP_MAX, "count %zu", test_map.count);
	CHECKF(test_map.dropped_count == n - MEMMAP_MAX, "dropped %zu, expected %zu",
	       test_map.dropped_count, n - MEMMAP_MAX);
	/* The lowest ranges are kept, the ones above are reported lost. */
	CHECK(test_map.ranges[MEMMAP_MAX - 1].start == (MEMMAP_MAX - 1) * 0x2000);
	CHECK(test_map.dropped[0].reason == MEMMAP_DROP_OVERFLOW);
	CHECK(test_map.dropped[0].entry.base == MEMMAP_MAX * 0x2000);
	CHECK(test_map.dropped[MEMMAP_DROPPED_MAX - 1].reason == MEMMAP_DROP_OVERFLOW);
	return NULL;
}

static const char *test_drop_record_limit(void)
{
	struct memmap_entry in[MEMMAP_DROPPED_MAX + 4];

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		in[i] = (struct memmap_entry){i * 0x1000, 0, MEMMAP_USABLE};
	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 36));
	CHECK(test_map.count == 0);
	CHECKF(test_map.dropped_count == ARRAY_SIZE(in), "dropped_count %zu",
	       test_map.dropped_count);
	CHECK(test_map.dropped[MEMMAP_DROPPED_MAX - 1].entry.base ==
	      (MEMMAP_DROPPED_MAX - 1) * 0x1000);
	return NULL;
}

/* ---- types ------------------------------------------------------------------ */

static const char *test_efi_types(void)
{
	static const uint32_t want[] = {
		MEMMAP_RESERVED,         /* 0 reserved */
		MEMMAP_USABLE,           /* 1 loader code */
		MEMMAP_USABLE,           /* 2 loader data */
		MEMMAP_USABLE,           /* 3 boot services code */
		MEMMAP_USABLE,           /* 4 boot services data */
		MEMMAP_RESERVED,         /* 5 runtime services code */
		MEMMAP_RESERVED,         /* 6 runtime services data */
		MEMMAP_USABLE,           /* 7 conventional */
		MEMMAP_BAD,              /* 8 unusable */
		MEMMAP_ACPI_RECLAIMABLE, /* 9 ACPI reclaim */
		MEMMAP_ACPI_NVS,         /* 10 ACPI NVS */
		MEMMAP_RESERVED,         /* 11 MMIO */
		MEMMAP_RESERVED,         /* 12 MMIO port space */
		MEMMAP_RESERVED,         /* 13 PAL code */
		MEMMAP_RESERVED,         /* 14 persistent memory */
		MEMMAP_RESERVED,         /* 15: beyond the list */
	};

	for (uint32_t t = 0; t < ARRAY_SIZE(want); t++)
		CHECKF(memmap_type_from_efi(t) == want[t], "EFI type %u -> %u, expected %u", t,
		       memmap_type_from_efi(t), want[t]);
	CHECK(memmap_type_from_efi(0x80000000u) == MEMMAP_RESERVED); /* OEM range */
	CHECK(memmap_type_from_efi(0x70000000u) == MEMMAP_RESERVED); /* OS vendor range */
	return NULL;
}

static const char *test_names(void)
{
	CHECK(strcmp(memmap_type_name(MEMMAP_USABLE), "usable") == 0);
	CHECK(strcmp(memmap_type_name(MEMMAP_RESERVED), "reserved") == 0);
	CHECK(strcmp(memmap_type_name(MEMMAP_ACPI_RECLAIMABLE), "ACPI reclaimable") == 0);
	CHECK(strcmp(memmap_type_name(MEMMAP_ACPI_NVS), "ACPI NVS") == 0);
	CHECK(strcmp(memmap_type_name(MEMMAP_BAD), "bad RAM") == 0);
	CHECK(memmap_type_name(77) != NULL);
	for (int a = MEMMAP_DROP_EMPTY; a <= MEMMAP_DROP_OVERFLOW; a++) {
		const char *ta = memmap_drop_reason_text((enum memmap_drop_reason)a);
		CHECKF(ta != NULL && ta[0] != '\0', "reason %d has no text", a);
		for (int b = MEMMAP_DROP_EMPTY; b < a; b++)
			CHECKF(strcmp(ta, memmap_drop_reason_text((enum memmap_drop_reason)b)) != 0,
			       "reasons %d and %d read the same", a, b);
	}
	return NULL;
}

/* ---- realistic maps --------------------------------------------------------- */

/* SeaBIOS under QEMU with 5 GiB: what GRUB passes in multiboot2 tag 6. */
static const char *test_qemu_bios_map(void)
{
	static const struct memmap_entry in[] = {
		{0x0, 0x9fc00, MEMMAP_USABLE},
		{0x9fc00, 0x400, MEMMAP_RESERVED},
		{0xf0000, 0x10000, MEMMAP_RESERVED},
		{0x100000, 0xbfee0000, MEMMAP_USABLE},
		{0xbffe0000, 0x20000, MEMMAP_RESERVED},
		{0xfeffc000, 0x4000, MEMMAP_RESERVED},
		{0xfffc0000, 0x40000, MEMMAP_RESERVED},
		{0x100000000ull, 0x80000000ull, MEMMAP_USABLE},
	};
	static const struct memmap_range want[] = {
		{0x0, 0x9f000, MEMMAP_USABLE},
		{0x9fc00, 0xa0000, MEMMAP_RESERVED},
		{0xf0000, 0x100000, MEMMAP_RESERVED},
		{0x100000, 0xbffe0000, MEMMAP_USABLE},
		{0xbffe0000, 0xc0000000, MEMMAP_RESERVED},
		{0xfeffc000, 0xff000000, MEMMAP_RESERVED},
		{0xfffc0000, 0x100000000ull, MEMMAP_RESERVED},
		{0x100000000ull, 0x180000000ull, MEMMAP_USABLE},
	};

	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 40));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECKF(test_map.dropped_count == 0, "%zu drops: trimming is not a drop",
	       test_map.dropped_count);
	return NULL;
}

/* OVMF under QEMU with 128 MiB: the EFI map of tag 17, in EFI types, not sorted. */
static const char *test_efi_map(void)
{
	static const struct { uint64_t base, length; uint32_t efi_type; } efi[] = {
		{0x100000, 0x700000, 7},
		{0x0, 0xa0000, 7},
		{0x800000, 0x8000, 10},
		{0x808000, 0x3000, 7},
		{0x80b000, 0x1000, 10},
		{0x80c000, 0x4000, 7},
		{0x810000, 0xf0000, 10},
		{0x900000, 0x3700000, 7},
		{0x5000000, 0x200000, 2},
		{0x4000000, 0x1000000, 4},
		{0x5200000, 0x100000, 1},
		{0x5300000, 0x2a00000, 7},
		{0x7d00000, 0x100000, 3},
		{0x7e00000, 0x80000, 6},
		{0x7e80000, 0x80000, 5},
		{0x7f00000, 0x20000, 9},
		{0x7f20000, 0x60000, 10},
		{0x7f80000, 0x80000, 0},
		{0xffc00000, 0x400000, 11},
		{0xb0000000, 0x10000000, 11},
	};
	static const struct memmap_range want[] = {
		{0x0, 0xa0000, MEMMAP_USABLE},
		{0x100000, 0x800000, MEMMAP_USABLE},
		{0x800000, 0x808000, MEMMAP_ACPI_NVS},
		{0x808000, 0x80b000, MEMMAP_USABLE},
		{0x80b000, 0x80c000, MEMMAP_ACPI_NVS},
		{0x80c000, 0x810000, MEMMAP_USABLE},
		{0x810000, 0x900000, MEMMAP_ACPI_NVS},
		{0x900000, 0x7e00000, MEMMAP_USABLE}, /* conventional + boot services + loader */
		{0x7e00000, 0x7f00000, MEMMAP_RESERVED}, /* runtime services data + code */
		{0x7f00000, 0x7f20000, MEMMAP_ACPI_RECLAIMABLE},
		{0x7f20000, 0x7f80000, MEMMAP_ACPI_NVS},
		{0x7f80000, 0x8000000, MEMMAP_RESERVED},
		{0xb0000000, 0xc0000000, MEMMAP_RESERVED},
		{0xffc00000, 0x100000000ull, MEMMAP_RESERVED},
	};
	struct memmap_entry in[ARRAY_SIZE(efi)];

	for (size_t i = 0; i < ARRAY_SIZE(efi); i++)
		in[i] = (struct memmap_entry){efi[i].base, efi[i].length,
					      memmap_type_from_efi(efi[i].efi_type)};
	CHECK_OK(sanitize(in, ARRAY_SIZE(in), 39));
	CHECK_OK(check_ranges(&test_map, want, ARRAY_SIZE(want)));
	CHECK(test_map.dropped_count == 0);

	/* The same map given in the opposite order sanitizes to the same result. */
	for (size_t i = 0; i < ARRAY_SIZE(efi) / 2; i++) {
		struct memmap_entry t = in[i];
		in[i] = in[ARRAY_SIZE(efi) - 1 - i];
		in[ARRAY_SIZE(efi) - 1 - i] = t;
	}
	CHECK_OK(sanitize_into(&test_map_other, in, ARRAY_SIZE(in), 39));
	CHECK_OK(check_ranges(&test_map_other, want, ARRAY_SIZE(want)));
	return NULL;
}

static const char *test_total(void)
{
	uint64_t usable = 0, nvs = 0, all = 0;

	CHECK_OK(sanitize(sample_map, ARRAY_SIZE(sample_map), 36));
	for (size_t i = 0; i < ARRAY_SIZE(sample_want); i++) {
		uint64_t len = sample_want[i].end - sample_want[i].start;
		all += len;
		if (sample_want[i].type == MEMMAP_USABLE)
			usable += len;
		if (sample_want[i].type == MEMMAP_ACPI_NVS)
			nvs += len;
	}
	uint64_t got = memmap_total(&test_map, MEMMAP_USABLE);
	CHECKF(got == usable, "usable total 0x%lx, expected 0x%lx", got, usable);
	CHECK(memmap_total(&test_map, MEMMAP_ACPI_NVS) == nvs);
	CHECK(memmap_total(&test_map, MEMMAP_BAD) == 0);
	CHECK(memmap_total(&test_map, MEMMAP_USABLE) + memmap_total(&test_map, MEMMAP_RESERVED) +
		      memmap_total(&test_map, MEMMAP_ACPI_RECLAIMABLE) +
		      memmap_total(&test_map, MEMMAP_ACPI_NVS) ==
	      all);
	CHECK_OK(sanitize(NULL, 0, 36));
	CHECK(memmap_total(&test_map, MEMMAP_USABLE) == 0);
	return NULL;
}

static const struct selftest memmap_tests[] = {
	{"sorted", "a sorted map comes out as given", test_sorted},
	{"unsorted", "the same map shuffled gives the same result", test_unsorted},
	{"overlap_pairs", "partial overlap of every pair of types: the restrictive one wins",
	 test_overlap_pairs},
	{"containment_pairs", "one entry inside another, every pair of types",
	 test_containment_pairs},
	{"containment_split", "reserved and bad RAM inside usable split it in place",
	 test_containment_split},
	{"duplicates", "identical entries collapse; same extent keeps the restrictive type",
	 test_duplicates},
	{"adjacent_merge", "touching entries of one type merge, other types and holes do not",
	 test_adjacent_merge},
	{"unaligned_shrink", "usable ranges shrink inward to pages, too-small ones are dropped",
	 test_unaligned_shrink},
	{"two_halves", "two usable halves of a page keep the page", test_two_halves_of_a_page},
	{"zero_length", "zero-length entries are dropped and reported", test_zero_length},
	{"wrapping", "entries passing 2^64 are cut and reported", test_wrapping},
	{"phys_bits", "entries beyond 2^36 are cut or dropped and reported",
	 test_beyond_phys_bits},
	{"phys_bits_64", "with 64 address bits the top of the address space is kept",
	 test_phys_bits_64},
	{"invalid", "bad phys_bits or a NULL input give -EINVAL; phys_bits 1 works",
	 test_invalid_arguments},
	{"overflow", "more than MEMMAP_MAX ranges: the lowest kept, the rest reported",
	 test_overflow},
	{"drop_limit", "only MEMMAP_DROPPED_MAX drops are kept, all are counted",
	 test_drop_record_limit},
	{"efi_types", "EFI memory types map to usable/ACPI/bad/reserved", test_efi_types},
	{"names", "type names and drop reason texts", test_names},
	{"qemu_bios", "a SeaBIOS e820 map with an unaligned low-memory end", test_qemu_bios_map},
	{"efi_map", "an OVMF EFI map: boot services and loader memory merge into RAM",
	 test_efi_map},
	{"total", "memmap_total sums the ranges of one type", test_total},
};

SELFTEST_SUITE(memmap, memmap_tests);
