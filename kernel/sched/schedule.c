/*
 * schedule.c - the mechanism under the policy (see schedule.h): the
 * current thread per CPU, schedule(), yield, sleep, the timer's tick hook,
 * preemption at interrupt exit, cross-CPU reschedules, each CPU's idle
 * thread and its accounting.
 *
 * Invariants:
 *   [x] the CPU's current thread (struct percpu's, thread_current()) is the
 *       thread whose stack this CPU runs on, in state RUNNING, on_cpu set,
 *       and on no run queue;
 *   [x] a switch happens only inside schedule(), sched_handoff_claimed()
 *       (switch.h) or the idle loop, with interrupts off and the
 *       preemption count zero, and always through switch_to (accounting, CR3, TSS RSP0, FPU, FS base,
 *       I/O bitmap, on_cpu);
 *   [x] a thread's on_cpu is cleared only by the next thread on its CPU,
 *       after sched_switch stored its stack pointer (sched_finish_switch);
 *   [x] the idle threads are never queued: one runs when its CPU has
 *       nothing to run or steal;
 *   [x] CR3 holds the running thread's `space`: a switch reloads it only
 *       when the next thread's space differs from the previous one's.
 * Context: per CPU, interrupts off where said. Lock order: the policy's
 * (sched.c); this file holds no lock across a switch.
 */
#include "kernel/sched/schedule.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/recovery.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/switch.h"
#include "kernel/sched/timeout.h"
#include "kernel/smp/smp.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kernel_space.h"
#include "mm/spinlock.h"

struct cpu_sched sched_cpus[SCHED_MAX_CPUS];
static bool started;
static bool debug_mode;
static uint64_t lockup_ticks = SCHED_LOCKUP_TICKS_DEFAULT;

void thread_setup_idle(struct thread *t, unsigned cpu);    /* thread.c */

/* Also before sched_init (sched_this_cpu's pointer is set there). */
static inline struct cpu_sched *this_cpu(void)
{
	return &sched_cpus[arch_cpu_id()];
}

static bool resched_asked(const struct cpu_sched *c)
{
	return __atomic_load_n(&c->need_resched, __ATOMIC_ACQUIRE);
}

/* The calling flow becomes cpu's idle thread, running. Interrupts off. */
static void become_idle(unsigned cpu)
{
	struct cpu_sched *c = &sched_cpus[cpu];

	thread_setup_idle(&c->idle, cpu);
	c->idle.state = THREAD_RUNNING;
	c->idle.on_cpu = true;
	c->idle.last_switch_in = c->start_tsc = rdtsc();
	percpu_set_current_thread(&c->idle);
}

void sched_init(void)
{
	ASSERT_IRQS_OFF();
	MUST_SUCCEED(sched_policy_init(1), "sched_init: one CPU is a valid count");
	for (unsigned cpu = 0; cpu < SCHED_MAX_CPUS; cpu++)
		percpu_of(cpu)->sched = &sched_cpus[cpu]; /* sched_this_cpu's pointer */
	become_idle(0);
	started = true;
}

void sched_start_secondary(unsigned cpu)
{
	interrupts_disable();
	if (!started || cpu == 0 || cpu >= SCHED_MAX_CPUS || cpu != arch_cpu_id())
		panic("sched_start_secondary: CPU %u (arch_cpu_id %u) cannot start scheduling", cpu,
		      arch_cpu_id());
	become_idle(cpu);
	MUST_SUCCEED(sched_cpu_set_online(cpu), "sched_start_secondary: each CPU starts once");
	interrupts_enable();
	sched_idle_loop();
}

bool sched_running(void)
{
	return started;
}

struct thread *sched_idle_thread(void)
{
	return &this_cpu()->idle;
}

void sched_finish_switch(void)
{
	ASSERT_IRQS_OFF();
	finish_switch(this_cpu());
}

void schedule(void)
{
	ASSERT_IRQS_OFF();
	unsigned cpu = arch_cpu_id();
	struct cpu_sched *c = &sched_cpus[cpu];
	struct thread *prev = thread_current();
	bool must_move = false;

	if (unlikely(arch_preempt_count() != 0))
		panic("schedule: thread %lu (%s) would sleep with preemption disabled "
		      "(a spinlock held?)", prev->id, prev->name);
	__atomic_store_n(&c->need_resched, false, __ATOMIC_RELAXED);
	/* must_move: its affinity excludes this CPU now */
	struct thread *next = prev != &c->idle ? sched_put_prev_pick_next(cpu, prev, &must_move)
					      : sched_pick_next(cpu);
	if (next == NULL)
		next = &c->idle;
	if (next == prev)
		return; /* picked again (the policy made it RUNNING) */
	switch_to(c, cpu, prev, next, must_move, SWITCH_MAY_IDLE);
}

void thread_yield(void)
{
	unsigned long flags = arch_irq_save();
	struct thread *t = thread_current();

	if (sched_ready_above(arch_cpu_id(), t->priority - 1))
		schedule();
	arch_irq_restore(flags);
}

uint64_t sched_ms_to_ticks(uint64_t ms)
{
	if (ms > UINT64_MAX / TIMER_HZ)
		return UINT64_MAX / 1000;
	return (ms * TIMER_HZ + 999) / 1000;
}

void thread_sleep_ticks(uint64_t ticks)
{
	if (ticks == 0) {
		thread_yield();
		return;
	}
	unsigned long flags = arch_irq_save();
	struct thread *self = thread_current();
	ASSERT(self != &this_cpu()->idle, "thread_sleep_ticks: the idle thread never sleeps");
	uint64_t now = timer_ticks();
	uint64_t wake = now + ticks < now ? UINT64_MAX : now + ticks;
	sched_sleep_until(arch_cpu_id(), self, wake);
	schedule();
	arch_irq_restore(flags);
}

void thread_sleep_ms(uint64_t ms)
{
	thread_sleep_ticks(sched_ms_to_ticks(ms));
}

void sched_wait_switched_out(const struct thread *t)
{
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void sched_resched_cpu(unsigned cpu)
{
	__atomic_store_n(&sched_cpus[cpu].need_resched, true, __ATOMIC_RELEASE);
	if (cpu != arch_cpu_id())
		smp_send_reschedule(cpu); /* its interrupt exit sees need_resched */
}

void sched_resched_if_preempts(struct thread *t, unsigned cpu)
{
	if (sched_should_preempt(cpu, t))
		sched_resched_cpu(cpu);
}

void sched_wake_thread(struct thread *t)
{
	ASSERT_IRQS_OFF();
	unsigned cpu;
	int r;

	/* -EBUSY: t leaves a CPU it may no longer use; it will be off it in a few instructions. */
	while ((r = sched_wake(t, &cpu)) == -EBUSY)
		sched_wait_switched_out(t);
	if (r == SCHED_WAKE_PREEMPT)
		sched_resched_cpu(cpu);
}

void sched_resched_pending(void)
{
	ASSERT_IRQS_OFF();
	unsigned cpu = arch_cpu_id();

	if (resched_asked(&sched_cpus[cpu]) && arch_preempt_count() == 0)
		schedule();
}

void sched_preempt_point(void)
{
	unsigned cpu = arch_cpu_id();

	if (!resched_asked(&sched_cpus[cpu]) || arch_preempt_count() != 0 || arch_irqs_disabled())
		return;
	interrupts_disable();
	schedule();
	interrupts_enable();
}

void preempt_enable(void)
{
	ASSERT(arch_preempt_count() > 0, "preempt_enable: not disabled");
	arch_preempt_count_dec();
	sched_preempt_point();
}

void sched_timer_tick(void)
{
	ASSERT_IRQS_OFF();
	if (!started)
		return;
	unsigned cpu = arch_cpu_id();
	struct thread *running = thread_current();
	if (running == NULL || !sched_cpu_is_online(cpu))
		return; /* a CPU not yet scheduling */
	struct thread *curr = running == &sched_cpus[cpu].idle ? NULL : running;
	if (curr)
		curr->ticks_unswitched++;
	if (cpu == 0) /* the CPU that advances timer_ticks runs the due timeouts */
		timeout_tick(timer_ticks());
	cpumask_t resched = sched_tick(cpu, curr, timer_ticks());
	for (; resched != 0; resched &= resched - 1)
		sched_resched_cpu((unsigned)__builtin_ctzll(resched));
}

/* Debug mode: report a thread that has kept the CPU for lockup_ticks ticks. */
static void lockup_check(struct cpu_sched *c, uint64_t rip)
{
	struct thread *t = thread_current();
	char where[96];

	if (t == NULL || t == &c->idle || t->lockup_reported || t->ticks_unswitched < lockup_ticks)
		return;
	t->lockup_reported = true;
	arch_symbolize(rip, where, sizeof(where));
	kprintf("soft lockup: thread %lu (%s) has run %lu ticks without being switched out, "
		"at RIP %s\n", t->id, t->name, t->ticks_unswitched, where);
}

bool sched_set_debug(bool on)
{
	bool was = debug_mode;

	debug_mode = on;
	return was;
}

bool sched_debug_enabled(void)
{
	return debug_mode;
}

uint64_t sched_set_lockup_ticks(uint64_t ticks)
{
	uint64_t was = lockup_ticks;

	lockup_ticks = ticks ? ticks : 1;
	return was;
}

void sched_irq_exit(uint64_t rip)
{
	ASSERT_IRQS_OFF();
	struct cpu_sched *c = this_cpu();

	struct thread *t = thread_current();

	if (!started || t == NULL)
		return;
	if (debug_mode)
		lockup_check(c, rip);
	if (!resched_asked(c) || arch_preempt_count() != 0)
		return;
	if (t != &c->idle && t->state == THREAD_RUNNING) {
		t->preemptions++;
		c->preemptions++;
	}
	schedule();
}

void sched_idle_loop(void)
{
	struct cpu_sched *c = this_cpu();
	unsigned cpu = arch_cpu_id();

	ASSERT(thread_current() == &c->idle, "sched_idle_loop: only the idle thread idles");
	for (;;) {
		interrupts_disable();
		/* Our queue first, else steal from the busiest CPU; halt only when neither has work. */
		__atomic_store_n(&c->need_resched, false, __ATOMIC_RELAXED);
		struct thread *next = sched_pick_next(cpu);
		if (next) {
			switch_to(c, cpu, &c->idle, next, false, SWITCH_MAY_IDLE);
			interrupts_enable();
		} else {
			interrupts_enable_and_halt(); /* no wake-up lost: sti takes effect after hlt starts */
		}
	}
}

/* The sum over every CPU of the counter at `offset` in struct cpu_sched. */
static uint64_t sum_over_cpus(size_t offset)
{
	uint64_t n = 0;

	for (unsigned cpu = 0; cpu < SCHED_MAX_CPUS; cpu++)
		n += __atomic_load_n((uint64_t *)((char *)&sched_cpus[cpu] + offset), __ATOMIC_RELAXED);
	return n;
}

uint64_t sched_switch_count(void)
{
	return sum_over_cpus(offsetof(struct cpu_sched, switches));
}

uint64_t sched_preemption_count(void)
{
	return sum_over_cpus(offsetof(struct cpu_sched, preemptions));
}

uint64_t sched_handoff_count(void)
{
	return sum_over_cpus(offsetof(struct cpu_sched, handoffs));
}

void sched_cpu_stats(unsigned cpu, struct sched_cpu_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (cpu >= SCHED_MAX_CPUS || !sched_cpu_is_online(cpu))
		return;
	struct cpu_sched *c = &sched_cpus[cpu];
	out->online = true;
	if (!sched_cpu_current(cpu, &out->current_id, out->current_name,
			       sizeof(out->current_name))) {
		out->current_id = c->idle.id;
		strlcpy(out->current_name, c->idle.name, sizeof(out->current_name));
	}
	out->ready = sched_ready_count(cpu);
	unsigned long flags = arch_irq_save();
	uint64_t now = rdtsc();
	/* Racy by a switch at most: the idle thread's stretch so far counts when it is current. */
	uint64_t idle = c->idle.run_cycles;
	if (__atomic_load_n(&percpu_of(cpu)->current, __ATOMIC_RELAXED) == &c->idle)
		idle += now - c->idle.last_switch_in;
	arch_irq_restore(flags);
	out->idle_cycles = idle;
	out->total_cycles = now - c->start_tsc;
	if (out->idle_cycles > out->total_cycles)
		out->idle_cycles = out->total_cycles;
	out->switches = c->switches;
	out->preemptions = c->preemptions;
}
