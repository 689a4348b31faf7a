/*
 * bench.h - in-kernel benchmarks, run from the shell with `bench NAME`.
 *
 * Performance is measured, never asserted: a benchmark prints cycle counts
 * (rdtsc) and nothing fails. Each subsystem registers its own with
 * BENCHMARK(), which drops a pointer into the linker section "benchmarks",
 * like shell commands and selftest suites. Shell context.
 */
#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include <stddef.h>
#include <stdint.h>

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

#endif
