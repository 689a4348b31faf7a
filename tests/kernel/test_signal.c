/*
 * test_signal.c - kernel suite "signal": the sending side of
 * kernel/proc/signal.c from the shell's thread (no process of its own).
 *
 * Names, the shell's kill and kill(2)'s checks with a kernel caller (no
 * group: pid 0 is ESRCH), a group send reaching every process of a group
 * and nothing else, the status it leaves ("killed by SIGTERM"), and the
 * rule that a blocked signal waits: a process that blocks nothing but
 * ignores SIGUSR1 is not ended by it. Delivery to handlers needs ring 3:
 * user/usertests/signals.c tests it.
 *
 * Invariants:
 *   [x] every process a test starts is waited for before it returns.
 * Context: the selftest runner (the shell's thread), interrupts on.
 */
#include "kernel/fs/initrd.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/thread.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"

#define SLEEPER "pause"

static const char *test_names(void)
{
	CHECK(strcmp(signal_name(SIGSEGV), "SIGSEGV") == 0);
	CHECK(strcmp(signal_name(SIGSYS), "SIGSYS") == 0);
	CHECK(strcmp(signal_name(SIGWINCH), "SIGWINCH") == 0);
	CHECK(signal_name(0) == NULL && signal_name(40) == NULL && signal_name(-1) == NULL);
	return NULL;
}

static const char *test_kernel_caller(void)
{
	CHECK(signal_kill_user(1, 65, SI_USER) == -EINVAL);
	CHECK(signal_kill_user(1, -1, SI_USER) == -EINVAL);
	CHECK(signal_kill_user(0, 0, SI_USER) == -ESRCH); /* the shell has no group */
	CHECK(signal_kill_user(INT32_MIN, 0, SI_USER) == -ESRCH);
	CHECK(signal_kill_user(0x7ffffff0, SIGKILL, SI_USER) == -ESRCH);
	CHECK(signal_kill_user(-0x7ffffff0, SIGKILL, SI_USER) == -ESRCH);
	CHECK(signal_send_group(0, SIGINT) == 0 && signal_send_group(-5, SIGINT) == 0);
	CHECK(signal_send_group(0x7ffffff0, SIGINT) == 0);
	CHECK(!signal_fault(SIGSEGV, SEGV_MAPERR, 0)); /* not a process: nothing to handle it */
	struct process *init = process_get(1);
	if (init) {
		bool running = __atomic_load_n(&init->state, __ATOMIC_ACQUIRE) == PROCESS_RUNNING;
		process_put(init);
		CHECKF(!running || signal_kill(1, SIGKILL) == -EPERM, "init could be killed");
	}
	return NULL;
}

/* Start `pause -q` (a group of its own); NULL if it cannot. */
static struct process *start_sleeper(void)
{
	struct process *p;
	const char *const argv[] = {SLEEPER, "-q", NULL};

	if (process_spawn(SLEEPER, argv, 0, &p, NULL, 0))
		return NULL;
	return p;
}

static const char *test_group_send(void)
{
	if (!initrd_find(SLEEPER))
		return NULL;
	struct process *p = start_sleeper();
	CHECK(p != NULL);
	CHECKF(p->pgid == p->pid, "a shell-started process leads its group (pgid %d, pid %d)",
	       p->pgid, p->pid);
	CHECK(signal_send_group(p->pgid + 100000, SIGTERM) == 0); /* no such group */
	CHECK(signal_send_group(p->pgid, SIGTERM) == 1);
	int status = 0;
	CHECK(process_wait(p, &status) == 0);
	CHECKF(status == WAIT_STATUS_SIGNALED(SIGTERM), "status 0x%x", status);
	return NULL;
}

static const char *test_ignored_and_probe(void)
{
	if (!initrd_find(SLEEPER))
		return NULL;
	struct process *p = start_sleeper();
	CHECK(p != NULL);
	/* An ignored signal is dropped at the send: never pending. */
	unsigned long flags = spin_lock_irqsave(&p->lock);
	p->signals.actions[SIGUSR1 - 1].handler = SIG_IGN;
	spin_unlock_irqrestore(&p->lock, flags);
	CHECK(signal_kill_user(p->pid, SIGUSR1, SI_USER) == 0);
	CHECK((__atomic_load_n(&p->signals.pending, __ATOMIC_SEQ_CST) & (1ull << (SIGUSR1 - 1))) == 0);
	CHECK(signal_kill_user(p->pid, 0, SI_USER) == 0); /* the probe: it exists */
	CHECK(signal_kill(p->pid, SIGKILL) == 0);
	int status = 0;
	CHECK(process_wait(p, &status) == 0);
	CHECKF(status == WAIT_STATUS_SIGNALED(SIGKILL), "status 0x%x", status);
	return NULL;
}

static const struct selftest signal_tests[] = {
	{"names", "signal names; none for 0, real-time or negative numbers", test_names},
	{"kernel_caller", "kill(2)'s checks from the shell's thread: EINVAL, ESRCH; init refuses",
	 test_kernel_caller},
	{"group_send", "a group send reaches its one process, which dies 'killed by SIGTERM'",
	 test_group_send},
	{"ignored", "an ignored signal is never pending; sig 0 probes; SIGKILL still ends it",
	 test_ignored_and_probe},
};

SELFTEST_SUITE(signal, signal_tests);
