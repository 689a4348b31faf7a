/*
 * timeout.c - the timeout list (see timeout.h): armed timeouts sorted by
 * expiry under one spinlock, the earliest expiry mirrored in a word the
 * tick reads first.
 *
 * One list for the machine, not one per CPU: timeouts are few (a waiter
 * with a limit each) and only CPU 0's tick advances the tick counter, so
 * one CPU runs them all; the lock makes arming and cancelling from any CPU
 * safe. Running each fn under the lock is what lets timeout_cancel promise
 * that fn is not running once it returns (the struct usually lives on the
 * waiter's stack).
 *
 * Invariants:
 *   [x] `armed` is sorted by expires, FIFO among equal expiries;
 *   [x] next_expiry == the head's expires, UINT64_MAX when empty; written
 *       only under the lock, read by the tick without it (a stale value is
 *       only ever later than the truth for one tick, or earlier: then the
 *       tick takes the lock and finds nothing);
 *   [x] a timeout's link is on `armed` exactly while armed (list_remove
 *       re-initialises it, so list_empty tells a fired one).
 * Lock order: "timeouts" -> whatever a fn takes (wait_timeout's: a wait
 * queue's lock -> a thread's sched_lock -> a run-queue lock); nothing
 * takes "timeouts" inside those. Built for the host too (test_sched.c):
 * lib/, sched_arch.h and spinlock.h only.
 */
#include "kernel/sched/timeout.h"

#include "kernel/sched/sched_arch.h"
#include "lib/panic.h"
#include "mm/spinlock.h"

static spinlock_t lock = SPINLOCK_INIT("timeouts");
static struct list_node armed = LIST_INIT(armed);
static uint64_t next_expiry = UINT64_MAX;
static unsigned pending;

/* next_expiry from the head (lock held). */
static void update_next(void)
{
	uint64_t next = list_empty(&armed) ? UINT64_MAX
					   : list_first_entry(&armed, struct timeout, link)->expires;
	__atomic_store_n(&next_expiry, next, __ATOMIC_RELEASE);
}

void timeout_init(void)
{
	unsigned long flags = spin_lock_irqsave(&lock);

	list_init(&armed);
	pending = 0;
	update_next();
	spin_unlock_irqrestore(&lock, flags);
}

void timeout_add(struct timeout *to, uint64_t expires, void (*fn)(struct timeout *to))
{
	struct list_node *pos;

	to->expires = expires;
	to->fn = fn;
	unsigned long flags = spin_lock_irqsave(&lock);
	/* After every timeout due at or before `expires`: FIFO among equals. */
	list_for_each(pos, &armed) {
		if (list_entry(pos, struct timeout, link)->expires > expires)
			break;
	}
	list_add_tail(pos, &to->link);
	pending++;
	update_next();
	spin_unlock_irqrestore(&lock, flags);
}

bool timeout_cancel(struct timeout *to)
{
	unsigned long flags = spin_lock_irqsave(&lock);
	bool was_armed = !list_empty(&to->link);

	if (was_armed) {
		list_remove(&to->link);
		pending--;
		update_next();
	}
	spin_unlock_irqrestore(&lock, flags);
	return was_armed;
}

unsigned timeout_tick(uint64_t now)
{
	ASSERT_IRQS_OFF();
	unsigned ran = 0;

	if (__atomic_load_n(&next_expiry, __ATOMIC_ACQUIRE) > now)
		return 0; /* the common tick: nothing due */
	unsigned long flags = spin_lock_irqsave(&lock);
	while (!list_empty(&armed)) {
		struct timeout *to = list_first_entry(&armed, struct timeout, link);
		if (to->expires > now)
			break;
		list_remove(&to->link);
		pending--;
		to->fn(to); /* under the lock: a cancel after this knows it is done */
		ran++;
	}
	update_next();
	spin_unlock_irqrestore(&lock, flags);
	return ran;
}

uint64_t timeout_next_expiry(void)
{
	return __atomic_load_n(&next_expiry, __ATOMIC_ACQUIRE);
}

unsigned timeout_pending_count(void)
{
	return __atomic_load_n(&pending, __ATOMIC_RELAXED);
}
