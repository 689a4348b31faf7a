/*
 * bench.h - the memory manager's benchmarks: one body per subsystem, run by
 * the kernel's `bench NAME` and by the host programs of `make bench`.
 *
 * Performance is measured, never asserted: a benchmark prints cycle counts
 * (arch_cycles: rdtsc) and nothing fails. Each body file (pmm_bench.c,
 * paging_bench.c, heap_bench.c) measures its workloads and prints them
 * with kprintf; it is compiled into the kernel, where BENCHMARK() registers
 * it for the shell (a pointer in the linker section "benchmarks", like
 * shell commands and selftest suites), and into a host program
 * (tests/host/bench_*.c, with -DPAGODA_HOST), which sets up the simulated
 * RAM arena, calls the same body with more repetitions and adds what only
 * the host can measure (the heap beside glibc, mimalloc and jemalloc).
 * `bench fault` (fault_bench.c) needs real page faults: kernel only.
 * docs/benchmarks.md describes the figures and the deterministic mode.
 *
 * Invariants:
 *   [x] a body leaves the allocator and the address space as it found them;
 *   [x] the kernel and the host run the same workloads, timed the same way.
 * Context: the shell, or a host program's main; one CPU.
 */
#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/layout.h"

struct benchmark {
	const char *name;        /* `bench NAME` */
	const char *description; /* one line for `bench` without arguments */
	void (*run)(void);       /* prints its results */
};

#define BENCHMARK(bench_name, bench_description, bench_fn)                          \
	static const struct benchmark benchmark_##bench_name = {#bench_name,            \
								 bench_description, bench_fn}; \
	static const struct benchmark *const benchmark_ptr_##bench_name                 \
		__attribute__((used, section("benchmarks"))) = &benchmark_##bench_name

/* Benchmarks take medians with median_u64() from lib/sort.h. */
#include "lib/sort.h"

/* How much to repeat: each figure is the median over runs of ops operations each. */
struct bench_size {
	unsigned runs; /* at most BENCH_MAX_RUNS */
	unsigned ops;
};
#define BENCH_MAX_RUNS 64

/* ---- pmm_bench.c ---------------------------------------------------------- */

/*
 * The page allocator's alloc+free pairs: order 0 with the per-CPU list hit,
 * order 0 with it drained before each pair (timed one pair at a time, so
 * the counter's own cost is shown beside it), order 9. Prints the table.
 */
void bench_pmm_report(const struct bench_size *size);

/* ---- paging_bench.c ------------------------------------------------------- */

struct address_space;

/*
 * The page-table engine in as, at va (1 GiB aligned, nothing mapped in the
 * 16 MiB from va): 4 KiB map+unmap pairs with the tables made and freed
 * each time, and with them kept by a neighbour; 2 MiB pairs; a translate;
 * with tlb_ops, invlpg and a full flush (meaningless on the host). Maps a
 * 2 MiB block of its own. Prints the table; returns 0, or -ENOMEM /
 * -EEXIST (the block or a mapping failed, nothing measured, nothing kept).
 */
int bench_vmm_report(struct address_space *as, virt_addr_t va, bool tlb_ops,
		     const struct bench_size *size);

/* ---- heap_bench.c --------------------------------------------------------- */

/* A general-purpose allocator, called through pointers (kmalloc, or a C library's). */
struct bench_allocator {
	const char *name;
	void *(*alloc)(size_t size);
	void (*free)(void *p);
};

/* kmalloc(size, 0) and kfree. */
extern const struct bench_allocator bench_kmalloc;

#define BENCH_MIXED_LIVE 1000 /* live blocks in the mixed workload's window */

/*
 * A size log-uniform over [8, 8192] (as many 16-32 byte blocks as 4-8 KiB
 * ones), capped at KMALLOC_MAX_CACHE_SIZE, from the generator state.
 */
size_t bench_heap_random_size(uint64_t *state);

/*
 * One run of ops alloc+free pairs of size bytes with a (each block gets one
 * byte written, as a caller would): total cycles. Exits or returns
 * UINT64_MAX if an allocation failed.
 */
uint64_t bench_heap_pairs_run(const struct bench_allocator *a, size_t size, unsigned ops);

/*
 * The mixed workload: BENCH_MIXED_LIVE live blocks, each step frees a
 * random one and allocates a size log-uniform over 8 B..8 KiB in its place
 * (drawn before timing, the same for every allocator). Fill the window,
 * time ops steps per run for size->runs runs, free the window: the median
 * cycles per step, times 10 (tenths); UINT64_MAX if an allocation failed.
 */
uint64_t bench_heap_mixed(const struct bench_allocator *a, const struct bench_size *size);

/*
 * kmalloc+kfree pairs of 64 B, 256 B, 4 KiB and the mixed workload, and
 * vmalloc+vfree pairs of 16 KiB (vmalloc must be initialized). Prints the table.
 */
void bench_heap_report(const struct bench_size *pairs, const struct bench_size *vmalloc_pairs);

#endif
