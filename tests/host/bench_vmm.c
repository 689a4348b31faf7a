/*
 * bench_vmm.c - what the page-table engine's common operations cost on the
 * host's CPU (the in-kernel twin is `bench vmm`).
 *
 *   4 KiB map+unmap, tables kept   a neighbour page keeps the PT alive, so
 *                                  the pair only writes and clears a leaf
 *   4 KiB map+unmap, tables made   the space is otherwise empty: each map
 *                                  allocates PDPT, PD and PT, each unmap
 *                                  frees them (buddy per-CPU list hits)
 *   2 MiB map+unmap, tables kept   one PD entry, a neighbour keeps the PD
 *   translate                      a walk of four levels to a 4 KiB page
 * The space is not the current one, so no TLB work is counted; the cost of
 * invlpg against a full flush exists only on real hardware (see `bench vmm`
 * in the kernel). Each figure is the median over BENCH_RUNS runs of
 * BENCH_OPS operations, in TSC cycles. A measurement, not a test: nothing
 * passes or fails. Hosted program with its own main; build with -O2.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/sort.h"
#include "mm/buddy.h"
#include "mm/paging.h"
#include "tests/host/arena.h"

#define BENCH_RUNS 31
#define BENCH_OPS 20000
#define BENCH_VA 0x0000004000000000ull /* 256 GiB: PML4 slot 0 */

static struct address_space space;

static void bench_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

/* Cycles per map+unmap pair of size bytes at va, timing BENCH_OPS pairs at once. */
static uint64_t bench_map_unmap(virt_addr_t va, uint64_t size)
{
	uint64_t samples[BENCH_RUNS];

	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < BENCH_OPS; i++) {
			if (paging_map(&space, va, 0x40000000, size, MAP_WRITE) ||
			    paging_unmap(&space, va, size)) {
				fprintf(stderr, "bench_vmm: map/unmap of 0x%llx failed\n",
					(unsigned long long)va);
				exit(1);
			}
		}
		samples[run] = (arch_cycles() - t0) / BENCH_OPS;
	}
	return median_u64(samples, BENCH_RUNS);
}

/* Cycles per translate of va. */
static uint64_t bench_translate(virt_addr_t va)
{
	uint64_t samples[BENCH_RUNS];
	struct paging_translation t;
	uint64_t sink = 0;

	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < BENCH_OPS; i++) {
			MUST_SUCCEED(paging_translate(&space, va + (uint64_t)(i & 7) * 8, &t),
				     "bench_translate: va was mapped above");
			sink += t.pa;
		}
		samples[run] = (arch_cycles() - t0) / BENCH_OPS;
	}
	if (sink == 1) /* keeps the loop from being optimized away */
		printf("\n");
	return median_u64(samples, BENCH_RUNS);
}

int main(void)
{
	kprintf_set_output(bench_write);
	if (arena_build_default() != 0 || paging_create(&space, NULL) != 0) {
		fprintf(stderr, "bench_vmm: cannot build the arena allocator or the space\n");
		return 1;
	}
	uint64_t cold_4k = bench_map_unmap(BENCH_VA, PAGE_SIZE);
	/* neighbours that keep the tables: a 4 KiB page and a 2 MiB page */
	if (paging_map(&space, BENCH_VA + PAGE_SIZE, 0, PAGE_SIZE, 0) ||
	    paging_map(&space, BENCH_VA + 4 * PAGE_SIZE_2M, 0, PAGE_SIZE_2M, 0)) {
		fprintf(stderr, "bench_vmm: cannot map the neighbours\n");
		return 1;
	}
	uint64_t warm_4k = bench_map_unmap(BENCH_VA, PAGE_SIZE);
	uint64_t warm_2m = bench_map_unmap(BENCH_VA + 2 * PAGE_SIZE_2M, PAGE_SIZE_2M);
	uint64_t translate = bench_translate(BENCH_VA + PAGE_SIZE);

	printf("page-table engine on the host (TSC cycles, median of %d runs of %d ops)\n",
	       BENCH_RUNS, BENCH_OPS);
	printf("  4 KiB map+unmap, tables kept   %6llu\n", (unsigned long long)warm_4k);
	printf("  4 KiB map+unmap, tables made   %6llu\n", (unsigned long long)cold_4k);
	printf("  2 MiB map+unmap, tables kept   %6llu\n", (unsigned long long)warm_2m);
	printf("  translate (4 levels)           %6llu\n", (unsigned long long)translate);
	printf("  invlpg vs full flush           n/a on the host: see `bench vmm` in the kernel\n");
	paging_destroy(&space);
	return 0;
}
