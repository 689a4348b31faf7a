/*
 * bench_user.c - the cost of the memory manager's user-facing operations,
 * in time-stamp-counter ticks per operation.
 *
 * Ten operations, each repeated many times between two rdtsc reads:
 *   getppid      the null system call (entry, dispatch, return)
 *   fault        one demand-zero fault from user mode (a store to a fresh
 *                page of an anonymous mapping)
 *   mmap_munmap  mmap one anonymous page, touch it, munmap it
 *   mprotect     mprotect one resident page (read-only and back, each a call)
 *   brk          move the break up one page, touch it, move it back
 *   cow          a store, in a child after fork, to a page the parent shares
 *   fork         fork, the child's _exit(0), the parent's wait4 of it
 *   pipe         one byte to a child through a pipe and one byte back
 *   ipc_call     Pagoda's IPC round trip: ipc_call to a child serving with
 *                ipc_reply_recv, one payload word each way
 *   ipc_map      the same call carrying a one-page MAP item (the child reads
 *                the page, munmaps it and replies): mapping a page by IPC
 * The two ipc rows are Pagoda's own calls: on Linux (-ENOSYS) they print
 * "not applicable" (scripts/bench_user.py sets Linux's pipe round trip
 * beside ipc_call).
 * Under QEMU's deterministic mode (-icount shift=0: scripts/bench_user.py,
 * `make bench-user`) the TSC advances once per executed instruction, so the
 * figures are instruction counts, the same on every run; on a real CPU they
 * are cycles. The same binary runs on Linux for comparison (docs/benchmarks.md).
 *
 * Invariants:
 *   [x] each operation runs once untimed first (warm caches, lazily built
 *       tables), then ITER times timed; the loop's own few instructions count;
 *   [x] prints one line per operation: "NAME ITER ops PER per op  what"
 *       ("NAME not applicable: why" for an IPC row on Linux); exits 1 if an
 *       operation failed (a benchmark of an error is no figure);
 *   [x] fork, exit and wait are raw system calls (no libc wrapper work), and
 *       every child it forks is waited for before the next operation starts.
 * Context: `run bench_user [SCALE [NAME...]]` (SCALE multiplies the iteration
 * counts; NAMEs pick operations, all by default).
 * As pid 1 on Linux (the init of scripts/bench_user.py's Linux boot) it
 * powers the machine off when done.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pagoda/ipc.h"
#include "userlib.h"

#define P 4096ul
#define FAULT_PAGES 512ul   /* pages per mapping in the fault benchmark: 2 MiB */
#define COW_PAGES 2048ul    /* pages the cow child writes per SCALE: 8 MiB */

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

static uint64_t bench_fault(unsigned long n)
{
	unsigned long rounds = n / FAULT_PAGES;
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

/* fork() as the raw system call: the child sees 0, the parent the child's pid. */
static long raw_fork(void)
{
	return syscall(SYS_fork);
}

/* The child's end: exit_group(status), nothing of libc's exit. */
static void __attribute__((noreturn)) raw_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

/* Wait for pid; dies unless it exited with status 0. */
static void reap(long pid, const char *what)
{
	int status = -1;

	if (syscall(SYS_wait4, pid, &status, 0, NULL) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die(what);
}

#define COW_WHAT "copy-on-write fault after fork"

/*
 * n + 1 pages written by the parent, then one fork; the child stores to each
 * page once (the first store untimed), so every timed store is a fault that
 * copies a page the parent still maps. The child prints the line itself
 * (nothing has to carry the figure back): returns 0.
 */
static uint64_t bench_cow(unsigned long n)
{
	unsigned long pages = n + 1;
	volatile char *a = mmap(NULL, pages * P, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		die("mmap");
	for (unsigned long i = 0; i < pages; i++)
		a[i * P] = 1;
	long pid = raw_fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		a[0] = 2;   /* warm-up */
		uint64_t t0 = rdtsc();

		for (unsigned long i = 1; i < pages; i++)
			a[i * P] = 2;
		report("cow", n, rdtsc() - t0, COW_WHAT);
		fflush(stdout);
		raw_exit(0);
	}
	reap(pid, "cow child");
	for (unsigned long i = 0; i < pages; i++)
		if (a[i * P] != 1)
			die("cow: the parent's page changed");
	munmap((void *)a, pages * P);
	return 0;
}

static uint64_t bench_fork(unsigned long n)
{
	uint64_t t0 = 0;

	for (unsigned long i = 0; i <= n; i++) {
		if (i == 1)
			t0 = rdtsc();
		long pid = raw_fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			raw_exit(0);
		reap(pid, "wait4");
	}
	return rdtsc() - t0;
}

/* A child that echoes every byte of to_child into to_parent until EOF. */
static void pipe_echo(int in, int out)
{
	char c;

	while (syscall(SYS_read, in, &c, 1) == 1)
		if (syscall(SYS_write, out, &c, 1) != 1)
			raw_exit(1);
	raw_exit(0);
}

static uint64_t bench_pipe(unsigned long n)
{
	int to_child[2], to_parent[2];
	uint64_t t0 = 0;

	if (pipe(to_child) != 0 || pipe(to_parent) != 0)
		die("pipe");
	long pid = raw_fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		pipe_echo(to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);
	for (unsigned long i = 0; i <= n; i++) {
		char c = (char)i, back = 0;

		if (i == 1)
			t0 = rdtsc();
		if (syscall(SYS_write, to_child[1], &c, 1) != 1 ||
		    syscall(SYS_read, to_parent[0], &back, 1) != 1 || back != c)
			die("pipe round trip");
	}
	uint64_t ticks = rdtsc() - t0;

	close(to_child[1]);   /* EOF: the child exits */
	reap(pid, "pipe child");
	close(to_parent[0]);
	return ticks;
}

/* The IPC server's labels: a request, and the last one (reply, then exit). */
#define IPC_BENCH_REQUEST 1
#define IPC_BENCH_QUIT 2

/*
 * The child of the ipc rows: receive on ep, answer each call with its word
 * 0 plus one (a MAP item: plus the first word of the page it brought, which
 * is then munmapped), until IPC_BENCH_QUIT.
 */
static void __attribute__((noreturn)) ipc_server(long ep)
{
	struct ipc_msg m = {0};

	if (ipc_recv(ep, &m, IPC_FOREVER) != 0)
		raw_exit(1);
	for (;;) {
		uint64_t answer = m.w[0] + 1;

		if (m.tag & IPC_TAG_MAP) {
			answer += *(volatile uint64_t *)m.w[4];
			if (munmap((void *)m.w[4], m.w[5]) != 0)
				raw_exit(2);
		}
		if (IPC_TAG_LABEL(m.tag) == IPC_BENCH_QUIT) {
			m.tag = IPC_TAG(0, 1);
			m.w[0] = answer;
			raw_exit(ipc_reply(&m) == 0 ? 0 : 3);
		}
		m.tag = IPC_TAG(0, 1);
		m.w[0] = answer;
		if (ipc_reply_recv(ep, &m, IPC_FOREVER) != 0)
			raw_exit(4);
	}
}

/*
 * n round trips to a forked ipc_server (map: each call maps one page of
 * ours into it). Returns the ticks; 0 after printing "not applicable" when
 * the kernel has no Pagoda IPC (Linux: -ENOSYS).
 */
static uint64_t ipc_round_trips(const char *name, unsigned long n, int map)
{
	long ep = ipc_endpoint_create();

	if (ep == -38) { /* -ENOSYS */
		printf("%-12s not applicable: Pagoda's IPC calls return -ENOSYS here\n", name);
		return 0;
	}
	if (ep < 0)
		die("ipc_endpoint_create");
	volatile uint64_t *page = mmap(NULL, P, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		die("mmap");
	page[0] = 0;
	long pid = raw_fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		ipc_server(ep);
	uint64_t t0 = 0;

	for (unsigned long i = 0; i <= n + 1; i++) {
		struct ipc_msg m = {0};

		if (i == 1)
			t0 = rdtsc();
		if (i == n + 1)
			t0 = rdtsc() - t0; /* the quit call is not timed */
		m.tag = IPC_TAG(i == n + 1 ? IPC_BENCH_QUIT : IPC_BENCH_REQUEST, 1);
		m.w[0] = i;
		if (map) {
			page[0] = i;
			m.tag = IPC_TAG(IPC_TAG_LABEL(m.tag), 6) | IPC_TAG_MAP;
			m.w[4] = (uint64_t)(uintptr_t)page;
			m.w[5] = P;
		}
		long r = ipc_call(ep, &m, IPC_FOREVER);

		if (r != 0 || m.w[0] != i + 1 + (map ? i : 0)) {
			printf("bench_user: call %lu: %ld, word 0 = %lu\n", i, r, (unsigned long)m.w[0]);
			die(map ? "ipc_map round trip" : "ipc_call round trip");
		}
	}
	reap(pid, "ipc server");
	munmap((void *)page, P);
	handle_close(ep);
	return t0;
}

static uint64_t bench_ipc_call(unsigned long n)
{
	return ipc_round_trips("ipc_call", n, 0);
}

static uint64_t bench_ipc_map(unsigned long n)
{
	return ipc_round_trips("ipc_map", n, 1);
}

/* The rows, in the order they run and print; n is the operation count at SCALE 1. */
static const struct operation {
	const char *name;
	unsigned long n;
	uint64_t (*run)(unsigned long n);   /* ticks for n operations; 0: printed its own line */
	const char *what;
} operations[] = {
	{ "getppid", 20000, bench_getppid, "null system call" },
	{ "fault", 8 * FAULT_PAGES, bench_fault, "demand-zero fault from user mode" },
	{ "mmap_munmap", 2000, bench_mmap_munmap, "mmap + touch + munmap of 1 page" },
	{ "mprotect", 2000, bench_mprotect, "mprotect of 1 page" },
	{ "brk", 2000, bench_brk, "brk grow + touch + shrink" },
	{ "cow", COW_PAGES, bench_cow, COW_WHAT },
	{ "fork", 200, bench_fork, "fork + exit + wait" },
	{ "pipe", 2000, bench_pipe, "pipe round trip, 1 byte each way" },
	{ "ipc_call", 2000, bench_ipc_call, "IPC round trip: call + reply_recv, 1 word each way" },
	{ "ipc_map", 1000, bench_ipc_map, "IPC call mapping 1 page + read + munmap + reply" },
};

/* True if the command line names op, or names none (every operation runs). */
static int selected(const struct operation *op, int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], op->name) == 0)
			return 1;
	return argc <= 2;
}

int main(int argc, char **argv)
{
	unsigned long scale = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;

	if (scale == 0)
		scale = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench_user: TSC ticks per operation (instructions under -icount)\n");
	for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
		const struct operation *op = &operations[i];

		if (!selected(op, argc, argv))
			continue;
		uint64_t ticks = op->run(op->n * scale);

		if (ticks)
			report(op->name, op->n * scale, ticks, op->what);
	}
	if (getpid() == 1 && !on_pagoda()) {   /* the init of the Linux boot */
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
