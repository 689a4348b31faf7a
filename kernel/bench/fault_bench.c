/*
 * fault_bench.c - `bench fault`: what a resolved page fault costs, from the
 * faulting instruction to its retry (exception entry, the handler's region
 * lookup and decision, the frame allocation, zeroing or copying 4 KiB, the
 * page-table update, IRETQ).
 *
 *   demand-zero   a write to each page of a fresh lazy region
 *   COW copy      a write to each page of a region shared copy-on-write
 *                 with a twin (every frame has two owners: each write copies)
 * Each access is timed alone with the cycle counter (TSC) around it; the
 * figure is the median over BENCH_PAGES pages of a run, then the median of
 * BENCH_RUNS runs. In the deterministic mode (docs/benchmarks.md) each
 * figure is an instruction count; scripts/linux_fault_bench.py counts
 * Linux's faults the same way. Shell context; the regions live in the
 * kernel's lazy window and are released after each run.
 */
#include "kernel/bench/bench.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/anon.h"
#include "mm/arch.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"

#define BENCH_RUNS 7
#define BENCH_PAGES 64

/* Cycles of one write to va, which faults. */
static uint64_t timed_write(virt_addr_t va)
{
	uint64_t t0 = arch_cycles();
	*(volatile uint8_t *)(uintptr_t)va = 1;
	return arch_cycles() - t0;
}

/*
 * Median cycles per fault of one run: a region of BENCH_PAGES pages, each
 * page written once (cow: after sharing with a twin). 0 if memory ran out.
 */
static uint64_t bench_run(bool cow)
{
	uint64_t bytes = BENCH_PAGES * PAGE_SIZE, samples[BENCH_PAGES];
	virt_addr_t va = anon_create(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE, bytes,
				     "bench");
	virt_addr_t twin = 0;

	if (!va)
		return 0;
	if (cow) {
		for (uint64_t i = 0; i < BENCH_PAGES; i++) /* fault them in, untimed */
			*(volatile uint8_t *)(uintptr_t)(va + i * PAGE_SIZE) = 1;
		twin = anon_find_free(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE, bytes);
		if (!twin || anon_cow_share(&kernel_space, va, &kernel_space, twin, bytes,
					    "bench-twin") != 0) {
			MUST_SUCCEED(anon_release(&kernel_space, va, va + bytes),
				     "bench_run: releasing the whole region just created");
			return 0;
		}
	}
	uint64_t before = cow ? fault_stats_total().cow_copies : fault_stats_total().demand_zero;
	for (uint64_t i = 0; i < BENCH_PAGES; i++)
		samples[i] = timed_write((cow ? twin : va) + i * PAGE_SIZE);
	uint64_t resolved = (cow ? fault_stats_total().cow_copies : fault_stats_total().demand_zero) - before;
	MUST_SUCCEED(anon_release(&kernel_space, va, va + bytes),
		     "bench_run: releasing the whole region just created");
	if (twin)
		MUST_SUCCEED(anon_release(&kernel_space, twin, twin + bytes),
			     "bench_run: releasing the whole twin region just shared");
	return resolved == BENCH_PAGES ? median_u64(samples, BENCH_PAGES) : 0;
}

static uint64_t bench_faults(bool cow)
{
	uint64_t runs[BENCH_RUNS];

	for (int r = 0; r < BENCH_RUNS; r++)
		if (!(runs[r] = bench_run(cow)))
			return 0;
	return median_u64(runs, BENCH_RUNS);
}

static void bench_fault(void)
{
	uint64_t zero = bench_faults(false), cow = bench_faults(true);

	kprintf("page faults, cycles from the faulting write to its retry (median of %d runs of "
		"%d pages):\n", BENCH_RUNS, BENCH_PAGES);
	kprintf("  demand-zero fault (zero 4 KiB)   %8lu\n", zero);
	kprintf("  COW fault (copy 4 KiB)           %8lu\n", cow);
	if (!zero || !cow)
		kprintf("  (0: out of memory during the run)\n");
}

BENCHMARK(fault, "page faults: demand-zero and copy-on-write, cycles per fault", bench_fault);
