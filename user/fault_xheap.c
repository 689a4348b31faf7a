/*
 * fault_xheap.c - a violation: execute code on the heap.
 *
 * The heap (the break, grown with the brk system call) is read-write and
 * no-execute: a call into it is a #PF with the instruction-fetch bit on a
 * present page.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_xheap` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_xheap on Linux, which kills it with the same signal.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	printf("fault_xheap: execute code on the heap\n");
	fflush(stdout);
	uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);

	if ((uintptr_t)syscall(SYS_brk, start + 4096) != start + 4096) {
		printf("fault_xheap: brk refused\n");
		return 2;
	}
	volatile unsigned char *heap = (volatile unsigned char *)start;
	void (*volatile fn)(void) = (void (*)(void))start;

	for (int i = 0; i < 16; i++)
		heap[i] = 0xc3;  /* ret */
	fn();
	printf("fault_xheap: still alive: the kernel did not stop me\n");
	return 1;
}
