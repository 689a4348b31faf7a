/*
 * semaphore.c - counting semaphores (see semaphore.h).
 *
 * Invariants:
 *   [x] count changes only with interrupts off (one CPU; SMP adds the
 *       queue's spinlock), so a down and an up never interleave.
 * Context: down from a thread, up from anywhere.
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
	unsigned long flags = arch_irq_save();

	while (s->count == 0)
		wait_queue_block(&s->waiters);
	s->count--;
	arch_irq_restore(flags);
}

bool semaphore_trydown(struct semaphore *s)
{
	unsigned long flags = arch_irq_save();
	bool taken = s->count > 0;

	if (taken)
		s->count--;
	arch_irq_restore(flags);
	return taken;
}

void semaphore_up(struct semaphore *s)
{
	unsigned long flags = arch_irq_save();

	s->count++;
	wait_queue_wake_one(&s->waiters);
	arch_irq_restore(flags);
	sched_preempt_point();
}
