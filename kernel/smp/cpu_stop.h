/*
 * cpu_stop.h - what other CPUs are asked to do by NMI: stop for good (a
 * panic), or say where they are (the lockup detector's RIP sample).
 *
 * An NMI reaches a CPU even with interrupts off, which is the point: the
 * CPU to be stopped or sampled may be stuck with them off. The NMI
 * handler (installed by cpu_stop_init) looks at what was asked of this
 * CPU, in this order: a stop request halts it forever without printing;
 * a RIP request records the interrupted RIP; anything else is an NMI
 * from outside (QEMU's `nmi`), reported by trap.c as before.
 *
 * Invariants:
 *   [x] a stopped CPU never prints, never takes a lock, never returns;
 *   [x] the CPU that asked for the stop is never stopped by it.
 * Context: as each function says.
 */
#ifndef KERNEL_SMP_CPU_STOP_H
#define KERNEL_SMP_CPU_STOP_H

#include <stdbool.h>
#include <stdint.h>

#define CPU_STOP_WAIT_MS 100   /* how long a panic waits for the others to stop */
#define CPU_STOP_SAMPLE_MS 20  /* how long a RIP sample waits for the NMI to land */

/* Install the NMI handler and the panic's stopper (panic_stop.h). Boot CPU, once. */
void cpu_stop_init(void);

/*
 * Stop every other online CPU by NMI and wait (at most CPU_STOP_WAIT_MS)
 * until they have; returns how many did. For panic_begin(), interrupts off;
 * reaches no panic (it runs on the panic path).
 */
unsigned cpu_stop_others(void);

/*
 * Interrupt cpu (online, not this one) with an NMI and read the RIP it was
 * running at into *rip. False if it did not answer within
 * CPU_STOP_SAMPLE_MS. Any context.
 */
bool cpu_stop_sample_rip(unsigned cpu, uint64_t *rip);

#endif
