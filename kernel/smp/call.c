/*
 * call.c - running a function on other CPUs (smp_call_function_many) and
 * on every CPU (smp_on_each_cpu).
 *
 * Until the other CPUs are started, the only CPU is this one: a request
 * naming another CPU is a caller's bug, reported as one, and "every CPU"
 * is this CPU alone.
 *
 * Invariants:
 *   [x] fn runs with interrupts off, on each CPU asked, once.
 * Context: as smp.h says.
 */
#include "kernel/smp/smp.h"

#include "lib/panic.h"

void smp_call_function_many(cpumask_t mask, void (*fn)(void *arg), void *arg, bool wait)
{
	(void)fn;
	(void)arg;
	(void)wait;
	mask &= smp_online_mask() & ~CPUMASK_CPU(arch_cpu_id());
	if (mask)
		panic("smp_call_function_many: CPUs 0x%lx are not online", mask);
}

void smp_on_each_cpu(void (*fn)(void *arg), void *arg)
{
	unsigned long flags = arch_irq_save();

	fn(arg);
	arch_irq_restore(flags);
}
