/*
 * fault_xstack.c - a violation: execute code on the stack.
 *
 * The stack is mapped no-execute (NX, the ELF's PT_GNU_STACK asks for no
 * execute permission): a call into a byte on the stack is a #PF with the
 * instruction-fetch bit on a present page.
 *
 * Invariants:
 *   [x] the faulting access is the only thing after the announcement: if
 *       the process survives it, it says so and exits with status 1;
 *   [x] expected end: killed by SIGSEGV, with the kernel's one-line report.
 * Context: `run fault_xstack` in the Pagoda shell (tests/integration/test_user.py),
 * or ./fault_xstack on Linux, which kills it with the same signal.
 */
#include <stdio.h>
#include <string.h>

int main(void)
{
	printf("fault_xstack: execute code on the stack\n");
	fflush(stdout);
	unsigned char code[16];
	void (*volatile fn)(void) = (void (*)(void))code;

	memset(code, 0xc3, sizeof(code));  /* ret */
	fn();
	printf("fault_xstack: still alive: the kernel did not stop me\n");
	return 1;
}
