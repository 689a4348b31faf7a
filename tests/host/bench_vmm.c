/*
 * bench_vmm.c - `bench vmm` on the host's CPU: the body of
 * kernel/bench/paging_bench.c over the simulated RAM arena, in an address
 * space of its own (not the current one: no TLB work is counted, and the
 * invlpg/flush rows exist only in the kernel), with more repetitions.
 * Figures are host TSC cycles. A measurement, not a test: nothing passes or
 * fails. Hosted program with its own main; build with -O2, no sanitizers.
 */
#include <stdio.h>

#include "kernel/bench/bench.h"
#include "lib/printf.h"
#include "mm/paging.h"
#include "tests/host/arena.h"

#define BENCH_VA 0x0000004000000000ull /* 256 GiB: PML4 slot 0, 1 GiB aligned */

static void bench_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

int main(void)
{
	static struct address_space space;

	kprintf_set_output(bench_write);
	if (arena_build_default() != 0 || paging_create(&space, NULL) != 0) {
		fprintf(stderr, "bench_vmm: cannot build the arena allocator or the space\n");
		return 1;
	}
	printf("on the host: %lu MiB arena, a space that is not current, TSC cycles\n",
	       (unsigned long)(ARENA_DEFAULT_SIZE >> 20));
	int err = bench_vmm_report(&space, BENCH_VA, false, &(struct bench_size){31, 20000});
	paging_destroy(&space);
	return err != 0;
}
