/*
 * fault_ud.c - a violation: execute an undefined instruction (ud2).
 *
 * ud2 is the instruction defined to be undefined: #UD, which the kernel
 * turns into SIGILL for a process.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGILL, with the kernel's one-line report.
 * Context: `run fault_ud` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_ud on Linux, which kills it with the same signal.
 */
#include <stdio.h>

int main(void)
{
	printf("fault_ud: execute an undefined instruction (ud2)\n");
	fflush(stdout);
	__asm__ volatile("ud2");
	printf("fault_ud: still alive: the kernel did not stop me\n");
	return 1;
}
