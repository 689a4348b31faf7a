/*
 * mutex.c - sleeping locks (see mutex.h).
 *
 * Invariants:
 *   [x] owner, contended and the owners' held lists change only under the
 *       mutex's wait-queue lock (waiters.lock), which also guards the
 *       check "owner != self" against the blocking: no hand-over is lost;
 *   [x] a hand-off makes the woken waiter the owner before it runs, so a
 *       thread returning from wait_queue_block_locked finds owner == itself.
 * Context: threads, interrupts on or off (blocking needs a thread). Lock
 * order: waiters.lock -> (waking) a thread's sched_lock -> a run-queue lock;
 * the deadlock report prints with waiters.lock held.
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

/* Make t (or nobody) m's owner, keeping the owners' held lists right. m's queue lock held. */
static void set_owner(struct mutex *m, struct thread *t)
{
	list_remove(&m->held_link);
	m->owner = t;
	if (t)
		list_add_tail(&t->mutexes_held, &m->held_link);
}

/* m's owner lets go: hand it to the oldest waiter, or free it. m's queue lock held. */
static void hand_over(struct mutex *m)
{
	if (list_empty(&m->waiters.waiters)) {
		set_owner(m, NULL);
		return;
	}
	set_owner(m, list_first_entry(&m->waiters.waiters, struct thread, wait_link));
	wait_queue_wake_one_locked(&m->waiters);
}

#define DEADLOCK_CHAIN_MAX 64 /* owner -> mutex -> owner steps followed at most */

/*
 * Would self waiting for m close a cycle? Follows m's owner, the mutex that
 * owner waits for, its owner, ...; if the chain comes back to self, prints
 * it and returns true. m's queue lock held; the other mutexes of the chain
 * are read unlocked (each pointer once, into chain[]): on SMP a chain that
 * changes meanwhile may be missed, never misreported as a cycle that was
 * not there when each link was read.
 */
static bool deadlock_report(struct mutex *m, struct thread *self)
{
	struct thread *owners[DEADLOCK_CHAIN_MAX];
	struct mutex *wants[DEADLOCK_CHAIN_MAX];
	struct mutex *at = m;
	int n = 0;

	for (;;) {
		struct thread *o = __atomic_load_n(&at->owner, __ATOMIC_ACQUIRE);
		if (o == NULL || n == DEADLOCK_CHAIN_MAX)
			return false;
		if (o == self)
			break;
		struct mutex *w = __atomic_load_n(&o->waiting_mutex, __ATOMIC_ACQUIRE);
		if (w == NULL || __atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != THREAD_BLOCKED)
			return false;
		owners[n] = o;
		wants[n] = w;
		n++;
		at = w;
	}
	kprintf("deadlock: thread %lu (%s) waits for mutex '%s'", self->id, self->name,
		m->waiters.name);
	for (int i = 0; i < n; i++)
		kprintf(", held by thread %lu (%s), which waits for mutex '%s'", owners[i]->id,
			owners[i]->name, wants[i]->waiters.name);
	kprintf(", held by thread %lu (%s): a cycle\n", self->id, self->name);
	return true;
}

/* Take m, blocking while another thread holds it; check for a cycle first if asked. */
static int lock(struct mutex *m, bool refuse_cycle)
{
	unsigned long irq = arch_irq_save();
	struct thread *self = thread_current();
	unsigned long flags = spin_lock_irqsave(&m->waiters.lock);
	int err = 0;

	if (m->owner == NULL) {
		set_owner(m, self);
	} else {
		if (m->owner == self)
			panic("mutex_lock: thread %lu (%s) already holds mutex '%s'", self->id,
			      self->name, m->waiters.name);
		if ((refuse_cycle || sched_debug_enabled()) && deadlock_report(m, self) &&
		    refuse_cycle) {
			err = -EDEADLK;
		} else {
			m->contended++;
			__atomic_store_n(&self->waiting_mutex, m, __ATOMIC_RELEASE);
			/* The owner hands m over under this lock, so the check cannot miss it. */
			while (m->owner != self)
				flags = wait_queue_block_locked(&m->waiters, flags);
			__atomic_store_n(&self->waiting_mutex, NULL, __ATOMIC_RELEASE);
		}
	}
	spin_unlock_irqrestore(&m->waiters.lock, flags);
	arch_irq_restore(irq);
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
	unsigned long flags = spin_lock_irqsave(&m->waiters.lock);
	bool taken = m->owner == NULL;

	if (taken)
		set_owner(m, thread_current());
	spin_unlock_irqrestore(&m->waiters.lock, flags);
	return taken;
}

void mutex_unlock(struct mutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->waiters.lock);
	struct thread *self = thread_current();

	if (m->owner != self)
		panic("mutex_unlock: thread %lu (%s) does not own mutex '%s'", self->id, self->name,
		      m->waiters.name);
	hand_over(m);
	spin_unlock_irqrestore(&m->waiters.lock, flags);
	sched_preempt_point();
}

void mutex_release_dead_owner(struct mutex *m, struct thread *t)
{
	ASSERT_IRQS_OFF();
	unsigned long flags = spin_lock_irqsave(&m->waiters.lock);

	ASSERT(m->owner == t, "mutex_release_dead_owner: the thread does not own the mutex");
	hand_over(m);
	spin_unlock_irqrestore(&m->waiters.lock, flags);
}

bool mutex_is_held(const struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE) == thread_current();
}
