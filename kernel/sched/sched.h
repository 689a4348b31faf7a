/*
 * sched.h - the scheduling policy: who runs next, for how long, and when a
 * sleeper wakes. No context switching here (that is schedule.c): these
 * functions only move threads between lists and decide, so the same file
 * builds into a host test program that drives it with a simulated clock
 * (tests/host/test_sched.c).
 *
 * Each CPU has a run queue: one FIFO list per priority level and a bitmap
 * of the non-empty levels, so picking the next thread is one bit scan and
 * one list removal. Within a level threads take turns (round robin); a
 * thread that used up its time slice (SCHED_SLICE_TICKS ticks) goes to the
 * back of its level. A higher level always runs before a lower one. Each
 * CPU also keeps the sleepers, sorted by the tick they wake at. Affinity
 * is a CPU bitmask per thread: a thread is only ever queued on a CPU it
 * allows. The queues are per CPU so that SMP can later add work stealing
 * (an idle CPU taking from a busy one's queue, affinity permitting).
 *
 * Context: every function runs with interrupts off (ASSERT_IRQS_OFF); on
 * one CPU that is the whole locking. With SMP each queue gets a spinlock.
 */
#ifndef KERNEL_SCHED_SCHED_H
#define KERNEL_SCHED_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/sched_arch.h"
#include "kernel/sched/thread.h"

#define SCHED_SLICE_TICKS 3 /* a time slice, in timer ticks */

/* All CPUs' affinity bits. */
#define SCHED_ALL_CPUS CPUMASK_FIRST(SCHED_MAX_CPUS)

/*
 * Reset the policy: empty queues, `cpus` CPUs online (1 .. SCHED_MAX_CPUS).
 * Returns 0, or -EINVAL for a bad count. Interrupts off.
 */
int sched_policy_init(unsigned cpus) __must_check;

/* How many CPUs are online. */
unsigned sched_cpus_online(void);

/*
 * Put t (state READY, on no list) at the back of its level on a CPU it
 * allows: the one it last ran on if allowed and online, else the first
 * allowed online CPU. Gives t a fresh slice if it has none left. Returns
 * the CPU, or -EINVAL if t allows no online CPU (t is not queued).
 */
int sched_enqueue(struct thread *t) __must_check;

/* Take a READY t off its run queue (before changing its priority or affinity). */
void sched_dequeue(struct thread *t);

/*
 * Remove and return the next thread for `cpu`: the head of its highest
 * non-empty level; NULL if the queue is empty (the CPU idles). The caller
 * makes it RUNNING.
 */
struct thread *sched_pick_next(unsigned cpu);

/* Is a thread ready on cpu at a priority above `priority`? (-1: any ready thread.) */
bool sched_ready_above(unsigned cpu, int priority);

/* Threads ready on cpu's queue. */
unsigned sched_ready_count(unsigned cpu);

/*
 * One timer tick on cpu at time `now` (ticks), with `curr` running (NULL:
 * idle). Wakes every sleeper whose wake_tick <= now (READY, queued),
 * charges curr one tick of its slice, and returns true when curr should
 * give up the CPU: its slice is over and another thread of its level or
 * above is ready, or a woken thread outranks it (or the CPU idles and
 * something is ready). A thread whose slice ran out but that is alone at
 * its level keeps running with a new slice.
 */
bool sched_tick(unsigned cpu, struct thread *curr, uint64_t now);

/* Put curr (RUNNING on cpu) to sleep until tick wake (SLEEPING, on the sleep list). */
void sched_sleep_until(unsigned cpu, struct thread *curr, uint64_t wake);

/*
 * Make a BLOCKED (or SLEEPING: taken off its sleep list) thread READY and
 * queue it. Returns true when it outranks `curr`, the thread running on the
 * CPU it was queued on (NULL: that CPU idles): the caller asks that CPU to
 * reschedule.
 */
bool sched_wake(struct thread *t, const struct thread *curr);

/* Sleepers on cpu's list. */
unsigned sched_sleeping_count(unsigned cpu);

/*
 * Set t's priority (THREAD_PRIO_MIN .. MAX) or affinity (non-zero, must
 * include an online CPU); a READY t is requeued. Returns 0 or -EINVAL.
 */
int sched_set_priority(struct thread *t, int priority) __must_check;
int sched_set_affinity(struct thread *t, cpumask_t mask) __must_check;

#endif
