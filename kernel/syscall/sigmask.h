/*
 * sigmask.h - the signal rules, as Linux has them: the mask arithmetic of
 * rt_sigprocmask and rt_sigaction (a 64-bit set with bit n-1 for signal
 * n), what SIG_DFL does with each signal, and which pending signal is
 * acted on first.
 *
 * Kept apart from the code that sends and delivers (kernel/proc/signal.c)
 * so the rules are tested on the host without a process. SIGKILL and
 * SIGSTOP can be neither blocked nor caught: Linux silently removes them
 * from every mask and refuses an action for them.
 *
 * Invariants:
 *   [x] no mask sigmask_update produces contains SIGKILL or SIGSTOP;
 *   [x] an invalid `how` changes nothing (-EINVAL).
 * Pure code: any context, kernel and host (tests/host/test_syscall.c,
 * tests/host/test_signal_frame.c).
 */
#ifndef KERNEL_SYSCALL_SIGMASK_H
#define KERNEL_SYSCALL_SIGMASK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/uapi.h"

#define SIGSET_SIZE 8               /* sizeof(sigset_t) the kernel takes: 64 bits */

/* Bit of signal sig (1 .. 64) in a mask. */
#define SIGMASK_BIT(sig) (1ull << ((sig) - 1))
/* The signals no mask may hold. */
#define SIGMASK_UNBLOCKABLE (SIGMASK_BIT(SIGKILL) | SIGMASK_BIT(SIGSTOP))

/*
 * rt_sigprocmask's update of *mask by set: how is SIG_BLOCK (add),
 * SIG_UNBLOCK (remove) or SIG_SETMASK (replace). SIGKILL and SIGSTOP are
 * dropped from set first. Returns 0, or -EINVAL (unknown how: *mask kept).
 */
int sigmask_update(uint64_t *mask, int how, uint64_t set);

/*
 * May rt_sigaction act on sig? A signal number 1 .. LINUX_NSIG; setting an
 * action (setting true) also excludes SIGKILL and SIGSTOP. Reading their
 * actions is allowed, as Linux allows it.
 */
bool sigaction_signal_ok(int sig, bool setting);

/* What SIG_DFL does with a signal (signal(7)'s "Action" column). */
enum sig_default {
	SIG_DEFAULT_TERM,   /* end the process (HUP, INT, KILL, PIPE, ALRM, TERM, USR1, ...) */
	SIG_DEFAULT_CORE,   /* end it "with a core" (QUIT, ILL, TRAP, ABRT, BUS, FPE, SEGV, ...):
			       no dump here, as Linux with a core limit of 0 */
	SIG_DEFAULT_IGNORE, /* nothing (CHLD, CONT, URG, WINCH) */
	SIG_DEFAULT_STOP,   /* stop (STOP, TSTP, TTIN, TTOU): no job control here, ignored */
};

/* SIG_DFL's action for sig (1 .. LINUX_NSIG; real-time signals terminate). */
enum sig_default sig_default_action(int sig);

/*
 * The next signal to act on among pending & ~blocked (SIGKILL and SIGSTOP
 * count even if blocked): the synchronous ones a fault raises first
 * (SEGV, BUS, ILL, TRAP, FPE, SYS, as Linux), then the lowest number.
 * 0 when none.
 */
int sigmask_next(uint64_t pending, uint64_t blocked);

#endif
