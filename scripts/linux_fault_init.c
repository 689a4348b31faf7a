/*
 * linux_fault_init.c - the init program of scripts/linux_fault_bench.py: it
 * runs as PID 1 of a Linux kernel booted in QEMU's deterministic mode and
 * times its own page faults with rdtsc, as `bench fault` does in Pagoda.
 *
 *   demand-zero   a write to each page of a fresh anonymous mapping
 *   COW           a write, in a child after fork(), to each page of a
 *                 mapping the parent had touched (every frame has two
 *                 owners: each write copies)
 * Each write is timed alone, from the rdtsc before the store to the one
 * after it: the exception entry, Linux's fault handler, the zeroing or
 * copying, the return to user mode and the store's retry. The figure is
 * the median over PAGES pages, then over RUNS runs; under -icount
 * shift=0 it counts instructions. Transparent huge pages are refused
 * (MADV_NOHUGEPAGE), so every fault maps one 4 KiB page.
 * Prints the results on the console, then powers the machine off.
 * Built static (gcc -static), it needs nothing else in the initramfs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 64
#define RUNS 7
#define PAGE 4096

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), compare);
	return v[n / 2];
}

/* Cycles of one write to p. */
static uint64_t timed_write(volatile char *p)
{
	uint64_t t0 = rdtsc();

	*p = 1;
	return rdtsc() - t0;
}

static char *fresh_region(void)
{
	char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		return NULL;
	}
	madvise(p, PAGES * PAGE, MADV_NOHUGEPAGE);
	return p;
}

/* Median cycles of a demand-zero fault in one run; 0 on failure. */
static uint64_t demand_zero_run(void)
{
	uint64_t samples[PAGES];
	char *p = fresh_region();

	if (!p)
		return 0;
	for (int i = 0; i < PAGES; i++)
		samples[i] = timed_write(p + i * PAGE);
	munmap(p, PAGES * PAGE);
	return median(samples, PAGES);
}

/* Median cycles of a COW fault in one run, measured in a child; 0 on failure. */
static uint64_t cow_run(void)
{
	uint64_t *result = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				-1, 0);
	char *p = fresh_region();

	if (!p || result == MAP_FAILED)
		return 0;
	for (int i = 0; i < PAGES; i++)
		p[i * PAGE] = 1; /* fault them in, untimed */
	*result = 0;
	pid_t child = fork();
	if (child == 0) {
		uint64_t samples[PAGES];
		for (int i = 0; i < PAGES; i++)
			samples[i] = timed_write(p + i * PAGE);
		*result = median(samples, PAGES);
		_exit(0);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	uint64_t r = *result;
	munmap(p, PAGES * PAGE);
	munmap(result, PAGE);
	return r;
}

int main(void)
{
	uint64_t zero[RUNS], cow[RUNS], empty[PAGES];

	for (int i = 0; i < PAGES; i++) {
		uint64_t t0 = rdtsc();
		empty[i] = rdtsc() - t0;
	}
	for (int r = 0; r < RUNS; r++) {
		zero[r] = demand_zero_run();
		cow[r] = cow_run();
	}
	printf("linux-fault-bench: rdtsc pair alone %lu\n", (unsigned long)median(empty, PAGES));
	printf("linux-fault-bench: demand-zero fault %lu\n", (unsigned long)median(zero, RUNS));
	printf("linux-fault-bench: COW fault %lu\n", (unsigned long)median(cow, RUNS));
	printf("linux-fault-bench: done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
