/*
 * fault_text.c - a violation: write into its own code.
 *
 * The text segment is mapped from the initrd's pages read-only and
 * executable (W^X): a store into main() is a #PF with the write bit on a
 * present page, a protection violation. Writing code at run time would need
 * a mapping made writable and not executable, then executable: mprotect.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_text` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_text on Linux, which kills it with the same signal.
 */
#include <stdint.h>
#include <stdio.h>

int main(void)
{
	printf("fault_text: write into its own code\n");
	fflush(stdout);
	volatile unsigned char *text = (volatile unsigned char *)(uintptr_t)&main;

	*text = 0xc3;  /* ret */
	printf("fault_text: still alive: the kernel did not stop me\n");
	return 1;
}
