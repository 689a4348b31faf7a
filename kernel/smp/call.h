/*
 * call.h - the kernel's side of cross-CPU calls beyond smp.h: routing
 * them, serving them from a spin loop, flags, and the APIC ids the
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

#include "kernel/smp/call_queue.h" /* CALL_WAIT, CALL_SPIN_SAFE */
#include "mm/arch.h"

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

/*
 * Run only the spin-safe calls queued for this CPU (TLB shootdowns), the
 * others staying queued: for a spinlock's wait loop (arch_spin_wait), whose
 * lock holder may be waiting for this CPU's acknowledgement. Interrupts
 * off, as in any spin-wait.
 */
unsigned smp_call_serve_spin_safe(void);

/*
 * smp_call_function_many with flags of call_queue.h: CALL_WAIT, and
 * CALL_SPIN_SAFE for a fn that takes no lock (a spin-wait may run it).
 * Context as smp_call_function_many.
 */
void smp_call_function_many_flags(cpumask_t mask, void (*fn)(void *arg), void *arg,
				  unsigned flags);

/* The APIC id of CPU cpu (0 for a number out of range). Any context; reaches no panic. */
uint32_t smp_apic_id(unsigned cpu);

/* Calls this CPU ran for others, and pushes that found a CPU's queue full. Any context. */
void smp_call_counts(unsigned cpu, uint64_t *served, uint64_t *full_waits);

#endif
