/*
 * main.c - the entry point of every host test program.
 *
 * A host test binary is the unit-test files of one area (tests/unit/...)
 * linked with the code they test, lib/, kernel/selftest.c and this file. The
 * suites register themselves through the "selftest_suites" section exactly as
 * in the kernel, so main only has to route kprintf to stdout and run them all.
 * A program whose suites need some state first (the `pmm` suite needs a live
 * page allocator) links a file defining host_test_setup(), which runs before
 * the suites; the weak declaration makes it optional. With $PAGODA_RESULTS
 * set, results also go to that file as RESULT lines (for the grader).
 * Exit status: 0 when at least one test ran and none failed, else 1 (an empty
 * run is a failure: it usually means a suite did not get linked in).
 * Hosted code: may use libc.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kernel/selftest.h"
#include "lib/panic.h"
#include "lib/printf.h"

/* kprintf's output function: straight to stdout, flushed so a crash loses nothing. */
static void host_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	fflush(stdout);
}

static FILE *results;

/* The grader's channel: $PAGODA_RESULTS, when set (kernel/selftest.h). */
static void results_write(const char *line)
{
	fputs(line, results);
	fflush(results);
}

/* Defined by programs that need it (tests/host/pmm_setup.c); NULL otherwise. */
void host_test_setup(void) __attribute__((weak));

int main(void)
{
	unsigned passed = 0, failed = 0;

	kprintf_set_output(host_write);
	const char *results_path = getenv("PAGODA_RESULTS");
	if (results_path && (results = fopen(results_path, "a")))
		selftest_set_result_output(results_write);
	if (host_test_setup)
		host_test_setup();
	MUST_SUCCEED(selftest_run(NULL, &passed, &failed), "main: every suite (none missing)");
	return failed == 0 && passed > 0 ? 0 : 1;
}
