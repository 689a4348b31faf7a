/*
 * scaling_bench.c - `bench scaling`: the allocators' fast paths on 1, 2
 * and 4 CPUs at once. Kernel only (it needs threads on several CPUs).
 *
 *   order-0 page pair   alloc_page + free_page: the per-CPU page list
 *   kmalloc 64 B pair   kmalloc(64) + kfree: the per-CPU slab magazine
 * For each CPU count n that is online, n threads, one pinned to each of
 * CPUs 0 .. n-1, wait at a common start line, then each times
 * SCALING_OPS pairs with the cycle counter. The figures are cycles per pair
 * on each CPU (the mean over its pairs) and pairs per second per CPU at
 * the TSC's rate. Per-CPU lists and magazines should keep the cost flat as
 * n grows: a shared lock or a cache line bouncing between CPUs shows up as
 * a rise. Under multi-threaded TCG on a small host the figures measure
 * host scheduling as much as the kernel (docs/benchmarks.md).
 *
 * Invariants:
 *   [x] every pair frees what it took: the allocators end as they began;
 *   [x] a CPU count that is not online is reported as skipped, not run.
 * Context: the shell thread (interrupts on); joins its workers.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/bench/bench.h"
#include "kernel/sched/thread.h"
#include "kernel/smp/smp.h"
#include "kernel/timer.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"

#define SCALING_OPS 20000u /* pairs each CPU times */
#define SCALING_CPUS_MAX 4 /* the largest CPU count measured */

enum scaling_workload { SCALING_PAGES, SCALING_KMALLOC };

struct scaling_worker {
	enum scaling_workload workload;
	volatile unsigned *ready; /* workers at the start line */
	unsigned workers;
	uint64_t cycles;          /* for SCALING_OPS pairs; 0: an allocation failed */
};

static void scaling_worker_main(void *arg)
{
	struct scaling_worker *w = arg;

	__atomic_add_fetch(w->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(w->ready, __ATOMIC_ACQUIRE) < w->workers)
		cpu_relax();
	uint64_t t0 = arch_cycles();
	for (unsigned i = 0; i < SCALING_OPS; i++) {
		if (w->workload == SCALING_PAGES) {
			struct page *p = alloc_page(0);
			if (!p || free_page(p) != 0) {
				w->cycles = 0;
				return;
			}
		} else {
			void *p = kmalloc(64, 0);
			if (!p) {
				w->cycles = 0;
				return;
			}
			kfree(p);
		}
	}
	w->cycles = arch_cycles() - t0;
}

/* Run the workload on CPUs 0 .. n-1 at once; print one line. */
static void scaling_run(enum scaling_workload workload, unsigned n)
{
	struct scaling_worker workers[SCALING_CPUS_MAX];
	struct thread *threads[SCALING_CPUS_MAX];
	volatile unsigned ready = 0;

	kprintf("  %-18s %u CPU%s ", workload == SCALING_PAGES ? "order-0 page pair" :
		"kmalloc 64 B pair", n, n > 1 ? "s" : " ");
	if (n > smp_cpus_online()) {
		kprintf("skipped: %u CPU%s online\n", smp_cpus_online(),
			smp_cpus_online() > 1 ? "s" : "");
		return;
	}
	unsigned started = 0;
	for (unsigned cpu = 0; cpu < n; cpu++) {
		workers[cpu] = (struct scaling_worker){workload, &ready, n, 0};
		threads[cpu] = thread_create(scaling_worker_main, &workers[cpu], "bench/scaling", 0);
		if (!threads[cpu])
			break;
		MUST_SUCCEED(thread_set_affinity(threads[cpu], CPUMASK_CPU(cpu)),
			     "scaling_run: pinning a worker to an online CPU");
		started++;
	}
	if (started < n)
		ready = n; /* release the ones that started; the line says it failed */
	for (unsigned cpu = 0; cpu < started; cpu++)
		MUST_SUCCEED(thread_join(threads[cpu]), "scaling_run: joining a worker");
	if (started < n) {
		kprintf("failed: no memory for the threads\n");
		return;
	}
	for (unsigned cpu = 0; cpu < n; cpu++) {
		uint64_t c = workers[cpu].cycles;
		if (c == 0) {
			kprintf(" cpu%u: failed", cpu);
			continue;
		}
		kprintf(" cpu%u: %4lu cycles, %6lu k/s", cpu, c / SCALING_OPS,
			timer_tsc_hz() / (c / SCALING_OPS ? c / SCALING_OPS : 1) / 1000);
	}
	kprintf("\n");
}

static void bench_scaling(void)
{
	kprintf("allocator pairs on several CPUs at once (%u pairs per CPU; cycles per pair and "
		"thousands of pairs per second, per CPU):\n", SCALING_OPS);
	for (unsigned n = 1; n <= SCALING_CPUS_MAX; n *= 2)
		scaling_run(SCALING_PAGES, n);
	for (unsigned n = 1; n <= SCALING_CPUS_MAX; n *= 2)
		scaling_run(SCALING_KMALLOC, n);
}

BENCHMARK(scaling, "order-0 page and kmalloc 64 B pairs on 1, 2 and 4 CPUs at once", bench_scaling);
