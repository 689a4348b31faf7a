/*
 * sys_signal.c - rt_sigaction, rt_sigprocmask (see sys_signal.h).
 *
 * Linux's order of checks: the set size (EINVAL), reading the new action or
 * set from the process (EFAULT), the signal number or `how` (EINVAL), then
 * writing the old one back (EFAULT: the change has been made by then, as in
 * Linux). The new action is stored under the process's lock, because
 * signal_send reads actions[] from another thread; the copies are made
 * outside it (a copy may fault and sleep).
 *
 * Invariants:
 *   [x] no user copy runs with the process lock held;
 *   [x] a stored action's mask never holds SIGKILL or SIGSTOP.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_signal.h"

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
	if (act)
		p->signals.actions[sig - 1] = new_action;
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
