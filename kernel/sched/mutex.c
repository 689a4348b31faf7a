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
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"

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

#define DEADLOCK_CHAIN_MAX 64 /* owner -> mutex -> owner steps followed at most */

/*
 * Would self waiting for m close a cycle? Follows m's owner, the mutex that
 * owner waits for, its owner, ...; if the chain comes back to self, prints
 * it and returns true. Interrupts off.
 */
static bool deadlock_report(struct mutex *m, struct thread *self)
{
	struct mutex *at = m;
	int steps = 0;

	while (at->owner && at->owner != self && steps < DEADLOCK_CHAIN_MAX) {
		struct thread *o = at->owner;
		if (o->state != THREAD_BLOCKED || !o->waiting_mutex)
			return false;
		at = o->waiting_mutex;
		steps++;
	}
	if (at->owner != self)
		return false;
	kprintf("deadlock: thread %lu (%s) waits for mutex '%s'", self->id, self->name,
		m->waiters.name);
	for (at = m; at->owner != self; at = at->owner->waiting_mutex)
		kprintf(", held by thread %lu (%s), which waits for mutex '%s'", at->owner->id,
			at->owner->name, at->owner->waiting_mutex->waiters.name);
	kprintf(", held by thread %lu (%s): a cycle\n", self->id, self->name);
	return true;
}

/* Take m, blocking while another thread holds it; check for a cycle first if asked. */
static int lock(struct mutex *m, bool refuse_cycle)
{
	unsigned long flags = arch_irq_save();
	struct thread *self = thread_current();
	int err = 0;

	if (m->owner == NULL) {
		set_owner(m, self);
	} else {
		if (m->owner == self)
			panic("mutex_lock: thread %lu (%s) already holds mutex '%s'", self->id,
			      self->name, m->waiters.name);
		if ((refuse_cycle || sched_debug_enabled()) && deadlock_report(m, self) &&
		    refuse_cycle) {
			arch_irq_restore(flags);
			return -EDEADLK;
		}
		m->contended++;
		self->waiting_mutex = m;
		while (m->owner != self)
			wait_queue_block(&m->waiters);
		self->waiting_mutex = NULL;
	}
	arch_irq_restore(flags);
	return err;
}

void mutex_lock(struct mutex *m)
{
	MUST_SUCCEED(lock(m, false), "mutex_lock: waiting is never refused");
}

int mutex_lock_checked(struct mutex *m)
{
	return lock(m, true);
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
