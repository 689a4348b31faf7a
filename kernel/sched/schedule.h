/*
 * schedule.h - running the policy: the current thread, switching, yield,
 * sleep, preemption from the timer, and each CPU's idle thread.
 *
 * sched.h decides; this file acts. schedule() puts the running thread
 * back on its run queue if it is still RUNNING (a yield or a preemption;
 * a thread that blocked or slept has already said so in its state), asks
 * the policy for the next one (the CPU's idle thread when none is ready)
 * and switches stacks with sched_switch (switch.asm). The switch itself is
 * in switch.h, with sched_handoff_claimed, the direct switch of IPC's fast
 * path: a blocking thread gives the CPU to the one thread it claimed, past
 * the run queues, through the same switch.
 *
 * Every CPU runs this on its own: its current and idle threads are per CPU
 * (sched_cpus[arch_cpu_id()], also reached through the CPU's struct
 * percpu; thread_current() is one %gs load). SMP: a thread switched away from stays
 * on_cpu until the next thread on that CPU clears it (sched_finish_switch),
 * so no other CPU runs it, or frees its stack, before it is off this one.
 * A thread woken onto another CPU that it outranks (or that idles) makes
 * that CPU reschedule through the reschedule IPI (sched_resched_cpu).
 *
 * Preemption: the timer interrupt calls sched_timer_tick(), which asks the
 * policy whether the running thread should yield; if so it marks the CPU
 * need_resched. On the way out of every interrupt, trap_dispatch calls
 * sched_irq_exit(), which switches when need_resched is set and the
 * preemption count is zero. An interrupt only arrives with interrupts on,
 * so no interrupts-off section is ever preempted.
 *
 * Context: schedule() with interrupts off and the preemption count zero
 * (a spinlock held there would be held by a sleeping thread: reported);
 * the rest as each says.
 */
#ifndef KERNEL_SCHED_SCHEDULE_H
#define KERNEL_SCHED_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/thread.h"
#include "mm/arch.h" /* percpu_current_thread, in the kernel */

/*
 * Start scheduling on the boot CPU: the policy with one CPU online, and the
 * calling flow (kmain, on the main stack) becomes CPU 0's idle thread; the
 * timer tick drives preemption from here on. Interrupts off, once.
 */
void sched_init(void);

/*
 * Start scheduling on an application processor: the calling flow (the AP's
 * boot stack, interrupts off, its GDT, IDT, GS and local APIC set up) becomes
 * cpu's idle thread, the policy takes cpu online (sched_cpu_set_online), and
 * the CPU enables interrupts and idles (sched_idle_loop): it runs what is
 * queued on it and steals from the busiest CPU. cpu is the caller's own
 * number (arch_cpu_id()), 1 .. SCHED_MAX_CPUS-1, each once, after sched_init.
 * Never returns.
 */
__noreturn void sched_start_secondary(unsigned cpu);

/* One CPU's scheduling figures for `cpus` (sched_cpu_stats). */
struct sched_cpu_stats {
	bool online;                      /* in the policy (else the rest is 0) */
	uint64_t current_id;              /* the thread running there (its idle thread's id when idle) */
	char current_name[THREAD_NAME_MAX];
	unsigned ready;                   /* threads on its run queue */
	uint64_t idle_cycles;             /* TSC cycles its idle thread ran (halted or stealing) */
	uint64_t total_cycles;            /* TSC cycles since it started scheduling */
	uint64_t switches, preemptions;   /* context switches there, and how many were preemptions */
};

/*
 * Fill *out with cpu's figures (cpu < SCHED_MAX_CPUS; an offline CPU gives
 * online false and zeros). The current thread's id and name are read under
 * that CPU's run-queue lock, so they name one live thread. Any thread.
 */
void sched_cpu_stats(unsigned cpu, struct sched_cpu_stats *out);

/* Has sched_init run? (Before it there is no current thread.) */
bool sched_running(void);

/*
 * The thread running on this CPU (its idle thread when nothing else runs);
 * NULL before sched_init. One %gs load (the CPU's struct percpu).
 */
#ifdef PAGODA_HOST
struct thread *thread_current(void); /* host tests: none calls it */
#else
static inline struct thread *thread_current(void)
{
	return percpu_current_thread();
}
#endif

/* The idle thread of this CPU. */
struct thread *sched_idle_thread(void);

/*
 * Give the CPU to the next thread (see the file comment). Returns when the
 * caller runs again. Interrupts off, preemption count zero.
 */
void schedule(void);

/* Direct switches (sched_handoff_claimed) on every CPU since boot. */
uint64_t sched_handoff_count(void);

/*
 * Let another ready thread of the caller's priority (or above) run first;
 * returns at once if there is none. Any thread, interrupts on.
 */
void thread_yield(void);

/*
 * Sleep at least `ticks` timer ticks (0: a yield); the thread wakes in the
 * tick numbered timer_ticks() + ticks of the call. Not the idle thread.
 */
void thread_sleep_ticks(uint64_t ticks);

/* Sleep at least ms milliseconds, rounded up to whole ticks. */
void thread_sleep_ms(uint64_t ms);

/* Milliseconds to ticks, rounded up (what thread_sleep_ms sleeps). */
uint64_t sched_ms_to_ticks(uint64_t ms);

/*
 * Make t (BLOCKED, off its wait queue) ready (sched_wake); if it outranks
 * what runs on the CPU it was queued on, that CPU reschedules (this one:
 * need_resched; another: sched_resched_cpu). When t is still switching
 * out of a CPU its affinity no longer allows, waits until it has. Any
 * context, interrupts off, the wait queue's lock held.
 */
void sched_wake_thread(struct thread *t);

/*
 * Ask cpu to run its scheduler at its next interrupt exit: set its
 * need_resched, and when it is another CPU send it the reschedule IPI
 * (smp_send_reschedule). Any context.
 */
void sched_resched_cpu(unsigned cpu);

/*
 * t was just queued on cpu (sched_enqueue's result): if it outranks what
 * runs there, or cpu idles, sched_resched_cpu(cpu). Interrupts off.
 */
void sched_resched_if_preempts(struct thread *t, unsigned cpu);

/*
 * If this CPU was asked to reschedule and its preemption count is zero,
 * schedule() now. Interrupts off (thread_create, thread_set_*).
 */
void sched_resched_pending(void);

/*
 * Spin until t's switch-out is complete (on_cpu clear): before freeing a
 * dead thread's stack, or moving a thread to a CPU other than the one it
 * leaves. Any context; t is not the caller.
 */
void sched_wait_switched_out(const struct thread *t);

/*
 * The first thing a thread does after a switch to it: clear on_cpu of the
 * thread this CPU ran before (its stack is free now) and queue that thread
 * if it had to leave this CPU (sched_put_prev's -EBUSY). Called by
 * schedule() after sched_switch and by a new thread's first C code.
 * Interrupts off.
 */
void sched_finish_switch(void);

/*
 * If a reschedule is pending, the count zero and interrupts on, switch now.
 * Call after waking threads from thread context. Any context.
 */
void sched_preempt_point(void);

/* The timer interrupt's hook: one tick for the policy. Interrupts off. */
void sched_timer_tick(void);

/*
 * The end of every interrupt: in debug mode, the soft-lockup watchdog
 * (rip: where the interrupt came in); then preempt if asked and allowed.
 * Interrupts off.
 */
void sched_irq_exit(uint64_t rip);

/*
 * Debug mode (the kernel command-line word `sched_debug`, or a kernel built
 * with `make SCHED_DEBUG=1`): mutex_lock reports a deadlock cycle before
 * it blocks, and the soft-lockup watchdog reports a thread (not idle) that
 * has run lockup_ticks timer ticks without being switched out, naming it
 * and its RIP, once per stretch. Returns the previous setting.
 */
bool sched_set_debug(bool on);
bool sched_debug_enabled(void);

#define SCHED_LOCKUP_TICKS_DEFAULT 500 /* 5 s at 100 Hz */

/* Set the watchdog's limit (at least 1 tick); returns the previous one. */
uint64_t sched_set_lockup_ticks(uint64_t ticks);

/* The idle loop: halt until an interrupt, run what became ready. Never returns. */
__noreturn void sched_idle_loop(void);

/* Context switches on every CPU since boot, and how many were preemptions. */
uint64_t sched_switch_count(void);
uint64_t sched_preemption_count(void);

#endif
