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
 *   [x] a spinlock is held only with interrupts off and the count raised;
 *   [x] locked is 1 exactly while a CPU holds it, owner_cpu is that CPU.
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

/* Interrupts off (checked): take l. */
#define spin_lock(l)                                \
	do {                                        \
		ASSERT_IRQS_OFF();                  \
		spin_lock_at((l), SPINLOCK_SITE);   \
	} while (0)

/* Any context: disable interrupts, take l, return the old interrupt state. */
#define spin_lock_irqsave(l) spin_lock_irqsave_at((l), SPINLOCK_SITE)

#endif
