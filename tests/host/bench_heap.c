/*
 * bench_heap.c - the kernel heap (kmalloc over the slab allocator, on the
 * simulated RAM arena) beside the C libraries' general-purpose allocators,
 * on the host's CPU. The in-kernel twin is `bench heap` (kernel/bench/heap_bench.c).
 *
 *   64 B / 256 B / 4 KiB pair   malloc+free of one size, over and over: the
 *                               fast path (kmalloc's per-CPU magazine)
 *   mixed                       a window of MIXED_LIVE live blocks; each
 *                               step frees a random one and allocates a
 *                               random size in its place (log-uniform over
 *                               8 B..8 KiB, drawn before timing)
 * Peers: glibc malloc/free, mimalloc (mi_malloc/mi_free) and jemalloc. The
 * two libraries are loaded with dlopen and called through dlsym pointers,
 * so they live beside glibc in one process without replacing its malloc
 * (Debian's jemalloc exports plain malloc/free, no je_ prefix). jemalloc
 * keeps 2.6 KiB of initial-exec thread-local storage, more than glibc
 * leaves spare for dlopen, so main re-executes the program once with the
 * GLIBC_TUNABLES setting that reserves more. A library that cannot be
 * loaded is reported with the reason. Every allocator is called through
 * a function pointer, and each block gets one byte written, so no call is
 * optimized away. Note the playing field is not quite level: kmalloc here
 * runs single-threaded with no-op interrupt masking (tests/host/
 * mm_arch_host.c), the libraries are thread-safe.
 *
 * Also printed: the internal fragmentation on a realistic size mix (usable
 * size against requested size). Figures are TSC cycles, medians of
 * BENCH_RUNS runs. A measurement, not a test: nothing passes or fails.
 * Hosted program with its own main; build with -O2, no sanitizers.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/sort.h"
#include "mm/arch.h"
#include "mm/kmalloc.h"
#include "mm/slab.h"
#include "tests/host/arena.h"

#define BENCH_RUNS 31
#define PAIR_OPS 100000     /* pairs per run of the one-size workloads */
#define MIXED_OPS 100000    /* free+malloc steps per run of the mixed workload */
#define MIXED_LIVE 1000     /* live blocks in the mixed workload's window */
#define FRAG_SAMPLES 100000 /* allocations measured for the fragmentation figure */

struct allocator {
	const char *name;
	void *(*alloc)(size_t size);
	void (*free)(void *p);
	size_t (*usable)(void *p); /* usable size of a block, NULL if unknown */
	bool present;
	char missing[256];         /* why it could not be loaded */
};

static void *ours_alloc(size_t size)
{
	return kmalloc(size, 0);
}

static void ours_free(void *p)
{
	kfree(p);
}

static size_t ours_usable(void *p)
{
	return ksize(p);
}

enum { OURS, GLIBC, MIMALLOC, JEMALLOC, ALLOCATORS };

static struct allocator allocators[ALLOCATORS] = {
	[OURS] = {"kmalloc", ours_alloc, ours_free, ours_usable, true, ""},
	[GLIBC] = {"glibc", malloc, free, malloc_usable_size, true, ""},
	[MIMALLOC] = {"mimalloc", NULL, NULL, NULL, false, ""},
	[JEMALLOC] = {"jemalloc", NULL, NULL, NULL, false, ""},
};

/* Fill in a from library `file`'s symbols; on failure it stays absent. */
static void load_library(struct allocator *a, const char *file, const char *alloc_name,
			 const char *free_name, const char *usable_name)
{
	void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		snprintf(a->missing, sizeof(a->missing), "%s", dlerror());
		return;
	}
	a->alloc = (void *(*)(size_t))dlsym(handle, alloc_name);
	a->free = (void (*)(void *))dlsym(handle, free_name);
	a->usable = (size_t (*)(void *))dlsym(handle, usable_name);
	a->present = a->alloc && a->free;
	if (!a->present)
		snprintf(a->missing, sizeof(a->missing), "%s has no %s or %s", file, alloc_name,
			 free_name);
}

/*
 * Make room for dlopen'ed libraries with initial-exec TLS (jemalloc): glibc
 * sizes the static TLS block at startup, so the setting must be in the
 * environment before the program starts. Re-execute once with it; if that
 * fails, go on (jemalloc will then be reported as not loadable).
 */
static void reserve_static_tls(char **argv)
{
	static char setting[1024];
	const char *tunables = getenv("GLIBC_TUNABLES");

	if (tunables && strstr(tunables, "glibc.rtld.optional_static_tls"))
		return;
	snprintf(setting, sizeof(setting), "%s%sglibc.rtld.optional_static_tls=16384",
		 tunables ? tunables : "", tunables ? ":" : "");
	if (setenv("GLIBC_TUNABLES", setting, 1) == 0)
		execv("/proc/self/exe", argv);
}

static void bench_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

static void *checked_alloc(const struct allocator *a, size_t size)
{
	char *p = a->alloc(size);

	if (!p) {
		fprintf(stderr, "bench_heap: %s: allocation of %zu bytes failed\n", a->name, size);
		exit(1);
	}
	*(volatile char *)p = (char)size; /* touch the block, as a real caller would */
	return p;
}

/* One run of PAIR_OPS alloc+free pairs of size bytes with a: total cycles. */
static uint64_t pairs_run(const struct allocator *a, size_t size)
{
	uint64_t t0 = arch_cycles();

	for (int i = 0; i < PAIR_OPS; i++)
		a->free(checked_alloc(a, size));
	return arch_cycles() - t0;
}

/*
 * Tenths of cycles per alloc+free pair of size bytes for every present
 * allocator, into per_pair[]. The runs are interleaved (run 1 of each allocator, then
 * run 2 of each, ...) so that a slow spell of the machine (a neighbour on
 * the host, a frequency change) hits every allocator alike and the ratios
 * stay fair; each figure is the median of its BENCH_RUNS runs.
 */
static void bench_pairs(size_t size, uint64_t per_pair[])
{
	static uint64_t samples[ALLOCATORS][BENCH_RUNS];

	for (int a = 0; a < ALLOCATORS; a++)
		if (allocators[a].present) /* warm up: the first call fills caches */
			allocators[a].free(checked_alloc(&allocators[a], size));
	for (int run = 0; run < BENCH_RUNS; run++)
		for (int a = 0; a < ALLOCATORS; a++)
			if (allocators[a].present)
				samples[a][run] = pairs_run(&allocators[a], size) * 10 / PAIR_OPS;
	for (int a = 0; a < ALLOCATORS; a++)
		if (allocators[a].present)
			per_pair[a] = median_u64(samples[a], BENCH_RUNS);
}

/* A size log-uniform over [8, 8192]: as many 16-32 byte blocks as 4-8 KiB ones. */
static size_t random_size(uint64_t *state)
{
	unsigned bits = 3 + (unsigned)random_below(state, 10);
	size_t size = ((size_t)1 << bits) + random_below(state, (size_t)1 << bits);

	return size > KMALLOC_MAX_CACHE_SIZE ? KMALLOC_MAX_CACHE_SIZE : size;
}

/* The mixed workload's steps, drawn once so that every allocator replays the same. */
static size_t mixed_size[MIXED_OPS];
static unsigned mixed_slot[MIXED_OPS];

static void mixed_prepare(void)
{
	uint64_t state = 0x5eed;

	for (int i = 0; i < MIXED_OPS; i++) {
		mixed_size[i] = random_size(&state);
		mixed_slot[i] = (unsigned)random_below(&state, MIXED_LIVE);
	}
}

/* Tenths of cycles per step (free a random live block, allocate a random size in its slot). */
static uint64_t bench_mixed(const struct allocator *a)
{
	static void *live[MIXED_LIVE];
	uint64_t samples[BENCH_RUNS];

	for (int i = 0; i < MIXED_LIVE; i++) /* untimed: the first window */
		live[i] = checked_alloc(a, mixed_size[MIXED_OPS - 1 - i]);
	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = arch_cycles();
		for (int i = 0; i < MIXED_OPS; i++) {
			unsigned slot = mixed_slot[i];
			a->free(live[slot]);
			live[slot] = checked_alloc(a, mixed_size[i]);
		}
		samples[run] = (arch_cycles() - t0) * 10 / MIXED_OPS;
	}
	for (int i = 0; i < MIXED_LIVE; i++)
		a->free(live[i]);
	return median_u64(samples, BENCH_RUNS);
}

/*
 * Internal fragmentation of a on a realistic size mix, in permille:
 * (usable - requested) / usable over FRAG_SAMPLES blocks. The mix: three in
 * four sizes log-uniform over 8 B..8 KiB, one in four a typical kernel
 * structure size (the mix of tests/host/test_slab.c). Per-block headers that
 * a library keeps outside the usable size (glibc's 8 bytes) are not counted.
 * pow2 (may be NULL) receives the waste of rounding up to powers of two.
 */
static uint64_t fragmentation(const struct allocator *a, uint64_t *pow2)
{
	static const size_t typical[] = {24, 40, 56, 72, 88, 104, 136, 168, 184, 200, 264, 320,
					 576, 1500, 1800};
	uint64_t state = 0xf00d, requested = 0, usable = 0, pow2_usable = 0;

	for (int i = 0; i < FRAG_SAMPLES; i++) {
		size_t size = i % 4 == 0 ?
			typical[random_below(&state, sizeof(typical) / sizeof(typical[0]))] :
			random_size(&state);
		void *p = checked_alloc(a, size);
		requested += size;
		usable += a->usable(p);
		size_t rounded = 8;
		while (rounded < size)
			rounded <<= 1;
		pow2_usable += rounded;
		a->free(p);
	}
	if (pow2)
		*pow2 = (pow2_usable - requested) * 1000 / pow2_usable;
	return (usable - requested) * 1000 / usable;
}

static const struct {
	const char *name;
	size_t size; /* 0: the mixed workload */
} workloads[] = {
	{"64 B pair", 64},
	{"256 B pair", 256},
	{"4 KiB pair", 4096},
	{"mixed 8 B-8 KiB", 0},
};
#define WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

int main(int argc, char **argv)
{
	(void)argc;
	reserve_static_tls(argv);
	kprintf_set_output(bench_write);
	if (arena_build_default() != 0) {
		fprintf(stderr, "bench_heap: cannot build the arena allocator\n");
		return 1;
	}
	slab_init();
	MUST_SUCCEED(slab_set_debug(false), "main: no cache holds a slab yet");
	kmalloc_init();
	load_library(&allocators[MIMALLOC], "libmimalloc.so.2", "mi_malloc", "mi_free",
		     "mi_usable_size");
	load_library(&allocators[JEMALLOC], "libjemalloc.so.2", "malloc", "free",
		     "malloc_usable_size");
	mixed_prepare();

	uint64_t cycles[WORKLOADS][ALLOCATORS];
	for (size_t w = 0; w < WORKLOADS; w++) {
		if (workloads[w].size) {
			bench_pairs(workloads[w].size, cycles[w]);
			continue;
		}
		for (int a = 0; a < ALLOCATORS; a++)
			if (allocators[a].present)
				cycles[w][a] = bench_mixed(&allocators[a]);
	}

	printf("kernel heap on the host beside malloc libraries, TSC cycles per pair\n");
	printf("(median of %d runs; %d pairs a run, mixed: %d steps over %d live blocks)\n",
	       BENCH_RUNS, PAIR_OPS, MIXED_OPS, MIXED_LIVE);
	for (int a = 1; a < ALLOCATORS; a++)
		if (!allocators[a].present)
			printf("  %s: not installed or not loadable (sh scripts/deps.sh bench): %s\n",
			       allocators[a].name, allocators[a].missing);
	printf("  %-16s", "workload");
	for (int a = 0; a < ALLOCATORS; a++)
		printf(" %9s", allocators[a].name);
	for (int a = 1; a < ALLOCATORS; a++)
		printf("   ours/%-8s", allocators[a].name);
	printf("\n");
	for (size_t w = 0; w < WORKLOADS; w++) {
		printf("  %-16s", workloads[w].name);
		for (int a = 0; a < ALLOCATORS; a++) {
			if (allocators[a].present)
				printf(" %9.1f", cycles[w][a] / 10.0);
			else
				printf(" %9s", "-");
		}
		for (int a = 1; a < ALLOCATORS; a++) {
			if (allocators[a].present && cycles[w][a])
				printf("   %11.2fx ", (double)cycles[w][OURS] / cycles[w][a]);
			else
				printf("   %11s ", "-");
		}
		printf("\n");
	}
	printf("  (ours/peer < 1: kmalloc is faster)\n");

	uint64_t pow2;
	uint64_t ours = fragmentation(&allocators[OURS], &pow2);
	printf("internal fragmentation on a realistic size mix ((usable - requested) / usable):\n");
	printf("  kmalloc size classes   %2llu.%llu%%   (powers of two only: %llu.%llu%%)\n",
	       (unsigned long long)ours / 10, (unsigned long long)ours % 10,
	       (unsigned long long)pow2 / 10, (unsigned long long)pow2 % 10);
	for (int a = 1; a < ALLOCATORS; a++) {
		if (!allocators[a].present || !allocators[a].usable)
			continue;
		uint64_t waste = fragmentation(&allocators[a], NULL);
		printf("  %-22s %2llu.%llu%%%s\n", allocators[a].name, (unsigned long long)waste / 10,
		       (unsigned long long)waste % 10,
		       a == GLIBC ? "   (its 8-byte chunk headers not counted)" : "");
	}
	return 0;
}
