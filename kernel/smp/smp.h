/*
 * smp.h - the CPUs as the rest of the kernel sees them: which are online,
 * and the calls that reach another CPU (reschedule, run a function, stop).
 *
 * CPUs are numbered 0 .. smp_cpus_online()-1 in the order they came up;
 * CPU 0 is the boot CPU. The numbers index every per-CPU array (run queues,
 * page lists, slab magazines, counters); the APIC id is the hardware's name
 * for the same CPU and only the interrupt code uses it. The calls below
 * deliver an inter-processor interrupt (IPI) to the target, which runs the
 * request in its interrupt handler.
 *
 * Invariants:
 *   [x] CPUs 0 .. smp_cpus_online()-1 are online, and no other;
 *   [x] a CPU never sends itself an IPI through these calls.
 * Context: as each function says.
 */
#ifndef KERNEL_SMP_SMP_H
#define KERNEL_SMP_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/arch.h"

#define SMP_MAX_CPUS MM_MAX_CPUS

/* How many CPUs are online (1 before the others start). Any context. */
unsigned smp_cpus_online(void);

/* Is cpu online? Any context. */
bool smp_cpu_online(unsigned cpu);

/* The online CPUs as a mask. Any context. */
cpumask_t smp_online_mask(void);

/*
 * Register the reschedule IPI's handler. Boot CPU, once, before the other
 * CPUs start (smp_boot_cpus calls it).
 */
void smp_init(void);

/*
 * Mark the calling CPU, number cpu, online: its last step of bring-up
 * (smpboot.c). cpu must be this CPU and equal smp_cpus_online() (CPUs come
 * online in number order); a violation panics. Interrupts off.
 */
void smp_cpu_set_online(unsigned cpu);

/*
 * Ask cpu (online, not this one) to run its scheduler at its next interrupt
 * exit: the reschedule IPI. Any context.
 */
void smp_send_reschedule(unsigned cpu);

/*
 * Run fn(arg) on every online CPU in mask other than this one, in each
 * one's interrupt handler (interrupts off there). With wait, return only
 * when all have finished; while waiting, this CPU serves the requests
 * other CPUs send it, so two CPUs calling each other do not deadlock.
 * Process or interrupt context; interrupts on or off.
 */
void smp_call_function_many(cpumask_t mask, void (*fn)(void *arg), void *arg, bool wait);

/*
 * Run fn(arg) on every online CPU, this one included (interrupts off in
 * each), and return when all have. Process context.
 */
void smp_on_each_cpu(void (*fn)(void *arg), void *arg);

#endif
