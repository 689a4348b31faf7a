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

enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
		return SIG_DEFAULT_IGNORE;
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return SIG_DEFAULT_STOP;
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return SIG_DEFAULT_CORE;
	default:
		return SIG_DEFAULT_TERM;
	}
}

/* The signals a fault raises: acted on before any other, so the handler sees the fault. */
#define SIGMASK_SYNCHRONOUS                                                                  \
	(SIGMASK_BIT(SIGSEGV) | SIGMASK_BIT(SIGBUS) | SIGMASK_BIT(SIGILL) | SIGMASK_BIT(SIGTRAP) | \
	 SIGMASK_BIT(SIGFPE) | SIGMASK_BIT(SIGSYS))

int sigmask_next(uint64_t pending, uint64_t blocked)
{
	uint64_t ready = pending & ~(blocked & ~SIGMASK_UNBLOCKABLE);

	if (!ready)
		return 0;
	if (ready & SIGMASK_SYNCHRONOUS)
		ready &= SIGMASK_SYNCHRONOUS;
	return __builtin_ctzll(ready) + 1;
}
