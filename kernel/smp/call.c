/*
 * call.c - running a function on other CPUs (smp_call_function_many) and
 * on every CPU (smp_on_each_cpu), over the per-CPU request rings of
 * kernel/smp/call_queue.c and the VEC_CALL_FUNCTION IPI.
 *
 * The sender keeps interrupts off from queueing to the last
 * acknowledgement, so it cannot move to another CPU meanwhile, and serves
 * its own ring while it waits: two CPUs calling each other at once both
 * finish. The handler runs each request with interrupts off (an interrupt
 * gate) and acknowledges it. With one CPU online every call is local.
 *
 * Invariants:
 *   [x] fn runs with interrupts off, on each CPU asked, once;
 *   [x] no CPU sends itself the IPI: its own part runs directly;
 *   [x] nothing is allocated on the way (the rings are fixed arrays).
 * Context: as smp.h says; lock order: the rings' locks are leaves.
 */
#include "kernel/smp/smp.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/smp/call.h"
#include "kernel/smp/call_queue.h"
#include "kernel/smp/cpu_stop.h"
#include "lib/panic.h"

static struct call_queue queues[SMP_MAX_CPUS];

static void call_kick(unsigned cpu)
{
	lapic_send_ipi(percpu_of(cpu)->apic_id, VEC_CALL_FUNCTION);
}

static void call_relax(void)
{
	cpu_relax();
}

static const struct call_system calls = {.queue = queues, .kick = call_kick, .relax = call_relax};

/* The VEC_CALL_FUNCTION handler (trap_dispatch sends the EOI). */
static void call_ipi(void)
{
	ASSERT_IRQS_OFF();
	call_queue_serve(&calls, arch_cpu_id());
}

void smp_call_init(void)
{
	ASSERT_IRQS_OFF();
	for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
		call_queue_init(&queues[i]);
	trap_register_vector(VEC_CALL_FUNCTION, call_ipi);
	cpu_stop_init();
}

unsigned smp_call_serve_pending(void)
{
	ASSERT_IRQS_OFF();
	return call_queue_serve(&calls, arch_cpu_id());
}

unsigned smp_call_serve_spin_safe(void)
{
	return call_queue_serve_spin_safe(&calls, arch_cpu_id());
}

void smp_call_function_many_flags(cpumask_t mask, void (*fn)(void *arg), void *arg,
				  unsigned flags)
{
	unsigned long irq = arch_irq_save(); /* stay on this CPU until all acknowledged */
	unsigned self = arch_cpu_id();
	cpumask_t targets = mask & smp_online_mask() & ~CPUMASK_CPU(self);

	if (targets)
		call_queue_send_many(&calls, self, targets, fn, arg, flags);
	arch_irq_restore(irq);
}

uint32_t smp_apic_id(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS ? percpu_of(cpu)->apic_id : 0; /* in range: no panic there */
}

void smp_call_counts(unsigned cpu, uint64_t *served, uint64_t *full_waits)
{
	*served = *full_waits = 0;
	if (cpu >= SMP_MAX_CPUS)
		return;
	*served = __atomic_load_n(&queues[cpu].served, __ATOMIC_RELAXED);
	*full_waits = __atomic_load_n(&queues[cpu].full_waits, __ATOMIC_RELAXED);
}

void smp_call_function_many(cpumask_t mask, void (*fn)(void *arg), void *arg, bool wait)
{
	smp_call_function_many_flags(mask, fn, arg, wait ? CALL_WAIT : 0);
}

void smp_on_each_cpu(void (*fn)(void *arg), void *arg)
{
	unsigned long flags = arch_irq_save();

	fn(arg);
	smp_call_function_many(smp_online_mask(), fn, arg, true);
	arch_irq_restore(flags);
}
