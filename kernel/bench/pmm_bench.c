/*
 * pmm_bench.c - `bench pmm`: what the page allocator's common operations cost.
 *
 *   order-0 pair, per-CPU hit   alloc+free of one page served by the per-CPU list
 *   order-0 pair, per-CPU miss  the list drained first, so each alloc refills
 *                               a batch from the buddy lists and each free
 *                               goes back to the per-CPU list
 *   order-9 pair                a 2 MiB block: split from 4 MiB and merged back
 * Each figure is the median over BENCH_RUNS runs of BENCH_OPS pairs. The
 * time from kmain to a ready allocator was measured at boot. Shell context.
 */
#include "kernel/bench/bench.h"
#include "kernel/timer.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/buddy.h"
#include "mm/pmm.h"

#define BENCH_RUNS 15
#define BENCH_OPS 1000

static uint64_t bench_pairs(unsigned order, bool drain_each)
{
	uint64_t samples[BENCH_RUNS];

	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t total = 0;
		for (int i = 0; i < BENCH_OPS; i++) {
			if (drain_each)
				buddy_drain_pcp();
			uint64_t t0 = arch_cycles();
			struct page *page = alloc_pages(0, order);
			if (page)
				MUST_SUCCEED(free_pages(page, order),
					     "bench_pairs: freeing the block just allocated");
			total += arch_cycles() - t0;
		}
		samples[run] = total / BENCH_OPS;
	}
	return median_u64(samples, BENCH_RUNS);
}

static void bench_pmm(void)
{
	struct page *warm = alloc_pages(0, 0); /* make sure the per-CPU list has pages */
	if (warm)
		MUST_SUCCEED(free_pages(warm, 0), "bench_pmm: freeing the page just allocated");
	uint64_t hit = bench_pairs(0, false);
	uint64_t miss = bench_pairs(0, true);
	uint64_t order9 = bench_pairs(9, false);

	kprintf("page allocator, cycles per alloc+free pair (median of %d runs of %d):\n",
		BENCH_RUNS, BENCH_OPS);
	kprintf("  order 0, per-CPU list hit   %6lu\n", hit);
	kprintf("  order 0, per-CPU list miss  %6lu\n", miss);
	kprintf("  order 9 (2 MiB)             %6lu\n", order9);
	kprintf("pmm_init (memory map to ready buddy allocator): %lu cycles = %lu us\n",
		pmm_init_cycles, timer_tsc_to_us(pmm_init_cycles));
}

BENCHMARK(pmm, "page allocator: order-0 (per-CPU hit/miss) and order-9 pairs", bench_pmm);
