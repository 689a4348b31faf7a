/*
 * heap_bench.c - what the kernel heap's common operations cost: `bench
 * heap` in the kernel, build/bench/bench_heap on the host (bench.h), which
 * runs the same workloads with glibc, mimalloc and jemalloc beside kmalloc.
 *
 *   64 B / 256 B / 4 KiB pair  alloc+free of one size over and over: after
 *                              a warm-up pair, kmalloc's per-CPU magazine
 *                              fast path (the 4 KiB class's slabs span pages)
 *   mixed 8 B-8 KiB            a window of BENCH_MIXED_LIVE live blocks; each
 *                              step frees a random one and allocates a random
 *                              size in its place (log-uniform, drawn before
 *                              timing)
 *   vmalloc+vfree 16 KiB       four frames taken, zeroed and mapped with a
 *                              guard page, then unmapped (invlpg) and freed
 * Each figure is the median over the runs of a batch, timed as one batch
 * (the counter read is not counted per pair).
 *
 * Invariants:
 *   [x] every block allocated is freed before the report is printed.
 * Context: the shell, or the host program's main; vmalloc initialized.
 */
#include "kernel/bench/bench.h"

#include "lib/printf.h"
#include "lib/random.h"
#include "mm/arch.h"
#include "mm/kmalloc.h"
#include "mm/vmalloc.h"

#define MIXED_DRAWS 4096        /* steps drawn in advance, replayed in turn */
#define BENCH_VMALLOC_BYTES (16 * 1024)

static void *kmalloc_plain(size_t size)
{
	return kmalloc(size, 0);
}

static void kfree_plain(void *p)
{
	kfree(p);
}

const struct bench_allocator bench_kmalloc = {"kmalloc", kmalloc_plain, kfree_plain};

/* An allocation that must succeed for the figure to mean anything; NULL if it failed. */
static void *touched_alloc(const struct bench_allocator *a, size_t size)
{
	char *p = a->alloc(size);

	if (p)
		*(volatile char *)p = (char)size; /* touch the block, as a real caller would */
	return p;
}

uint64_t bench_heap_pairs_run(const struct bench_allocator *a, size_t size, unsigned ops)
{
	uint64_t t0 = arch_cycles();

	for (unsigned i = 0; i < ops; i++) {
		void *p = touched_alloc(a, size);
		if (!p)
			return UINT64_MAX;
		a->free(p);
	}
	return arch_cycles() - t0;
}

size_t bench_heap_random_size(uint64_t *state)
{
	unsigned bits = 3 + (unsigned)random_below(state, 10);
	size_t size = ((size_t)1 << bits) + random_below(state, (size_t)1 << bits);

	return size > KMALLOC_MAX_CACHE_SIZE ? KMALLOC_MAX_CACHE_SIZE : size;
}

/* The mixed workload's steps, drawn once (same seed) so that every allocator replays the same. */
static size_t mixed_size[MIXED_DRAWS];
static unsigned short mixed_slot[MIXED_DRAWS];
static void *mixed_live[BENCH_MIXED_LIVE];

static void mixed_prepare(void)
{
	uint64_t state = 0x5eed;

	for (int i = 0; i < MIXED_DRAWS; i++) {
		mixed_size[i] = bench_heap_random_size(&state);
		mixed_slot[i] = (unsigned short)random_below(&state, BENCH_MIXED_LIVE);
	}
}

uint64_t bench_heap_mixed(const struct bench_allocator *a, const struct bench_size *size)
{
	uint64_t samples[BENCH_MAX_RUNS];
	bool failed = false;

	mixed_prepare();
	for (int i = 0; i < BENCH_MIXED_LIVE; i++) /* untimed: the first window */
		mixed_live[i] = touched_alloc(a, mixed_size[MIXED_DRAWS - 1 - i]);
	for (unsigned run = 0; run < size->runs; run++) {
		uint64_t t0 = arch_cycles();
		for (unsigned i = 0; i < size->ops; i++) {
			unsigned step = i % MIXED_DRAWS, slot = mixed_slot[step];
			if (mixed_live[slot])
				a->free(mixed_live[slot]);
			mixed_live[slot] = touched_alloc(a, mixed_size[step]);
			failed |= !mixed_live[slot];
		}
		samples[run] = (arch_cycles() - t0) * 10 / size->ops;
	}
	for (int i = 0; i < BENCH_MIXED_LIVE; i++)
		if (mixed_live[i])
			a->free(mixed_live[i]);
	return failed ? UINT64_MAX : median_u64(samples, size->runs);
}

/* Median cycles per pair of size bytes with kmalloc; UINT64_MAX if an allocation failed. */
static uint64_t kmalloc_pairs(size_t size, const struct bench_size *runs)
{
	uint64_t samples[BENCH_MAX_RUNS];

	if (bench_heap_pairs_run(&bench_kmalloc, size, 1) == UINT64_MAX) /* warm-up */
		return UINT64_MAX;
	for (unsigned run = 0; run < runs->runs; run++) {
		uint64_t total = bench_heap_pairs_run(&bench_kmalloc, size, runs->ops);
		if (total == UINT64_MAX)
			return UINT64_MAX;
		samples[run] = total / runs->ops;
	}
	return median_u64(samples, runs->runs);
}

/* Median cycles per vmalloc+vfree pair of BENCH_VMALLOC_BYTES; UINT64_MAX if one failed. */
static uint64_t vmalloc_pairs(const struct bench_size *runs)
{
	uint64_t samples[BENCH_MAX_RUNS];

	for (unsigned run = 0; run < runs->runs; run++) {
		uint64_t t0 = arch_cycles();
		for (unsigned i = 0; i < runs->ops; i++) {
			void *p = vmalloc(BENCH_VMALLOC_BYTES);
			if (!p || vfree(p) != 0)
				return UINT64_MAX;
		}
		samples[run] = (arch_cycles() - t0) / runs->ops;
	}
	return median_u64(samples, runs->runs);
}

/* One row: the figure, or why there is none. tenths: the figure is in tenths of cycles. */
static void row(const char *what, uint64_t cycles, bool tenths)
{
	if (cycles == UINT64_MAX)
		kprintf("  %-32s  (an allocation failed: out of memory)\n", what);
	else if (tenths)
		kprintf("  %-32s %6lu.%lu\n", what, (unsigned long)cycles / 10,
			(unsigned long)cycles % 10);
	else
		kprintf("  %-32s %6lu\n", what, (unsigned long)cycles);
}

void bench_heap_report(const struct bench_size *pairs, const struct bench_size *vmalloc_runs)
{
	uint64_t small = kmalloc_pairs(64, pairs);
	uint64_t medium = kmalloc_pairs(256, pairs);
	uint64_t page = kmalloc_pairs(4096, pairs);
	uint64_t mixed = bench_heap_mixed(&bench_kmalloc, pairs);
	uint64_t vm = vmalloc_pairs(vmalloc_runs);

	kprintf("kernel heap, cycles per pair (median of %u runs; %u kmalloc pairs or mixed "
		"steps, %u vmalloc pairs a run):\n", pairs->runs, pairs->ops, vmalloc_runs->ops);
	row("kmalloc+kfree 64 B (magazine)", small, false);
	row("kmalloc+kfree 256 B", medium, false);
	row("kmalloc+kfree 4 KiB", page, false);
	row("mixed 8 B-8 KiB, per step", mixed, true);
	row("vmalloc+vfree 16 KiB", vm, false);
}

#ifndef PAGODA_HOST
static void bench_heap(void)
{
	bench_heap_report(&(struct bench_size){15, 1000}, &(struct bench_size){15, 100});
}

BENCHMARK(heap, "kernel heap: kmalloc pairs (64 B, 256 B, 4 KiB, mixed), vmalloc 16 KiB",
	  bench_heap);
#endif
