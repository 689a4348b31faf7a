/*
 * paging_bench.c - what the page-table engine's operations cost: `bench vmm`
 * in the kernel, build/bench/bench_vmm on the host (bench.h).
 *
 *   4 KiB map+unmap, tables made   nothing else mapped near: each map
 *                                  allocates the tables it needs (PD and PT,
 *                                  and a PDPT in a user half), each unmap
 *                                  frees them again (they become empty)
 *   4 KiB map+unmap, tables kept   a neighbour page keeps the PT alive, so
 *                                  the pair only writes and clears a leaf
 *   2 MiB map+unmap, tables kept   one PD entry, a neighbour keeps the PD
 *   translate                      a walk of four levels to a 4 KiB page
 *   invlpg / full flush            the bare TLB operations, for the 33-page
 *                                  threshold (kernel only: the host has no TLB
 *                                  to time, and its space is not current)
 * The kernel runs in the current space at the top of the experiment window,
 * where the TLB work is real; the host in a space of its own. Medians over
 * size->runs runs of size->ops operations.
 *
 * Invariants:
 *   [x] what it maps it unmaps, the 2 MiB block it takes it frees.
 * Context: the shell (current space), or the host program's main.
 */
#include "kernel/bench/bench.h"

#include "lib/errno.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/paging.h"

enum vmm_op { OP_MAP_4K, OP_MAP_2M, OP_TRANSLATE, OP_INVLPG, OP_FLUSH };

static unsigned failures; /* maps or unmaps that failed: reported, not hidden */

/* Cycles per op at va (pa: what a map points to), timing size->ops at once. */
static uint64_t bench_op(struct address_space *as, enum vmm_op op, virt_addr_t va,
			 phys_addr_t pa, const struct bench_size *size)
{
	uint64_t samples[BENCH_MAX_RUNS];
	struct paging_translation t;

	for (unsigned run = 0; run < size->runs; run++) {
		uint64_t t0 = arch_cycles();
		for (unsigned i = 0; i < size->ops; i++) {
			switch (op) {
			case OP_MAP_4K:
				if (paging_map(as, va, pa, PAGE_SIZE, MAP_WRITE) != 0 ||
				    paging_unmap(as, va, PAGE_SIZE) != 0)
					failures++;
				break;
			case OP_MAP_2M:
				if (paging_map(as, va, pa, PAGE_SIZE_2M, MAP_WRITE) != 0 ||
				    paging_unmap(as, va, PAGE_SIZE_2M) != 0)
					failures++;
				break;
			case OP_TRANSLATE:
				if (paging_translate(as, va + (i & 7) * 8, &t) != 0)
					failures++;
				break;
			case OP_INVLPG:
				arch_invalidate_page(va);
				break;
			case OP_FLUSH:
				arch_flush_tlb(0);
				break;
			}
		}
		samples[run] = (arch_cycles() - t0) / size->ops;
	}
	return median_u64(samples, size->runs);
}

int bench_vmm_report(struct address_space *as, virt_addr_t va, bool tlb_ops,
		     const struct bench_size *size)
{
	struct page *block = alloc_pages(0, 9); /* 2 MiB, naturally aligned */

	if (!block) {
		kprintf("bench vmm: no free 2 MiB block\n");
		return -ENOMEM;
	}
	phys_addr_t pa = page_to_phys(block);
	virt_addr_t neighbour_4k = va + PAGE_SIZE, neighbour_2m = va + 4 * PAGE_SIZE_2M;
	failures = 0;
	uint64_t cold_4k = bench_op(as, OP_MAP_4K, va, pa, size);
	/* Neighbours that keep the tables: a 4 KiB page and a 2 MiB page. */
	int err = paging_map(as, neighbour_4k, pa, PAGE_SIZE, 0);
	if (err == 0) {
		err = paging_map(as, neighbour_2m, pa, PAGE_SIZE_2M, 0);
		if (err != 0 && paging_unmap(as, neighbour_4k, PAGE_SIZE) != 0)
			failures++;
	}
	if (err != 0) {
		kprintf("bench vmm: cannot map at 0x%lx (%s): is something mapped there?\n",
			neighbour_4k, errno_name(err));
		if (free_pages(block, 9) != 0)
			kprintf("bench vmm: the 2 MiB block could not be freed\n");
		return err;
	}
	uint64_t warm_4k = bench_op(as, OP_MAP_4K, va, pa, size);
	uint64_t warm_2m = bench_op(as, OP_MAP_2M, va + 2 * PAGE_SIZE_2M, pa, size);
	uint64_t translate = bench_op(as, OP_TRANSLATE, neighbour_4k, pa, size);
	uint64_t invlpg = tlb_ops ? bench_op(as, OP_INVLPG, neighbour_4k, pa, size) : 0;
	uint64_t flush = tlb_ops ? bench_op(as, OP_FLUSH, neighbour_4k, pa, size) : 0;
	if (paging_unmap(as, neighbour_4k, PAGE_SIZE) != 0 ||
	    paging_unmap(as, neighbour_2m, PAGE_SIZE_2M) != 0 || free_pages(block, 9) != 0)
		failures++;

	kprintf("page-table engine, cycles per operation (median of %u runs of %u):\n",
		size->runs, size->ops);
	kprintf("  4 KiB map+unmap, tables made   %6lu\n", (unsigned long)cold_4k);
	kprintf("  4 KiB map+unmap, tables kept   %6lu\n", (unsigned long)warm_4k);
	kprintf("  2 MiB map+unmap, tables kept   %6lu\n", (unsigned long)warm_2m);
	kprintf("  translate (4 levels)           %6lu\n", (unsigned long)translate);
	if (tlb_ops) {
		kprintf("  invlpg (one page)              %6lu\n", (unsigned long)invlpg);
		kprintf("  full TLB flush (CR3)           %6lu  (plus the cost of refilling the "
			"TLB)\n", (unsigned long)flush);
	} else {
		kprintf("  invlpg vs full flush           n/a here: see `bench vmm` in the kernel\n");
	}
	if (failures)
		kprintf("  (%u operations failed: the figures are wrong)\n", failures);
	return 0;
}

#ifndef PAGODA_HOST
#include "mm/kernel_space.h"

#define BENCH_VA 0xffffc7f000000000ull /* top of the experiment window, 1 GiB aligned */

static void bench_vmm(void)
{
	(void)bench_vmm_report(current_space(), BENCH_VA, true, &(struct bench_size){11, 200});
}

BENCHMARK(vmm, "page tables: 4K and 2M map+unmap pairs, translate, invlpg vs flush", bench_vmm);
#endif
