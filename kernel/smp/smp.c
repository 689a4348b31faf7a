/*
 * smp.c - which CPUs are online, and the reschedule IPI.
 *
 * Until the other CPUs are started only the boot CPU is online, so a
 * reschedule request for another CPU is a caller's bug, reported as one.
 *
 * Invariants:
 *   [x] exactly CPU 0 is online.
 * Context: any.
 */
#include "kernel/smp/smp.h"

#include "lib/panic.h"

unsigned smp_cpus_online(void)
{
	return 1;
}

bool smp_cpu_online(unsigned cpu)
{
	return cpu == 0;
}

cpumask_t smp_online_mask(void)
{
	return CPUMASK_FIRST(smp_cpus_online());
}

void smp_send_reschedule(unsigned cpu)
{
	panic("smp_send_reschedule: CPU %u is not online", cpu);
}
