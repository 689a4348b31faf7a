/*
 * fault_kread.c - a violation: read kernel memory (0xffffffff80000000).
 *
 * The kernel's image is mapped at -2 GiB in every address space, but its
 * pages lack the user bit: a read from ring 3 is a #PF with the user bit on
 * a present page (Meltdown aside, the CPU refuses it).
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_kread` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_kread on Linux, which kills it with the same signal.
 */
#include <stdint.h>
#include <stdio.h>

int main(void)
{
	printf("fault_kread: read kernel memory (0xffffffff80000000)\n");
	fflush(stdout);
	volatile uint64_t *kernel = (volatile uint64_t *)0xffffffff80000000ull;
	uint64_t value = *kernel;

	printf("read 0x%llx\n", (unsigned long long)value);
	printf("fault_kread: still alive: the kernel did not stop me\n");
	return 1;
}
