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
	list_init(&m->held_link);
	wait_queue_init(&m->waiters, name);
}

/* Make t (or nobody) m's owner, keeping the owners' held lists right. Interrupts off. */
static void set_owner(struct mutex *m, struct thread *t)
{
	list_remove(&m->held_link);
	m->owner = t;
	if (t)
		list_add_tail(&t->mutexes_held, &m->held_link);
}

/* m's owner lets go: hand it to the oldest waiter, or free it. Interrupts off. */
static void hand_over(struct mutex *m)
{
	if (list_empty(&m->waiters.waiters)) {
		set_owner(m, NULL);
		return;
	}
	set_owner(m, list_first_entry(&m->waiters.waiters, struct thread, wait_link));
	wait_queue_wake_one(&m->waiters);
}

void mutex_lock(struct mutex *m)
{
	unsigned long flags = arch_irq_save();
	struct thread *self = thread_current();

	if (m->owner == NULL) {
		set_owner(m, self);
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
		set_owner(m, thread_current());
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
	hand_over(m);
	arch_irq_restore(flags);
	sched_preempt_point();
}

void mutex_release_dead_owner(struct mutex *m, struct thread *t)
{
	ASSERT_IRQS_OFF();
	ASSERT(m->owner == t, "mutex_release_dead_owner: the thread does not own the mutex");
	hand_over(m);
}

bool mutex_is_held(const struct mutex *m)
{
	return m->owner == thread_current();
}
