/*
 * test_sched.c - suite "sched": the scheduling policy (kernel/sched/sched.c)
 * on the host, driven by a simulated clock and simulated CPUs.
 *
 * The policy only moves threads between lists; here a small model of
 * schedule() (sim_schedule: requeue the running thread if it still runs,
 * pick the next) and of the timer (sim_ticks: one sched_tick per tick,
 * switching when it says so) plays the kernel's part, so the tests count
 * ticks and look at orders, never durations. Covered: round robin and
 * fairness within a level, strict priorities, sleeping and waking at the
 * exact tick (FIFO among equal ticks), a woken thread preempting a lower
 * one, affinity on two simulated CPUs, refused arguments and the
 * interrupts-off contract; SMP: stealing from the busiest queue, stealing
 * that respects affinity, a thread still on its CPU (on_cpu) never stolen
 * or moved, placement of new and woken threads on idle CPUs, the tick's
 * pull, 64 CPUs (CPU 63 at the mask's edge), offline CPUs refused; the
 * handoff's policy (run_queue.h's two steps of IPC's direct switch) and the
 * timeout list (timeout.c: order, cancel, the O(1) idle tick). The
 * simulated CPUs are array indexes passed to the policy; the sim clears a
 * thread's on_cpu when "the switch" away from it completes, as
 * sched_finish_switch does. Hosted code: one thread, interrupts "off"
 * around every policy call (tests/host/mm_arch_host.c keeps the count).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/sched/run_queue.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/timeout.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "tests/host/host_stubs.h"

#define SIM_THREADS 16
#define SIM_ORDER 256

static struct thread sim[SIM_THREADS];
static struct thread *running[SCHED_MAX_CPUS]; /* NULL: the CPU idles */
static uint64_t now;                           /* the simulated tick counter */
static uint64_t ran[SIM_THREADS];              /* ticks each thread ran */
static int order[SIM_ORDER];                   /* threads in the order they were picked */
static unsigned order_len;
static unsigned long irq;

/* Interrupts "on" again, whatever a test that failed half-way (no sim_end) left. */
static void sim_irqs_on(void)
{
	host_irq_depth = 0;
}

/* Fresh policy with `cpus` CPUs, interrupts "off" until sim_end(). */
static void sim_begin(unsigned cpus)
{
	sim_irqs_on();
	irq = arch_irq_save();
	memset(sim, 0, sizeof(sim));
	memset(running, 0, sizeof(running));
	memset(ran, 0, sizeof(ran));
	order_len = 0;
	now = 0;
	if (sched_policy_init(cpus) != 0)
		panic("test_sched: sched_policy_init(%u) refused", cpus);
}

static void sim_end(void)
{
	arch_irq_restore(irq);
}

/* A READY thread i at priority prio allowed on the CPUs of mask, queued. */
static int sim_thread(int i, int prio, cpumask_t mask)
{
	struct thread *t = &sim[i];
	t->id = (uint64_t)i;
	t->priority = prio;
	t->affinity = mask;
	t->state = THREAD_READY;
	spin_lock_init(&t->sched_lock, "thread");
	list_init(&t->run_link);
	list_init(&t->wait_link);
	return sched_enqueue(t);
}

/* What schedule() does on cpu, the switch included: prev's on_cpu clears once it is left. */
static void sim_schedule(unsigned cpu)
{
	struct thread *prev = running[cpu];
	int moved = prev ? sched_put_prev(cpu, prev) : 0;
	struct thread *next = sched_pick_next(cpu);

	if (next && order_len < SIM_ORDER)
		order[order_len++] = (int)next->id;
	running[cpu] = next;
	if (prev && next != prev) {
		prev->on_cpu = false; /* sched_finish_switch */
		if (moved == -EBUSY && sched_enqueue(prev) < 0)
			panic("test_sched: a thread that had to leave its CPU went nowhere");
	}
}

/* n ticks on every online CPU: the running thread is charged, then CPUs switch as asked. */
static void sim_ticks(unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		now++;
		for (unsigned cpu = 0; cpu < SCHED_MAX_CPUS; cpu++) {
			if (!sched_cpu_is_online(cpu))
				continue;
			if (running[cpu])
				ran[running[cpu]->id]++;
			cpumask_t resched = sched_tick(cpu, running[cpu], now);
			for (; resched; resched &= resched - 1) /* the reschedule IPIs */
				sim_schedule((unsigned)__builtin_ctzll(resched));
		}
	}
}

/* The running thread of cpu goes to sleep for `ticks` ticks. */
static void sim_sleep(unsigned cpu, uint64_t ticks)
{
	sched_sleep_until(cpu, running[cpu], now + ticks);
	sim_schedule(cpu);
}

static const char *test_round_robin(void)
{
	sim_begin(1);
	for (int i = 0; i < 3; i++)
		CHECK(sim_thread(i, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS) == 0);
	sim_schedule(0);
	sim_ticks(300);
	sim_end();
	/* Each took its turn of SCHED_SLICE_TICKS, in creation order, over and over. */
	for (unsigned k = 0; k < 12; k++)
		CHECKF(order[k] == (int)(k % 3), "pick %u was thread %d, expected %u", k, order[k],
		       k % 3);
	for (int i = 0; i < 3; i++)
		CHECKF(ran[i] >= 100 - SCHED_SLICE_TICKS && ran[i] <= 100 + SCHED_SLICE_TICKS,
		       "thread %d ran %lu of 300 ticks shared by 3", i, ran[i]);
	return NULL;
}

static const char *test_alone_keeps_cpu(void)
{
	sim_begin(1);
	CHECK(sim_thread(0, 2, SCHED_ALL_CPUS) == 0);
	sim_schedule(0);
	sim_ticks(50);
	sim_end();
	CHECKF(order_len == 1 && ran[0] == 50, "a lone thread was switched %u times", order_len);
	return NULL;
}

static const char *test_priorities(void)
{
	sim_begin(1);
	CHECK(sim_thread(0, 1, SCHED_ALL_CPUS) == 0); /* low */
	CHECK(sim_thread(1, 6, SCHED_ALL_CPUS) == 0); /* high */
	CHECK(sim_thread(2, 6, SCHED_ALL_CPUS) == 0); /* high */
	sim_schedule(0);
	sim_ticks(60);
	CHECKF(ran[0] == 0 && ran[1] + ran[2] == 60, "the low thread ran %lu ticks beside two "
	       "high ones", ran[0]);
	/* Both high threads sleep: the low one runs; a wake-up takes the CPU back at once. */
	uint64_t start = now;
	struct thread *first = running[0];
	sim_sleep(0, 10);
	struct thread *second = running[0];
	sim_sleep(0, 20);
	CHECK(running[0] == &sim[0]);
	sim_ticks(10);
	CHECKF(running[0] == first && first->woke_tick == start + 10 &&
	       second->state == THREAD_SLEEPING,
	       "after 10 ticks: running %lu, woke at %lu (slept at %lu)",
	       running[0] ? running[0]->id : 99, first->woke_tick, start);
	sim_end();
	CHECKF(ran[0] == 10, "the low thread ran %lu ticks while both slept, expected 10", ran[0]);
	return NULL;
}

static const char *test_sleep_order(void)
{
	sim_begin(1);
	for (int i = 0; i < 4; i++)
		CHECK(sim_thread(i, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS) == 0);
	static const uint64_t naps[4] = {7, 3, 7, 5}; /* 0 and 2 wake together: 0 first */
	sim_schedule(0);
	for (int i = 0; i < 4; i++) {
		CHECK(running[0] == &sim[i]);
		sim_sleep(0, naps[i]);
	}
	CHECK(running[0] == NULL && sched_sleeping_count(0) == 4);
	order_len = 0;
	for (int k = 0; k < 8; k++) {
		sim_ticks(1);
		if (running[0]) /* run each woken thread until it sleeps for good */
			while (running[0]) {
				running[0]->state = THREAD_BLOCKED; /* parked: never woken again */
				sim_schedule(0);
			}
	}
	sim_end();
	CHECK(sched_sleeping_count(0) == 0);
	CHECKF(order_len == 4 && order[0] == 1 && order[1] == 3 && order[2] == 0 && order[3] == 2,
	       "woke in the order %d %d %d %d, expected 1 3 0 2", order[0], order[1], order[2],
	       order[3]);
	for (int i = 0; i < 4; i++)
		CHECKF(sim[i].woke_tick == naps[i], "thread %d woke at tick %lu, expected %lu", i,
		       sim[i].woke_tick, naps[i]);
	return NULL;
}

static const char *test_affinity(void)
{
	sim_begin(2);
	CHECK(sim_thread(0, THREAD_PRIO_DEFAULT, 1u << 1) == 1); /* CPU 1 only */
	CHECK(sim_thread(1, THREAD_PRIO_DEFAULT, 1u << 0) == 0); /* CPU 0 only */
	CHECK(sim_thread(2, THREAD_PRIO_DEFAULT, 1u << 1) == 1);
	CHECK(sched_ready_count(0) == 1 && sched_ready_count(1) == 2);
	sim_schedule(0);
	sim_schedule(1);
	sim_ticks(40);
	CHECKF(ran[1] == 40 && ran[0] + ran[2] == 40 && ran[0] > 0 && ran[2] > 0,
	       "CPU 0 ran %lu ticks of its thread, CPU 1 %lu + %lu", ran[1], ran[0], ran[2]);
	/* Move thread 0 (ready or running on CPU 1) to CPU 0 only. */
	struct thread *moved = running[1] == &sim[0] ? &sim[2] : &sim[0];
	CHECK(sched_set_affinity(moved, 1u << 0) == 0);
	CHECK(moved->cpu == 0 && sched_ready_count(0) == 1 && sched_ready_count(1) == 0);
	CHECK(moved->state == THREAD_READY && !moved->on_cpu);
	CHECK(sched_set_affinity(moved, 1u << 3) == -EINVAL); /* CPU 3 is offline */
	CHECK(moved->affinity == 1u << 0);
	sim_end();
	return NULL;
}

static const char *test_refusals(void)
{
	sim_irqs_on();
	irq = arch_irq_save();
	CHECK(sched_policy_init(0) == -EINVAL);
	CHECK(sched_policy_init(SCHED_MAX_CPUS + 1) == -EINVAL);
	arch_irq_restore(irq);
	sim_begin(1);
	CHECK(sim_thread(0, THREAD_PRIO_DEFAULT, 1u << 2) == -EINVAL); /* no online CPU allowed */
	CHECK(sched_ready_count(0) == 0 && list_empty(&sim[0].run_link));
	CHECK(sim_thread(1, 2, SCHED_ALL_CPUS) == 0);
	CHECK(sched_set_priority(&sim[1], THREAD_PRIO_MAX + 1) == -EINVAL);
	CHECK(sched_set_priority(&sim[1], -1) == -EINVAL);
	CHECK(sched_set_priority(&sim[1], THREAD_PRIO_MAX) == 0);
	CHECK(sched_ready_above(0, THREAD_PRIO_MAX - 1) && !sched_ready_above(0, THREAD_PRIO_MAX));
	sim_end();
	return NULL;
}

/* Put READY thread i on cpu's queue only, then allow it `mask` (as if it had been queued there). */
static void sim_queued_on(int i, int prio, unsigned cpu, cpumask_t mask)
{
	if (sim_thread(i, prio, CPUMASK_CPU(cpu)) != (int)cpu)
		panic("test_sched: thread %d not queued on CPU %u", i, cpu);
	sim[i].affinity = mask;
}

static const char *test_steal_busiest(void)
{
	sim_begin(4);
	sim_queued_on(0, 3, 0, SCHED_ALL_CPUS);   /* CPU 0: one ready */
	sim_queued_on(1, 3, 1, SCHED_ALL_CPUS);   /* CPU 1: three, the busiest */
	sim_queued_on(2, 5, 1, SCHED_ALL_CPUS);
	sim_queued_on(3, 3, 1, SCHED_ALL_CPUS);
	struct thread *t = sched_pick_next(2);    /* CPU 2: empty queue, steals */
	CHECKF(t == &sim[2], "CPU 2 took thread %ld, expected 2 (busiest queue, highest level)",
	       t ? (long)t->id : -1L);
	CHECK(t->state == THREAD_RUNNING && t->cpu == 2 && t->on_cpu);
	CHECK(sched_ready_count(1) == 2 && sched_ready_count(0) == 1 && sched_ready_count(2) == 0);
	/* CPU 3 next: CPU 1 and CPU 0 both have... CPU 1 has 2, still the busiest. */
	t = sched_pick_next(3);
	CHECKF(t && t->id == 1 && sched_ready_count(1) == 1, "CPU 3 took %ld", t ? (long)t->id : -1L);
	sim_end();
	return NULL;
}

static const char *test_steal_affinity(void)
{
	sim_begin(4);
	for (int i = 0; i < 3; i++)
		sim_queued_on(i, 4, 1, CPUMASK_CPU(1));        /* CPU 1: three, pinned there */
	sim_queued_on(3, 2, 0, CPUMASK_CPU(0) | CPUMASK_CPU(2)); /* CPU 0: one, may go to 2 */
	CHECK(sched_pick_next(3) == NULL);   /* nothing allows CPU 3 */
	struct thread *t = sched_pick_next(2);
	CHECKF(t == &sim[3], "CPU 2 took %ld, expected 3 (the busiest allows nothing)",
	       t ? (long)t->id : -1L);
	CHECK(sched_ready_count(1) == 3 && sched_ready_count(0) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(sim[i].cpu == 1 && sim[i].state == THREAD_READY);
	sim_end();
	return NULL;
}

static const char *test_on_cpu_never_stolen(void)
{
	unsigned where;

	sim_begin(2);
	CHECK(sim_thread(0, 3, SCHED_ALL_CPUS) == 0);
	sim_schedule(0);                       /* thread 0 runs on CPU 0 */
	CHECK(running[0] == &sim[0] && sim[0].on_cpu);
	/* It yields: back on CPU 0's queue while CPU 0 still stands on its stack. */
	CHECK(sched_put_prev(0, &sim[0]) == 0 && sim[0].state == THREAD_READY);
	CHECK(sched_ready_count(0) == 1 && sim[0].on_cpu);
	CHECK(sched_pick_next(1) == NULL);     /* CPU 1 idles rather than take it */
	sim[0].on_cpu = false;                 /* CPU 0 finished switching to its idle thread */
	running[0] = NULL;
	CHECK(sched_pick_next(1) == &sim[0] && sim[0].cpu == 1);
	running[1] = &sim[0];
	/* It blocks on CPU 1; a waker comes before the switch-out is complete: back on CPU 1. */
	sim[0].state = THREAD_BLOCKED;
	CHECK(sched_put_prev(1, &sim[0]) == 0 && !sim[0].on_rq && sim[0].on_cpu);
	CHECK(sched_pick_next(1) == NULL);
	running[1] = NULL;
	CHECK(sched_wake(&sim[0], &where) == SCHED_WAKE_PREEMPT && where == 1);
	CHECKF(sim[0].cpu == 1 && sched_ready_count(1) == 1 && sched_ready_count(0) == 0,
	       "a woken thread still on CPU 1 was queued on CPU %u", sim[0].cpu);
	CHECK(sched_pick_next(0) == NULL);     /* nor is it stolen */
	CHECK(sched_pick_next(1) == &sim[0]);  /* CPU 1 itself runs it again */
	running[1] = &sim[0];
	/* Woken before it even reached schedule(): it just goes on running. */
	sim[0].state = THREAD_BLOCKED;
	CHECK(sched_wake(&sim[0], &where) == 0 && sim[0].state == THREAD_RUNNING && where == 1);
	CHECK(sched_ready_count(1) == 0);
	/* Its affinity moves it to CPU 0 while it runs: it leaves at its switch, not before. */
	CHECK(sched_set_affinity(&sim[0], CPUMASK_CPU(0)) == 1 && sim[0].cpu == 1);
	CHECK(sched_put_prev(1, &sim[0]) == -EBUSY && sched_ready_count(1) == 0);
	CHECK(sched_enqueue(&sim[0]) == -EBUSY); /* still on CPU 1 */
	sim[0].on_cpu = false;
	CHECK(sched_enqueue(&sim[0]) == 0 && sched_ready_count(0) == 1);
	sim_end();
	return NULL;
}

static const char *test_placement(void)
{
	unsigned where;

	sim_begin(4);
	/* New threads made on CPU 0 spread over the idle CPUs, then go back to their own. */
	for (int i = 0; i < 5; i++)
		CHECKF(sim_thread(i, 3, SCHED_ALL_CPUS) == i % 4, "new thread %d queued on CPU %u", i,
		       sim[i].cpu);
	for (unsigned cpu = 0; cpu < 4; cpu++)
		sim_schedule(cpu);             /* threads 0-3 run, 4 waits on CPU 0 */
	/* Thread 2 blocks on CPU 2, which steals thread 4; thread 1 blocks, CPU 1 idles. */
	sim[2].state = THREAD_BLOCKED;
	sim_schedule(2);
	CHECK(running[2] == &sim[4] && !sim[2].on_cpu && sim[4].cpu == 2);
	sim[1].state = THREAD_BLOCKED;
	sim_schedule(1);
	CHECK(running[1] == NULL);
	/* Thread 2 (last on CPU 2, busy now) wakes: to idle CPU 1, which must reschedule. */
	CHECKF(sched_wake(&sim[2], &where) == SCHED_WAKE_PREEMPT && where == 1,
	       "thread 2 went to CPU %u", where);
	/* Thread 1 wakes: every CPU has load 1 now, so it stays on its own CPU 1. */
	CHECKF(sched_wake(&sim[1], &where) >= 0 && where == 1 && sched_ready_count(1) == 2,
	       "thread 1 went to CPU %u", where);
	sim_end();
	return NULL;
}

static const char *test_tick_pull_and_wake_elsewhere(void)
{
	sim_begin(2);
	sim_queued_on(0, 3, 0, SCHED_ALL_CPUS);
	sim_queued_on(1, 3, 0, SCHED_ALL_CPUS);
	sim_queued_on(2, 3, 0, SCHED_ALL_CPUS);
	sim_schedule(0);                       /* CPU 0 runs 0; 1 and 2 wait there */
	CHECK(running[0] == &sim[0] && sched_ready_count(0) == 2);
	/* CPU 1 idles: its tick pulls one and asks itself to reschedule. */
	CHECK(sched_tick(1, NULL, ++now) == CPUMASK_CPU(1) && sched_ready_count(1) == 1);
	sim_schedule(1);
	CHECK(running[1] == &sim[1] && sched_ready_count(0) == 1);
	/* Busy CPU 1 with an empty queue pulls only from a queue 2 longer than its own. */
	CHECK((sched_tick(1, running[1], ++now) & CPUMASK_CPU(1)) == 0);
	CHECK(sched_ready_count(1) == 0 && sched_ready_count(0) == 1);
	/* A sleeper of CPU 1 due while CPU 0 idles: woken there, CPU 0 is told. */
	sched_sleep_until(1, running[1], now + 1);
	sim_schedule(1);                       /* CPU 1 steals thread 2 from CPU 0 */
	CHECK(running[1] == &sim[2]);
	sim[0].state = THREAD_BLOCKED;
	sim_schedule(0);
	CHECK(running[0] == NULL);
	cpumask_t r = sched_tick(1, running[1], ++now);
	CHECKF(r == CPUMASK_CPU(0) && sim[1].cpu == 0 && sim[1].state == THREAD_READY,
	       "the sleeper woke on CPU %u, reschedule mask 0x%lx", sim[1].cpu, (unsigned long)r);
	sim_end();
	return NULL;
}

/* ---- Lab 9 (docs/labs/lab9-scheduler.md): one test at least per part ---- */

/* Is cpu running thread `want` as far as the policy knows (sched_cpu_current)? */
static bool current_is(unsigned cpu, long want)
{
	uint64_t id;
	char name[8];

	return sched_cpu_current(cpu, &id, name, sizeof(name)) ? (long)id == want : want < 0;
}

static const char *test_pick_order(void)
{
	static const int prio[5] = {1, 6, 3, 6, 0};
	static const int want[5] = {1, 3, 2, 0, 4}; /* highest level first, FIFO within one */

	sim_begin(1);
	for (int i = 0; i < 5; i++)
		CHECK(sim_thread(i, prio[i], SCHED_ALL_CPUS) == 0);
	for (unsigned k = 0; k < 5; k++) {
		struct thread *t = sched_pick_next(0);
		CHECKF(t == &sim[want[k]], "pick %u was thread %ld (priority %d), expected thread %d "
		       "(priority %d): the head of the highest non-empty level", k,
		       t ? (long)t->id : -1L, t ? t->priority : -1, want[k], prio[want[k]]);
		CHECKF(t->state == THREAD_RUNNING && t->on_cpu && t->cpu == 0 && list_empty(&t->run_link),
		       "the picked thread is state %d, on_cpu %d, cpu %u: expected RUNNING on CPU 0, "
		       "off the queue", t->state, t->on_cpu, t->cpu);
		CHECKF(current_is(0, want[k]), "sched_cpu_current does not name thread %d, just picked",
		       want[k]);
		CHECKF(sched_ready_count(0) == 4 - k, "%u ready after %u picks of 5", sched_ready_count(0),
		       k + 1);
		t->on_cpu = false; /* switched away from by the next pick */
	}
	CHECKF(!sched_ready_above(0, -1), "the queue is empty but its level bitmap is not");
	struct thread *t = sched_pick_next(0);
	CHECKF(t == NULL && current_is(0, -1), "an empty queue gave thread %ld (and the CPU "
	       "should then idle: sched_cpu_current false)", t ? (long)t->id : -1L);
	sim_end();
	return NULL;
}

static const char *test_slice_length(void)
{
	sim_begin(1);
	CHECK(sim_thread(0, 4, SCHED_ALL_CPUS) == 0);
	CHECK(sim_thread(1, 4, SCHED_ALL_CPUS) == 0);
	CHECK(sim_thread(2, 2, SCHED_ALL_CPUS) == 0); /* below them: never runs beside them */
	sim_schedule(0);
	sim_ticks(10 * SCHED_SLICE_TICKS);
	/* 0 and 1 take turns, each for exactly SCHED_SLICE_TICKS ticks. */
	CHECKF(order_len == 11, "%u picks in %d ticks; expected 11: a switch every %d ticks (the "
	       "slice), not every tick", order_len, 10 * SCHED_SLICE_TICKS, SCHED_SLICE_TICKS);
	for (unsigned k = 0; k < order_len; k++)
		CHECKF(order[k] == (int)(k % 2), "pick %u was thread %d, expected %u", k, order[k],
		       k % 2);
	CHECKF(ran[0] == 5 * SCHED_SLICE_TICKS && ran[1] == 5 * SCHED_SLICE_TICKS && ran[2] == 0,
	       "ran %lu, %lu and %lu ticks", ran[0], ran[1], ran[2]);
	/* Thread 0 blocks: 1 is alone at its level and keeps the CPU, a new slice each time. */
	CHECK(running[0] == &sim[0]);
	sim[0].state = THREAD_BLOCKED;
	sim_schedule(0);
	CHECK(running[0] == &sim[1]);
	unsigned picks = order_len;
	sim_ticks(10 * SCHED_SLICE_TICKS);
	CHECKF(order_len == picks && ran[2] == 0, "thread 1, alone at its level above thread 2, "
	       "was switched out %u times in %d ticks", order_len - picks, 10 * SCHED_SLICE_TICKS);
	CHECKF(sim[1].slice_left >= 1 && sim[1].slice_left <= SCHED_SLICE_TICKS,
	       "a running thread has %u ticks of slice left", sim[1].slice_left);
	/* Both others block: the CPU idles; a thread made ready runs at the next tick. */
	sim[1].state = THREAD_BLOCKED;
	sim_schedule(0);
	CHECK(running[0] == &sim[2]);
	sim[2].state = THREAD_BLOCKED;
	sim_schedule(0);
	CHECK(running[0] == NULL);
	CHECK(sim_thread(3, 1, SCHED_ALL_CPUS) == 0);
	CHECKF(sched_tick(0, NULL, ++now) == CPUMASK_CPU(0),
	       "an idle CPU's tick with a thread ready must ask the CPU to reschedule");
	sim_end();
	return NULL;
}

static const char *test_placement_least_loaded(void)
{
	sim_begin(4);
	sim_queued_on(0, 3, 0, CPUMASK_CPU(0));  /* CPU 0: load 2 (two ready) */
	sim_queued_on(1, 3, 0, CPUMASK_CPU(0));
	sim_queued_on(2, 3, 1, CPUMASK_CPU(1));  /* CPU 1: load 1 (one running) */
	sim_schedule(1);
	sim_queued_on(3, 3, 2, CPUMASK_CPU(2));  /* CPU 2: load 2 (one running, one ready) */
	sim_queued_on(4, 3, 2, CPUMASK_CPU(2));
	sim_schedule(2);                         /* CPU 3: load 0 */
	static const struct {
		int last;      /* the CPU the thread last ran on */
		cpumask_t allowed;
		int want;
		const char *why;
	} cases[] = {
		{0, SCHED_ALL_CPUS, 3, "CPU 3 idles (load 0)"},
		{0, 0x7, 1, "CPU 1 is the least loaded it allows (2, 1, 2)"},
		{2, 0x6, 2, "a tie (2, 2) keeps the CPU it last ran on"},
		{3, 0x3, 0, "a tie (2, 2) away from its last CPU: the lowest number"},
		{0, SCHED_ALL_CPUS, 3, "CPU 3 is still the least loaded (3, 3, 3, 1)"},
	};
	for (int k = 0; k < 5; k++) {
		sim[5 + k].cpu = (unsigned)cases[k].last;
		int cpu = sim_thread(5 + k, 3, cases[k].allowed);
		CHECKF(cpu == cases[k].want, "case %d: a thread that last ran on CPU %d, allowed 0x%lx, "
		       "was queued on CPU %d, expected %d: %s", k, cases[k].last,
		       (unsigned long)cases[k].allowed, cpu, cases[k].want, cases[k].why);
	}
	sim_end();
	return NULL;
}

static const char *test_steal_choice(void)
{
	sim_begin(2);
	sim_queued_on(0, 7, 1, SCHED_ALL_CPUS);  /* CPU 1, level 7: still switching out there */
	sim[0].on_cpu = true;
	sim_queued_on(1, 6, 1, CPUMASK_CPU(1));  /* level 6: pinned to CPU 1 */
	sim_queued_on(2, 6, 1, SCHED_ALL_CPUS);  /* level 6: the one to take */
	sim_queued_on(3, 6, 1, SCHED_ALL_CPUS);  /* level 6: behind it */
	sim_queued_on(4, 2, 1, SCHED_ALL_CPUS);  /* level 2 */
	static const long want[4] = {2, 3, 4, -1};
	for (int k = 0; k < 4; k++) {
		struct thread *t = sched_pick_next(0);
		CHECKF(t == (want[k] < 0 ? NULL : &sim[want[k]]),
		       "steal %d took thread %ld, expected %ld (highest level first, FIFO in a "
		       "level, skipping a thread still on its CPU and one pinned elsewhere)", k,
		       t ? (long)t->id : -1L, want[k]);
		if (t) {
			CHECK(t->cpu == 0 && t->state == THREAD_RUNNING && t->on_cpu);
			t->on_cpu = false;
		}
	}
	CHECK(sched_ready_count(1) == 2 && sim[0].cpu == 1 && sim[1].cpu == 1);
	sim_end();
	return NULL;
}

/* Ticks each simulated CPU spent with nothing to run. */
static uint64_t idle_ticks[SCHED_MAX_CPUS];

static void sim_ticks_counting_idle(unsigned n, unsigned cpus)
{
	for (unsigned k = 0; k < n; k++) {
		for (unsigned cpu = 0; cpu < cpus; cpu++)
			idle_ticks[cpu] += running[cpu] == NULL;
		sim_ticks(1);
	}
}

static const char *test_steal_balances(void)
{
	enum { CPUS = 4, THREADS = 12, TICKS = 600 };

	sim_begin(CPUS);
	memset(idle_ticks, 0, sizeof(idle_ticks));
	for (int i = 0; i < THREADS; i++)       /* all made on CPU 0, allowed anywhere */
		sim_queued_on(i, 3, 0, SCHED_ALL_CPUS);
	sim_schedule(0);
	sim_ticks_counting_idle(TICKS, CPUS);
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		unsigned here = sched_ready_count(cpu) + (running[cpu] != NULL);
		CHECKF(here == THREADS / CPUS, "after %d ticks CPU %u holds %u of %d threads, "
		       "expected %d on each of %d CPUs", TICKS, cpu, here, THREADS, THREADS / CPUS,
		       CPUS);
		CHECKF(idle_ticks[cpu] <= 2, "CPU %u idled %lu ticks with %d threads ready", cpu,
		       idle_ticks[cpu], THREADS);
	}
	/* Fair: each thread gets about a third of a CPU, nobody starves. */
	const uint64_t fair = TICKS * CPUS / THREADS;
	for (int i = 0; i < THREADS; i++)
		CHECKF(ran[i] >= fair * 9 / 10 && ran[i] <= fair * 11 / 10,
		       "thread %d ran %lu of %d ticks; a fair share is %lu", i, ran[i], TICKS, fair);
	sim_end();
	return NULL;
}

static const char *test_64_cpus(void)
{
	sim_begin(1);
	for (unsigned cpu = 1; cpu < SCHED_MAX_CPUS; cpu++)
		CHECK(sched_cpu_set_online(cpu) == 0);
	CHECK(sched_cpus_online() == 64 && sched_online_mask() == ~(cpumask_t)0);
	CHECK(sched_cpu_set_online(63) == -EEXIST && sched_cpu_set_online(64) == -EINVAL);
	CHECK(sim_thread(0, 3, CPUMASK_CPU(63)) == 63 && sim[0].cpu == 63);
	CHECK(sched_pick_next(62) == NULL);
	CHECK(sched_pick_next(63) == &sim[0]);
	running[63] = &sim[0];
	/* Every other CPU busy: a new thread allowed anywhere takes the one idle CPU, 62. */
	for (int i = 1; i < 7; i++)
		CHECK(sim_thread(i, 3, SCHED_ALL_CPUS) == i - 1);
	sim[0].state = THREAD_BLOCKED;
	sim_schedule(63);
	CHECKF(running[63] == &sim[1] && sim[1].cpu == 63, "CPU 63 stole %ld",
	       running[63] ? (long)running[63]->id : -1L); /* from the first busiest, CPU 0 */
	sim_end();
	return NULL;
}

static const char *test_offline_refused(void)
{
	sim_begin(2);
	CHECK(sim_thread(0, 3, CPUMASK_CPU(2)) == -EINVAL); /* CPU 2 offline */
	CHECK(sim_thread(1, 3, SCHED_ALL_CPUS) >= 0);
	CHECK(sched_set_affinity(&sim[1], CPUMASK_CPU(5) | CPUMASK_CPU(63)) == -EINVAL);
	CHECK(sched_cpu_set_online(SCHED_MAX_CPUS) == -EINVAL);
	CHECK(sched_cpu_set_online(2) == 0 && sched_cpus_online() == 3);
	CHECK(sched_set_affinity(&sim[1], CPUMASK_CPU(2)) == 2 && sched_ready_count(2) == 1);
	sim_end();
	return NULL;
}

static void pick_offline(void *arg)
{
	(void)arg;
	unsigned long flags = arch_irq_save();
	sched_pick_next(7);
	arch_irq_restore(flags);
}

static const char *test_pick_offline_panics(void)
{
	char msg[160];

	sim_begin(1);
	sim_end();
	CHECKF(host_expect_panic(pick_offline, NULL, msg, sizeof(msg)), "%s", msg);
	CHECKF(strstr(msg, "sched_pick_next: the CPU is not online"), "panic said: %s", msg);
	return NULL;
}

static void pick_with_interrupts_on(void *arg)
{
	(void)arg;
	sched_pick_next(0);
}

static const char *test_irqs_off_contract(void)
{
	char msg[160];

	sim_irqs_on();

	CHECKF(host_expect_panic(pick_with_interrupts_on, NULL, msg, sizeof(msg)), "%s", msg);
	CHECKF(strstr(msg, "sched_pick_next: interrupts must be off"), "panic said: %s", msg);
	return NULL;
}

/* ---- Handoff (run_queue.h: sched_handoff_allowed, then sched_handoff_take) ---- */

/*
 * The policy's half of IPC's direct switch, as the fast path runs it:
 * false, nothing changed, when next may not run on cpu now; else next
 * RUNNING there, prev put, *must_move as sched_handoff_take answers.
 */
static bool handoff_pick(unsigned cpu, struct thread *prev, struct thread *next, bool *must_move)
{
	ASSERT_IRQS_OFF();
	if (!sched_handoff_allowed(cpu, next))
		return false;
	*must_move = sched_handoff_take(cpu, prev, next, true); /* the validator's locks */
	return true;
}

/* Thread i BLOCKED and out of the policy (its schedule() ran, its switch-out complete). */
static void sim_blocked(int i, int prio, cpumask_t mask)
{
	struct thread *t = &sim[i];
	t->id = (uint64_t)i;
	t->priority = prio;
	t->affinity = mask;
	t->state = THREAD_BLOCKED;
	t->on_rq = false;
	t->on_cpu = false;
	spin_lock_init(&t->sched_lock, "thread");
	list_init(&t->run_link);
	list_init(&t->wait_link);
}

/* The running thread of cpu blocks and hands off to next; returns the pick's answer. */
static bool sim_handoff(unsigned cpu, struct thread *next)
{
	struct thread *prev = running[cpu];
	bool must_move = false;

	prev->state = THREAD_BLOCKED; /* wait_prepare */
	if (!handoff_pick(cpu, prev, next, &must_move))
		return false;
	running[cpu] = next;
	prev->on_cpu = false; /* sched_finish_switch */
	if (must_move && sched_enqueue(prev) < 0)
		panic("test_sched: a thread that had to leave its CPU went nowhere");
	return true;
}

static const char *test_handoff(void)
{
	uint64_t id;
	char name[8];

	sim_begin(1);
	CHECK(sim_thread(0, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS) == 0); /* the client */
	CHECK(sim_thread(2, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS) == 0); /* a bystander */
	sim_blocked(1, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS);            /* the server */
	sim_schedule(0);
	CHECK(running[0] == &sim[0]);
	/* Call: the client blocks, the server runs at once, the bystander still waits. */
	CHECK(sim_handoff(0, &sim[1]));
	CHECKF(sim[1].state == THREAD_RUNNING && sim[1].on_cpu && sim[1].on_rq && sim[1].cpu == 0 &&
	       sim[1].slice_left == SCHED_SLICE_TICKS,
	       "the server is %d on_cpu %d on_rq %d", sim[1].state, sim[1].on_cpu, sim[1].on_rq);
	CHECK(sim[0].state == THREAD_BLOCKED && !sim[0].on_rq && !sim[0].on_cpu);
	CHECK(sched_ready_count(0) == 1 && sched_cpu_current(0, &id, name, sizeof(name)) && id == 1);
	/* Reply: back to the client, the same way. */
	CHECK(sim_handoff(0, &sim[0]));
	CHECK(running[0] == &sim[0] && sim[1].state == THREAD_BLOCKED && !sim[1].on_rq);
	CHECK(sched_ready_count(0) == 1);
	/* The tick treats the handed-to thread as any running one: round robin with the bystander. */
	sim_ticks(SCHED_SLICE_TICKS);
	CHECK(running[0] == &sim[2] && sim[0].state == THREAD_READY);
	sim_end();
	return NULL;
}

static const char *test_handoff_declines(void)
{
	sim_begin(2);
	CHECK(sim_thread(0, THREAD_PRIO_DEFAULT, 1u << 0) == 0);
	sim_schedule(0);
	/* next has not reached its schedule() yet (on_rq), or is still switching out (on_cpu). */
	sim_blocked(1, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS);
	sim[1].on_rq = true;
	bool must_move = false;
	sim[0].state = THREAD_BLOCKED;
	CHECK(!handoff_pick(0, &sim[0], &sim[1], &must_move));
	sim[1].on_rq = false;
	sim[1].on_cpu = true;
	sim[1].cpu = 1;
	CHECK(!handoff_pick(0, &sim[0], &sim[1], &must_move));
	/* Its affinity excludes this CPU. */
	sim_blocked(1, THREAD_PRIO_DEFAULT, 1u << 1);
	CHECK(!handoff_pick(0, &sim[0], &sim[1], &must_move));
	/* A ready thread outranks it; one at its own level does not stop it. */
	sim_blocked(1, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS);
	CHECK(sim_thread(3, THREAD_PRIO_DEFAULT + 1, 1u << 0) == 0);
	CHECK(!handoff_pick(0, &sim[0], &sim[1], &must_move));
	/* Nothing changed by the refusals. */
	CHECK(sim[0].on_rq && sim[1].state == THREAD_BLOCKED && !sim[1].on_rq &&
	      sched_ready_count(0) == 1 && sched_ready_count(1) == 0);
	sim[0].state = THREAD_RUNNING;
	sim_end();
	return NULL;
}

static const char *test_handoff_prev_woken(void)
{
	sim_begin(1);
	CHECK(sim_thread(0, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS) == 0);
	sim_blocked(1, THREAD_PRIO_DEFAULT, SCHED_ALL_CPUS);
	sim_schedule(0);
	/* The caller blocked, then was woken before it switched (a timeout, a signal). */
	unsigned where;
	sim[0].state = THREAD_BLOCKED;
	CHECK(sched_wake(&sim[0], &where) == 0 && sim[0].state == THREAD_RUNNING);
	bool must_move = false;
	CHECK(handoff_pick(0, &sim[0], &sim[1], &must_move) && !must_move);
	/* It is not lost: it waits on the run queue, READY. */
	CHECK(sim[0].state == THREAD_READY && sched_ready_count(0) == 1);
	running[0] = &sim[1];
	sim[0].on_cpu = false;
	sim_ticks(SCHED_SLICE_TICKS);
	CHECK(running[0] == &sim[0]);
	sim_end();
	return NULL;
}

/* ---- Timeouts (kernel/sched/timeout.c) ---- */

static unsigned fired[4];
static struct timeout tos[4];

static void note_fire(struct timeout *to)
{
	fired[to - tos]++;
	order[order_len++] = (int)(to - tos);
}

static const char *test_timeouts(void)
{
	sim_begin(1);
	timeout_init();
	memset(fired, 0, sizeof(fired));
	CHECK(timeout_next_expiry() == UINT64_MAX && timeout_tick(1) == 0);
	timeout_add(&tos[0], 10, note_fire);
	timeout_add(&tos[1], 5, note_fire);
	timeout_add(&tos[2], 10, note_fire); /* equal to 0's: after it */
	timeout_add(&tos[3], 7, note_fire);
	CHECK(timeout_pending_count() == 4 && timeout_next_expiry() == 5);
	CHECK(timeout_tick(4) == 0);
	CHECK(timeout_cancel(&tos[3]) && timeout_next_expiry() == 5);
	CHECK(timeout_tick(5) == 1 && fired[1] == 1 && timeout_next_expiry() == 10);
	CHECK(!timeout_cancel(&tos[1])); /* already ran */
	CHECK(timeout_tick(9) == 0);
	CHECK(timeout_tick(12) == 2 && fired[0] == 1 && fired[2] == 1 && fired[3] == 0);
	CHECKF(order_len == 3 && order[0] == 1 && order[1] == 0 && order[2] == 2,
	       "fired in the order %d %d %d", order[0], order[1], order[2]);
	CHECK(timeout_pending_count() == 0 && timeout_next_expiry() == UINT64_MAX);
	CHECK(timeout_tick(100) == 0);
	sim_end();
	return NULL;
}

/* Arming from a context with interrupts on is fine; the tick is not. */
static void tick_with_interrupts_on(void *arg)
{
	(void)arg;
	timeout_tick(1);
}

static const char *test_timeout_tick_irqs_off(void)
{
	char msg[160];

	sim_irqs_on();

	CHECKF(host_expect_panic(tick_with_interrupts_on, NULL, msg, sizeof(msg)), "%s", msg);
	CHECKF(strstr(msg, "timeout_tick: interrupts must be off"), "panic said: %s", msg);
	return NULL;
}

static const struct selftest sched_tests[] = {
	{"round_robin", "3 threads of one level take turns in order, 100 +- a slice of 300 ticks",
	 test_round_robin},
	{"alone_keeps_cpu", "a thread alone at its level is never switched out", test_alone_keeps_cpu},
	{"priorities", "a low thread never runs beside high ones; runs while they sleep; a wake "
	 "takes the CPU back", test_priorities},
	{"sleep_order", "sleepers wake at their exact tick, FIFO among equal ticks",
	 test_sleep_order},
	{"affinity", "two CPUs: threads run only where allowed; moving a ready thread; offline "
	 "CPUs refused", test_affinity},
	{"refusals", "bad CPU counts, priorities and affinities are refused, nothing queued",
	 test_refusals},
	{"steal_busiest", "an empty CPU steals from the busiest queue, highest level first",
	 test_steal_busiest},
	{"steal_affinity", "stealing skips threads whose affinity excludes the thief, takes the "
	 "next busiest", test_steal_affinity},
	{"on_cpu_never_stolen", "a thread still switching out is neither stolen nor queued "
	 "elsewhere; a wake before schedule() just runs on", test_on_cpu_never_stolen},
	{"placement", "new threads spread over idle CPUs; a woken thread goes to an idle CPU, "
	 "else stays", test_placement},
	{"tick_pull_and_wake_elsewhere", "an idle CPU's tick pulls work; a busy one only from a "
	 "queue 2 longer; a sleeper wakes onto an idle CPU, which is told",
	 test_tick_pull_and_wake_elsewhere},
	{"pick_order", "picks take the head of the highest non-empty level; an empty queue idles",
	 test_pick_order},
	{"slice_length", "turns last exactly a slice; alone at its level a thread keeps the CPU; "
	 "an idle CPU's tick sees a ready thread", test_slice_length},
	{"placement_least_loaded", "a thread goes to the least loaded CPU it allows; ties: its "
	 "last CPU, then the lowest", test_placement_least_loaded},
	{"steal_choice", "stealing takes the first thread of the highest level that may move: "
	 "not on_cpu, not pinned", test_steal_choice},
	{"steal_balances", "12 threads made on CPU 0 of 4: the queues even out to 3 each, every "
	 "thread gets a fair share", test_steal_balances},
	{"cpus_64", "64 CPUs online one by one; CPU 63 at the mask's edge queues and runs",
	 test_64_cpus},
	{"offline_refused", "affinities of offline CPUs, CPU numbers past the limit refused",
	 test_offline_refused},
	{"pick_offline_panics", "picking for an offline CPU is reported", test_pick_offline_panics},
	{"irqs_off_contract", "the policy called with interrupts on panics, naming the function",
	 test_irqs_off_contract},
	{"handoff", "a blocked caller hands its CPU to a blocked server and back, past the run "
	 "queue; the tick then round-robins as usual", test_handoff},
	{"handoff_declines", "no handoff to a thread still on a CPU, not allowed here, or "
	 "outranked by a ready one; nothing changes", test_handoff_declines},
	{"handoff_prev_woken", "a caller woken before its handoff goes back on the run queue",
	 test_handoff_prev_woken},
	{"timeouts", "timeouts run at their tick, earliest first, FIFO among equals; cancel "
	 "says whether one ran; a tick with none due does nothing", test_timeouts},
	{"timeout_tick_irqs_off", "the timeout tick with interrupts on panics",
	 test_timeout_tick_irqs_off},
};

SELFTEST_SUITE(sched, sched_tests);
