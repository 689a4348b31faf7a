/*
 * crash_probe.c - a host test program that ends badly on purpose, so the
 * labs suite (tests/labs/check_labs.py) can check how scripts/grade.py
 * reports a student's crash.
 *
 * Suite `probe`: `passes` passes, `fails` fails, `crashes` ends the program
 * the way $PAGODA_PROBE says (ubsan: a shift by 40; asan: a write past a
 * heap block; panic: panic(), which aborts; exit: exit status 3; hang:
 * never returns; unset or anything else: passes), and `after` passes if it
 * is ever reached. check_labs.py builds it with the host tests' flags
 * (sanitizers on) and the harness of tests/host/main.c.
 * Hosted code: may use libc.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kernel/selftest.h"
#include "lib/panic.h"
#include "lib/string.h"

static const char *test_passes(void)
{
	return NULL;
}

static const char *test_fails(void)
{
	return "failed on purpose";
}

static const char *test_crashes(void)
{
	const char *how = getenv("PAGODA_PROBE");
	volatile int shift = 40, one = 1, size = 8;

	if (!how)
		return NULL;
	if (strcmp(how, "ubsan") == 0)
		return (one << shift) ? NULL : "the shift gave 0";
	if (strcmp(how, "asan") == 0) {
		char *block = malloc((size_t)size);
		block[size] = 1;
		free(block);
	} else if (strcmp(how, "panic") == 0) {
		panic("the probe panics on purpose");
	} else if (strcmp(how, "exit") == 0) {
		exit(3);
	} else if (strcmp(how, "hang") == 0) {
		for (;;)
			sleep(1);
	}
	return NULL;
}

static const char *test_after(void)
{
	return NULL;
}

static const struct selftest probe_tests[] = {
	{"passes", "passes", test_passes},
	{"fails", "fails on purpose", test_fails},
	{"crashes", "ends the program as $PAGODA_PROBE says", test_crashes},
	{"after", "passes if reached", test_after},
};

SELFTEST_SUITE(probe, probe_tests);
