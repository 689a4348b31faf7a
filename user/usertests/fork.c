/*
 * fork.c - usertests: fork with copy-on-write, wait4, exit statuses, orphans adopted by init,
 * the process limit.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

const struct usertest fork_tests[] = {
	{ NULL, NULL, 0 },
};
