/*
 * wait.h - wait queues: threads sleeping until something happens.
 *
 * A wait queue is a list of BLOCKED threads and a spinlock. A thread that
 * needs a condition (a key pressed, a mutex free, a thread dead) puts
 * itself on the queue (BLOCKED) and calls schedule() unless the condition
 * holds; whoever makes the condition true (a thread on any CPU, or an
 * interrupt handler) wakes one waiter or all of them, and each rechecks.
 *
 * No wake-up is lost between "the condition is false" and "I sleep": either
 * the waiter checks its condition after it is on the queue (wait_event:
 * the waker sets the condition before it takes the queue's lock to wake,
 * so a waiter that missed the new value is already on the queue and is
 * woken), or the condition is guarded by the queue's lock itself (mutex,
 * semaphore: wait_queue_block_locked). A waiter woken before it reached
 * schedule() simply goes on running (sched_wake's on_rq case).
 *
 * wait_event_timeout (the same with a limit in ticks) is in timeout.h.
 *
 * Invariants:
 *   [x] a thread is on a queue exactly while it is BLOCKED with
 *       waiting_on == that queue (or taken off by
 *       wait_queue_take_locked, BLOCKED on none, until its taker hands
 *       off to it or wakes it); waiters are woken in the order they came.
 * Context: blocking from a thread (not idle) with interrupts off; wake-ups
 * from any context, interrupt handlers included. Lock order: a queue's
 * lock -> the woken thread's sched_lock -> a run-queue lock (sched.c).
 */
#ifndef KERNEL_SCHED_WAIT_H
#define KERNEL_SCHED_WAIT_H

#include <stdbool.h>
#include <stddef.h>

#include "mm/spinlock.h"
#include "kernel/sched/thread.h"
#include "lib/list.h"

struct wait_queue {
	spinlock_t lock;
	struct list_node waiters; /* BLOCKED threads, by wait_link, oldest first */
	const char *name;         /* what it waits for ("console input", ...) */
};

/* static struct wait_queue q = WAIT_QUEUE_INIT(q, "name"); */
#define WAIT_QUEUE_INIT(q, qname) {SPINLOCK_INIT(qname), LIST_INIT((q).waiters), qname}

void wait_queue_init(struct wait_queue *wq, const char *name);

/*
 * Put the calling thread on wq, BLOCKED (it keeps running until it calls
 * schedule()). Then the caller checks its condition: false, schedule()
 * (returns after a wake-up); true, wait_cancel. Interrupts off.
 */
void wait_prepare(struct wait_queue *wq);

/* The calling thread t joins wq, BLOCKED (wait_prepare's step). wq's lock held. */
static inline void wait_add_thread_locked(struct wait_queue *wq, struct thread *t)
{
	t->state = THREAD_BLOCKED;
	t->waiting_on = wq;
	list_add_tail(&wq->waiters, &t->wait_link);
}

/*
 * After wait_prepare, the condition held: leave wq and run on (RUNNING),
 * whether or not a waker took the caller off already. Interrupts off.
 */
void wait_cancel(struct wait_queue *wq);

/*
 * With wq's lock held (flags: from the spin_lock_irqsave that took it,
 * interrupts already off before it), block the calling thread on wq: it
 * goes on the queue, the lock is released, schedule(); after the wake-up
 * the lock is taken again. Returns the new flags for the caller's unlock.
 * For conditions guarded by wq's lock (mutex owner, semaphore count).
 */
unsigned long wait_queue_block_locked(struct wait_queue *wq, unsigned long flags) __must_check;

/* Wake the oldest waiter; returns it, or NULL if none waited. Any context. */
struct thread *wait_queue_wake_one(struct wait_queue *wq);

/* wait_queue_wake_one with wq's lock held (the caller then calls sched_preempt_point). */
struct thread *wait_queue_wake_one_locked(struct wait_queue *wq);

/* The oldest waiter of wq, or NULL when none waits. wq's lock held. */
static __always_inline struct thread *wait_queue_first_locked(struct wait_queue *wq)
{
	return list_empty(&wq->waiters) ? NULL
					 : list_first_entry(&wq->waiters, struct thread, wait_link);
}

/*
 * Take t, a waiter of wq that has already left its CPU (its schedule()
 * ran: on_rq clear, which the caller checked under wq's lock), off wq
 * without waking it: it stays BLOCKED, on no queue, and no waker, timeout
 * or signal can reach it any more. Only once on_rq is clear: before that it
 * still runs its wait loop and may wait_cancel, which expects a thread
 * taken off to be RUNNING again. After it, only a wake-up through wq (its
 * lock is the caller's) could set on_rq again: read without t's
 * sched_lock, a clear on_rq stays clear. The caller must then hand off to
 * t (sched_handoff_claimed) or sched_wake_thread it. wq's lock held.
 */
static __always_inline void wait_queue_take_locked(struct wait_queue *wq, struct thread *t)
{
	(void)wq;
	list_remove(&t->wait_link); /* still BLOCKED, waiting_on wq: sched_wake clears it */
}

/*
 * Wake t if it is still waiting on wq (a timeout's expiry wakes its own
 * thread, not the oldest). Returns whether it was. Any context.
 */
bool wait_queue_wake_thread(struct wait_queue *wq, struct thread *t);

/* Wake every waiter; returns how many. Any context. */
size_t wait_queue_wake_all(struct wait_queue *wq);

/* Threads waiting on wq now. */
size_t wait_queue_count(struct wait_queue *wq);

/*
 * Sleep until cond is true (cond is evaluated with interrupts off, any
 * number of times; whoever makes it true sets it before waking wq). From a
 * thread with interrupts on; returns with them on.
 */
#define wait_event(wq, cond)                                          \
	do {                                                          \
		unsigned long wait_event_flags_ = arch_irq_save();    \
		while (!(cond)) {                                     \
			wait_prepare(wq);                             \
			if (cond) {                                   \
				wait_cancel(wq);                      \
				break;                                \
			}                                             \
			schedule();                                   \
		}                                                     \
		arch_irq_restore(wait_event_flags_);                  \
	} while (0)

#endif
