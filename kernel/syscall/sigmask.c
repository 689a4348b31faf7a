/*
 * sigmask.c - rt_sigprocmask's and rt_sigaction's checks (see sigmask.h).
 *
 * Kept apart from the system calls that use them (sys_signal.c) so that
 * the rules, which programs notice (a mask read back must not contain
 * SIGKILL; SIG_BLOCK with how = 3 is -EINVAL), are tested on the host
 * without a process.
 *
 * Invariants:
 *   [x] the result never holds SIGMASK_UNBLOCKABLE bits.
 * Pure code: any context.
 */
#include "kernel/syscall/sigmask.h"

#include "lib/errno.h"
#include "lib/uapi.h"

int sigmask_update(uint64_t *mask, int how, uint64_t set)
{
	set &= ~SIGMASK_UNBLOCKABLE;
	switch (how) {
	case SIG_BLOCK:
		*mask |= set;
		return 0;
	case SIG_UNBLOCK:
		*mask &= ~set;
		return 0;
	case SIG_SETMASK:
		*mask = set;
		return 0;
	default:
		return -EINVAL;
	}
}

bool sigaction_signal_ok(int sig, bool setting)
{
	if (sig < 1 || sig > LINUX_NSIG)
		return false;
	return !(setting && (sig == SIGKILL || sig == SIGSTOP));
}
