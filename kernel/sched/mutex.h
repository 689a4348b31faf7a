/*
 * mutex.h - sleeping locks with a recorded owner.
 *
 * A mutex protects data for longer than a spinlock should be held, in code
 * that may sleep. A thread that finds it taken blocks on the mutex's wait
 * queue instead of spinning. Unlocking hands the mutex straight to the
 * oldest waiter (it becomes the owner before it runs), so waiters are
 * served in order and none starves. The owner is recorded: unlocking a
 * mutex one does not own or locking one twice is reported, and the
 * deadlock detector follows owner -> waiting_mutex -> owner chains: in debug
 * mode (schedule.h) mutex_lock reports a cycle before it blocks;
 * mutex_lock_checked always checks and refuses to close one.
 *
 * Invariants:
 *   [x] owner is NULL exactly when nobody holds the mutex; then no thread
 *       waits on it;
 *   [x] only the owner unlocks (or thread_die_of_fault for a dead owner);
 *   [x] a held mutex is on its owner's mutexes_held list, and only then.
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
	struct list_node held_link; /* on owner->mutexes_held */
};

/* static struct mutex m = MUTEX_INIT(m, "name"); */
#define MUTEX_INIT(m, mname) \
	{NULL, WAIT_QUEUE_INIT((m).waiters, mname), 0, LIST_INIT((m).held_link)}

void mutex_init(struct mutex *m, const char *name);

/* Take m, sleeping while another thread holds it. Panics if the caller holds it. */
void mutex_lock(struct mutex *m);

/*
 * Take m like mutex_lock, unless waiting would close a cycle of threads
 * each waiting for a mutex the next one holds (a deadlock): then report
 * the cycle and return -EDEADLK without waiting. Returns 0 once m is held.
 */
int mutex_lock_checked(struct mutex *m) __must_check;

/* Take m if it is free; returns whether it did. */
bool mutex_trylock(struct mutex *m) __must_check;

/* Release m, handing it to the oldest waiter. Panics if the caller does not own it. */
void mutex_unlock(struct mutex *m);

/*
 * Release m on behalf of its owner t, which is dying of a fault: m goes to
 * its oldest waiter as in mutex_unlock. Interrupts off.
 */
void mutex_release_dead_owner(struct mutex *m, struct thread *t);

/* Does the calling thread hold m? */
bool mutex_is_held(const struct mutex *m);

#endif
