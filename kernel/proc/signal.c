/*
 * signal.c - sending signals and acting on them (see signal.h).
 *
 * A send marks the target (the first signal wins) and wakes the wait it is
 * in; the target's thread ends itself in signal_deliver on its way back to
 * ring 3. Ignored signals are dropped at the send.
 *
 * Invariants:
 *   [x] pending changes only by compare-and-swap from 0 (the first wins);
 *   [x] signal_deliver never returns once it ends the process.
 * Context: see signal.h.
 */
#include "kernel/proc/signal.h"

#include "kernel/proc/process.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/wait.h"
#include "lib/errno.h"

static const char *const signal_names[] = {
	[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",   [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGCHLD] = "SIGCHLD",
};

const char *signal_name(int sig)
{
	if (sig <= 0 || (size_t)sig >= sizeof(signal_names) / sizeof(signal_names[0]))
		return NULL;
	return signal_names[sig];
}

/* Signals whose default action is to do nothing (signal(7): "Ign"). */
static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == 18 /* SIGCONT */ || sig == 23 /* SIGURG */ ||
	       sig == 28 /* SIGWINCH */;
}

/*
 * Mark p killed by sig (the first signal wins) and wake the interruptible
 * wait it is in. Any context, interrupts on or off (the Ctrl-C hook runs
 * in the serial interrupt). No handler runs in this kernel yet: a signal
 * that is not ignored ends the process, whatever its action says.
 */
void signal_send(struct process *p, int sig)
{
	if (sig != SIGKILL) {
		uint64_t handler = __atomic_load_n(&p->signals.actions[sig - 1].handler, __ATOMIC_RELAXED);
		if (handler == SIG_IGN || (handler == SIG_DFL && default_ignored(sig)))
			return;
	}
	int expected = 0;
	__atomic_compare_exchange_n(&p->signals.pending, &expected, sig, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	struct wait_queue *wq = __atomic_load_n(&p->signals.interruptible, __ATOMIC_SEQ_CST);
	if (wq)
		wait_queue_wake_all(wq);
}

int signal_kill(int pid, int sig)
{
	if (sig <= 0 || sig >= LINUX_NSIG)
		return -EINVAL;
	struct process *p = process_get(pid);
	if (!p)
		return -ESRCH;
	int err = 0;
	if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE)
		err = -ESRCH; /* already ended: nothing to kill */
	else
		signal_send(p, sig);
	process_put(p);
	return err;
}

void signal_fork(struct signal_state *child, const struct signal_state *parent)
{
	/* The parent is the caller: only its own thread changes its actions and mask. */
	for (int i = 0; i < LINUX_NSIG; i++)
		child->actions[i] = parent->actions[i];
	child->blocked = parent->blocked;
	child->pending = 0;
	child->interruptible = NULL;
}

void signal_exec(struct signal_state *s)
{
	struct process *p = container_of(s, struct process, signals);
	unsigned long flags = spin_lock_irqsave(&p->lock);
	for (int i = 0; i < LINUX_NSIG; i++) {
		/* A handler's code is gone with the old image; flags and mask go too (Linux). */
		uint64_t handler = s->actions[i].handler == SIG_IGN ? SIG_IGN : SIG_DFL;
		s->actions[i] = (struct linux_sigaction){.handler = handler};
	}
	spin_unlock_irqrestore(&p->lock, flags);
}

bool signal_pending(void)
{
	struct process *p = process_current();
	return p && __atomic_load_n(&p->signals.pending, __ATOMIC_SEQ_CST) != 0;
}

void signal_sleep_begin(struct wait_queue *wq)
{
	struct process *p = process_current();
	if (p)
		__atomic_store_n(&p->signals.interruptible, wq, __ATOMIC_SEQ_CST);
}

void signal_sleep_end(void)
{
	struct process *p = process_current();
	if (p)
		__atomic_store_n(&p->signals.interruptible, NULL, __ATOMIC_SEQ_CST);
}

void signal_deliver(struct trap_frame *frame)
{
	(void)frame;
	struct process *p = thread_current()->process;
	if (unlikely(p != NULL && __atomic_load_n(&p->signals.pending, __ATOMIC_RELAXED) != 0))
		process_exit_signal(p->signals.pending);
}

