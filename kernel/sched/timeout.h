/*
 * timeout.h - time limits on waits: a list of timeouts the timer tick
 * checks, and wait_event_timeout built on it.
 *
 * A timeout is a struct the caller owns (usually on its stack) with the
 * tick it expires at and a function to run then. The armed ones sit on one
 * list, sorted by expiry, under one spinlock; the earliest expiry is also
 * kept in a word the tick reads without the lock, so a tick with nothing
 * due costs one load and one compare (O(1)). CPU 0's tick (the one that
 * advances timer_ticks) runs the due ones: each fn runs with the list's
 * lock held, so once timeout_cancel returns the fn is not running and
 * will never run: the struct may go away.
 *
 * wait_event_timeout(wq, cond, ticks) is wait_event with a limit: it
 * returns 0 once cond is true, -ETIMEDOUT when `ticks` ticks passed first
 * (UINT64_MAX: no limit, nothing armed; 0: cond is checked once). The
 * expiry sets a flag, then wakes the waiter if it is still on wq (under
 * wq's lock), exactly as a waker sets its condition and then wakes: so
 * neither wake-up is lost, and when both race, cond wins if it is true.
 *
 * Invariants:
 *   [x] the list is sorted by expiry, equal expiries in the order armed;
 *   [x] next_expiry is the head's expiry (UINT64_MAX: the list is empty),
 *       written under the lock;
 *   [x] a timeout is on the list exactly while it is armed and its fn has
 *       not started; fn runs at most once per timeout_add.
 * Context: timeout_add / timeout_cancel any context, interrupts on or off;
 * fn runs in the tick (interrupts off, the list lock held: it must not arm
 * or cancel a timeout). Lock order: "timeouts" -> a wait queue's lock ->
 * a thread's sched_lock -> a run-queue lock.
 */
#ifndef KERNEL_SCHED_TIMEOUT_H
#define KERNEL_SCHED_TIMEOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"

struct timeout {
	struct list_node link;            /* on the list while armed */
	uint64_t expires;                 /* the tick it is due at */
	void (*fn)(struct timeout *to);   /* run once, in the tick */
};

/* Empty the list (boot; the host tests between cases). */
void timeout_init(void);

/*
 * Arm to: fn(to) runs in the first tick numbered >= expires. to must not
 * be armed already. Any context.
 */
void timeout_add(struct timeout *to, uint64_t expires, void (*fn)(struct timeout *to));

/*
 * Disarm to. Returns true when it was still armed (fn will never run),
 * false when fn already ran. Either way fn is not running when this
 * returns. Any context, not from a timeout's fn.
 */
bool timeout_cancel(struct timeout *to);

/*
 * The tick numbered now: run the fn of every timeout due (expires <= now),
 * earliest first. O(1) when none is. Interrupts off (CPU 0's tick).
 * Returns how many ran.
 */
unsigned timeout_tick(uint64_t now);

/* The earliest armed expiry, UINT64_MAX if none. Any context. */
uint64_t timeout_next_expiry(void);

/* Timeouts armed now. */
unsigned timeout_pending_count(void);

#ifndef PAGODA_HOST /* the wait needs the kernel's scheduler */
#include "kernel/sched/schedule.h"
#include "kernel/sched/wait.h"
#include "lib/errno.h"

/* wait_event_timeout's state: a timeout that wakes one thread waiting on wq. */
struct wait_timeout {
	struct timeout to;
	struct wait_queue *wq;
	struct thread *thread;
	bool armed;
	bool expired;                     /* set by the tick before it wakes */
};

/* Arm w for the calling thread on wq, `ticks` ticks from now (wait.c). Interrupts off. */
void wait_timeout_begin(struct wait_timeout *w, struct wait_queue *wq, uint64_t ticks);

/* Disarm w (wait.c). Interrupts off. */
void wait_timeout_end(struct wait_timeout *w);

static inline bool wait_timeout_expired(const struct wait_timeout *w)
{
	return __atomic_load_n(&w->expired, __ATOMIC_ACQUIRE);
}

/*
 * Sleep until cond is true (0) or `ticks` timer ticks passed (-ETIMEDOUT);
 * ticks UINT64_MAX: no limit. cond as for wait_event (interrupts off, any
 * number of times, set by its waker before it wakes wq). From a thread
 * with interrupts on; returns with them on. A long.
 */
#define wait_event_timeout(wq, cond, ticks)                                     \
	({                                                                      \
		struct wait_timeout wet_w_;                                     \
		long wet_r_ = 0;                                                \
		unsigned long wet_flags_ = arch_irq_save();                     \
		wait_timeout_begin(&wet_w_, (wq), (ticks));                     \
		while (!(cond)) {                                               \
			if (wait_timeout_expired(&wet_w_)) {                    \
				wet_r_ = -ETIMEDOUT;                            \
				break;                                          \
			}                                                       \
			wait_prepare(wq);                                       \
			if ((cond) || wait_timeout_expired(&wet_w_)) {          \
				wait_cancel(wq);                                \
				continue; /* the loop decides: cond first */    \
			}                                                       \
			schedule();                                             \
		}                                                               \
		wait_timeout_end(&wet_w_);                                      \
		arch_irq_restore(wet_flags_);                                   \
		wet_r_;                                                         \
	})
#endif

#endif
