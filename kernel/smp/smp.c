/*
 * smp.c - which CPUs are online, and the reschedule IPI.
 *
 * The boot CPU is online from the start; smpboot.c starts the others one
 * at a time and each marks itself online here as its last step before it
 * idles, so the online CPUs are always 0 .. n-1 (bring-up order) and n only
 * grows. So the count alone says which CPUs are online (the mask is
 * derived from it); it is published with a release store after the CPU's
 * own state (struct percpu) is complete, and read with acquire loads, so
 * whoever sees a CPU online also sees its per-CPU data.
 *
 * Invariants:
 *   [x] CPUs 0 .. online_count-1 are online, no other;
 *   [x] a CPU goes online once and never offline (no hot-unplug).
 * The reschedule IPI's handler does nothing: the sender set the target's
 * need_resched first, and the interrupt's exit path (sched_irq_exit in
 * trap_dispatch) switches; trap_dispatch also counts it as received.
 * Context: any; smp_cpu_set_online on the CPU coming up, interrupts off;
 * smp_init on the boot CPU before any other starts.
 */
#include "kernel/smp/smp.h"

#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/vectors.h"
#include "lib/panic.h"

/* CPUs 0 .. online_count-1 are online: they come up in number order. */
static unsigned online_count = 1;

unsigned smp_cpus_online(void)
{
	return __atomic_load_n(&online_count, __ATOMIC_ACQUIRE);
}

bool smp_cpu_online(unsigned cpu)
{
	return cpu < smp_cpus_online();
}

cpumask_t smp_online_mask(void)
{
	return CPUMASK_FIRST(smp_cpus_online());
}

void smp_cpu_set_online(unsigned cpu)
{
	ASSERT_IRQS_OFF();
	ASSERT(cpu == arch_cpu_id(), "smp_cpu_set_online: a CPU marks only itself online");
	ASSERT(cpu == smp_cpus_online(), "smp_cpu_set_online: CPUs come online in number order");
	__atomic_store_n(&online_count, cpu + 1, __ATOMIC_RELEASE);
}

void smp_send_reschedule(unsigned cpu)
{
	if (!smp_cpu_online(cpu) || cpu == arch_cpu_id())
		panic("smp_send_reschedule: CPU %u is not online or is this CPU (%u)", cpu,
		      arch_cpu_id());
	lapic_send_ipi(percpu_of(cpu)->apic_id, VEC_RESCHEDULE);
}

/* VEC_RESCHEDULE: the work happens on the way out (see the file comment). */
static void smp_reschedule_interrupt(void)
{
}

void smp_init(void)
{
	trap_register_vector(VEC_RESCHEDULE, smp_reschedule_interrupt);
}
