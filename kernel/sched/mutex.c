/*
 * mutex.c - sleeping locks (see mutex.h).
 *
 * Invariants:
 *   [x] owner changes only with interrupts off (one CPU: that is the
 *       mutex's own lock; SMP takes the wait queue's spinlock for it);
 *   [x] a hand-off makes the woken waiter the owner before it runs, so a
 *       thread returning from wait_queue_block finds owner == itself.
 * Context: threads, interrupts on or off (blocking needs a thread).
 */
#include "kernel/sched/mutex.h"

#include "kernel/sched/schedule.h"
#include "lib/panic.h"

void mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	m->contended = 0;
	wait_queue_init(&m->waiters, name);
}

void mutex_lock(struct mutex *m)
{
	unsigned long flags = arch_irq_save();
	struct thread *self = thread_current();

	if (m->owner == NULL) {
		m->owner = self;
	} else {
		if (m->owner == self)
			panic("mutex_lock: thread %lu (%s) already holds mutex '%s'", self->id,
			      self->name, m->waiters.name);
		m->contended++;
		while (m->owner != self)
			wait_queue_block(&m->waiters);
	}
	arch_irq_restore(flags);
}

bool mutex_trylock(struct mutex *m)
{
	unsigned long flags = arch_irq_save();
	bool taken = m->owner == NULL;

	if (taken)
		m->owner = thread_current();
	arch_irq_restore(flags);
	return taken;
}

void mutex_unlock(struct mutex *m)
{
	unsigned long flags = arch_irq_save();
	struct thread *self = thread_current();

	if (m->owner != self)
		panic("mutex_unlock: thread %lu (%s) does not own mutex '%s'", self->id, self->name,
		      m->waiters.name);
	m->owner = NULL;
	if (!list_empty(&m->waiters.waiters)) {
		m->owner = list_first_entry(&m->waiters.waiters, struct thread, wait_link);
		wait_queue_wake_one(&m->waiters);
	}
	arch_irq_restore(flags);
	sched_preempt_point();
}

bool mutex_is_held(const struct mutex *m)
{
	return m->owner == thread_current();
}
