/*
 * bench_pmm.c - what the page allocator's common operations cost on the
 * host's CPU (the in-kernel twin is `bench pmm`, kernel/bench/pmm_bench.c).
 *
 *   order 0, per-CPU hit   alloc+free of one page, served by the per-CPU list
 *   order 0, per-CPU miss  the per-CPU lists drained before each pair (not
 *                          timed), so the alloc refills a batch from the buddy
 *                          lists; timed one pair at a time, so the figure
 *                          includes a counter read and a call (shown apart)
 *   order 9                a 2 MiB block: split from 4 MiB and merged back
 * Each figure is the median over BENCH_RUNS runs of BENCH_OPS pairs, in TSC
 * cycles. A measurement, not a test: nothing passes or fails.
 * Hosted program with its own main; build with -O2 (see the report).
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/sort.h"
#include "mm/buddy.h"
#include "tests/host/arena.h"

#define BENCH_RUNS 31
#define BENCH_OPS 100000

static void bench_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

/* Cycles per alloc+free pair of order, timing BENCH_OPS pairs at once. */
static uint64_t bench_pairs(unsigned order)
{
	uint64_t samples[BENCH_RUNS];

	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < BENCH_OPS; i++)
			MUST_SUCCEED(free_pages(alloc_pages(0, order), order),
				     "bench_pairs: the arena has blocks of every order");
		samples[run] = (arch_cycles() - t0) / BENCH_OPS;
	}
	return median_u64(samples, BENCH_RUNS);
}

/*
 * Cycles per call of op, timed one call at a time (so including one read of
 * the cycle counter), with setup run untimed before each call.
 */
static uint64_t bench_each(void (*setup)(void), void (*op)(void))
{
	uint64_t samples[BENCH_RUNS];

	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t total = 0;
		for (int i = 0; i < BENCH_OPS; i++) {
			setup();
			uint64_t t0 = arch_cycles();
			op();
			total += arch_cycles() - t0;
		}
		samples[run] = total / BENCH_OPS;
	}
	return median_u64(samples, BENCH_RUNS);
}

static void order0_pair(void)
{
	MUST_SUCCEED(free_pages(alloc_pages(0, 0), 0), "order0_pair: the arena has pages");
}

static void nothing(void)
{
}

int main(void)
{
	kprintf_set_output(bench_write);
	if (arena_build_default() != 0) {
		fprintf(stderr, "bench_pmm: cannot build the arena allocator\n");
		return 1;
	}
	/* fill the per-CPU list once */
	MUST_SUCCEED(free_pages(alloc_pages(0, 0), 0), "main: a fresh arena has pages");
	uint64_t hit = bench_pairs(0);
	uint64_t order9 = bench_pairs(9);
	uint64_t miss = bench_each(buddy_drain_pcp, order0_pair); /* every alloc misses */
	uint64_t timer = bench_each(nothing, nothing);             /* the counter reads alone */

	printf("page allocator on the host, TSC cycles per alloc+free pair\n");
	printf("(median of %d runs of %d pairs, %lu MiB arena)\n", BENCH_RUNS, BENCH_OPS,
	       (unsigned long)(ARENA_DEFAULT_SIZE >> 20));
	printf("  order 0, per-CPU list hit    %6lu\n", (unsigned long)hit);
	printf("  order 0, per-CPU list miss   %6lu  (includes timing overhead: %lu)\n",
	       (unsigned long)miss, (unsigned long)timer);
	printf("  order 9 (2 MiB)              %6lu\n", (unsigned long)order9);
	const char *bad = buddy_check_invariants();
	printf("invariants afterwards: %s\n", bad ? bad : "hold");
	return bad != NULL;
}
