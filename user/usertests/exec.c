/*
 * exec.c - usertests: execve replacing the image, its arguments and environment, errors.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

const struct usertest exec_tests[] = {
	{ NULL, NULL, 0 },
};
