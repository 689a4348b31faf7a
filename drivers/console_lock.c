/*
 * console_lock.c - the console's CPU lock (contracts in console_lock.h):
 * an owner word taken with compare-and-swap, a nesting depth and the
 * interrupt state of the outermost lock, which only the owner touches.
 *
 * It is not a kernel spinlock (mm/spinlock.h) on purpose: the
 * panic path takes it, and must reach no code that panics; and it nests
 * on one CPU where a spinlock reports recursion.
 *
 * Invariants:
 *   [x] depth > 0 exactly while owner != CONSOLE_LOCK_FREE;
 *   [x] saved_flags is written by the owner only, before depth becomes 1.
 * Context: any; lock order: a leaf (the sinks below it take nothing).
 */
#include "drivers/console_lock.h"

#include "drivers/arch.h"

#define CONSOLE_LOCK_FREE (-1)

static int owner = CONSOLE_LOCK_FREE;
static unsigned depth;
static unsigned long saved_flags;
static int panic_owner = CONSOLE_LOCK_FREE;

void console_lock(void)
{
	unsigned long flags = arch_irq_save();
	int self = (int)arch_cpu_id();

	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == self) {
		depth++;
		return;
	}
	for (;;) {
		int expected = CONSOLE_LOCK_FREE;
		int panicking = __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE);
		if (panicking != CONSOLE_LOCK_FREE && panicking != self)
			cpu_halt_forever(); /* the panic's NMI would stop this CPU anyway */
		if (__atomic_compare_exchange_n(&owner, &expected, self, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		cpu_relax();
	}
	saved_flags = flags;
	depth = 1;
}

bool console_trylock(void)
{
	unsigned long flags = arch_irq_save();
	int self = (int)arch_cpu_id(), expected = CONSOLE_LOCK_FREE;

	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == self) {
		depth++;
		return true;
	}
	if (__atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != CONSOLE_LOCK_FREE ||
	    !__atomic_compare_exchange_n(&owner, &expected, self, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		arch_irq_restore(flags);
		return false;
	}
	saved_flags = flags;
	depth = 1;
	return true;
}

bool console_lock_in_panic(void)
{
	return __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != CONSOLE_LOCK_FREE;
}

void console_unlock(void)
{
	if (__atomic_load_n(&owner, __ATOMIC_RELAXED) != (int)arch_cpu_id() || depth == 0)
		return; /* not ours: a stray unlock must not free another CPU's lock */
	if (--depth)
		return;
	if (__atomic_load_n(&panic_owner, __ATOMIC_RELAXED) == owner) {
		depth = 1; /* the panic keeps it */
		return;
	}
	unsigned long flags = saved_flags;
	__atomic_store_n(&owner, CONSOLE_LOCK_FREE, __ATOMIC_RELEASE);
	arch_irq_restore(flags);
}

void console_lock_take_for_panic(void)
{
	int self = (int)arch_cpu_id();

	__atomic_store_n(&panic_owner, self, __ATOMIC_SEQ_CST);
	__atomic_store_n(&owner, self, __ATOMIC_SEQ_CST);
	depth = 1;
	saved_flags = 0; /* interrupts stay off */
}

bool console_lock_held_here(void)
{
	return __atomic_load_n(&owner, __ATOMIC_RELAXED) == (int)arch_cpu_id();
}
