/*
 * smp_bench.c - `bench shootdown`: what telling other CPUs about a changed
 * mapping costs, by the number of CPUs told.
 *
 *   CPUs   1 page              64 pages (full flush)
 *   1      local invlpg only   local full flush only
 *   2..N   + one request to each of 1..N-1 other CPUs, waited for
 * A row with k CPUs sends the batch to the first k-1 other online CPUs
 * (tlb_shootdown_to), as arch_tlb_flush_remote would for a space active on
 * k CPUs; the pages are mapped kernel pages, invalidated each time (the
 * mapping does not change: invalidating a present entry is harmless). Each
 * figure is the median over BENCH_RUNS runs of the mean of BENCH_OPS
 * shootdowns, in TSC cycles, interrupts off around each run. Under
 * multi-threaded TCG on a small host the figures measure host scheduling
 * more than the kernel: reported, never a target (docs/smp.md).
 * Shell context.
 */
#include "kernel/bench/bench.h"
#include "kernel/smp/smp.h"
#include "kernel/smp/tlb_shootdown.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/paging.h"

#define BENCH_RUNS 7
#define BENCH_OPS 50
#define BENCH_BIG 64 /* past PAGING_FLUSH_THRESHOLD: one full flush per CPU */
#define BENCH_VA (EXPERIMENT_START + (130ull << 30))

static uint64_t pages[BENCH_BIG];

/* Median over runs of the mean cycles of one shootdown of n pages to the CPUs of targets. */
static uint64_t bench_shootdown(cpumask_t targets, unsigned n)
{
	uint64_t samples[BENCH_RUNS];
	unsigned flags = TLB_FLUSH_KERNEL | (n > PAGING_FLUSH_THRESHOLD ? TLB_FLUSH_ALL : 0);

	for (unsigned run = 0; run < BENCH_RUNS; run++) {
		unsigned long irq = arch_irq_save();
		uint64_t t0 = arch_cycles();
		for (unsigned op = 0; op < BENCH_OPS; op++) {
			if (flags & TLB_FLUSH_ALL) {
				arch_flush_tlb(1);
			} else {
				for (unsigned i = 0; i < n; i++)
					arch_invalidate_page(pages[i]);
			}
			tlb_shootdown_to(targets, &kernel_space, pages, n, flags);
		}
		samples[run] = (arch_cycles() - t0) / BENCH_OPS;
		arch_irq_restore(irq);
	}
	return median_u64(samples, BENCH_RUNS);
}

static void bench_shootdown_run(void)
{
	struct page *block = alloc_pages(ALLOC_ZERO, 6);

	if (!block) {
		kprintf("bench shootdown: no memory for %d pages\n", BENCH_BIG);
		return;
	}
	if (paging_map(&kernel_space, BENCH_VA, page_to_phys(block), BENCH_BIG * PAGE_SIZE,
		       MAP_WRITE | MAP_SIZE_4K | MAP_GLOBAL) != 0) {
		kprintf("bench shootdown: cannot map the pages at 0x%lx (a `map` experiment?)\n",
			(unsigned long)BENCH_VA);
		MUST_SUCCEED(free_pages(block, 6), "bench_shootdown_run: pages just allocated");
		return;
	}
	for (unsigned i = 0; i < BENCH_BIG; i++)
		pages[i] = BENCH_VA + (uint64_t)i * PAGE_SIZE;
	unsigned long irq = arch_irq_save();
	unsigned self = arch_cpu_id();
	arch_irq_restore(irq);
	kprintf("TLB shootdown, TSC cycles per shootdown (median of %d runs x %d), from CPU %u:\n",
		BENCH_RUNS, BENCH_OPS, self);
	kprintf("  CPUs      1 page   64 pages (full flush)\n");
	cpumask_t targets = 0;
	for (unsigned k = 1; k <= smp_cpus_online(); k++) {
		if (k > 1) { /* one more target: the next online CPU that is not this one */
			for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
				if (cpu != self && smp_cpu_online(cpu) && !(targets & CPUMASK_CPU(cpu))) {
					targets |= CPUMASK_CPU(cpu);
					break;
				}
			}
		}
		uint64_t one = bench_shootdown(targets, 1), big = bench_shootdown(targets, BENCH_BIG);
		kprintf("  %4u  %10lu  %10lu\n", k, one, big);
	}
	MUST_SUCCEED(paging_unmap(&kernel_space, BENCH_VA, BENCH_BIG * PAGE_SIZE),
		     "bench_shootdown_run: the range just mapped");
	MUST_SUCCEED(free_pages(block, 6), "bench_shootdown_run: the range is unmapped");
}

BENCHMARK(shootdown, "TLB shootdown of 1 and 64 pages by number of CPUs told",
	  bench_shootdown_run);
