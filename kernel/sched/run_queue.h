/*
 * run_queue.h - each CPU's run queue (the policy's, sched.c), and the two
 * steps of IPC's direct handoff that read or change it, inline.
 *
 * The policy keeps one struct run_queue per CPU: READY threads in a FIFO
 * per priority level, a bitmap of the non-empty levels, the thread running
 * there, and the sleepers. Only sched.c changes a queue, except the two
 * handoff steps below: every IPC round trip runs each of them twice (a
 * claim checks sched_handoff_allowed, a switch runs sched_handoff_take),
 * so they are here, inline in the IPC fast path (kernel/sched/switch.h),
 * instead of behind a call.
 *
 *   sched_run_queues[cpu]
 *     lock      levels[p]: READY threads, oldest first     nonempty: bit p
 *     curr      (the thread running on cpu; NULL: idle)     ready, sleeping
 *
 * Invariants (sched.c keeps them):
 *   [x] bit p of nonempty is set exactly when levels[p] is not empty;
 *   [x] curr is RUNNING with on_cpu set, or NULL; only its CPU writes it;
 *   [x] a thread on a queue is READY with on_rq set.
 * Context: interrupts off where said. Lock order: sched.c's.
 */
#ifndef KERNEL_SCHED_RUN_QUEUE_H
#define KERNEL_SCHED_RUN_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/sched.h"
#include "kernel/sched/sched_arch.h"
#include "kernel/sched/thread.h"
#include "lib/compiler.h"
#include "lib/list.h"
#include "mm/spinlock.h"

struct run_queue {
	spinlock_t lock;
	struct list_node levels[THREAD_PRIO_LEVELS]; /* READY threads, FIFO per priority */
	uint32_t nonempty;                           /* bit p: levels[p] has a thread */
	unsigned ready;
	struct thread *curr;                         /* running here; NULL: idle */
	struct list_node sleepers;                   /* SLEEPING threads by wake_tick */
	unsigned sleeping;
};

extern struct run_queue sched_run_queues[SCHED_MAX_CPUS]; /* sched.c's, one per CPU */

/* Make t RUNNING on cpu (its queue rq). rq's lock held, or t the caller's own (a handoff). */
static __always_inline void run_queue_make_current(struct run_queue *rq, struct thread *t,
						   unsigned cpu)
{
	t->state = THREAD_RUNNING;
	t->cpu = cpu;
	t->on_rq = true;
	__atomic_store_n(&t->on_cpu, true, __ATOMIC_RELAXED);
	__atomic_store_n(&rq->curr, t, __ATOMIC_RELAXED);
}

/* Is a thread ready on cpu at a priority above `priority` (-1: any)? A hint without the lock. */
static __always_inline bool run_queue_ready_above(unsigned cpu, int priority)
{
	uint32_t nonempty = __atomic_load_n(&sched_run_queues[cpu].nonempty, __ATOMIC_RELAXED);

	if (priority < 0)
		return nonempty != 0;
	return (nonempty >> (priority + 1)) != 0;
}

/*
 * Could online `cpu` be handed straight to next now: BLOCKED, off every CPU
 * and queue (not on_rq: its schedule() has run; not on_cpu: switched out),
 * allowed on cpu and not outranked by a thread ready there? A check
 * without locks, for a caller about to take next off its wait queue (IPC's
 * fast path decides before it changes anything). Interrupts off.
 */
static __always_inline bool sched_handoff_allowed(unsigned cpu, const struct thread *next)
{
	return next->state == THREAD_BLOCKED && !__atomic_load_n(&next->on_rq, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE) && list_empty(&next->run_link) &&
	       (next->affinity & CPUMASK_CPU(cpu)) && !run_queue_ready_above(cpu, next->priority);
}

/* sched_handoff_take's rare end: prev was woken before it left (sched.c). */
bool sched_handoff_put_woken(unsigned cpu, struct thread *prev);

/*
 * The policy's part of a direct handoff on online `cpu`, for a caller that
 * has checked sched_handoff_allowed(cpu, next), with interrupts off since
 * and next its own: next becomes RUNNING on cpu (a fresh slice if it had
 * none), and prev, the thread leaving cpu, leaves the policy (BLOCKED: a
 * wake-up queues it) or, woken meanwhile, goes back on a queue. Returns
 * true when prev must move to another CPU once switched out (its affinity
 * excludes cpu now: sched_put_prev's -EBUSY). Takes prev's sched_lock
 * with spin_lock_hot: bare unless `checked` (the caller's path decided it
 * from lockdep_enabled at its entry).
 */
static __always_inline bool sched_handoff_take(unsigned cpu, struct thread *prev,
					       struct thread *next, bool checked)
{
	/*
	 * No lock for next: it is the caller's alone (taken off its wait
	 * queue, so no waker finds it; a priority or affinity change only
	 * sets a field of a thread on no queue). rq->curr is written only by
	 * its own CPU, and its readers under the lock need only a live thread.
	 */
	next->waiting_on = NULL;
	if (next->slice_left == 0)
		next->slice_left = SCHED_SLICE_TICKS;
	run_queue_make_current(&sched_run_queues[cpu], next, cpu);
	/* prev's lock: a waker on another CPU may be deciding on its on_rq right now. */
	spin_lock_hot(&prev->sched_lock, checked);
	bool blocked = prev->state == THREAD_BLOCKED;
	if (likely(blocked))
		prev->on_rq = false; /* the common case: out of the policy, a wake-up queues it */
	spin_unlock_hot(&prev->sched_lock, checked);
	return unlikely(!blocked) && sched_handoff_put_woken(cpu, prev);
}

#endif
