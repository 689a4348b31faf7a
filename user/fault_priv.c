/*
 * fault_priv.c - a violation: execute a privileged instruction (hlt).
 *
 * hlt at privilege level 3 is #GP(0): only ring 0 may halt the CPU. The
 * kernel reports the #GP and kills the process with SIGSEGV, as Linux does.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_priv` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_priv on Linux, which kills it with the same signal.
 */
#include <stdio.h>

int main(void)
{
	printf("fault_priv: execute a privileged instruction (hlt)\n");
	fflush(stdout);
	__asm__ volatile("hlt");
	printf("fault_priv: still alive: the kernel did not stop me\n");
	return 1;
}
