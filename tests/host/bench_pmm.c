/*
 * bench_pmm.c - `bench pmm` on the host's CPU: the body of
 * kernel/bench/pmm_bench.c over the simulated RAM arena (tests/host/arena.c),
 * with more repetitions, then the allocator's invariants checked.
 * Figures are host TSC cycles. A measurement, not a test: nothing passes or
 * fails but the invariants. Hosted program with its own main; build with
 * -O2, no sanitizers (the Makefile's bench rules).
 */
#include <stdio.h>

#include "kernel/bench/bench.h"
#include "lib/printf.h"
#include "mm/buddy.h"
#include "tests/host/arena.h"

static void bench_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

int main(void)
{
	kprintf_set_output(bench_write);
	if (arena_build_default() != 0) {
		fprintf(stderr, "bench_pmm: cannot build the arena allocator\n");
		return 1;
	}
	printf("on the host: %lu MiB arena, TSC cycles\n",
	       (unsigned long)(ARENA_DEFAULT_SIZE >> 20));
	bench_pmm_report(&(struct bench_size){31, 100000});
	const char *bad = buddy_check_invariants();
	printf("invariants afterwards: %s\n", bad ? bad : "hold");
	return bad != NULL;
}
