/*
 * wait.c - wait queues (see wait.h): blocking on one, waking one or all.
 *
 * Invariants:
 *   [x] waiters, and the state of a thread on it, change only under the
 *       queue's lock;
 *   [x] a woken thread leaves the queue before it becomes READY (or
 *       RUNNING again), so a second wake-up never finds it there;
 *   [x] a thread taken off (wait_queue_take_locked) had left its CPU
 *       (on_rq clear: it is not in its wait loop) and stays BLOCKED on no
 *       queue until its taker hands off to it or wakes it: nobody else
 *       finds it (wakers, timeouts and signals look on the queue);
 *   [x] a wait_timeout's expiry sets `expired` before it takes the
 *       queue's lock to wake, as any waker sets its condition first.
 * Context: blocking from a thread with interrupts off; waking from any.
 * Lock order: "timeouts" (a wait_timeout's expiry) -> the queue's lock ->
 * the woken thread's sched_lock -> a run-queue lock (sched_wake_thread);
 * nothing else inside it.
 */
#include "kernel/sched/wait.h"

#include "kernel/sched/schedule.h"
#include "kernel/sched/timeout.h"
#include "kernel/timer.h"
#include "lib/panic.h"

void wait_queue_init(struct wait_queue *wq, const char *name)
{
	spin_lock_init(&wq->lock, name);
	list_init(&wq->waiters);
	wq->name = name;
}

/* The caller joins wq, BLOCKED; wq's lock held. */
static void add_self(struct wait_queue *wq)
{
	struct thread *t = thread_current();

	ASSERT(t != sched_idle_thread(), "wait_prepare: the idle thread never blocks");
	wait_add_thread_locked(wq, t);
}

void wait_prepare(struct wait_queue *wq)
{
	ASSERT_IRQS_OFF();
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	add_self(wq);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void wait_cancel(struct wait_queue *wq)
{
	ASSERT_IRQS_OFF();
	struct thread *t = thread_current();
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	if (!list_empty(&t->wait_link)) { /* nobody woke us: no one else touches us */
		list_remove(&t->wait_link);
		t->waiting_on = NULL;
		t->state = THREAD_RUNNING;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	/* A waker that took us off made us RUNNING again (we had not reached schedule()). */
	ASSERT(t->state == THREAD_RUNNING, "wait_cancel: woken but not running");
}

unsigned long wait_queue_block_locked(struct wait_queue *wq, unsigned long flags)
{
	ASSERT_IRQS_OFF();
	add_self(wq);
	spin_unlock_irqrestore(&wq->lock, flags); /* interrupts stay off: flags had them off */
	schedule();
	return spin_lock_irqsave(&wq->lock);
}

/* Take t off wq and make it ready. wq's lock held. */
static void wake_locked(struct thread *t)
{
	list_remove(&t->wait_link);
	sched_wake_thread(t);
}

struct thread *wait_queue_wake_one_locked(struct wait_queue *wq)
{
	struct thread *t = NULL;

	if (!list_empty(&wq->waiters)) {
		t = list_first_entry(&wq->waiters, struct thread, wait_link);
		wake_locked(t);
	}
	return t;
}

struct thread *wait_queue_wake_one(struct wait_queue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	struct thread *t = wait_queue_wake_one_locked(wq);

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

bool wait_queue_wake_thread(struct wait_queue *wq, struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	bool waiting = t->waiting_on == wq && !list_empty(&t->wait_link);

	if (waiting)
		wake_locked(t);
	spin_unlock_irqrestore(&wq->lock, flags);
	return waiting;
}

/* A wait_timeout's expiry, in the tick: say so, then wake its thread if it still waits. */
static void wait_timeout_fire(struct timeout *to)
{
	struct wait_timeout *w = container_of(to, struct wait_timeout, to);

	__atomic_store_n(&w->expired, true, __ATOMIC_RELEASE);
	wait_queue_wake_thread(w->wq, w->thread); /* at the interrupt's exit it may run */
}

void wait_timeout_begin(struct wait_timeout *w, struct wait_queue *wq, uint64_t ticks)
{
	ASSERT_IRQS_OFF();
	w->wq = wq;
	w->thread = thread_current();
	w->armed = false;
	w->expired = ticks == 0; /* no wait at all: cond is checked once */
	list_init(&w->to.link);
	if (ticks == 0 || ticks == UINT64_MAX)
		return;
	uint64_t now = timer_ticks();
	w->armed = true;
	timeout_add(&w->to, now + ticks < now ? UINT64_MAX - 1 : now + ticks, wait_timeout_fire);
}

void wait_timeout_end(struct wait_timeout *w)
{
	ASSERT_IRQS_OFF();
	if (w->armed)
		timeout_cancel(&w->to); /* after it, the expiry is not running and never will */
}
