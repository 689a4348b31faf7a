/*
 * test_call.c - suite "call": the cross-CPU call queues
 * (kernel/smp/call_queue.c) on the host, with POSIX threads standing for
 * CPUs and a flag per CPU standing for its call IPI.
 *
 * A simulated CPU is a thread that serves its queue whenever its flag is
 * raised (the IPI handler) or while it waits for its own calls (the
 * sender's loop). Covered: the ring's order and its full/empty edges, the
 * spin-safe requests a spin-wait takes out of order, a
 * call reaching every target exactly once with the sender waiting for all,
 * two CPUs that call each other at the same moment and serve nothing but
 * their own waits (they finish because each serves its queue while
 * waiting), rings so small in proportion that senders find them full, and
 * a CPU naming itself. A watchdog thread fails a test that stops making
 * progress instead of letting the run hang.
 * Hosted code: pthreads; the queue code itself uses only atomics.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kernel/selftest.h"
#include "kernel/smp/call_queue.h"
#include "tests/host/host_stubs.h"

#define SIM_CPUS 4
#define SIM_ROUNDS 2000 /* calls each sender makes in the stress tests */
#define SIM_TIMEOUT_S 20 /* a test running longer than this is deadlocked */

static struct call_queue queues[SIM_CPUS];
static unsigned kicked[SIM_CPUS]; /* raised by kick, lowered by the CPU that serves */
static unsigned kicks;

static void sim_kick(unsigned cpu)
{
	__atomic_store_n(&kicked[cpu], 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&kicks, 1, __ATOMIC_RELAXED);
}

/* A spin of a wait loop; yields, as the host may run more threads than it has cores. */
static void sim_relax(void)
{
	sched_yield();
}

static const struct call_system sim = {.queue = queues, .kick = sim_kick, .relax = sim_relax};

static void sim_reset(void)
{
	for (unsigned cpu = 0; cpu < SIM_CPUS; cpu++) {
		call_queue_init(&queues[cpu]);
		kicked[cpu] = 0;
	}
	kicks = 0;
}

/* What the called functions record: runs per CPU (arg points to the slot). */
static unsigned runs[SIM_CPUS];

static void count_run(void *arg)
{
	__atomic_add_fetch((unsigned *)arg, 1, __ATOMIC_RELAXED);
}

static int order[CALL_QUEUE_SLOTS + 1];
static unsigned order_len;

static void record_order(void *arg)
{
	order[order_len++] = (int)(intptr_t)arg;
}

static const char *test_ring(void)
{
	struct call_entry e = {.fn = record_order};

	sim_reset();
	order_len = 0;
	for (int i = 0; i < CALL_QUEUE_SLOTS; i++) {
		e.arg = (void *)(intptr_t)i;
		CHECKF(call_queue_push(&queues[1], &e), "push %d of %d refused", i, CALL_QUEUE_SLOTS);
	}
	CHECK(!call_queue_push(&queues[1], &e));
	CHECK(queues[1].full_waits == 1);
	CHECK(call_queue_serve(&sim, 1) == CALL_QUEUE_SLOTS);
	CHECK(order_len == CALL_QUEUE_SLOTS);
	for (int i = 0; i < CALL_QUEUE_SLOTS; i++)
		CHECKF(order[i] == i, "run %d was request %d", i, order[i]);
	CHECK(call_queue_serve(&sim, 1) == 0);
	CHECK(queues[1].served == CALL_QUEUE_SLOTS);
	return NULL;
}

static const char *test_spin_safe_first(void)
{
	static const unsigned flags[6] = {0, CALL_SPIN_SAFE, 0, CALL_SPIN_SAFE, 0, CALL_SPIN_SAFE};
	struct call_entry e = {.fn = record_order};

	sim_reset();
	order_len = 0;
	for (int i = 0; i < 6; i++) {
		e.arg = (void *)(intptr_t)i;
		e.flags = flags[i];
		CHECK(call_queue_push(&queues[0], &e));
	}
	CHECK(call_queue_serve_spin_safe(&sim, 0) == 3);
	CHECKF(order_len == 3 && order[0] == 1 && order[1] == 3 && order[2] == 5,
	       "a spin-wait ran %u requests: %d %d %d", order_len, order[0], order[1], order[2]);
	CHECK(call_queue_serve_spin_safe(&sim, 0) == 0);
	CHECK(call_queue_serve(&sim, 0) == 3);
	CHECKF(order_len == 6 && order[3] == 0 && order[4] == 2 && order[5] == 4,
	       "the rest ran as %d %d %d", order[3], order[4], order[5]);
	CHECK(queues[0].head == queues[0].tail);
	return NULL;
}

/* ---- simulated CPUs ------------------------------------------------------ */

static volatile bool stop_servers;
static volatile bool done;
static volatile bool timed_out;

/* A CPU in its idle loop: serve its queue whenever its IPI flag is up. */
static void *server(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;

	while (!stop_servers) {
		if (__atomic_exchange_n(&kicked[cpu], 0, __ATOMIC_ACQUIRE))
			call_queue_serve(&sim, cpu);
		else
			sim_relax();
	}
	call_queue_serve(&sim, cpu);
	return NULL;
}

/* Two CPUs that only ever send to each other (no idle loop serves them). */
struct duel {
	unsigned self, peer;
	unsigned ran_here; /* calls the peer made that ran on this CPU */
};

static struct duel duels[2];

/* Fails the test (timed_out) if done is not set within SIM_TIMEOUT_S. */
static void *watchdog(void *arg)
{
	(void)arg;
	for (int i = 0; i < SIM_TIMEOUT_S * 100 && !done; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (!done) {
		timed_out = true;
		fprintf(stderr, "duels ran %u %u; queues %u-%u %u-%u\n", duels[0].ran_here, duels[1].ran_here, queues[0].head, queues[0].tail, queues[1].head, queues[1].tail);
		panic("test_call: no progress for %d s: the senders deadlocked", SIM_TIMEOUT_S);
	}
	return NULL;
}

static const char *test_reaches_every_target(void)
{
	pthread_t th[SIM_CPUS], dog;

	sim_reset();
	memset(runs, 0, sizeof(runs));
	stop_servers = false;
	done = false;
	pthread_create(&dog, NULL, watchdog, NULL);
	for (unsigned cpu = 1; cpu < SIM_CPUS; cpu++)
		pthread_create(&th[cpu], NULL, server, (void *)(uintptr_t)cpu);
	/* CPU 0 sends; each target counts into its own slot via the arg of its own call. */
	for (unsigned cpu = 1; cpu < SIM_CPUS; cpu++)
		call_queue_send_many(&sim, 0, CPUMASK_CPU(cpu), count_run, &runs[cpu], CALL_WAIT);
	unsigned after_single[SIM_CPUS];
	memcpy(after_single, runs, sizeof(runs));
	call_queue_send_many(&sim, 0, CPUMASK_FIRST(SIM_CPUS) & ~CPUMASK_CPU(0), count_run, &runs[0],
			     CALL_WAIT);
	unsigned all = runs[0]; /* read before the servers stop: wait really waited */
	stop_servers = true;
	for (unsigned cpu = 1; cpu < SIM_CPUS; cpu++)
		pthread_join(th[cpu], NULL);
	done = true;
	pthread_join(dog, NULL);
	for (unsigned cpu = 1; cpu < SIM_CPUS; cpu++)
		CHECKF(after_single[cpu] == 1, "CPU %u ran its own call %u times", cpu,
		       after_single[cpu]);
	CHECKF(all == SIM_CPUS - 1, "one call to %d CPUs ran %u times by the time it returned",
	       SIM_CPUS - 1, all);
	CHECK(queues[0].served == 0);
	CHECK(kicks >= SIM_CPUS - 1 + SIM_CPUS - 1);
	return NULL;
}

static void *duelist(void *arg)
{
	struct duel *d = arg;

	for (unsigned i = 0; i < SIM_ROUNDS; i++)
		call_queue_send_many(&sim, d->self, CPUMASK_CPU(d->peer), count_run,
				     &duels[d->peer].ran_here, CALL_WAIT);
	/* The peer may still wait for this CPU: serve until it has had all its calls run. */
	while (__atomic_load_n(&d->ran_here, __ATOMIC_ACQUIRE) < SIM_ROUNDS)
		call_queue_serve(&sim, d->self);
	return NULL;
}

static const char *test_two_cpus_call_each_other(void)
{
	pthread_t a, b, dog;

	sim_reset();
	done = false;
	timed_out = false;
	duels[0] = (struct duel){.self = 0, .peer = 1};
	duels[1] = (struct duel){.self = 1, .peer = 0};
	pthread_create(&dog, NULL, watchdog, NULL);
	pthread_create(&a, NULL, duelist, &duels[0]);
	pthread_create(&b, NULL, duelist, &duels[1]);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	done = true;
	pthread_join(dog, NULL);
	CHECKF(duels[0].ran_here == SIM_ROUNDS && duels[1].ran_here == SIM_ROUNDS,
	       "calls run: %u on CPU 0, %u on CPU 1, %d each expected", duels[0].ran_here,
	       duels[1].ran_here, SIM_ROUNDS);
	CHECK(queues[0].served == SIM_ROUNDS && queues[1].served == SIM_ROUNDS);
	return NULL;
}

/* Every CPU sends to all others at once, every other call unwaited: rings fill up. */
static unsigned flooders_done;

static void *flooder(void *arg)
{
	unsigned self = (unsigned)(uintptr_t)arg;
	cpumask_t others = CPUMASK_FIRST(SIM_CPUS) & ~CPUMASK_CPU(self);

	for (unsigned i = 0; i < SIM_ROUNDS; i++)
		call_queue_send_many(&sim, self, others, count_run, &runs[self], i % 2 == 0 ? CALL_WAIT : 0);
	/* Done sending; the others may still wait for this CPU: serve until all are done. */
	__atomic_add_fetch(&flooders_done, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&flooders_done, __ATOMIC_ACQUIRE) < SIM_CPUS)
		call_queue_serve(&sim, self);
	return NULL;
}

static const char *test_full_rings_drain(void)
{
	pthread_t th[SIM_CPUS], dog;
	uint64_t full = 0;

	sim_reset();
	memset(runs, 0, sizeof(runs));
	done = false;
	flooders_done = 0;
	/* Rings full from the start: each flooder's first push must wait. */
	unsigned prefilled = 0;
	struct call_entry fill = {.fn = count_run, .arg = &prefilled};
	for (unsigned cpu = 0; cpu < SIM_CPUS; cpu++)
		while (call_queue_push(&queues[cpu], &fill))
			;
	pthread_create(&dog, NULL, watchdog, NULL);
	for (unsigned cpu = 0; cpu < SIM_CPUS; cpu++)
		pthread_create(&th[cpu], NULL, flooder, (void *)(uintptr_t)cpu);
	for (unsigned cpu = 0; cpu < SIM_CPUS; cpu++)
		pthread_join(th[cpu], NULL);
	/* The unwaited calls may still be queued: each CPU serves its rest. */
	for (unsigned cpu = 0; cpu < SIM_CPUS; cpu++)
		call_queue_serve(&sim, cpu);
	done = true;
	pthread_join(dog, NULL);
	for (unsigned cpu = 0; cpu < SIM_CPUS; cpu++) {
		CHECKF(runs[cpu] == SIM_ROUNDS * (SIM_CPUS - 1), "CPU %u's calls ran %u times, %d "
		       "expected", cpu, runs[cpu], SIM_ROUNDS * (SIM_CPUS - 1));
		full += queues[cpu].full_waits;
	}
	CHECKF(prefilled == SIM_CPUS * CALL_QUEUE_SLOTS, "%u of the %d entries queued before the "
	       "start ran", prefilled, SIM_CPUS * CALL_QUEUE_SLOTS);
	CHECKF(full > SIM_CPUS, "no sender ever found a ring full (%d slots): the test did not test "
	       "that path", CALL_QUEUE_SLOTS);
	return NULL;
}

static void send_to_self(void *arg)
{
	(void)arg;
	call_queue_send_many(&sim, 2, CPUMASK_CPU(2), count_run, &runs[0], CALL_WAIT);
}

static const char *test_self_refused(void)
{
	char msg[160];

	sim_reset();
	CHECKF(host_expect_panic(send_to_self, NULL, msg, sizeof(msg)), "%s", msg);
	CHECKF(strstr(msg, "call_queue_send_many: CPU 2 sends itself a call"), "panic said: %s",
	       msg);
	return NULL;
}

static const struct selftest call_tests[] = {
	{"ring", "a ring holds CALL_QUEUE_SLOTS requests, refuses one more, runs them in order",
	 test_ring},
	{"spin_safe_first", "a spin-wait takes only the spin-safe requests, in order; the others "
	 "keep theirs", test_spin_safe_first},
	{"reaches_every_target", "a call reaches each target once; with wait it returns only "
	 "after all ran it", test_reaches_every_target},
	{"two_cpus_call_each_other", "two CPUs calling each other at once both finish: each "
	 "serves its own queue while waiting", test_two_cpus_call_each_other},
	{"full_rings_drain", "4 CPUs flooding each other find rings full and still deliver every "
	 "call once", test_full_rings_drain},
	{"self_refused", "a CPU naming itself as a target panics, naming the function",
	 test_self_refused},
};

SELFTEST_SUITE(call, call_tests);
