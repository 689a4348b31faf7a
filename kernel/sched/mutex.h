/*
 * mutex.h - sleeping locks with a recorded owner.
 *
 * A mutex protects data for longer than a spinlock should be held, in code
 * that may sleep. A thread that finds it taken blocks on the mutex's wait
 * queue instead of spinning. Unlocking hands the mutex straight to the
 * oldest waiter (it becomes the owner before it runs), so waiters are
 * served in order and none starves. The owner is recorded: unlocking a
 * mutex one does not own or locking one twice is reported, and a deadlock
 * detector can later follow owner -> waiting_on -> owner chains.
 *
 * Invariants:
 *   [x] owner is NULL exactly when nobody holds the mutex; then no thread
 *       waits on it;
 *   [x] only the owner unlocks.
 * Context: threads only (not the idle thread, not interrupt handlers).
 */
#ifndef KERNEL_SCHED_MUTEX_H
#define KERNEL_SCHED_MUTEX_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/wait.h"

struct mutex {
	struct thread *owner;
	struct wait_queue waiters;
	uint64_t contended;     /* lock calls that had to wait */
};

/* static struct mutex m = MUTEX_INIT(m, "name"); */
#define MUTEX_INIT(m, mname) {NULL, WAIT_QUEUE_INIT((m).waiters, mname), 0}

void mutex_init(struct mutex *m, const char *name);

/* Take m, sleeping while another thread holds it. Panics if the caller holds it. */
void mutex_lock(struct mutex *m);

/* Take m if it is free; returns whether it did. */
bool mutex_trylock(struct mutex *m) __must_check;

/* Release m, handing it to the oldest waiter. Panics if the caller does not own it. */
void mutex_unlock(struct mutex *m);

/* Does the calling thread hold m? */
bool mutex_is_held(const struct mutex *m);

#endif
