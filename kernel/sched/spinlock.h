/*
 * spinlock.h - spinlocks that disable interrupts and preemption, and the
 * preemption count.
 *
 * A spinlock protects data touched by interrupt handlers or other CPUs for
 * a few instructions. Taking one first disables interrupts on this CPU
 * (an interrupt handler wanting the same lock would otherwise spin forever
 * on top of its holder) and raises the preemption count (schedule()
 * refuses to switch while it is above zero: sleeping with a spinlock held
 * is a bug it reports), then spins on an atomic exchange until the lock is
 * free. On one CPU the lock is always free when interrupts are off, unless
 * this CPU already holds it, which is reported as the recursion it is.
 *
 * Preemption happens only on the way out of an interrupt whose interrupted
 * code had interrupts on, with the count at zero (schedule.c), so every
 * interrupts-off section (the page allocator's per-CPU lists, the slab
 * magazines) is also never preempted.
 *
 * Invariants:
 *   [x] a spinlock is held only with interrupts off and the count raised;
 *   [x] locked is 1 exactly while a CPU holds it, owner_cpu is that CPU.
 * Lock order: wait-queue locks are leaves; take nothing inside them.
 */
#ifndef KERNEL_SCHED_SPINLOCK_H
#define KERNEL_SCHED_SPINLOCK_H

#include <stdint.h>

#include "kernel/sched/sched_arch.h"

typedef struct {
	volatile uint32_t locked;
	unsigned owner_cpu;
} spinlock_t;

#define SPINLOCK_INIT {0, 0}

/* Per-CPU preemption counts (schedule.c): above zero, schedule() refuses. */
extern unsigned sched_preempt_count[SCHED_MAX_CPUS];

/* Forbid preemption on this CPU (nests). Any context. */
static inline void preempt_disable(void)
{
	sched_preempt_count[arch_cpu_id()]++;
	__asm__ volatile("" ::: "memory");
}

/*
 * Allow it again; when the count reaches zero with interrupts on and a
 * reschedule pending, switch now (schedule.c). Any context.
 */
void preempt_enable(void);

/* The current preemption count of this CPU. */
static inline unsigned preempt_count(void)
{
	return sched_preempt_count[arch_cpu_id()];
}

static inline void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
	l->owner_cpu = 0;
}

/*
 * Disable interrupts and preemption, then take l. Returns the interrupt
 * state for spin_unlock_irqrestore. Any context.
 */
static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_irq_save();

	preempt_disable();
	if (l->locked && l->owner_cpu == arch_cpu_id())
		panic("spin_lock: this CPU already holds the lock (recursion)");
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		arch_spin_wait(); /* serves TLB shootdowns: the holder may wait for them */
	l->owner_cpu = arch_cpu_id();
	return flags;
}

/* Release l, then restore preemption and the interrupt state flags. */
static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	sched_preempt_count[arch_cpu_id()]--;
	arch_irq_restore(flags);
}

#endif
