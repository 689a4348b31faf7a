/*
 * hog.c - take memory until the kernel says no, use all of it, give it back.
 *
 * Maps 1 MiB anonymous chunks until mmap fails (Pagoda never overcommits:
 * it refuses with ENOMEM what free memory, less the kernel's reserve, cannot
 * back), touches every page it got, then grows the break the same way. The
 * kernel must stay usable throughout; if another process took the memory
 * between a mapping and its touch, the kernel kills this one at the fault,
 * with a report, rather than fail itself. `hog MIB` stops at MIB MiB: on
 * Linux, which overcommits, run it only with a limit.
 *
 * Invariants:
 *   [x] every page obtained is touched once (the count printed is resident);
 *   [x] prints "hog: pid P: N MiB mapped and touched, mmap then said ERR"
 *       and "hog: pid P: break grown by N MiB", exits 0 (or is killed as
 *       above).
 * Context: `run hog [MIB]` in the Pagoda shell (tests/integration/test_user.py).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "userlib.h"

#define CHUNK (1ul << 20)

int main(int argc, char **argv)
{
	unsigned long limit = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	unsigned long mib = 0;
	const char *why = "nothing (limit reached)";

	if (!limit && !on_pagoda()) {
		printf("hog: Linux overcommits: give a limit in MiB (hog 64)\n");
		return 2;
	}
	while (!limit || mib < limit) {
		char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED) {
			why = strerror(errno);
			break;
		}
		for (unsigned long off = 0; off < CHUNK; off += PAGE_SIZE_4K)
			p[off] = 1;
		mib++;
	}
	printf("hog: pid %d: %lu MiB mapped and touched, mmap then said %s\n", (int)getpid(), mib,
	       why);
	fflush(stdout);
	/* The heap, now that little is left: it grows only as far as memory allows. */
	uintptr_t start = (uintptr_t)syscall(SYS_brk, 0), top = start;

	for (unsigned long i = 0; i < (limit ? limit : 64); i++) {
		uintptr_t want = top + CHUNK;

		if ((uintptr_t)syscall(SYS_brk, want) != want)
			break;
		for (uintptr_t a = (top + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1); a < want;
		     a += PAGE_SIZE_4K)
			*(volatile char *)a = 1;
		top = want;
	}
	printf("hog: pid %d: break grown by %lu MiB\n", (int)getpid(),
	       (unsigned long)((top - start) >> 20));
	return 0;
}
