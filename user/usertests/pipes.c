/*
 * pipes.c - usertests: pipe, pipe2, dup, dup2, fcntl and close-on-exec, blocking, EOF and
 * EPIPE.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

const struct usertest pipe_tests[] = {
	{ NULL, NULL, 0 },
};
