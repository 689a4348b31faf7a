/*
 * spinlock.h - spinlocks that disable interrupts and preemption, each with
 * a name for the lock-order validator (mm/lockdep.h).
 *
 * A spinlock protects data touched by interrupt handlers or other CPUs for
 * a few instructions. Taking one with spin_lock_irqsave() first disables
 * interrupts on this CPU (an interrupt handler wanting the same lock would
 * otherwise spin forever on top of its holder) and raises the preemption
 * count (schedule() refuses to switch while it is above zero: sleeping with
 * a spinlock held is a bug it reports), then spins on an atomic exchange
 * until the lock is free. spin_lock() is the same for a caller that has
 * interrupts off already (checked). Taking a lock this CPU already holds is
 * reported as the recursion it is, before spinning on it for ever.
 *
 * It lives in mm/, the lowest layer that sees the CPU (through mm/arch.h):
 * the memory manager's locks and the scheduler's are the same kind, and the
 * preemption count it raises is mm/arch.h's (the CPU's struct percpu; the
 * host tests' stand-in in mm_arch_host.c).
 *
 * Invariants:
 *   [x] a spinlock is held only with interrupts off and, except a bare
 *       one (spin_lock_raw, below), the count raised;
 *   [x] locked is 1 exactly while a CPU holds it; owner_cpu is that CPU,
 *       except under a bare lock (SPIN_NO_OWNER).
 * Lock order: the validator checks it (mm/lockdep.h); each file that takes
 * locks lists its own order in its opening. Any context.
 */
#ifndef MM_SPINLOCK_H
#define MM_SPINLOCK_H

#include <stdint.h>

#include "lib/compiler.h"
#include "lib/panic.h"
#include "mm/arch.h"
#include "mm/lockdep.h"

typedef struct spinlock {
	volatile uint32_t locked;
	unsigned owner_cpu;
	const char *name;       /* the validator's class ("zone DMA32"); NULL: this lock alone */
	uint16_t lockdep_class; /* the validator's cache: class index + 1, 0 not looked up */
} spinlock_t;

#define SPIN_NO_OWNER (~0u) /* owner_cpu of a free lock */

/* static spinlock_t l = SPINLOCK_INIT("name"); */
#define SPINLOCK_INIT(lock_name) {0, SPIN_NO_OWNER, (lock_name), 0}

/* Where a lock is taken, for the validator's reports: "mm/buddy.c:412". */
#define SPINLOCK_STR_(x) #x
#define SPINLOCK_STR(x) SPINLOCK_STR_(x)
#define SPINLOCK_SITE __FILE__ ":" SPINLOCK_STR(__LINE__)

/* Forbid preemption on this CPU (nests). Any context. */
static inline void preempt_disable(void)
{
	arch_preempt_count_inc();
}

/* The current preemption count of this CPU. */
static inline unsigned preempt_count(void)
{
	return arch_preempt_count();
}

/* Make l a free lock named name (a string that outlives it; NULL: no class name). */
static inline void spin_lock_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->owner_cpu = SPIN_NO_OWNER;
	l->name = name;
	l->lockdep_class = 0;
}

/* Is l held by some CPU now? (A hint unless the caller holds it.) */
static inline bool spin_is_locked(const spinlock_t *l)
{
	return l->locked != 0;
}

/*
 * Does this CPU hold l? Exact with interrupts off: only this CPU can make
 * the answer true, and a holder clears owner_cpu before it releases.
 */
static inline bool spin_held_here(const spinlock_t *l)
{
	return l->locked && l->owner_cpu == arch_cpu_id();
}

/*
 * Take l with interrupts already off (and leave them off); site is where
 * (SPINLOCK_SITE). Use spin_lock(l).
 */
static __always_inline void spin_lock_at(spinlock_t *l, const char *site)
{
	unsigned cpu = arch_cpu_id(); /* once: interrupts are off, the CPU stays */

	arch_preempt_count_inc();
	if (unlikely(lockdep_enabled))
		lockdep_acquire(l, site);
	/* owner_cpu == cpu only while this CPU holds l (cleared before release). */
	if (unlikely(l->owner_cpu == cpu))
		panic("spin_lock: this CPU already holds lock %s (recursion) at %s",
		      l->name ? l->name : "(unnamed)", site);
	while (unlikely(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)))
		arch_spin_wait(); /* serves TLB shootdowns: the holder may be waiting for them */
	l->owner_cpu = cpu;
}

/* Release l taken with spin_lock(); interrupts stay off. */
static __always_inline void spin_unlock(spinlock_t *l)
{
	if (unlikely(lockdep_enabled))
		lockdep_release(l);
	l->owner_cpu = SPIN_NO_OWNER;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	arch_preempt_count_dec();
}

/*
 * Disable interrupts and preemption, then take l. Returns the interrupt
 * state for spin_unlock_irqrestore. Any context. Use spin_lock_irqsave(l).
 */
static __always_inline unsigned long spin_lock_irqsave_at(spinlock_t *l, const char *site)
{
	unsigned long flags = arch_irq_save();

	spin_lock_at(l, site);
	return flags;
}

/* Release l, then restore preemption and the interrupt state flags. */
static __always_inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

/*
 * The bare lock, for one hot path (the IPC fast path and the handoff it
 * makes): the atomic exchange and nothing else. No preemption count (the
 * caller keeps interrupts off from before the first raw lock to after the
 * last unlock, so nothing can preempt it), no recursion check, no
 * validator, and owner_cpu stays SPIN_NO_OWNER (spin_held_here is false:
 * nothing under a raw lock may ask it). Use spin_lock_hot below, which
 * takes the checked lock instead while the validator is on.
 */
static __always_inline void spin_lock_raw(spinlock_t *l)
{
	while (unlikely(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)))
		arch_spin_wait();
}

/* Release l taken with spin_lock_raw(). */
static __always_inline void spin_unlock_raw(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/*
 * A hot path's lock: checked (spin_lock_at: the count, the recursion
 * check, the validator) when `checked`, else bare (spin_lock_raw). The
 * path decides once, at its entry, from lockdep_enabled, and passes the
 * same constant to every lock and unlock, so the validator sees the
 * path's lock orders whenever it is on, and the path costs the exchange
 * alone when it is off. Interrupts off from the path's entry to its end.
 */
#define spin_lock_hot(l, checked)                                                  \
	do {                                                                       \
		if (checked)                                                       \
			spin_lock_at((l), SPINLOCK_SITE);                          \
		else                                                               \
			spin_lock_raw(l);                                          \
	} while (0)

/* Release l taken with spin_lock_hot(l, checked), the same `checked`. */
#define spin_unlock_hot(l, checked)                                                \
	do {                                                                       \
		if (checked)                                                       \
			spin_unlock(l);                                            \
		else                                                               \
			spin_unlock_raw(l);                                        \
	} while (0)

/* Interrupts off (checked): take l. */
#define spin_lock(l)                                \
	do {                                        \
		ASSERT_IRQS_OFF();                  \
		spin_lock_at((l), SPINLOCK_SITE);   \
	} while (0)

/* Any context: disable interrupts, take l, return the old interrupt state. */
#define spin_lock_irqsave(l) spin_lock_irqsave_at((l), SPINLOCK_SITE)

#endif
