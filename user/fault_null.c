/*
 * fault_null.c - a violation: read through a NULL pointer.
 *
 * Address 0 lies in the first 64 KiB of the user half, which is never
 * mapped (mm/layout.h USER_START), so the read is a #PF in no region: the
 * report says NULL dereference. The pointer is volatile so that the
 * compiler cannot see it is NULL and replace the read with a trap.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_null` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_null on Linux, which kills it with the same signal.
 */
#include <stdio.h>

int main(void)
{
	printf("fault_null: read through a NULL pointer\n");
	fflush(stdout);
	int *volatile pointer = NULL;
	int value = *pointer;

	printf("read %d\n", value);
	printf("fault_null: still alive: the kernel did not stop me\n");
	return 1;
}
