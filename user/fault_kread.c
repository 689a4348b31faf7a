/*
 * fault_kread.c - a violation: read kernel memory (0xffffffff80000000).
 *
 * The kernel half is in every address space, but its pages lack the user
 * bit: a read from ring 3 is a #PF (Meltdown aside, the CPU refuses it).
 * The default address, -2 GiB, is where the kernel image's addresses begin
 * (mm/layout.h KERNEL_VMA; the image itself starts 2 MiB above, so that page
 * may be unmapped: error code 4). `fault_kread ADDR` reads ADDR instead, e.g.
 * 0xffff800000200000, the kernel image's first page through the direct map:
 * a present page, error code 5 (present, user, read).
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_kread [ADDR]` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_kread on Linux, which kills it with the same signal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	uintptr_t addr = argc > 1 ? strtoull(argv[1], NULL, 0) : 0xffffffff80000000ull;

	printf("fault_kread: read kernel memory (0x%llx)\n", (unsigned long long)addr);
	fflush(stdout);
	volatile uint64_t *kernel = (volatile uint64_t *)addr;
	uint64_t value = *kernel;

	printf("read 0x%llx\n", (unsigned long long)value);
	printf("fault_kread: still alive: the kernel did not stop me\n");
	return 1;
}
