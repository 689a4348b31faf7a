/*
 * wait.c - wait queues (see wait.h): blocking on one, waking one or all.
 *
 * Invariants:
 *   [x] waiters only changes under the queue's lock;
 *   [x] a woken thread leaves the queue before it becomes READY, so a
 *       second wake-up never finds it there.
 * Context: blocking from a thread with interrupts off; waking from any.
 * Lock order: the queue's lock is a leaf (the policy runs inside it with
 * interrupts off, and takes no lock).
 */
#include "kernel/sched/wait.h"

#include "kernel/sched/schedule.h"
#include "lib/panic.h"

void wait_queue_init(struct wait_queue *wq, const char *name)
{
	spin_lock_init(&wq->lock, name);
	list_init(&wq->waiters);
	wq->name = name;
}

void wait_queue_block(struct wait_queue *wq)
{
	ASSERT_IRQS_OFF();
	struct thread *t = thread_current();

	ASSERT(t != sched_idle_thread(), "wait_queue_block: the idle thread never blocks");
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	t->state = THREAD_BLOCKED;
	t->waiting_on = wq;
	list_add_tail(&wq->waiters, &t->wait_link);
	spin_unlock_irqrestore(&wq->lock, flags); /* interrupts stay off: flags had them off */
	schedule();
}

/* Take t off wq and make it ready. wq's lock held. */
static void wake_locked(struct thread *t)
{
	list_remove(&t->wait_link);
	sched_wake_thread(t);
}

struct thread *wait_queue_wake_one(struct wait_queue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	struct thread *t = NULL;

	if (!list_empty(&wq->waiters)) {
		t = list_first_entry(&wq->waiters, struct thread, wait_link);
		wake_locked(t);
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	sched_preempt_point();
	return t;
}

size_t wait_queue_wake_all(struct wait_queue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	size_t n = 0;

	while (!list_empty(&wq->waiters)) {
		wake_locked(list_first_entry(&wq->waiters, struct thread, wait_link));
		n++;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	sched_preempt_point();
	return n;
}

size_t wait_queue_count(struct wait_queue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	size_t n = list_count(&wq->waiters);

	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}
