/*
 * bench_heap.c - `bench heap` on the host's CPU, then the kernel heap beside
 * the C libraries' general-purpose allocators. The workloads are the body of
 * kernel/bench/heap_bench.c (64 B / 256 B / 4 KiB pairs, the mixed 8 B-8 KiB
 * window, vmalloc+vfree 16 KiB), run over the simulated RAM arena; this
 * program first prints that body's own report, then runs the same pair and
 * mixed workloads with each peer (host only):
 *
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

#include "kernel/bench/bench.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "tests/host/arena.h"

#define BENCH_RUNS 31
#define PAIR_OPS 100000     /* pairs per run of the one-size workloads */
#define MIXED_OPS 100000    /* free+malloc steps per run of the mixed workload */
#define FRAG_SAMPLES 100000 /* allocations measured for the fragmentation figure */

struct allocator {
	struct bench_allocator b;  /* name, alloc, free: what the workloads call */
	size_t (*usable)(void *p); /* usable size of a block, NULL if unknown */
	bool present;
	char missing[256];         /* why it could not be loaded */
};

static size_t ours_usable(void *p)
{
	return ksize(p);
}

enum { OURS, GLIBC, MIMALLOC, JEMALLOC, ALLOCATORS };

static struct allocator allocators[ALLOCATORS] = {
	[GLIBC] = {{"glibc", malloc, free}, malloc_usable_size, true, ""},
	[MIMALLOC] = {{"mimalloc", NULL, NULL}, NULL, false, ""},
	[JEMALLOC] = {{"jemalloc", NULL, NULL}, NULL, false, ""},
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
	a->b.alloc = (void *(*)(size_t))dlsym(handle, alloc_name);
	a->b.free = (void (*)(void *))dlsym(handle, free_name);
	a->usable = (size_t (*)(void *))dlsym(handle, usable_name);
	a->present = a->b.alloc && a->b.free;
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
	char *p = a->b.alloc(size);

	if (!p) {
		fprintf(stderr, "bench_heap: %s: allocation of %zu bytes failed\n", a->b.name, size);
		exit(1);
	}
	*(volatile char *)p = (char)size; /* touch the block, as a real caller would */
	return p;
}

/* One run of PAIR_OPS pairs of size bytes with a (the shared workload): total cycles. */
static uint64_t pairs_run(const struct allocator *a, size_t size)
{
	uint64_t cycles = bench_heap_pairs_run(&a->b, size, PAIR_OPS);

	if (cycles == UINT64_MAX) {
		fprintf(stderr, "bench_heap: %s: an allocation of %zu bytes failed\n", a->b.name,
			size);
		exit(1);
	}
	return cycles;
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
			allocators[a].b.free(checked_alloc(&allocators[a], size));
	for (int run = 0; run < BENCH_RUNS; run++)
		for (int a = 0; a < ALLOCATORS; a++)
			if (allocators[a].present)
				samples[a][run] = pairs_run(&allocators[a], size) * 10 / PAIR_OPS;
	for (int a = 0; a < ALLOCATORS; a++)
		if (allocators[a].present)
			per_pair[a] = median_u64(samples[a], BENCH_RUNS);
}

/* Tenths of cycles per step of the shared mixed workload with a. */
static uint64_t bench_mixed(const struct allocator *a)
{
	uint64_t tenths = bench_heap_mixed(&a->b, &(struct bench_size){BENCH_RUNS, MIXED_OPS});

	if (tenths == UINT64_MAX) {
		fprintf(stderr, "bench_heap: %s: an allocation failed in the mixed workload\n",
			a->b.name);
		exit(1);
	}
	return tenths;
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
			bench_heap_random_size(&state);
		void *p = checked_alloc(a, size);
		requested += size;
		usable += a->usable(p);
		size_t rounded = 8;
		while (rounded < size)
			rounded <<= 1;
		pow2_usable += rounded;
		a->b.free(p);
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
	static struct address_space space; /* vmalloc's window lives in a space of its own */
	if (paging_create(&space, NULL) != 0 || vmalloc_init(&space, VMALLOC_START, 1ull << 30)) {
		fprintf(stderr, "bench_heap: cannot set up vmalloc over the arena\n");
		return 1;
	}
	allocators[OURS] = (struct allocator){bench_kmalloc, ours_usable, true, ""};
	printf("on the host: %lu MiB arena, TSC cycles\n",
	       (unsigned long)(ARENA_DEFAULT_SIZE >> 20));
	bench_heap_report(&(struct bench_size){BENCH_RUNS, PAIR_OPS},
			  &(struct bench_size){BENCH_RUNS, 1000});
	printf("\n");
	load_library(&allocators[MIMALLOC], "libmimalloc.so.2", "mi_malloc", "mi_free",
		     "mi_usable_size");
	load_library(&allocators[JEMALLOC], "libjemalloc.so.2", "malloc", "free",
		     "malloc_usable_size");

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
	       BENCH_RUNS, PAIR_OPS, MIXED_OPS, BENCH_MIXED_LIVE);
	for (int a = 1; a < ALLOCATORS; a++)
		if (!allocators[a].present)
			printf("  %s: not installed or not loadable (sh scripts/deps.sh bench): %s\n",
			       allocators[a].b.name, allocators[a].missing);
	printf("  %-16s", "workload");
	for (int a = 0; a < ALLOCATORS; a++)
		printf(" %9s", allocators[a].b.name);
	for (int a = 1; a < ALLOCATORS; a++)
		printf("   ours/%-8s", allocators[a].b.name);
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
		printf("  %-22s %2llu.%llu%%%s\n", allocators[a].b.name, (unsigned long long)waste / 10,
		       (unsigned long long)waste % 10,
		       a == GLIBC ? "   (its 8-byte chunk headers not counted)" : "");
	}
	return 0;
}
