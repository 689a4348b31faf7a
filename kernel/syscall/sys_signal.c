/*
 * sys_signal.c - the signal system calls (see sys_signal.h).
 *
 * Linux's order of checks: the set size (EINVAL), reading the new action or
 * set from the process (EFAULT), the signal number or `how` (EINVAL), then
 * writing the old one back (EFAULT: the change has been made by then, as in
 * Linux). The new action is stored under the process's lock, because
 * signal_send reads actions[] from another thread; the copies are made
 * outside it (a copy may fault and sleep). An action set to ignore drops
 * the signal if it is pending (POSIX), as Linux does.
 *
 * Invariants:
 *   [x] no user copy runs with the process lock held;
 *   [x] a stored action's mask never holds SIGKILL or SIGSTOP.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_signal.h"

#include "kernel/arch/x86_64/signal_frame.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/proc/process.h"
#include "kernel/syscall/sigmask.h"
#include "lib/errno.h"
#include "lib/uapi.h"
#include "mm/spinlock.h"
#include "mm/uaccess.h"

long sys_rt_sigaction(int sig, virt_addr_t act, virt_addr_t oldact, size_t sigsetsize)
{
	struct linux_sigaction new_action, old_action;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (act && copy_from_user(&new_action, act, sizeof(new_action)))
		return -EFAULT;
	if (!sigaction_signal_ok(sig, act != 0))
		return -EINVAL;
	struct process *p = process_current();
	new_action.mask &= ~SIGMASK_UNBLOCKABLE;

	unsigned long flags = spin_lock_irqsave(&p->lock);
	old_action = p->signals.actions[sig - 1];
	if (act) {
		p->signals.actions[sig - 1] = new_action;
		if (new_action.handler == SIG_IGN ||
		    (new_action.handler == SIG_DFL && sig_default_action(sig) == SIG_DEFAULT_IGNORE))
			__atomic_and_fetch(&p->signals.pending, ~SIGMASK_BIT(sig), __ATOMIC_SEQ_CST);
	}
	spin_unlock_irqrestore(&p->lock, flags);

	if (oldact && copy_to_user(oldact, &old_action, sizeof(old_action)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(int how, virt_addr_t set, virt_addr_t oldset, size_t sigsetsize)
{
	uint64_t old_mask, new_set;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	struct process *p = process_current();
	old_mask = p->signals.blocked;
	if (set) {
		if (copy_from_user(&new_set, set, sizeof(new_set)))
			return -EFAULT;
		uint64_t mask = old_mask;
		int ret = sigmask_update(&mask, how, new_set);
		if (ret)
			return ret;
		p->signals.blocked = mask; /* only this thread writes it */
	}
	if (oldset && copy_to_user(oldset, &old_mask, sizeof(old_mask)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigreturn(struct trap_frame *frame)
{
	return signal_return(frame);
}

long sys_kill(int pid, int sig)
{
	return signal_kill_user(pid, sig, SI_USER);
}

long sys_tkill(int tid, int sig)
{
	if (tid <= 0)
		return -EINVAL;
	return signal_kill_user(tid, sig, SI_TKILL);
}

long sys_tgkill(int tgid, int tid, int sig)
{
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tid != tgid)
		return sig < 0 || sig > LINUX_NSIG ? -EINVAL : -ESRCH; /* one thread a process */
	return signal_kill_user(tid, sig, SI_TKILL);
}

long sys_pause(void)
{
	return signal_wait();
}

long sys_rt_sigsuspend(virt_addr_t mask, size_t sigsetsize)
{
	uint64_t new_mask;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&new_mask, mask, sizeof(new_mask)))
		return -EFAULT;
	signal_suspend_mask(new_mask);
	return signal_wait();
}

long sys_rt_sigpending(virt_addr_t set, size_t sigsetsize)
{
	struct process *p = process_current();

	if (sigsetsize > SIGSET_SIZE)
		return -EINVAL;
	uint64_t pending = __atomic_load_n(&p->signals.pending, __ATOMIC_SEQ_CST) &
			   p->signals.blocked;
	if (copy_to_user(set, &pending, sigsetsize))
		return -EFAULT;
	return 0;
}

long sys_sigaltstack(virt_addr_t ss, virt_addr_t old_ss)
{
	struct signal_state *s = &process_current()->signals;
	struct linux_stack new_stack, old_stack;
	uint64_t sp = user_mode_frame()->rsp; /* the caller's stack pointer */
	bool on_stack = s->altstack_size && sp - s->altstack_sp <= s->altstack_size;

	old_stack = (struct linux_stack){
		.ss_sp = s->altstack_sp, .ss_size = s->altstack_size,
		.ss_flags = !s->altstack_size ? SS_DISABLE : on_stack ? SS_ONSTACK : 0,
	};
	if (ss) {
		if (copy_from_user(&new_stack, ss, sizeof(new_stack)))
			return -EFAULT;
		if (on_stack)
			return -EPERM;
		if (new_stack.ss_flags != 0 && new_stack.ss_flags != SS_DISABLE &&
		    new_stack.ss_flags != SS_ONSTACK)
			return -EINVAL;
		if (new_stack.ss_flags == SS_DISABLE) {
			s->altstack_sp = 0;
			s->altstack_size = 0;
		} else {
			if (new_stack.ss_size < MINSIGSTKSZ)
				return -ENOMEM;
			s->altstack_sp = new_stack.ss_sp;
			s->altstack_size = new_stack.ss_size;
		}
	}
	if (old_ss && copy_to_user(old_ss, &old_stack, sizeof(old_stack)))
		return -EFAULT;
	return 0;
}
