/*
 * paging_bench.c - `bench vmm`: what the page-table engine's operations cost.
 *
 *   4 KiB map+unmap pair   one page in the experiment range; the PD and PT
 *                          it needs are allocated by the map and freed again
 *                          by the unmap (they become empty), as in real use
 *   2 MiB map+unmap pair   one huge page, 2 MiB aligned
 *   translate              a walk of a mapped address
 *   invlpg / full flush    the bare TLB operations, for the 33-page threshold
 * Medians over BENCH_RUNS runs of BENCH_OPS. Shell context, current space.
 */
#include "kernel/bench/bench.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/kernel_space.h"

#define BENCH_RUNS 11
#define BENCH_OPS 200
#define BENCH_VA (EXPERIMENT_END - (64ull << 30)) /* top of the experiment range */

enum vmm_op { OP_MAP_4K, OP_MAP_2M, OP_TRANSLATE, OP_INVLPG, OP_FLUSH };

/* Cycles of one op (median of BENCH_RUNS runs of BENCH_OPS); 0 if a map or translate failed. */
static uint64_t bench_op(enum vmm_op op, phys_addr_t pa)
{
	uint64_t samples[BENCH_RUNS];
	struct paging_translation t;

	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < BENCH_OPS; i++) {
			switch (op) {
			case OP_MAP_4K:
				if (paging_map(current_space(), BENCH_VA, pa, PAGE_SIZE, MAP_WRITE) != 0)
					return 0;
				MUST_SUCCEED(paging_unmap(current_space(), BENCH_VA, PAGE_SIZE),
					     "bench_op: unmapping the 4 KiB page just mapped");
				break;
			case OP_MAP_2M:
				if (paging_map(current_space(), BENCH_VA, pa, PAGE_SIZE_2M, MAP_WRITE) != 0)
					return 0;
				MUST_SUCCEED(paging_unmap(current_space(), BENCH_VA, PAGE_SIZE_2M),
					     "bench_op: unmapping the 2 MiB page just mapped");
				break;
			case OP_TRANSLATE:
				if (paging_translate(current_space(), BENCH_VA, &t) != 0)
					return 0;
				break;
			case OP_INVLPG:
				arch_invalidate_page(BENCH_VA);
				break;
			case OP_FLUSH:
				arch_flush_tlb(0);
				break;
			}
		}
		samples[run] = (arch_cycles() - t0) / BENCH_OPS;
	}
	return median_u64(samples, BENCH_RUNS);
}

static void bench_vmm(void)
{
	struct page *block = alloc_pages(0, 9); /* 2 MiB, naturally aligned */

	if (!block) {
		kprintf("bench vmm: no free 2 MiB block\n");
		return;
	}
	phys_addr_t pa = page_to_phys(block);
	uint64_t map4k = bench_op(OP_MAP_4K, pa);
	uint64_t map2m = bench_op(OP_MAP_2M, pa);
	int mapped = paging_map(current_space(), BENCH_VA, pa, PAGE_SIZE, MAP_WRITE);
	uint64_t translate = bench_op(OP_TRANSLATE, pa); /* 0 unless mapped */
	uint64_t invlpg = bench_op(OP_INVLPG, pa);
	uint64_t flush = bench_op(OP_FLUSH, pa);
	if (mapped == 0)
		MUST_SUCCEED(paging_unmap(current_space(), BENCH_VA, PAGE_SIZE),
			     "bench_vmm: unmapping the 4 KiB page just mapped");
	MUST_SUCCEED(free_pages(block, 9), "bench_vmm: freeing the block just allocated");

	kprintf("page-table engine, cycles per operation (median of %d runs of %d):\n",
		BENCH_RUNS, BENCH_OPS);
	kprintf("  4 KiB map+unmap pair   %6lu\n", map4k);
	kprintf("  2 MiB map+unmap pair   %6lu\n", map2m);
	kprintf("  translate              %6lu\n", translate);
	kprintf("  invlpg (one page)      %6lu\n", invlpg);
	kprintf("  full TLB flush (CR3)   %6lu  (plus the cost of refilling the TLB)\n", flush);
}

BENCHMARK(vmm, "page tables: 4K and 2M map+unmap pairs, translate, invlpg vs flush", bench_vmm);
