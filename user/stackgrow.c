/*
 * stackgrow.c - the stack grows on demand, down to its limit and its guard.
 *
 * Recurses with 4 KiB frames until it has used KIB KiB of stack (default:
 * 7/8 of the limit, 8 MiB on Pagoda, RLIMIT_STACK on Linux) and reports the
 * lowest address reached, the stack's resident pages and the minor faults
 * taken: each new page is one fault, resolved by growing the stack region.
 * `stackgrow overflow` recurses without end: the process must be killed
 * (SIGSEGV) when it reaches the guard page below the limit, and only it.
 *
 * Invariants:
 *   [x] each frame touches its whole 4 KiB, so every page is faulted in order;
 *   [x] exits 0 after reaching the depth; `overflow` never returns normally.
 * Context: `run stackgrow [KIB|overflow]` in the Pagoda shell, or on Linux.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "userlib.h"

#define FRAME 4096
#define PAGODA_STACK_MAX (8ul << 20)   /* mm/layout.h USER_STACK_MAX */

static uintptr_t lowest;

/* Recurse `depth` more frames (forever when depth < 0); returns a checksum. */
static __attribute__((noinline)) long dive(long depth)
{
	volatile char frame[FRAME];

	memset((char *)frame, (int)depth, sizeof(frame));
	if ((uintptr_t)frame < lowest)
		lowest = (uintptr_t)frame;
	if (depth == 0)
		return frame[0];
	return dive(depth < 0 ? depth : depth - 1) + frame[FRAME - 1];
}

int main(int argc, char **argv)
{
	unsigned long limit = PAGODA_STACK_MAX;
	struct rlimit rl;
	char here;

	if (!on_pagoda() && getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		limit = rl.rlim_cur;
	lowest = (uintptr_t)&here;
	if (argc > 1 && strcmp(argv[1], "overflow") == 0) {
		printf("stackgrow: recursing without end; the stack limit is %lu KiB\n",
		       limit >> 10);
		fflush(stdout);
		dive(-1);
		printf("stackgrow: still alive: the guard page did not stop me\n");
		return 1;
	}
	unsigned long kib = argc > 1 ? strtoul(argv[1], NULL, 0) : (limit >> 10) / 8 * 7;
	uintptr_t top = (uintptr_t)&here;
	long faults_before = minor_faults();
	long resident_before = resident_pages((void *)(top - (kib << 10)), kib << 10);

	dive((long)(kib << 10) / FRAME);
	long faults = minor_faults() - faults_before;
	long resident = resident_pages((void *)lowest, top - lowest);

	printf("stackgrow: limit %lu KiB; grew %lu KiB below 0x%lx, down to 0x%lx\n", limit >> 10,
	       (unsigned long)((top - lowest) >> 10), (unsigned long)top, (unsigned long)lowest);
	printf("stackgrow: resident stack pages in that range: %ld before, %ld after; "
	       "minor faults +%ld\n", resident_before, resident, faults);
	if (resident < (long)(kib >> 2) * 9 / 10) {
		printf("stackgrow: FAILED: fewer pages resident than the stack used\n");
		return 1;
	}
	return 0;
}
