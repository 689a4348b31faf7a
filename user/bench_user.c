/*
 * bench_user.c - the cost of the memory manager's user-facing operations,
 * in time-stamp-counter ticks per operation.
 *
 * Five operations, each repeated many times between two rdtsc reads:
 *   getppid      the null system call (entry, dispatch, return)
 *   fault        one demand-zero fault from user mode (a store to a fresh
 *                page of an anonymous mapping)
 *   mmap_munmap  mmap one anonymous page, touch it, munmap it
 *   mprotect     mprotect one resident page (read-only and back, each a call)
 *   brk          move the break up one page, touch it, move it back
 * Under QEMU's deterministic mode (-icount shift=0: scripts/bench_user.py,
 * `make bench-user`) the TSC advances once per executed instruction, so the
 * figures are instruction counts, the same on every run; on a real CPU they
 * are cycles. The same binary runs on Linux for comparison (docs/benchmarks.md).
 *
 * Invariants:
 *   [x] each operation runs once untimed first (warm caches, lazily built
 *       tables), then ITER times timed; the loop's own few instructions count;
 *   [x] prints one line per operation: "NAME ITER ops PER per op  what";
 *       exits 1 if an operation failed (a benchmark of an error is no figure).
 * Context: `run bench_user [SCALE]` (SCALE multiplies the iteration counts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "userlib.h"

#define P 4096ul
#define FAULT_PAGES 512ul   /* pages per mapping in the fault benchmark: 2 MiB */

static void report(const char *name, unsigned long ops, uint64_t ticks, const char *what)
{
	printf("%-12s %8lu ops %8lu per op  %s\n", name, ops, (unsigned long)(ticks / ops), what);
}

static void die(const char *what)
{
	printf("bench_user: %s failed\n", what);
	exit(1);
}

static uint64_t bench_getppid(unsigned long n)
{
	syscall(SYS_getppid);
	uint64_t t0 = rdtsc();

	for (unsigned long i = 0; i < n; i++) {
		long r;

		__asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
	}
	return rdtsc() - t0;
}

static uint64_t bench_fault(unsigned long rounds)
{
	uint64_t total = 0;

	for (unsigned long r = 0; r <= rounds; r++) {
		volatile char *a = mmap(NULL, FAULT_PAGES * P, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (a == MAP_FAILED)
			die("mmap");
		uint64_t t0 = rdtsc();

		for (unsigned long i = 0; i < FAULT_PAGES; i++)
			a[i * P] = 1;
		if (r > 0)  /* round 0 warms up */
			total += rdtsc() - t0;
		munmap((void *)a, FAULT_PAGES * P);
	}
	return total;
}

static uint64_t bench_mmap_munmap(unsigned long n)
{
	uint64_t t0 = 0;

	for (unsigned long i = 0; i <= n; i++) {
		if (i == 1)
			t0 = rdtsc();
		volatile char *a = mmap(NULL, P, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (a == MAP_FAILED)
			die("mmap");
		a[0] = 1;
		if (munmap((void *)a, P) != 0)
			die("munmap");
	}
	return rdtsc() - t0;
}

static uint64_t bench_mprotect(unsigned long n)
{
	volatile char *a = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	uint64_t t0 = 0;

	if (a == MAP_FAILED)
		die("mmap");
	a[0] = 1;
	for (unsigned long i = 0; i <= n; i++) {
		if (i == 1)
			t0 = rdtsc();
		if (mprotect((void *)a, P, i % 2 ? PROT_READ | PROT_WRITE : PROT_READ) != 0)
			die("mprotect");
	}
	uint64_t ticks = rdtsc() - t0;

	munmap((void *)a, P);
	return ticks;
}

static uint64_t bench_brk(unsigned long n)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t base = (cur + P - 1) & ~(P - 1);   /* the touched page is always a new one */
	uint64_t t0 = 0;

	if ((uintptr_t)syscall(SYS_brk, base) != base)
		die("brk");
	for (unsigned long i = 0; i <= n; i++) {
		if (i == 1)
			t0 = rdtsc();
		if ((uintptr_t)syscall(SYS_brk, base + P) != base + P)
			die("brk up");
		*(volatile char *)base = 1;
		if ((uintptr_t)syscall(SYS_brk, base) != base)
			die("brk down");
	}
	uint64_t ticks = rdtsc() - t0;

	syscall(SYS_brk, cur);
	return ticks;
}

int main(int argc, char **argv)
{
	unsigned long scale = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	unsigned long n_sys = 20000 * scale, rounds = 8 * scale, n_map = 2000 * scale;

	if (scale == 0)
		scale = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench_user: TSC ticks per operation (instructions under -icount)\n");
	report("getppid", n_sys, bench_getppid(n_sys), "null system call");
	report("fault", rounds * FAULT_PAGES, bench_fault(rounds), "demand-zero fault from user mode");
	report("mmap_munmap", n_map, bench_mmap_munmap(n_map), "mmap + touch + munmap of 1 page");
	report("mprotect", n_map, bench_mprotect(n_map), "mprotect of 1 page");
	report("brk", n_map, bench_brk(n_map), "brk grow + touch + shrink");
	return 0;
}
