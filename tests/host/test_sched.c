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
 * interrupts-off contract. Hosted code: one thread, interrupts "off"
 * around every policy call (tests/host/mm_arch_host.c keeps the count).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/sched/sched.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "tests/host/host_stubs.h"

#define SIM_THREADS 8

static struct thread sim[SIM_THREADS];
static struct thread *running[SCHED_MAX_CPUS]; /* NULL: the CPU idles */
static uint64_t now;                           /* the simulated tick counter */
static uint64_t ran[SIM_THREADS];              /* ticks each thread ran */
static int order[64];                          /* threads in the order they were picked */
static unsigned order_len;
static unsigned long irq;

/* Fresh policy with `cpus` CPUs, interrupts "off" until sim_end(). */
static void sim_begin(unsigned cpus)
{
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
	list_init(&t->run_link);
	list_init(&t->wait_link);
	return sched_enqueue(t);
}

/* What schedule() does on cpu, minus the stack switch. */
static void sim_schedule(unsigned cpu)
{
	struct thread *prev = running[cpu];

	if (prev && prev->state == THREAD_RUNNING) {
		prev->state = THREAD_READY;
		if (sched_enqueue(prev) < 0)
			panic("test_sched: requeue failed");
	}
	struct thread *next = sched_pick_next(cpu);
	if (next) {
		next->state = THREAD_RUNNING;
		if (order_len < 64)
			order[order_len++] = (int)next->id;
	}
	running[cpu] = next;
}

/* n ticks on every online CPU: the running thread is charged, then maybe switched. */
static void sim_ticks(unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		now++;
		for (unsigned cpu = 0; cpu < sched_cpus_online(); cpu++) {
			if (running[cpu])
				ran[running[cpu]->id]++;
			if (sched_tick(cpu, running[cpu], now))
				sim_schedule(cpu);
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
	CHECK(sched_set_affinity(moved, 1u << 3) == -EINVAL); /* CPU 3 is offline */
	CHECK(moved->affinity == 1u << 0);
	sim_end();
	return NULL;
}

static const char *test_refusals(void)
{
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

static void pick_with_interrupts_on(void *arg)
{
	(void)arg;
	sched_pick_next(0);
}

static const char *test_irqs_off_contract(void)
{
	char msg[160];

	CHECKF(host_expect_panic(pick_with_interrupts_on, NULL, msg, sizeof(msg)), "%s", msg);
	CHECKF(strstr(msg, "sched_pick_next: interrupts must be off"), "panic said: %s", msg);
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
	{"irqs_off_contract", "the policy called with interrupts on panics, naming the function",
	 test_irqs_off_contract},
};

SELFTEST_SUITE(sched, sched_tests);
