/*
 * userlib.h - small helpers the user programs share: which kernel they run
 * on, how many pages of a range are resident, how many faults the process
 * took, and the time-stamp counter. Header-only (static inline), so every
 * program stays one source file built by one pattern rule (Makefile).
 *
 * The programs are ordinary static Linux x86-64 binaries (musl): the same
 * file runs on Pagoda and on Linux. Only what the two kernels are allowed to
 * do differently (Pagoda never overcommits, ...) is asked of on_pagoda().
 *
 * Invariants:
 *   [x] every helper uses only system calls Pagoda implements (uname,
 *       mincore, getrusage) and no libc state beyond errno;
 *   [x] resident_pages() never touches the range it measures, and counts a
 *       page that is not mapped as not resident.
 * Context: any user program, single-threaded.
 */
#ifndef USER_USERLIB_H
#define USER_USERLIB_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#define PAGE_SIZE_4K 4096ul

/* True when uname() names a kernel other than Linux (Pagoda's sysname). */
static inline int on_pagoda(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		return 0;
	return strcmp(u.sysname, "Linux") != 0;
}

/*
 * Pages of [addr, addr + len) that mincore() reports resident. Pages that are
 * not mapped at all (mincore says ENOMEM) count as not resident; -1 if
 * mincore fails otherwise.
 */
static inline long resident_pages(const void *addr, size_t len)
{
	static unsigned char vec[4096];
	uintptr_t start = (uintptr_t)addr & ~(PAGE_SIZE_4K - 1);
	size_t pages = ((uintptr_t)addr + len - start + PAGE_SIZE_4K - 1) / PAGE_SIZE_4K;
	long count = 0;

	for (size_t done = 0, hole = 0; done < pages;) {
		size_t chunk = pages - done < sizeof(vec) ? pages - done : sizeof(vec);

		if (hole)   /* a hole in the last chunk: go page by page through it */
			chunk = 1;
		if (mincore((void *)(start + done * PAGE_SIZE_4K), chunk * PAGE_SIZE_4K, vec) != 0) {
			if (errno != ENOMEM)
				return -1;
			if (chunk > 1) {
				hole = chunk;
				continue;
			}
			vec[0] = 0;
		}
		for (size_t i = 0; i < chunk; i++)
			count += vec[i] & 1;
		done += chunk;
		if (hole)
			hole--;
	}
	return count;
}

/* Minor faults (page faults resolved without I/O) the process has taken. */
static inline long minor_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_minflt;
}

/* The time-stamp counter. Under QEMU's -icount it counts executed instructions. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#endif
