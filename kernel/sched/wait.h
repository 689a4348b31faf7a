/*
 * wait.h - wait queues: threads sleeping until something happens.
 *
 * A wait queue is a list of BLOCKED threads and a spinlock. A thread that
 * needs a condition (a key pressed, a mutex free, a thread dead) checks it
 * with interrupts off and, if it does not hold, puts itself on the queue
 * and calls schedule(); whoever makes the condition true (a thread, or an
 * interrupt handler) wakes one waiter or all of them, and each rechecks.
 * Checking with interrupts off closes the window between "the condition
 * is false" and "I am on the queue" in which a wake-up would be lost (on
 * SMP the queue's lock does that job). wait_event() is the loop.
 *
 * Invariants:
 *   [x] a thread is on a queue exactly while it is BLOCKED with
 *       waiting_on == that queue; waiters are woken in the order they came.
 * Context: wait_queue_block from a thread (not idle) with interrupts off;
 * wake-ups from any context, interrupt handlers included.
 */
#ifndef KERNEL_SCHED_WAIT_H
#define KERNEL_SCHED_WAIT_H

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
 * Block the calling thread on wq until a wake-up; returns after it ran
 * again (the caller rechecks its condition). Interrupts off.
 */
void wait_queue_block(struct wait_queue *wq);

/* Wake the oldest waiter; returns it, or NULL if none waited. Any context. */
struct thread *wait_queue_wake_one(struct wait_queue *wq);

/* Wake every waiter; returns how many. Any context. */
size_t wait_queue_wake_all(struct wait_queue *wq);

/* Threads waiting on wq now. */
size_t wait_queue_count(struct wait_queue *wq);

/*
 * Sleep until cond is true (cond is evaluated with interrupts off, any
 * number of times). From a thread with interrupts on; returns with them on.
 */
#define wait_event(wq, cond)                                          \
	do {                                                          \
		unsigned long wait_event_flags_ = arch_irq_save();    \
		while (!(cond))                                       \
			wait_queue_block(wq);                         \
		arch_irq_restore(wait_event_flags_);                  \
	} while (0)

#endif
