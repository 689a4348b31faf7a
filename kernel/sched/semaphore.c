/*
 * semaphore.c - counting semaphores (see semaphore.h).
 *
 * Invariants:
 *   [x] count changes only under the wait queue's lock (waiters.lock),
 *       which also guards down's "count == 0, so block": an up on another
 *       CPU either comes before the check or finds the waiter queued.
 * Context: down from a thread, up from anywhere. Lock order: waiters.lock
 * -> (waking) a thread's sched_lock -> a run-queue lock.
 */
#include "kernel/sched/semaphore.h"

#include "kernel/sched/schedule.h"

void semaphore_init(struct semaphore *s, unsigned long count, const char *name)
{
	s->count = count;
	wait_queue_init(&s->waiters, name);
}

void semaphore_down(struct semaphore *s)
{
	unsigned long irq = arch_irq_save();
	unsigned long flags = spin_lock_irqsave(&s->waiters.lock);

	while (s->count == 0) /* an up takes this lock: it cannot slip in before we block */
		flags = wait_queue_block_locked(&s->waiters, flags);
	s->count--;
	spin_unlock_irqrestore(&s->waiters.lock, flags);
	arch_irq_restore(irq);
}

bool semaphore_trydown(struct semaphore *s)
{
	unsigned long flags = spin_lock_irqsave(&s->waiters.lock);
	bool taken = s->count > 0;

	if (taken)
		s->count--;
	spin_unlock_irqrestore(&s->waiters.lock, flags);
	return taken;
}

void semaphore_up(struct semaphore *s)
{
	unsigned long flags = spin_lock_irqsave(&s->waiters.lock);

	s->count++;
	wait_queue_wake_one_locked(&s->waiters);
	spin_unlock_irqrestore(&s->waiters.lock, flags);
	sched_preempt_point();
}
