/*
 * sched.h - the scheduling policy: who runs next, where, for how long, and
 * when a sleeper wakes. No context switching here (that is schedule.c):
 * these functions only move threads between lists and decide, so the same
 * file builds into a host test program that drives it with a simulated
 * clock and simulated CPUs (tests/host/test_sched.c).
 *
 * Each CPU has a run queue, under its own spinlock: one FIFO list per
 * priority level and a bitmap of the non-empty levels, so picking the next
 * thread is one bit scan and one list removal. Within a level threads take
 * turns (round robin); a thread that used up its time slice
 * (SCHED_SLICE_TICKS ticks) goes to the back of its level. A higher level
 * always runs before a lower one. Each CPU also keeps its sleepers, sorted
 * by the tick they wake at. Affinity is a CPU bitmask per thread: a thread
 * is only ever queued on, stolen to or run on a CPU it allows.
 *
 * SMP: a CPU whose queue is empty steals a READY thread from the busiest
 * other queue (sched_pick_next); the tick pulls one from a queue two or
 * more longer than its own.
 * A new or woken thread goes to the least loaded CPU it allows (load:
 * ready threads plus one if a thread runs there; ties keep the CPU it last
 * ran on, then the lowest number), so an idle CPU gets it rather than a
 * busy one. A thread still switching out of its CPU (on_cpu) is never
 * stolen or moved: it can only go back on that CPU's queue.
 *
 * Context: every function runs with interrupts off (ASSERT_IRQS_OFF) and
 * takes the locks it needs itself (sched.c's opening gives the order).
 */
#ifndef KERNEL_SCHED_SCHED_H
#define KERNEL_SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/sched/sched_arch.h"
#include "kernel/sched/thread.h"

#define SCHED_SLICE_TICKS 3 /* a time slice, in timer ticks */

/* All CPUs' affinity bits. */
#define SCHED_ALL_CPUS CPUMASK_FIRST(SCHED_MAX_CPUS)

/* sched_wake's result: the thread outranks what runs where it was queued. */
#define SCHED_WAKE_PREEMPT 1

/*
 * Reset the policy: empty queues, CPUs 0 .. cpus-1 online (1 ..
 * SCHED_MAX_CPUS). Returns 0, or -EINVAL for a bad count. Interrupts off,
 * no other CPU scheduling.
 */
int sched_policy_init(unsigned cpus) __must_check;

/*
 * Bring cpu into the policy: from now on threads are queued on it and it
 * steals. Returns 0; -EINVAL if cpu >= SCHED_MAX_CPUS; -EEXIST if it is
 * online already. Interrupts off (the CPU itself, sched_start_secondary).
 */
int sched_cpu_set_online(unsigned cpu) __must_check;

/* How many CPUs are online, which ones, and is cpu one of them. Any context. */
unsigned sched_cpus_online(void);
cpumask_t sched_online_mask(void);
bool sched_cpu_is_online(unsigned cpu);

/*
 * Queue t (state READY, on no list, its caller owning it: new, or woken and
 * off its wait queue) at the back of its level on a CPU it allows: its own
 * CPU if t is still switching out there (on_cpu), else the least loaded
 * (see the file comment). Gives t a fresh slice if it has none left.
 * Returns the CPU; -EINVAL if t allows no online CPU; -EBUSY if t is on_cpu
 * and its affinity no longer allows that CPU (wait until on_cpu clears).
 * Nothing is queued on an error.
 */
int sched_enqueue(struct thread *t) __must_check;

/*
 * schedule()'s first step for prev, the thread leaving `cpu` (not the idle
 * thread). A RUNNING prev (a yield, a preemption) goes to the back of its
 * level on cpu's queue; one that blocked, slept or died is taken out of the
 * policy (on_rq false: from now on a wake-up queues it). Returns 0, or
 * -EBUSY when a RUNNING prev's affinity no longer allows cpu: it is left
 * READY on no queue, and the caller queues it with sched_enqueue once its
 * switch-out is complete (on_cpu clear).
 */
int sched_put_prev(unsigned cpu, struct thread *prev) __must_check;

/*
 * Remove and return the next thread for online `cpu`: the head of its
 * highest non-empty level; if its queue is empty, a thread stolen from the
 * busiest other queue (the first, highest level first, that allows cpu and
 * is not on_cpu); NULL if there is none (the CPU idles). The thread is made
 * RUNNING on cpu, on_cpu set (the mechanism clears it after the switch
 * away from it).
 */
struct thread *sched_pick_next(unsigned cpu);

/*
 * sched_put_prev then sched_pick_next, in one hold of cpu's queue lock when
 * prev goes back on it (the common yield and preemption). *prev_must_move
 * is set when sched_put_prev would have returned -EBUSY. Returns the next
 * thread (maybe prev itself, RUNNING again), or NULL (the CPU idles).
 */
struct thread *sched_put_prev_pick_next(unsigned cpu, struct thread *prev, bool *prev_must_move);

/* Is a thread ready on cpu at a priority above `priority`? (-1: any ready thread.) */
bool sched_ready_above(unsigned cpu, int priority);

/* Threads ready on cpu's queue. */
unsigned sched_ready_count(unsigned cpu);

/*
 * Would t, queued on cpu, preempt what runs there (it outranks the running
 * thread, or the CPU idles)? A hint read without the lock. Any context.
 */
bool sched_should_preempt(unsigned cpu, const struct thread *t);

/*
 * Copy the id and name of the thread running on cpu (under its queue's
 * lock, so they belong to one live thread). Returns false when cpu idles
 * (nothing copied). Any context.
 */
bool sched_cpu_current(unsigned cpu, uint64_t *id, char *name, size_t size);

/*
 * One timer tick on cpu at time `now` (ticks), with `curr` running (NULL:
 * idle). Wakes every sleeper of cpu whose wake_tick <= now (READY, queued
 * where sched_enqueue puts it), charges curr one tick of its slice, and
 * pulls a thread onto cpu's queue from the busiest queue: when cpu idles
 * with an empty queue, any ready one; when it is busy, only from a queue
 * holding at least two more ready threads than its own (so the queues even
 * out and never pass one thread back and forth). Returns the
 * CPUs that should reschedule: cpu itself when curr's slice is over and a
 * thread of its level or above is ready, or a woken thread outranks it, or
 * it idles and something is ready; another CPU when a woken thread queued
 * there outranks what it runs. A thread whose slice ran out but that is
 * alone at its level keeps running with a new slice.
 */
cpumask_t sched_tick(unsigned cpu, struct thread *curr, uint64_t now);

/* Put curr (RUNNING on cpu) to sleep until tick wake (SLEEPING, on cpu's sleep list). */
void sched_sleep_until(unsigned cpu, struct thread *curr, uint64_t wake);

/*
 * Wake t, BLOCKED and off its wait queue (the waker took it off under the
 * queue's lock). If t has not yet left its CPU (on_rq: it is between
 * "add me to the queue" and schedule()), it just becomes RUNNING again;
 * else it becomes READY and is queued (sched_enqueue). *cpu receives the
 * CPU concerned. Returns SCHED_WAKE_PREEMPT when t outranks what runs
 * there (the caller asks that CPU to reschedule), 0 when not, -EBUSY as
 * sched_enqueue (nothing changed: wait until on_cpu clears, call again).
 */
int sched_wake(struct thread *t, unsigned *cpu) __must_check;

/* Sleepers on cpu's list. */
unsigned sched_sleeping_count(unsigned cpu);

/*
 * Set t's priority (THREAD_PRIO_MIN .. MAX) or affinity (must include an
 * online CPU); a READY t is requeued (affinity: where sched_enqueue puts
 * it). A RUNNING t keeps running: a new affinity that excludes its CPU
 * takes effect at its next switch (sched_put_prev). Returns the CPU t runs
 * or is queued on (>= 0; the caller asks it to reschedule if needed),
 * -EINVAL (nothing changes), or -EBUSY when t is queued but still
 * switching out of a CPU the new affinity excludes (wait until on_cpu
 * clears, call again).
 */
int sched_set_priority(struct thread *t, int priority) __must_check;
int sched_set_affinity(struct thread *t, cpumask_t mask) __must_check;

#endif
