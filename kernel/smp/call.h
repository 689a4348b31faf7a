/*
 * call.h - the kernel's side of cross-CPU calls beyond smp.h: setting a CPU
 * up to receive them, serving them from a spin loop, and the APIC ids the
 * IPIs (and the panic's and lockup detector's NMIs) are addressed to.
 *
 * Each CPU records its APIC id here as it comes up, so that a CPU asking
 * another one for something needs only the CPU number; the queues
 * themselves are kernel/smp/call_queue.h's.
 *
 * Invariants:
 *   [x] smp_apic_id(cpu) is valid once cpu ran smp_call_init_this_cpu().
 * Context: as each function says.
 */
#ifndef KERNEL_SMP_CALL_H
#define KERNEL_SMP_CALL_H

#include <stdint.h>

/*
 * Make this CPU reachable by cross-CPU calls: record its APIC id; on the
 * boot CPU also clear the queues and route VEC_CALL_FUNCTION and the NMI
 * (kernel/smp/cpu_stop.h). After lapic_init_this_cpu(), before the CPU is
 * marked online. Interrupts off.
 */
void smp_call_init_this_cpu(void);

/*
 * Run the calls queued for this CPU now (what its IPI handler does); for
 * a loop that spins with interrupts off, so that a CPU waiting for it is
 * not kept waiting. Returns how many ran. Interrupts off.
 */
unsigned smp_call_serve_pending(void);

/* The APIC id CPU cpu recorded (0 for a CPU that has not). Any context. */
uint32_t smp_apic_id(unsigned cpu);

/* Calls this CPU ran for others, and pushes that found a CPU's queue full. Any context. */
void smp_call_counts(unsigned cpu, uint64_t *served, uint64_t *full_waits);

#endif
