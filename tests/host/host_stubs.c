/*
 * host_stubs.c - what the host test programs provide in place of the kernel.
 *
 * lib/panic.c ends every panic in panic_stop(), which the kernel implements
 * with a backtrace and a halt. On the host the right ending is abort(): the
 * test program dies with SIGABRT, the sanitizer/CI output shows where, and
 * the test run counts as failed. Hosted code: may use libc.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/panic.h"

void panic_stop(void)
{
	fflush(stdout);
	abort();
}
