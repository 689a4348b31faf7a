/*
 * fuzz_memmap.c - a seeded random fuzzer for memmap_sanitize() (host only).
 *
 * The firmware's memory map is input the kernel cannot trust, so the
 * sanitizer must turn any list of entries into a valid map. This program
 * builds FUZZ_ITERATIONS random maps of 0..40 entries - overlapping,
 * touching, unaligned, zero-length, wrapping past 2^64, huge, beyond the
 * physical address width, of known and unknown types - with a random
 * phys_bits in 32..64 (and now and then a map of hundreds of entries, to
 * overflow MEMMAP_MAX), and checks every result:
 *   - the invariants of mm/memmap.h (sorted, disjoint, non-empty, merged,
 *     below 2^phys_bits, usable ranges page-aligned, known types);
 *   - soundness, by sampling each output range (its ends and a few points):
 *     the type there is the most restrictive type of the input entries
 *     covering that address (so a usable byte was usable in some entry and
 *     in no more restrictive one);
 *   - completeness (unless ranges were lost to overflow), by sampling each
 *     input entry: non-usable addresses keep their winning type, usable
 *     ones are usable or trimmed, and a whole page inside a usable entry
 *     that nothing more restrictive touches is kept;
 *   - every malformed entry is reported in dropped_count.
 * The reference model computes with 128-bit integers, independently of the
 * code under test. Deterministic (lib/random.h, fixed seed); a failure
 * names its iteration and prints the map to stderr. Output follows the
 * selftest format. Hosted code (libc); build with -fsanitize=address,undefined.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/random.h"
#include "mm/memmap.h"

#define FUZZ_SEED 0x2545f4914f6cdd1dull
#define FUZZ_ITERATIONS 100000
#define FUZZ_MAX_ENTRIES 40
#define FUZZ_BIG_ENTRIES 500 /* the occasional map that overflows MEMMAP_MAX */

typedef unsigned __int128 u128;

static struct memmap_entry fuzz_in[FUZZ_BIG_ENTRIES];
static struct memmap fuzz_out;
static char fuzz_reason[256];

/* ---- PRNG: lib/random.h, one stream from FUZZ_SEED ------------------------------- */

static uint64_t rng_state = FUZZ_SEED;

static uint64_t rng_next(void)
{
	return random_next(&rng_state);
}

/* An integer in [0, n), n > 0. */
static uint64_t rng_below(uint64_t n)
{
	return random_below(&rng_state, n);
}

/* ---- map generation ------------------------------------------------------------ */

static u128 addr_limit(unsigned phys_bits)
{
	return (u128)1 << phys_bits;
}

/* An interesting base address: small, aligned or not, near another entry or a limit. */
static uint64_t gen_base(size_t n, unsigned phys_bits)
{
	uint64_t delta = rng_below(3) == 0 ? 0 : rng_below(0x3000) - 0x1800;

	switch (rng_below(9)) {
	case 0:
		return rng_below(4096) * PAGE_SIZE; /* page-aligned, below 16 MiB */
	case 1:
		return rng_below(16ull << 20); /* unaligned, below 16 MiB */
	case 2:
	case 3:
		if (n > 0) { /* at or near an earlier entry's start or end: overlap, adjacency */
			const struct memmap_entry *e = &fuzz_in[rng_below(n)];
			return (rng_below(2) ? e->base : e->base + e->length) + delta;
		}
		return rng_below(1ull << 30);
	case 4:
		return (uint64_t)(addr_limit(phys_bits) - rng_below(0x10000)) + delta;
	case 5:
		return UINT64_MAX - rng_below(0x100000);
	case 6:
		return rng_next();
	case 7:
		return rng_next() >> (64 - phys_bits); /* anywhere reachable */
	default:
		return rng_below(1ull << 20) * PAGE_SIZE; /* page-aligned, below 4 GiB */
	}
}

static uint64_t gen_length(void)
{
	switch (rng_below(9)) {
	case 0:
		return 0;
	case 1:
		return 1 + rng_below(0x3000); /* small, unaligned */
	case 2:
		return PAGE_SIZE / 2;
	case 3:
	case 4:
		return (1 + rng_below(64)) * PAGE_SIZE;
	case 5:
		return rng_below(4ull << 30);
	case 6:
		return rng_next(); /* huge: often wraps */
	case 7:
		return UINT64_MAX - rng_below(0x100000);
	default:
		return rng_below(1ull << 24);
	}
}

static uint32_t gen_type(void)
{
	static const uint32_t unknown[] = {0, 6, 7, 12, 0xffffffffu};
	uint64_t r = rng_below(20);

	if (r < 8)
		return MEMMAP_USABLE;
	if (r < 18)
		return (uint32_t)(2 + rng_below(4)); /* reserved, ACPI x2, bad */
	return unknown[rng_below(sizeof(unknown) / sizeof(unknown[0]))];
}

static size_t gen_map(unsigned phys_bits)
{
	size_t n;

	if (rng_below(500) == 0) {
		/* Many small entries with gaps between: usually more ranges than MEMMAP_MAX. */
		n = FUZZ_BIG_ENTRIES - rng_below(200);
		for (size_t i = 0; i < n; i++)
			fuzz_in[i] = (struct memmap_entry){i * 0x3000 + rng_below(0x400),
							   0x800 + rng_below(0x1800), gen_type()};
		for (size_t i = n - 1; i > 0; i--) { /* shuffle */
			size_t j = rng_below(i + 1);
			struct memmap_entry t = fuzz_in[i];
			fuzz_in[i] = fuzz_in[j];
			fuzz_in[j] = t;
		}
		return n;
	}
	n = rng_below(FUZZ_MAX_ENTRIES + 1);
	for (size_t i = 0; i < n; i++) {
		fuzz_in[i].base = gen_base(i, phys_bits);
		fuzz_in[i].length = gen_length();
		fuzz_in[i].type = gen_type();
	}
	return n;
}

/* ---- the reference model ---------------------------------------------------------- */

/* Restrictiveness rank of an input type (unknown types are reserved). */
static int model_rank(uint32_t type)
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
		return 4;
	}
}

static uint32_t model_type_of_rank(int rank)
{
	static const uint32_t types[] = {0, MEMMAP_USABLE, MEMMAP_ACPI_RECLAIMABLE,
					 MEMMAP_ACPI_NVS, MEMMAP_RESERVED, MEMMAP_BAD};
	return types[rank];
}

/* Each input entry's reachable part, exact in 128 bits (start >= end: nothing). */
static struct {
	u128 start, end;
	int rank;
} model[FUZZ_BIG_ENTRIES];

static void model_prepare(size_t n, unsigned phys_bits)
{
	for (size_t i = 0; i < n; i++) {
		u128 end = (u128)fuzz_in[i].base + fuzz_in[i].length;
		model[i].start = fuzz_in[i].base;
		model[i].end = end < addr_limit(phys_bits) ? end : addr_limit(phys_bits);
		model[i].rank = model_rank(fuzz_in[i].type);
	}
}

/* The most restrictive rank of the entries covering any of [lo, hi), 0 if none does. */
static int model_rank_over(size_t n, u128 lo, u128 hi)
{
	int rank = 0;

	for (size_t i = 0; i < n; i++)
		if (model[i].start < hi && lo < model[i].end && model[i].rank > rank)
			rank = model[i].rank;
	return rank;
}

/* The output's type at a, 0 in a hole. */
static uint32_t out_type_at(uint64_t a)
{
	for (size_t i = 0; i < fuzz_out.count; i++)
		if (fuzz_out.ranges[i].start <= a && a < fuzz_out.ranges[i].end)
			return fuzz_out.ranges[i].type;
	return 0;
}

/* ---- checks ------------------------------------------------------------------------ */

#define FAIL(...)                                                                  \
	do {                                                                           \
		snprintf(fuzz_reason, sizeof(fuzz_reason), __VA_ARGS__);                   \
		return fuzz_reason;                                                        \
	} while (0)

static const char *check_invariants(unsigned phys_bits)
{
	if (fuzz_out.count > MEMMAP_MAX)
		FAIL("count %zu > MEMMAP_MAX", fuzz_out.count);
	for (size_t i = 0; i < fuzz_out.count; i++) {
		const struct memmap_range *r = &fuzz_out.ranges[i];
		if (r->start >= r->end)
			FAIL("range %zu [0x%lx, 0x%lx) is empty", i, r->start, r->end);
		if (r->end > addr_limit(phys_bits))
			FAIL("range %zu ends at 0x%lx, beyond 2^%u", i, r->end, phys_bits);
		if (model_rank(r->type) == 4 && r->type != MEMMAP_RESERVED)
			FAIL("range %zu has the unknown type %u", i, r->type);
		if (r->type == MEMMAP_USABLE && (r->start % PAGE_SIZE || r->end % PAGE_SIZE))
			FAIL("usable range %zu [0x%lx, 0x%lx) not page-aligned", i, r->start,
			     r->end);
		if (i > 0 && fuzz_out.ranges[i - 1].end > r->start)
			FAIL("ranges %zu and %zu overlap or are unsorted", i - 1, i);
		if (i > 0 && fuzz_out.ranges[i - 1].end == r->start &&
		    fuzz_out.ranges[i - 1].type == r->type)
			FAIL("ranges %zu and %zu touch with the same type, not merged", i - 1, i);
	}
	return NULL;
}

/* A few addresses of [start, end): both ends and some random ones in between. */
static size_t sample_points(uint64_t start, uint64_t end, uint64_t *points)
{
	size_t k = 0;

	points[k++] = start;
	points[k++] = end - 1;
	for (int i = 0; i < 2; i++)
		points[k++] = start + rng_below(end - start);
	return k;
}

static const char *check_soundness(size_t n)
{
	uint64_t points[4];

	for (size_t i = 0; i < fuzz_out.count; i++) {
		const struct memmap_range *r = &fuzz_out.ranges[i];
		size_t k = sample_points(r->start, r->end, points);
		for (size_t j = 0; j < k; j++) {
			int rank = model_rank_over(n, points[j], (u128)points[j] + 1);
			if (model_type_of_rank(rank) != r->type)
				FAIL("address 0x%lx is %s in the output, the inputs say %s",
				     points[j], memmap_type_name(r->type),
				     rank ? memmap_type_name(model_type_of_rank(rank)) : "nothing");
		}
	}
	return NULL;
}

static const char *check_completeness(size_t n)
{
	uint64_t points[4];

	for (size_t i = 0; i < n; i++) {
		u128 s = model[i].start, e = model[i].end;
		if (e > UINT64_MAX)
			e = UINT64_MAX; /* 2^64 - 1 cannot be inside a [start, end) range */
		if (s >= e)
			continue;
		size_t k = sample_points((uint64_t)s, (uint64_t)e, points);
		for (size_t j = 0; j < k; j++) {
			uint64_t a = points[j];
			int rank = model_rank_over(n, a, (u128)a + 1);
			uint32_t want = model_type_of_rank(rank), got = out_type_at(a);
			if (want != MEMMAP_USABLE) {
				if (got != want)
					FAIL("address 0x%lx in entry %zu should be %s, is %s", a,
					     i, memmap_type_name(want),
					     got ? memmap_type_name(got) : "a hole");
				continue;
			}
			if (got != MEMMAP_USABLE && got != 0)
				FAIL("usable address 0x%lx became %s", a, memmap_type_name(got));
			/* A whole page of this usable entry that nothing stricter touches stays. */
			u128 page = a & ~(u128)(PAGE_SIZE - 1);
			bool whole = page >= s && page + PAGE_SIZE <= e;
			if (fuzz_in[i].type == MEMMAP_USABLE && whole &&
			    model_rank_over(n, page, page + PAGE_SIZE) == 1 && got != MEMMAP_USABLE)
				FAIL("the usable page 0x%lx was lost", (uint64_t)page);
		}
	}
	return NULL;
}

static const char *check_drops(size_t n, unsigned phys_bits)
{
	size_t malformed = 0;

	for (size_t i = 0; i < n; i++) {
		u128 end = (u128)fuzz_in[i].base + fuzz_in[i].length;
		if (fuzz_in[i].length == 0 || end > UINT64_MAX || end > addr_limit(phys_bits))
			malformed++;
	}
	if (fuzz_out.dropped_count < malformed)
		FAIL("%zu malformed entries but only %zu drops", malformed, fuzz_out.dropped_count);
	for (size_t i = 0; i < fuzz_out.dropped_count && i < MEMMAP_DROPPED_MAX; i++) {
		if (fuzz_out.dropped[i].reason > MEMMAP_DROP_OVERFLOW)
			FAIL("drop %zu has reason %d", i, (int)fuzz_out.dropped[i].reason);
		if (fuzz_out.dropped[i].reason == MEMMAP_DROP_OVERFLOW &&
		    fuzz_out.count != MEMMAP_MAX)
			FAIL("overflow reported with only %zu ranges", fuzz_out.count);
	}
	return NULL;
}

/* Ranges were lost to overflow: then completeness cannot hold. */
static bool lost_ranges(void)
{
	return fuzz_out.count == MEMMAP_MAX;
}

static const char *fuzz_one(size_t n, unsigned phys_bits)
{
	const char *reason;
	int rc = memmap_sanitize(fuzz_in, n, phys_bits, &fuzz_out);

	if (rc != 0)
		FAIL("memmap_sanitize returned %d", rc);
	model_prepare(n, phys_bits);
	if ((reason = check_invariants(phys_bits)) || (reason = check_soundness(n)) ||
	    (reason = check_drops(n, phys_bits)))
		return reason;
	if (!lost_ranges() && (reason = check_completeness(n)))
		return reason;
	return NULL;
}

static void dump_map(size_t n, unsigned phys_bits)
{
	fprintf(stderr, "input (%zu entries, phys_bits %u):\n", n, phys_bits);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  {0x%lx, 0x%lx, %u},\n", fuzz_in[i].base, fuzz_in[i].length,
			fuzz_in[i].type);
	fprintf(stderr, "output (%zu ranges, %zu dropped):\n", fuzz_out.count,
		fuzz_out.dropped_count);
	for (size_t i = 0; i < fuzz_out.count; i++)
		fprintf(stderr, "  [0x%lx, 0x%lx) %s\n", fuzz_out.ranges[i].start,
			fuzz_out.ranges[i].end, memmap_type_name(fuzz_out.ranges[i].type));
}

int main(void)
{
	unsigned long overflows = 0, drops = 0;

	for (unsigned long it = 0; it < FUZZ_ITERATIONS; it++) {
		unsigned phys_bits = 32 + (unsigned)rng_below(33);
		size_t n = gen_map(phys_bits);
		const char *reason = fuzz_one(n, phys_bits);
		if (reason) {
			printf("selftest: FAIL fuzz/memmap: iteration %lu (seed 0x%llx): %s\n", it,
			       (unsigned long long)FUZZ_SEED, reason);
			dump_map(n, phys_bits);
			printf("selftest: 0 passed, 1 failed\n");
			return 1;
		}
		overflows += lost_ranges();
		drops += fuzz_out.dropped_count;
	}
	/* A fuzzer that never reached the interesting cases proves little. */
	if (overflows == 0 || drops == 0) {
		printf("selftest: FAIL fuzz/memmap: too tame: %lu overflows, %lu drops\n",
		       overflows, drops);
		printf("selftest: 0 passed, 1 failed\n");
		return 1;
	}
	printf("selftest: PASS fuzz/memmap\n");
	printf("selftest: 1 passed, 0 failed\n");
	return 0;
}
