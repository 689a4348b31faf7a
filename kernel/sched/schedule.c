/*
 * schedule.c - the mechanism under the policy (see schedule.h): the
 * current thread per CPU, schedule(), yield, sleep, the timer's tick hook,
 * preemption at interrupt exit and the idle loop.
 *
 * Invariants:
 *   [x] cpu->current is the thread whose stack this CPU runs on, in state
 *       RUNNING, and on no run queue;
 *   [x] a switch happens only inside schedule(), with interrupts off and
 *       the preemption count zero;
 *   [x] the idle thread is never queued: it runs when the queue is empty;
 *   [x] CR3 holds the running thread's `space`: a switch reloads it only
 *       when the next thread's space differs from the previous one's.
 * Context: per CPU, interrupts off where said (one CPU today).
 */
#include "kernel/sched/schedule.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/sched/sched.h"
#include "kernel/recovery.h"
#include "kernel/timer.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kernel_space.h"
#include "mm/spinlock.h"

struct cpu_sched {
	struct thread *current;
	struct thread idle;     /* the flow that called sched_init (CPU 0) */
	bool need_resched;      /* the running thread should give up the CPU */
	uint64_t switches, preemptions;
};

static struct cpu_sched cpus[SCHED_MAX_CPUS];
static bool started;
static bool debug_mode;
static uint64_t lockup_ticks = SCHED_LOCKUP_TICKS_DEFAULT;
unsigned sched_preempt_count[SCHED_MAX_CPUS];

void sched_switch(uint64_t *prev_rsp, uint64_t next_rsp); /* switch.asm */
void thread_setup_idle(struct thread *t, unsigned cpu);    /* thread.c */

static inline struct cpu_sched *this_cpu(void)
{
	return &cpus[arch_cpu_id()];
}

void sched_init(void)
{
	ASSERT_IRQS_OFF();
	struct cpu_sched *c = &cpus[0];

	MUST_SUCCEED(sched_policy_init(1), "sched_init: one CPU is a valid count");
	thread_setup_idle(&c->idle, 0);
	c->idle.state = THREAD_RUNNING;
	c->idle.last_switch_in = rdtsc();
	c->current = &c->idle;
	started = true;
}

bool sched_running(void)
{
	return started;
}

struct thread *thread_current(void)
{
	return this_cpu()->current;
}

struct thread *sched_idle_thread(void)
{
	return &this_cpu()->idle;
}

void schedule(void)
{
	ASSERT_IRQS_OFF();
	unsigned cpu = arch_cpu_id();
	struct cpu_sched *c = &cpus[cpu];
	struct thread *prev = c->current;

	if (unlikely(sched_preempt_count[cpu] != 0))
		panic("schedule: thread %lu (%s) would sleep with preemption disabled "
		      "(a spinlock held?)", prev->id, prev->name);
	c->need_resched = false;
	if (prev->state == THREAD_RUNNING && prev != &c->idle) {
		prev->state = THREAD_READY;
		if (sched_enqueue(prev) < 0)
			panic("schedule: thread %lu allows no online CPU", prev->id);
	}
	struct thread *next = sched_pick_next(cpu);
	if (next == NULL)
		next = &c->idle;
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		return;
	}
	if (prev == &c->idle)
		prev->state = THREAD_READY; /* idle waits, on no queue */
	next->state = THREAD_RUNNING;
	next->cpu = cpu;
	uint64_t now = rdtsc();
	prev->run_cycles += now - prev->last_switch_in;
	next->last_switch_in = now;
	next->switches++;
	next->ticks_unswitched = 0;
	next->lockup_reported = false;
	c->switches++;
	c->current = next;
	prev->recovery = recovery_chain_switch(next->recovery); /* points are per thread */
	if (next->space != prev->space)
		address_space_activate(next->space); /* CR3 follows the thread */
	sched_switch(&prev->context_rsp, next->context_rsp);
}

void thread_yield(void)
{
	unsigned long flags = arch_irq_save();
	struct thread *t = this_cpu()->current;

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
	struct cpu_sched *c = this_cpu();
	ASSERT(c->current != &c->idle, "thread_sleep_ticks: the idle thread never sleeps");
	uint64_t now = timer_ticks();
	uint64_t wake = now + ticks < now ? UINT64_MAX : now + ticks;
	sched_sleep_until(arch_cpu_id(), c->current, wake);
	schedule();
	arch_irq_restore(flags);
}

void thread_sleep_ms(uint64_t ms)
{
	thread_sleep_ticks(sched_ms_to_ticks(ms));
}

void sched_wake_thread(struct thread *t)
{
	ASSERT_IRQS_OFF();
	struct cpu_sched *c = &cpus[t->cpu];
	const struct thread *curr = c->current == &c->idle ? NULL : c->current;

	if (sched_wake(t, curr))
		cpus[t->cpu].need_resched = true;
}

void sched_preempt_point(void)
{
	unsigned cpu = arch_cpu_id();

	if (!cpus[cpu].need_resched || sched_preempt_count[cpu] != 0 || arch_irqs_disabled())
		return;
	interrupts_disable();
	schedule();
	interrupts_enable();
}

void preempt_enable(void)
{
	unsigned cpu = arch_cpu_id();

	ASSERT(sched_preempt_count[cpu] > 0, "preempt_enable: not disabled");
	__asm__ volatile("" ::: "memory");
	sched_preempt_count[cpu]--;
	sched_preempt_point();
}

void sched_timer_tick(void)
{
	ASSERT_IRQS_OFF();
	if (!started)
		return;
	struct cpu_sched *c = this_cpu();
	struct thread *curr = c->current == &c->idle ? NULL : c->current;
	if (curr)
		curr->ticks_unswitched++;
	if (sched_tick(arch_cpu_id(), curr, timer_ticks()))
		c->need_resched = true;
}

/* Debug mode: report a thread that has kept the CPU for lockup_ticks ticks. */
static void lockup_check(struct cpu_sched *c, uint64_t rip)
{
	struct thread *t = c->current;
	char where[96];

	if (t == &c->idle || t->lockup_reported || t->ticks_unswitched < lockup_ticks)
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

	if (debug_mode && started)
		lockup_check(c, rip);
	if (!c->need_resched || sched_preempt_count[arch_cpu_id()] != 0 || !started)
		return;
	if (c->current != &c->idle && c->current->state == THREAD_RUNNING) {
		c->current->preemptions++;
		c->preemptions++;
	}
	schedule();
}

void sched_idle_loop(void)
{
	struct cpu_sched *c = this_cpu();

	ASSERT(c->current == &c->idle, "sched_idle_loop: only the idle thread idles");
	for (;;) {
		interrupts_disable();
		if (sched_ready_above(arch_cpu_id(), -1)) {
			schedule();
			interrupts_enable();
		} else {
			interrupts_enable_and_halt(); /* no wake-up lost: sti takes effect after hlt starts */
		}
	}
}

uint64_t sched_switch_count(void)
{
	return this_cpu()->switches;
}

uint64_t sched_preemption_count(void)
{
	return this_cpu()->preemptions;
}
