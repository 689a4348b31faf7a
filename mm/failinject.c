/*
 * failinject.c - the countdowns behind failinject.h.
 *
 * Per CPU, not per thread: each CPU has its own countdowns and counts
 * (failinject_countdown[cpu][kind]). The check sits on every allocation's
 * fast path, where an inline load indexed by arch_cpu_id() costs what the
 * old global did, while finding the running thread would cost a call; and
 * allocations also happen where no thread is meaningful (boot before the
 * scheduler, interrupt handlers). The price: while armed, any allocation
 * on that CPU counts down, whichever thread makes it; arm right before
 * the action (the shell's `failinject` arms the shell's CPU).
 *
 * Invariants:
 *   [x] failinject_countdown[c][k] == 0 exactly when kind k is not armed
 *       on CPU c;
 *   [x] an armed kind fails exactly one allocation on its CPU, then
 *       disarms itself;
 *   [x] a CPU's countdowns and counts change only on that CPU with
 *       interrupts off (failinject_arm, failinject_tick), so an interrupt
 *       that allocates cannot count the same allocation twice.
 * Any context. No lock: nothing here is shared between CPUs except what
 * failinject_off clears (every CPU's countdowns, a plain store each: a
 * CPU counting down at that moment may miss the clearing once, as with a
 * countdown armed an instant earlier); failinject_count sums every CPU's.
 */
#include "mm/failinject.h"

#include "lib/errno.h"
#include "mm/arch.h"

uint64_t failinject_countdown[MM_MAX_CPUS][FAILINJECT_KINDS];
static uint64_t injected[MM_MAX_CPUS][FAILINJECT_KINDS];

static const char *const kind_names[FAILINJECT_KINDS] = {
	[FAILINJECT_PMM] = "pmm",
	[FAILINJECT_SLAB] = "slab",
	[FAILINJECT_VMALLOC] = "vmalloc",
};

int failinject_arm(enum failinject_kind kind, uint64_t n)
{
	if ((unsigned)kind >= FAILINJECT_KINDS || n == 0)
		return -EINVAL;
	unsigned long irq = arch_irq_save();
	failinject_countdown[arch_cpu_id()][kind] = n;
	arch_irq_restore(irq);
	return 0;
}

void failinject_off(void)
{
	unsigned long irq = arch_irq_save();
	for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++)
		for (int k = 0; k < FAILINJECT_KINDS; k++)
			failinject_countdown[cpu][k] = 0;
	arch_irq_restore(irq);
}

uint64_t failinject_pending(enum failinject_kind kind)
{
	if ((unsigned)kind >= FAILINJECT_KINDS)
		return 0;
	unsigned long irq = arch_irq_save();
	uint64_t n = failinject_countdown[arch_cpu_id()][kind];
	arch_irq_restore(irq);
	return n;
}

uint64_t failinject_count(enum failinject_kind kind)
{
	uint64_t sum = 0;

	if ((unsigned)kind >= FAILINJECT_KINDS)
		return 0;
	for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++)
		sum += injected[cpu][kind];
	return sum;
}

const char *failinject_kind_name(enum failinject_kind kind)
{
	return (unsigned)kind < FAILINJECT_KINDS ? kind_names[kind] : "?";
}

bool failinject_tick(enum failinject_kind kind)
{
	unsigned long irq = arch_irq_save();
	unsigned cpu = arch_cpu_id();
	bool fail = false;

	/* Re-read with interrupts off: an interrupt may have used it up since the inline check. */
	if (failinject_countdown[cpu][kind] != 0 && --failinject_countdown[cpu][kind] == 0) {
		injected[cpu][kind]++;
		fail = true;
	}
	arch_irq_restore(irq);
	return fail;
}
