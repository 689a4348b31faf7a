/*
 * sched.c - the scheduling policy (see sched.h): per-CPU run queues with a
 * FIFO per priority level, time slices, sorted sleep lists, affinity.
 *
 * Invariants (of each CPU's queue):
 *   [x] bit p of `nonempty` is set exactly when level p's list is not empty;
 *   [x] a thread is on a run queue exactly when it is READY, on at most one,
 *       and only on a CPU its affinity allows;
 *   [x] the sleep list holds exactly the SLEEPING threads, in wake_tick
 *       order (equal ticks in the order they went to sleep);
 *   [x] ready counts each queue's threads.
 * Interrupts off in every function (ASSERT_IRQS_OFF); built for the host
 * too, so it uses lib/ and sched_arch.h only.
 */
#include "kernel/sched/sched.h"

#include "lib/errno.h"

struct run_queue {
	struct list_node levels[THREAD_PRIO_LEVELS]; /* READY threads, FIFO per priority */
	uint32_t nonempty;                           /* bit p: levels[p] has a thread */
	unsigned ready;
	struct list_node sleepers;                   /* SLEEPING threads by wake_tick */
	unsigned sleeping;
};

static struct run_queue queues[SCHED_MAX_CPUS];
static unsigned cpus_online;

_Static_assert(THREAD_PRIO_LEVELS <= 32, "sched: the level bitmap is 32 bits");

int sched_policy_init(unsigned cpus)
{
	ASSERT_IRQS_OFF();
	if (cpus == 0 || cpus > SCHED_MAX_CPUS)
		return -EINVAL;
	for (unsigned c = 0; c < SCHED_MAX_CPUS; c++) {
		struct run_queue *rq = &queues[c];
		for (int p = 0; p < THREAD_PRIO_LEVELS; p++)
			list_init(&rq->levels[p]);
		list_init(&rq->sleepers);
		rq->nonempty = 0;
		rq->ready = rq->sleeping = 0;
	}
	cpus_online = cpus;
	return 0;
}

unsigned sched_cpus_online(void)
{
	return cpus_online;
}

static cpumask_t online_mask(void)
{
	return CPUMASK_FIRST(cpus_online);
}

/* The CPU t should be queued on, or -1 when its affinity allows no online CPU. */
static int choose_cpu(const struct thread *t)
{
	cpumask_t allowed = t->affinity & online_mask();

	if (allowed == 0)
		return -1;
	if (allowed & CPUMASK_CPU(t->cpu))
		return (int)t->cpu;
	return __builtin_ctzll(allowed);
}

int sched_enqueue(struct thread *t)
{
	ASSERT_IRQS_OFF();
	ASSERT(t->state == THREAD_READY && list_empty(&t->run_link),
	       "sched_enqueue: the thread is not READY or is already queued");
	int cpu = choose_cpu(t);
	if (cpu < 0)
		return -EINVAL;
	struct run_queue *rq = &queues[cpu];
	t->cpu = (unsigned)cpu;
	if (t->slice_left == 0)
		t->slice_left = SCHED_SLICE_TICKS;
	list_add_tail(&rq->levels[t->priority], &t->run_link);
	rq->nonempty |= 1u << t->priority;
	rq->ready++;
	return cpu;
}

void sched_dequeue(struct thread *t)
{
	ASSERT_IRQS_OFF();
	ASSERT(t->state == THREAD_READY && !list_empty(&t->run_link),
	       "sched_dequeue: the thread is not on a run queue");
	struct run_queue *rq = &queues[t->cpu];
	list_remove(&t->run_link);
	if (list_empty(&rq->levels[t->priority]))
		rq->nonempty &= ~(1u << t->priority);
	rq->ready--;
}

struct thread *sched_pick_next(unsigned cpu)
{
	ASSERT_IRQS_OFF();
	struct run_queue *rq = &queues[cpu];
	if (rq->nonempty == 0)
		return NULL;
	int p = 31 - __builtin_clz(rq->nonempty);
	struct thread *t = list_first_entry(&rq->levels[p], struct thread, run_link);
	list_remove(&t->run_link);
	if (list_empty(&rq->levels[p]))
		rq->nonempty &= ~(1u << p);
	rq->ready--;
	return t;
}

bool sched_ready_above(unsigned cpu, int priority)
{
	uint32_t nonempty = queues[cpu].nonempty;

	if (priority < 0)
		return nonempty != 0;
	return (nonempty >> (priority + 1)) != 0;
}

unsigned sched_ready_count(unsigned cpu)
{
	return queues[cpu].ready;
}

unsigned sched_sleeping_count(unsigned cpu)
{
	return queues[cpu].sleeping;
}

bool sched_tick(unsigned cpu, struct thread *curr, uint64_t now)
{
	ASSERT_IRQS_OFF();
	struct run_queue *rq = &queues[cpu];
	bool resched = false;

	while (!list_empty(&rq->sleepers)) {
		struct thread *t = list_first_entry(&rq->sleepers, struct thread, run_link);
		if (t->wake_tick > now)
			break;
		t->woke_tick = now;
		if (sched_wake(t, curr))
			resched = true;
	}
	if (curr == NULL)
		return resched || rq->nonempty != 0;
	if (curr->slice_left > 0)
		curr->slice_left--;
	if (curr->slice_left == 0) {
		if (sched_ready_above(cpu, curr->priority - 1))
			return true; /* a peer or better waits: round robin */
		curr->slice_left = SCHED_SLICE_TICKS; /* alone at its level: go on */
	}
	return resched;
}

void sched_sleep_until(unsigned cpu, struct thread *curr, uint64_t wake)
{
	ASSERT_IRQS_OFF();
	struct run_queue *rq = &queues[cpu];
	struct list_node *pos;

	ASSERT(curr->state == THREAD_RUNNING && list_empty(&curr->run_link),
	       "sched_sleep_until: only the running thread goes to sleep");
	curr->state = THREAD_SLEEPING;
	curr->wake_tick = wake;
	/* After every sleeper that wakes at or before `wake`: FIFO among equals. */
	list_for_each(pos, &rq->sleepers) {
		if (list_entry(pos, struct thread, run_link)->wake_tick > wake)
			break;
	}
	list_add_tail(pos, &curr->run_link);
	rq->sleeping++;
}

bool sched_wake(struct thread *t, const struct thread *curr)
{
	ASSERT_IRQS_OFF();
	if (t->state == THREAD_SLEEPING) {
		list_remove(&t->run_link);
		queues[t->cpu].sleeping--;
	}
	ASSERT(t->state == THREAD_SLEEPING || t->state == THREAD_BLOCKED,
	       "sched_wake: the thread is not waiting");
	t->state = THREAD_READY;
	t->waiting_on = NULL;
	if (sched_enqueue(t) < 0) {
		/* Affinity outside the online CPUs: it was checked when set. */
		panic("sched_wake: thread %lu allows no online CPU", t->id);
	}
	return curr == NULL || t->priority > curr->priority;
}

/* Take t off its queue if it is on one; returns whether it was (for requeue). */
static bool unqueue(struct thread *t)
{
	bool queued = t->state == THREAD_READY && !list_empty(&t->run_link);

	if (queued)
		sched_dequeue(t);
	return queued;
}

static void requeue(struct thread *t, bool queued)
{
	if (queued && sched_enqueue(t) < 0)
		panic("sched: thread %lu was requeued where no online CPU allows it", t->id);
}

int sched_set_priority(struct thread *t, int priority)
{
	ASSERT_IRQS_OFF();
	if (priority < THREAD_PRIO_MIN || priority > THREAD_PRIO_MAX)
		return -EINVAL;
	bool queued = unqueue(t);
	t->priority = priority;
	requeue(t, queued);
	return 0;
}

int sched_set_affinity(struct thread *t, cpumask_t mask)
{
	ASSERT_IRQS_OFF();
	if ((mask & online_mask()) == 0)
		return -EINVAL;
	bool queued = unqueue(t);
	t->affinity = mask;
	requeue(t, queued);
	return 0;
}
