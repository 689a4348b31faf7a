/*
 * pmm_bench.c - what the page allocator's common operations cost: `bench
 * pmm` in the kernel, build/bench/bench_pmm on the host (bench.h).
 *
 *   order 0, per-CPU hit   alloc+free of one page served by the per-CPU list
 *   order 0, per-CPU miss  the per-CPU lists drained before each pair (not
 *                          timed), so each alloc refills a batch from the
 *                          buddy lists; timed one pair at a time, so the
 *                          figure includes a counter read (shown apart)
 *   order 9                a 2 MiB block: split from 4 MiB and merged back
 * Each figure is the median over size->runs runs of size->ops pairs. The
 * kernel adds how long pmm_init took at boot.
 *
 * Invariants:
 *   [x] every page allocated is freed before the report is printed.
 * Context: the shell, or the host program's main.
 */
#include "kernel/bench/bench.h"

#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/buddy.h"

static unsigned failures; /* allocations or frees that failed: reported, not hidden */

/* One alloc+free pair of order. */
static void pair(unsigned order)
{
	struct page *page = alloc_pages(0, order);

	if (!page || free_pages(page, order) != 0)
		failures++;
}

/* Cycles per alloc+free pair of order, timing size->ops pairs at once. */
static uint64_t bench_pairs(unsigned order, const struct bench_size *size)
{
	uint64_t samples[BENCH_MAX_RUNS];

	for (unsigned run = 0; run < size->runs; run++) {
		uint64_t t0 = arch_cycles();
		for (unsigned i = 0; i < size->ops; i++)
			pair(order);
		samples[run] = (arch_cycles() - t0) / size->ops;
	}
	return median_u64(samples, size->runs);
}

/*
 * Cycles per call of op, timed one call at a time (so including one read of
 * the cycle counter), with setup run untimed before each call.
 */
static uint64_t bench_each(void (*setup)(void), void (*op)(void), const struct bench_size *size)
{
	uint64_t samples[BENCH_MAX_RUNS];

	for (unsigned run = 0; run < size->runs; run++) {
		uint64_t total = 0;
		for (unsigned i = 0; i < size->ops; i++) {
			setup();
			uint64_t t0 = arch_cycles();
			op();
			total += arch_cycles() - t0;
		}
		samples[run] = total / size->ops;
	}
	return median_u64(samples, size->runs);
}

static void order0_pair(void)
{
	pair(0);
}

static void nothing(void)
{
}

void bench_pmm_report(const struct bench_size *size)
{
	failures = 0;
	order0_pair(); /* make sure the per-CPU list has pages */
	uint64_t hit = bench_pairs(0, size);
	uint64_t miss = bench_each(buddy_drain_pcp, order0_pair, size); /* every alloc misses */
	uint64_t timer = bench_each(nothing, nothing, size);             /* the counter alone */
	uint64_t order9 = bench_pairs(9, size);

	kprintf("page allocator, cycles per alloc+free pair (median of %u runs of %u):\n",
		size->runs, size->ops);
	kprintf("  order 0, per-CPU list hit   %6lu\n", (unsigned long)hit);
	kprintf("  order 0, per-CPU list miss  %6lu  (timed alone: includes %lu for the counter)\n",
		(unsigned long)miss, (unsigned long)timer);
	kprintf("  order 9 (2 MiB)             %6lu\n", (unsigned long)order9);
	if (failures)
		kprintf("  (%u allocations failed: out of memory; the figures are too low)\n",
			failures);
}

#ifndef PAGODA_HOST
#include "kernel/timer.h"
#include "mm/pmm.h"

static void bench_pmm(void)
{
	bench_pmm_report(&(struct bench_size){15, 1000});
	kprintf("pmm_init (memory map to ready buddy allocator): %lu cycles = %lu us\n",
		pmm_init_cycles, timer_tsc_to_us(pmm_init_cycles));
}

BENCHMARK(pmm, "page allocator: order-0 (per-CPU hit/miss) and order-9 pairs", bench_pmm);
#endif
