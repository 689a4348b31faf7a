/*
 * schedule.h - running the policy: the current thread, switching, yield,
 * sleep, preemption from the timer, and each CPU's idle thread.
 *
 * sched.h decides; this file acts. schedule() puts the running thread
 * back on its run queue if it is still RUNNING (a yield or a preemption;
 * a thread that blocked or slept has already said so in its state), asks
 * the policy for the next one (the CPU's idle thread when none is ready)
 * and switches stacks with sched_switch (switch.asm).
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

/*
 * Start scheduling on the boot CPU: the policy with one CPU online, and the
 * calling flow (kmain, on the main stack) becomes CPU 0's idle thread; the
 * timer tick drives preemption from here on. Interrupts off, once.
 */
void sched_init(void);

/* Has sched_init run? (Before it there is no current thread.) */
bool sched_running(void);

/* The thread running on this CPU (its idle thread when nothing else runs); NULL before sched_init. */
struct thread *thread_current(void);

/* The idle thread of this CPU. */
struct thread *sched_idle_thread(void);

/*
 * Give the CPU to the next thread (see the file comment). Returns when the
 * caller runs again. Interrupts off, preemption count zero.
 */
void schedule(void);

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
 * Make t (BLOCKED or SLEEPING) ready; asks for a reschedule if it outranks
 * the running thread. Any context, interrupts off.
 */
void sched_wake_thread(struct thread *t);

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

/* Context switches on this CPU since boot, and how many were preemptions. */
uint64_t sched_switch_count(void);
uint64_t sched_preemption_count(void);

#endif
