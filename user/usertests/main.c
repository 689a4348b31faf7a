/*
 * main.c - the usertests runner: `usertests` runs every test, `usertests
 * NAME...` the named ones, `usertests -l` lists them with their tags.
 *
 * Output, one line per test, then a summary that tests/integration parses:
 *   PASS name            FAIL name: reason          SKIP name: Pagoda only
 *   usertests: N passed, M failed[, K skipped]
 * The exit status is 0 only when nothing failed (2: an unknown name).
 *
 * Invariants:
 *   [x] the tables run in the order of `suites`, each test once;
 *   [x] a PAGODA_ONLY test is skipped, never failed, on Linux;
 *   [x] a test that returned skip()'s reason is counted skipped, not failed.
 * Context: the usertests program, from Pagoda's shell (`run usertests
 * [NAME]`) or from the small init of the Linux run.
 */
#include "usertests.h"

static const struct usertest *const suites[] = {
	files_tests, memory_tests, process_tests, fork_tests, cow_tests,
	exec_tests,  pipe_tests,   signal_tests,  protect_tests, ioport_tests,
	ipc_tests,   pager_tests,
	ipcmem_tests,
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* The test named name, or NULL. */
static const struct usertest *find(const char *name)
{
	for (size_t s = 0; s < NSUITES; s++)
		for (const struct usertest *t = suites[s]; t->name; t++)
			if (strcmp(t->name, name) == 0)
				return t;
	return NULL;
}

static void list(FILE *out)
{
	for (size_t s = 0; s < NSUITES; s++)
		for (const struct usertest *t = suites[s]; t->name; t++)
			fprintf(out, "%s %s\n", t->name,
				t->flags & PAGODA_ONLY ? "pagoda-only" : "portable");
}

static int wanted(const struct usertest *t, int argc, char **argv)
{
	if (argc == 1)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(t->name, argv[i]) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int pagoda = on_pagoda(), passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		list(stdout);
		return 0;
	}
	for (size_t s = 0; s < NSUITES; s++)
		for (const struct usertest *t = suites[s]; t->name; t++)
			if (find(t->name) != t) {
				printf("usertests: two tests are named %s\n", t->name);
				return 2;
			}
	for (int i = 1; i < argc; i++) {
		if (!find(argv[i])) {
			printf("usertests: no test named %s; `usertests -l` lists them\n", argv[i]);
			return 2;
		}
	}
	for (size_t s = 0; s < NSUITES; s++) {
		for (const struct usertest *t = suites[s]; t->name; t++) {
			if (!wanted(t, argc, argv))
				continue;
			if ((t->flags & PAGODA_ONLY) && !pagoda) {
				printf("SKIP %s: Pagoda only\n", t->name);
				skipped++;
				continue;
			}
			const char *why = t->fn();

			if (why && skip_requested()) {
				printf("SKIP %s: %s\n", t->name, why);
				skipped++;
			} else if (why) {
				printf("FAIL %s: %s\n", t->name, why);
				failed++;
			} else {
				printf("PASS %s\n", t->name);
				passed++;
			}
		}
	}
	if (skipped)
		printf("usertests: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("usertests: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
