/*
 * panic.c - panic(): report a fatal error and hand over to panic_stop().
 *
 * The only state is a nesting counter, which protects against the panic path
 * itself failing (kprintf faulting, panic_stop panicking):
 *   depth 1: the normal case - print the full message, call panic_stop();
 *   depth 2: panic while panicking - print the unformatted format string
 *            (formatting may be what broke) and call panic_stop();
 *   depth 3+: even that failed - print nothing and spin, since lib/ code
 *            cannot halt the CPU itself.
 * Before anything is printed, panic_begin() (the kernel's, like
 * panic_stop()) lets one CPU through: the others are stopped, and the
 * console is this CPU's even if another CPU held it mid-line. So the
 * counter below is touched by one CPU only.
 * Context: any.
 */
#include "lib/panic.h"

#include <stdarg.h>

#include "lib/printf.h"

static volatile int panic_depth;

void panic(const char *fmt, ...)
{
	va_list ap;

	panic_begin();
	int depth = ++panic_depth;

	if (depth == 2) {
		kprintf("\nPANIC while panicking: %s\n", fmt);
		panic_stop();
	}
	if (depth > 2) {
		for (;;)
			;
	}

	kprintf("\nPANIC: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	panic_stop();
}
