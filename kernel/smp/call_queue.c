/*
 * call_queue.c - per-CPU rings of call requests and the send/serve/wait
 * logic of cross-CPU calls (contracts in call_queue.h).
 *
 * The ring's lock is a byte taken with an atomic test-and-set and held for
 * one struct copy; the sender's pending count is decremented with an
 * atomic subtract after fn returns (release), and read by the waiting
 * sender with an acquire load, so what fn wrote is visible to the sender
 * once the count says done.
 *
 * Invariants:
 *   [x] head <= tail and tail - head <= CALL_QUEUE_SLOTS (unsigned arithmetic);
 *   [x] no function runs and no kick is sent while a ring's lock is held;
 *   [x] a sender whose target's ring is full serves its own ring before
 *       retrying, so rings that are full of each other's requests drain.
 * Context: interrupts off on the calling CPU; lock order: a ring lock is a
 * leaf (nothing is taken inside it).
 */
#include "kernel/smp/call_queue.h"

#include "lib/panic.h"

static void ring_lock(struct call_queue *q, const struct call_system *sys)
{
	while (__atomic_test_and_set(&q->lock, __ATOMIC_ACQUIRE))
		if (sys && sys->relax)
			sys->relax();
}

static void ring_unlock(struct call_queue *q)
{
	__atomic_clear(&q->lock, __ATOMIC_RELEASE);
}

void call_queue_init(struct call_queue *q)
{
	q->lock = 0;
	q->head = q->tail = 0;
	q->served = q->full_waits = 0;
}

bool call_queue_push(struct call_queue *q, const struct call_entry *e)
{
	bool queued = false;

	ring_lock(q, NULL);
	if (q->tail - q->head < CALL_QUEUE_SLOTS) {
		q->slot[q->tail % CALL_QUEUE_SLOTS] = *e;
		q->tail++;
		queued = true;
	} else {
		q->full_waits++;
	}
	ring_unlock(q);
	return queued;
}

/*
 * Take the oldest entry of q whose flags include all of `need` into *e;
 * false when there is none. An entry taken from the middle closes the gap
 * by moving the older ones up one slot, keeping their order.
 */
static bool ring_pop(struct call_queue *q, struct call_entry *e, unsigned need)
{
	bool got = false;

	ring_lock(q, NULL);
	for (unsigned i = q->head; i != q->tail; i++) {
		if ((q->slot[i % CALL_QUEUE_SLOTS].flags & need) != need)
			continue;
		*e = q->slot[i % CALL_QUEUE_SLOTS];
		for (unsigned j = i; j != q->head; j--)
			q->slot[j % CALL_QUEUE_SLOTS] = q->slot[(j - 1) % CALL_QUEUE_SLOTS];
		q->head++;
		q->served++;
		got = true;
		break;
	}
	ring_unlock(q);
	return got;
}

/* Run (and acknowledge) the entries of cpu's queue that have the flags need. */
static unsigned serve(const struct call_system *sys, unsigned cpu, unsigned need)
{
	struct call_queue *q = &sys->queue[cpu];
	struct call_entry e;
	unsigned ran = 0;

	while (ring_pop(q, &e, need)) {
		e.fn(e.arg);
		if (e.pending)
			__atomic_sub_fetch(e.pending, 1, __ATOMIC_RELEASE);
		ran++;
	}
	return ran;
}

unsigned call_queue_serve(const struct call_system *sys, unsigned cpu)
{
	return serve(sys, cpu, 0);
}

unsigned call_queue_serve_spin_safe(const struct call_system *sys, unsigned cpu)
{
	return serve(sys, cpu, CALL_SPIN_SAFE);
}

void call_queue_send_many(const struct call_system *sys, unsigned self, cpumask_t targets,
			  void (*fn)(void *arg), void *arg, unsigned flags)
{
	bool wait = flags & CALL_WAIT;
	unsigned pending = 0;
	struct call_entry e = {.fn = fn, .arg = arg, .pending = wait ? &pending : NULL,
			       .flags = flags & CALL_SPIN_SAFE};

	if (targets & CPUMASK_CPU(self))
		panic("call_queue_send_many: CPU %u sends itself a call", self);
	for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++)
		if (targets & CPUMASK_CPU(cpu))
			pending++;
	if (!wait)
		pending = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the count is set before any target sees e */
	for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
		if (!(targets & CPUMASK_CPU(cpu)))
			continue;
		while (!call_queue_push(&sys->queue[cpu], &e)) {
			sys->kick(cpu); /* it may not have been told about what fills its ring */
			call_queue_serve(sys, self);
			sys->relax();
		}
		sys->kick(cpu);
	}
	while (wait && __atomic_load_n(&pending, __ATOMIC_ACQUIRE) != 0) {
		call_queue_serve(sys, self);
		sys->relax();
	}
}
