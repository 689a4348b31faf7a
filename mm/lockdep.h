/*
 * lockdep.h - the lock-order validator (debug mode): it reports two locks
 * taken in opposite orders before the day two CPUs deadlock on them.
 *
 * Every spin_lock* (mm/spinlock.h) calls lockdep_acquire() and every unlock
 * lockdep_release() while the validator is on; off (the default) that is
 * one predictable branch on a global. A lock's class is its name (all
 * locks named "slab cache" are one class), or the lock itself when it has
 * none. The validator keeps, per CPU, the stack of locks held with where
 * each was taken, and a table of orderings seen ("A held when B was taken",
 * with both sites, first time seen). Taking B while holding A, when B before
 * A was seen before, directly or through a chain of other classes, prints
 *   lock order inversion: <A> (taken at <site>) then <B> (taken at <site>);
 *   earlier <B> then <A> at <sites>
 * before the caller spins. Then it carries on: the kernel is not stopped
 * (a report is a bug to fix, not a crash), the new order is recorded so
 * that the same pair is reported once, and lockdep_reports() counts them.
 *
 * Invariants:
 *   [x] tables are static and fixed-size; what overflows them (classes,
 *       orderings, nesting depth) is reported once and left unchecked;
 *   [x] the validator takes only its own raw lock, with interrupts off,
 *       and never re-enters itself on a CPU (printing may take locks).
 * Turned on by the `lockdep` command-line word, `sched_debug`, a
 * SCHED_DEBUG=1 build, or lockdep_set_enabled() (tests). Any context.
 * Host-compilable. Lock order: the validator's lock is innermost of all.
 */
#ifndef MM_LOCKDEP_H
#define MM_LOCKDEP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"

#define LOCKDEP_MAX_CLASSES 128 /* distinct lock names (or unnamed locks) */
#define LOCKDEP_MAX_ORDERS 1024 /* "A then B" pairs remembered */
#define LOCKDEP_MAX_DEPTH 16    /* locks one CPU holds at once */

struct spinlock;

/* Is the validator on? Read inline by every lock operation. */
extern bool lockdep_enabled;

/*
 * l is about to be taken at site ("file:line") on this CPU: check its order
 * against every lock this CPU holds, report an inversion or a recursion,
 * record new orders, then push l on this CPU's stack. Interrupts off.
 */
void lockdep_acquire(struct spinlock *l, const char *site);

/* l was released on this CPU: take it off the stack. Interrupts off. */
void lockdep_release(struct spinlock *l);

/* Switch the validator on or off. Locks held meanwhile are simply unknown to it. */
void lockdep_set_enabled(bool on);

/* Reports printed since boot (or lockdep_reset), and the text of the latest. */
uint64_t lockdep_reports(void);
const char *lockdep_last_report(void);

/* Classes and orderings known: for the shell and tests. */
unsigned lockdep_class_count(void);
unsigned lockdep_order_count(void);

/*
 * Forget every ordering that involves l's class (tests plant inversions
 * between their own locks and clean up after). Interrupts on or off.
 */
void lockdep_forget(struct spinlock *l);

/*
 * Forget everything: classes, orderings, stacks, reports (host tests, which
 * then re-initialise their locks: a lock caches its class). Not while any
 * lock is held.
 */
void lockdep_reset(void);

#endif
