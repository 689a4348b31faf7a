/*
 * heap_bench.c - `bench heap`: what the kernel heap's common operations cost.
 *
 *   kmalloc+kfree 64 B     the per-CPU magazine fast path: after a warm-up
 *                          pair the magazine holds an object, so every
 *                          kmalloc pops it and every kfree pushes it back
 *   kmalloc+kfree 256 B    the same path in another size class
 *   kmalloc+kfree 4 KiB    the same path; the class's slabs span pages
 *   vmalloc+vfree 16 KiB   four frames taken, zeroed and mapped with a
 *                          guard page, then unmapped (invlpg) and freed
 * Each figure is the median over BENCH_RUNS runs of a batch of pairs, timed
 * as one batch (the counter read is not counted per pair). The host twin,
 * tests/host/bench_heap.c, sets the same workloads beside malloc libraries.
 * Shell context.
 */
#include "kernel/bench/bench.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/kmalloc.h"
#include "mm/vmalloc.h"

#define BENCH_RUNS 15
#define BENCH_KMALLOC_OPS 1000
#define BENCH_VMALLOC_OPS 100 /* each pair maps and zeroes 16 KiB: much slower */
#define BENCH_VMALLOC_SIZE (16 * 1024)

/* Cycles per kmalloc+kfree pair of size bytes; 0 if kmalloc failed. */
static uint64_t bench_kmalloc_pairs(size_t size)
{
	uint64_t samples[BENCH_RUNS];
	void *warm = kmalloc(size, 0); /* fills the slab and the magazine path once */

	if (!warm)
		return 0;
	kfree(warm);
	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < BENCH_KMALLOC_OPS; i++)
			kfree(kmalloc(size, 0));
		samples[run] = (arch_cycles() - t0) / BENCH_KMALLOC_OPS;
	}
	return median_u64(samples, BENCH_RUNS);
}

/* Cycles per vmalloc+vfree pair of BENCH_VMALLOC_SIZE bytes; 0 if vmalloc failed. */
static uint64_t bench_vmalloc_pairs(void)
{
	uint64_t samples[BENCH_RUNS];

	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < BENCH_VMALLOC_OPS; i++) {
			void *p = vmalloc(BENCH_VMALLOC_SIZE);
			if (!p)
				return 0;
			MUST_SUCCEED(vfree(p), "bench_vmalloc_pairs: freeing the area just allocated");
		}
		samples[run] = (arch_cycles() - t0) / BENCH_VMALLOC_OPS;
	}
	return median_u64(samples, BENCH_RUNS);
}

static void bench_heap(void)
{
	uint64_t small = bench_kmalloc_pairs(64);
	uint64_t medium = bench_kmalloc_pairs(256);
	uint64_t page = bench_kmalloc_pairs(4096);
	uint64_t vm = bench_vmalloc_pairs();

	kprintf("kernel heap, cycles per pair (median of %d runs; %d kmalloc pairs, "
		"%d vmalloc pairs a run):\n", BENCH_RUNS, BENCH_KMALLOC_OPS, BENCH_VMALLOC_OPS);
	kprintf("  kmalloc+kfree 64 B (magazine)   %6lu\n", small);
	kprintf("  kmalloc+kfree 256 B             %6lu\n", medium);
	kprintf("  kmalloc+kfree 4 KiB             %6lu\n", page);
	kprintf("  vmalloc+vfree 16 KiB            %6lu\n", vm);
	if (!small || !medium || !page || !vm)
		kprintf("  (0: the allocation failed, out of memory)\n");
}

BENCHMARK(heap, "kernel heap: kmalloc pairs (64 B, 256 B, 4 KiB), vmalloc 16 KiB", bench_heap);
