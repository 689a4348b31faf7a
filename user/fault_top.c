/*
 * fault_top.c - a violation: write above the top of the user half.
 *
 * USER_TOP is 0x7ffffffff000: the last page of the user half is never
 * mapped, so that no user mapping touches the non-canonical hole (sysret's
 * #GP pitfall). A write there is a #PF in no region. `fault_top hole`
 * writes at 0x800000000000 instead, the first non-canonical address: a #GP,
 * also SIGSEGV.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_top` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_top on Linux, which kills it with the same signal.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int hole = argc > 1 && strcmp(argv[1], "hole") == 0;

	printf("fault_top: write above the top of the user half (%s)\n",
	       hole ? "0x800000000000, non-canonical" : "0x7ffffffff000, never mapped");
	fflush(stdout);
	volatile uint64_t *top = (volatile uint64_t *)(hole ? 0x800000000000ull
						       : 0x7ffffffff000ull);

	*top = 1;
	printf("fault_top: still alive: the kernel did not stop me\n");
	return 1;
}
