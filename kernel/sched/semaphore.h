/*
 * semaphore.h - counting semaphores that block.
 *
 * A semaphore holds a count of available units. down() takes one, sleeping
 * while there are none; up() gives one back and wakes the oldest sleeper.
 * Unlike a mutex it has no owner: one thread may down and another up
 * (a producer signalling a consumer), and up() may run in an interrupt
 * handler.
 *
 * Invariants:
 *   [x] count >= 0; threads wait only while count == 0.
 * Context: semaphore_down from a thread; semaphore_up from any context.
 */
#ifndef KERNEL_SCHED_SEMAPHORE_H
#define KERNEL_SCHED_SEMAPHORE_H

#include <stdbool.h>

#include "kernel/sched/wait.h"

struct semaphore {
	unsigned long count;
	struct wait_queue waiters;
};

void semaphore_init(struct semaphore *s, unsigned long count, const char *name);

/* Take a unit, sleeping until one is available. */
void semaphore_down(struct semaphore *s);

/* Take a unit if one is available now; returns whether it did. */
bool semaphore_trydown(struct semaphore *s) __must_check;

/* Give a unit back and wake the oldest waiter. Any context. */
void semaphore_up(struct semaphore *s);

#endif
