/*
 * protect.c - usertests: what ring 3 may not touch (kernel memory, above the user top, the
 * stack guard, text) seen from a child killed by SIGSEGV.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

const struct usertest protect_tests[] = {
	{ NULL, NULL, 0 },
};
