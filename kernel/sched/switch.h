/*
 * switch.h - the context switch: each CPU's scheduling state and the C
 * around switch.asm's register swap, inline.
 *
 * A switch does the same steps wherever it starts (schedule(), the idle
 * loop, IPC's direct handoff): account prev's run time, make next the
 * CPU's current thread, move the recovery chain, CR3 when the space
 * differs, the user-mode state (RSP0, FPU, FS base, I/O bitmap), then
 * sched_switch swaps the kernel stacks, and the thread that resumes
 * finishes the switch (prev's on_cpu cleared, prev queued if it must
 * move). Every IPC round trip switches twice, so the switch is inline: the
 * IPC fast path (kernel/ipc/fastpath.c) includes this header to hand off
 * without a call frame of its own. Nobody else includes it but schedule.c.
 *
 *   prev's stack                    next's stack
 *   switch_to(prev, next)           (parked in its own switch_to, at
 *     accounting, current = next     sched_switch's call)
 *     CR3, user state
 *     sched_switch ---------------> returns: finish_switch(this CPU)
 *   (parked)                          prev->on_cpu = false; ...
 *
 * Invariants (schedule.c's, restated for the handoff):
 *   [x] the %gs current of cpu (thread_current()) is the thread whose
 *       stack cpu runs on, RUNNING, on_cpu set;
 *   [x] prev's on_cpu is cleared only by the next thread on its CPU, after
 *       sched_switch saved prev's stack pointer;
 *   [x] a switch runs with interrupts off and the preemption count zero.
 * Context: kernel only; interrupts off.
 */
#ifndef KERNEL_SCHED_SWITCH_H
#define KERNEL_SCHED_SWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/recovery.h"
#include "kernel/sched/run_queue.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/schedule.h"
#include "lib/panic.h"
#include "mm/kernel_space.h"

/* Each CPU's scheduling state. Its running thread is struct percpu's (thread_current()). */
struct cpu_sched {
	struct thread idle;     /* the flow that called sched_init / sched_start_secondary */
	bool need_resched;      /* the running thread should give up the CPU (set by any CPU) */
	struct thread *prev;    /* the thread switched away from, for sched_finish_switch */
	bool prev_must_move;    /* ... which sched_put_prev left on no queue */
	uint64_t start_tsc;     /* when this CPU began scheduling */
	uint64_t switches, preemptions;
	uint64_t handoffs;      /* of those switches, direct ones (sched_handoff_claimed) */
};

extern struct cpu_sched sched_cpus[SCHED_MAX_CPUS]; /* schedule.c's, one per CPU */

void sched_switch(uint64_t *prev_rsp, uint64_t next_rsp); /* switch.asm */

/*
 * This CPU's scheduling state, &sched_cpus[this CPU]: one %gs load
 * (sched_init points every CPU's struct percpu at its entry). Interrupts
 * or preemption off.
 */
static __always_inline struct cpu_sched *sched_this_cpu(void)
{
	return percpu_sched();
}

/* sched_finish_switch for this CPU's c (see schedule.h). Interrupts off. */
static __always_inline void finish_switch(struct cpu_sched *c)
{
	struct thread *prev = c->prev;
	bool must_move = c->prev_must_move;

	c->prev = NULL;
	c->prev_must_move = false;
	if (prev == NULL)
		return;
	__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE); /* its stack is free now */
	if (unlikely(must_move)) {
		int cpu = sched_enqueue(prev);
		if (cpu < 0)
			panic("schedule: thread %lu allows no online CPU", prev->id);
		sched_resched_if_preempts(prev, (unsigned)cpu);
	}
}

/* switch_to's `idle` argument: may either thread be the CPU's idle thread? */
#define SWITCH_MAY_IDLE true
#define SWITCH_NO_IDLE false /* a handoff: two threads of processes */

/*
 * Switch this CPU (c, number cpu) from prev to next (RUNNING, picked).
 * Returns when prev runs again. Inlined into each caller: it makes no
 * call it can avoid (and with SWITCH_NO_IDLE, no test it can avoid).
 */
static __always_inline void switch_to(struct cpu_sched *c, unsigned cpu, struct thread *prev,
				      struct thread *next, bool prev_must_move, bool idle)
{
	if (idle && prev == &c->idle)
		prev->state = THREAD_READY; /* idle waits, on no queue */
	if (idle && next == &c->idle)
		next->state = THREAD_RUNNING;
	uint64_t now = rdtsc();
	prev->run_cycles += now - prev->last_switch_in;
	next->last_switch_in = now;
	next->switches++;
	next->ticks_unswitched = 0;
	next->lockup_reported = false;
	next->on_cpu = true;
	next->cpu = cpu;
	c->switches++;
	percpu_set_current_thread(next);
	c->prev = prev;
	c->prev_must_move = prev_must_move;
	prev->recovery = recovery_chain_switch(cpu, next->recovery); /* points are per thread */
	if (next->space != prev->space)
		address_space_activate(next->space); /* CR3 follows the thread */
	arch_switch_user_state(prev, next); /* RSP0, syscall stack, FPU, FS base, I/O bitmap */
	sched_switch(&prev->context_rsp, next->context_rsp);
	finish_switch(sched_this_cpu()); /* possibly on another CPU than the one prev left */
}

/*
 * Switch straight from the calling thread to next on this CPU, without the
 * run queues (IPC's fast path: a call hands the CPU to the server it
 * claimed). The caller has made itself BLOCKED (on its own wait queue) and
 * holds next as its own: a BLOCKED thread it took off its wait queue after
 * checking sched_handoff_allowed(this CPU, next), with interrupts off ever
 * since, so the switch cannot decline. next runs here (RUNNING), the
 * caller stays BLOCKED (or goes back on the run queue if a waker came
 * first), and this returns when the caller runs again. `checked`: the
 * caller's choice of locks (spin_lock_hot), passed to sched_handoff_take.
 * Interrupts off, preemption count zero, neither thread the idle thread.
 */
static __always_inline void sched_handoff_claimed(struct thread *next, bool checked)
{
	unsigned cpu = arch_cpu_id();
	struct cpu_sched *c = sched_this_cpu();
	struct thread *prev = thread_current();

	/* A thread that hands off must hold no spinlock (it sleeps). */
	if (unlikely(arch_preempt_count() != 0))
		panic("sched_handoff_claimed: thread %lu (%s) would sleep with preemption disabled "
		      "(a spinlock held?)", prev->id, prev->name);
	bool must_move = sched_handoff_take(cpu, prev, next, checked); /* it cannot decline */
	c->handoffs++;
	switch_to(c, cpu, prev, next, must_move, SWITCH_NO_IDLE);
}

#endif
