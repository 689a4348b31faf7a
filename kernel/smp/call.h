/*
 * call.h - the kernel's side of cross-CPU calls beyond smp.h: setting a CPU
 * up to receive them, serving them from a spin loop, and the APIC ids the
 * IPIs (and the panic's and lockup detector's NMIs) are addressed to.
 *
 * A CPU asking another one for something needs only the CPU number: the
 * APIC id comes from the target's per-CPU data (percpu.h); the queues
 * themselves are kernel/smp/call_queue.h's.
 *
 * Invariants:
 *   [x] the handlers are routed before any other CPU is online.
 * Context: as each function says.
 */
#ifndef KERNEL_SMP_CALL_H
#define KERNEL_SMP_CALL_H

#include <stdint.h>

/*
 * Clear the queues and route VEC_CALL_FUNCTION and the NMI
 * (kernel/smp/cpu_stop.h) for every CPU (one IDT). Boot CPU, once, before
 * the other CPUs start. Interrupts off.
 */
void smp_call_init(void);

/*
 * Run the calls queued for this CPU now (what its IPI handler does); for
 * a loop that spins with interrupts off, so that a CPU waiting for it is
 * not kept waiting. Returns how many ran. Interrupts off.
 */
unsigned smp_call_serve_pending(void);

/* The APIC id of CPU cpu (0 for a number out of range). Any context; reaches no panic. */
uint32_t smp_apic_id(unsigned cpu);

/* Calls this CPU ran for others, and pushes that found a CPU's queue full. Any context. */
void smp_call_counts(unsigned cpu, uint64_t *served, uint64_t *full_waits);

#endif
