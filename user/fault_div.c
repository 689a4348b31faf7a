/*
 * fault_div.c - a violation: divide by zero.
 *
 * An integer division by zero is #DE in the CPU; from user mode the kernel
 * turns it into SIGFPE, as Linux does. The divisor is volatile so that the
 * compiler cannot fold the division.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGFPE, with the kernel's one-line report.
 * Context: `run fault_div` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_div on Linux, which kills it with the same signal.
 */
#include <stdio.h>

int main(void)
{
	printf("fault_div: divide by zero\n");
	fflush(stdout);
	volatile int zero = 0;
	int quotient = 1000 / zero;

	printf("quotient %d\n", quotient);
	printf("fault_div: still alive: the kernel did not stop me\n");
	return 1;
}
