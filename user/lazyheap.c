/*
 * lazyheap.c - a heap that costs nothing until it is touched (brk, demand zero).
 *
 * Moves the program break up by SIZE MiB (default 16) with the raw brk
 * system call (musl's brk()/sbrk() refuse to move it), then touches one byte
 * in every 64th page. The kernel maps a page only when it is touched: the
 * resident count (mincore) and the minor-fault count (getrusage ru_minflt)
 * grow by the number of pages touched, not by the size of the heap. Moving
 * the break back gives the pages back.
 *
 * Invariants:
 *   [x] resident pages after touching >= before + pages touched (equal on
 *       Pagoda; Linux may back a touch with a 2 MiB huge page);
 *   [x] exits 0 when the break moved both ways and the counts grew, 1 otherwise.
 * Context: `run lazyheap [MiB]` in the Pagoda shell, or ./lazyheap on Linux.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "userlib.h"

#define STRIDE_PAGES 64

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16;
	uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t size = mib << 20;
	uintptr_t end = (uintptr_t)syscall(SYS_brk, start + size);
	unsigned long pages = size / PAGE_SIZE_4K, touched = 0;

	if (end != start + size) {
		printf("lazyheap: brk(0x%lx) refused: the break stays at 0x%lx\n",
		       (unsigned long)(start + size), (unsigned long)end);
		return 1;
	}
	/* The break is byte-precise; the heap's pages start at the next page. */
	uintptr_t first = (start + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	pages = (end - first) / PAGE_SIZE_4K;
	long before = resident_pages((void *)first, pages * PAGE_SIZE_4K);
	long faults_before = minor_faults();

	printf("lazyheap: break 0x%lx -> 0x%lx (%lu KiB, %lu pages)\n", (unsigned long)start,
	       (unsigned long)end, (unsigned long)(size >> 10), pages);
	printf("lazyheap: resident before touching: %ld pages\n", before);
	for (unsigned long i = 0; i < pages; i += STRIDE_PAGES) {
		((volatile char *)first)[i * PAGE_SIZE_4K] = 1;
		touched++;
	}
	long faults_after = minor_faults();
	long after = resident_pages((void *)first, pages * PAGE_SIZE_4K);

	printf("lazyheap: touched %lu pages, one in every %d\n", touched, STRIDE_PAGES);
	printf("lazyheap: resident after touching: %ld pages (+%ld), minor faults +%ld\n", after,
	       after - before, faults_after - faults_before);
	uintptr_t back = (uintptr_t)syscall(SYS_brk, start);

	printf("lazyheap: break moved back to 0x%lx\n", (unsigned long)back);
	if (back != start || before < 0 || after - before < (long)touched ||
	    faults_after - faults_before < (long)touched) {
		printf("lazyheap: FAILED: unexpected counts\n");
		return 1;
	}
	return 0;
}
