/*
 * signals.c - usertests: kill, tkill, tgkill, default actions, handlers and rt_sigreturn.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and closes what it opens.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

const struct usertest signal_tests[] = {
	{ NULL, NULL, 0 },
};
