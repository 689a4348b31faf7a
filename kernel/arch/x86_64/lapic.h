/*
 * lapic.h - each CPU's local APIC: its identity, end-of-interrupt, IPIs and
 * the per-CPU timer.
 *
 * Every CPU has one local APIC. It accepts interrupts from the I/O APIC and
 * from other CPUs (IPIs, sent through its interrupt command register), has
 * a timer of its own, and must be told when a handler is done (EOI). Two
 * ways to reach it (SDM Vol. 3A 11.4, 11.12):
 *   xAPIC   4 KiB of registers at IA32_APIC_BASE's address, mapped uncached
 *           (mmio.h); APIC ids 0-254; the ICR is two 32-bit writes;
 *   x2APIC  MSRs 0x800-0x8ff; 32-bit APIC ids; the ICR is one MSR write.
 * The boot CPU picks the mode once (x2APIC where CPUID.1:ECX[21] says the
 * CPU has it, or where the firmware already switched it on) and every CPU
 * uses the same one. Nothing here works before lapic_init_this_cpu() ran on
 * the boot CPU: lapic_in_use() says whether it did (the fallback without an
 * I/O APIC keeps the 8259s and the PIT and never initializes the LAPIC).
 */
#ifndef ARCH_X86_64_LAPIC_H
#define ARCH_X86_64_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Enable this CPU's local APIC: global enable (and x2APIC mode where
 * chosen) in IA32_APIC_BASE, task priority 0, the LINT pins NMI where the
 * MADT's NMI entries say (LINT1 without any), else masked, LVT Error ->
 * VEC_LAPIC_ERROR, spurious vector VEC_SPURIOUS with the software-enable
 * bit. The first call (boot CPU) also chooses the mode, maps the xAPIC
 * registers, and registers the error handler and an empty VEC_RESCHEDULE
 * handler (the interrupt's exit path does the switch); panics if that
 * mapping fails. Each CPU once, interrupts off.
 */
void lapic_init_this_cpu(void);

/* Has the boot CPU initialized its local APIC (the APIC interrupt path is in use)? */
bool lapic_in_use(void);

/*
 * This CPU's APIC id (8 bits in xAPIC mode, 32 in x2APIC mode); CPUID's on
 * the 8259 fallback. On a CPU started after the boot CPU: only once its
 * lapic_init_this_cpu() ran. Any context.
 */
uint32_t lapic_id(void);

/* Is the local APIC in x2APIC mode (MSR access)? */
bool lapic_x2apic_enabled(void);

/* The xAPIC registers' physical address (IA32_APIC_BASE), 0 before the boot CPU's init. */
uint64_t lapic_base_address(void);

/* Tell the local APIC the current interrupt's handler is done (no-op on the 8259 fallback). */
void lapic_eoi(void);

/*
 * EOI only if vector is in service at this APIC (its ISR bit is set): for
 * vectors that may come from `int n` rather than from the APIC. Interrupts off.
 */
void lapic_eoi_if_in_service(uint8_t vector);

/*
 * Send vector (VEC_FIRST_FREE .. VEC_LAST_FREE) to the CPU with APIC id
 * apic_id: fixed delivery, physical destination, edge. Counted as sent by
 * this CPU (and as received by the target in trap_dispatch for IPI
 * vectors). Stores made before the call are visible to the target's
 * handler (a fence before the x2APIC ICR write). Any context; returns when the APIC accepted the command. Every
 * lapic_send_* panics on the 8259 fallback (no local APIC in use).
 */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);

/* Send an NMI to apic_id (the panic stop, the lockup detector). Any context. */
void lapic_send_nmi(uint32_t apic_id);

/*
 * INIT to apic_id: level assert, then (xAPIC only, as the MP start-up
 * protocol has it) level de-assert. The target waits for SIPIs. Boot CPU.
 */
void lapic_send_init(uint32_t apic_id);

/*
 * Start-up IPI to apic_id: the target starts in real mode at physical
 * page * 4096 (page < 0x100: below 1 MiB). Boot CPU.
 */
void lapic_send_startup(uint32_t apic_id, uint8_t page);

/*
 * Start this CPU's LAPIC timer: periodic, TIMER_HZ interrupts a second on
 * VEC_LOCAL_TIMER. The first call measures the timer's rate against the TSC
 * (timer_tsc_hz() must be known) for 10 ms; later calls (other CPUs) reuse
 * it. Each CPU once, interrupts off, after lapic_init_this_cpu().
 */
void lapic_timer_start_this_cpu(void);

/* The LAPIC timer's rate, counts per second at the divider used (0 before the first start). */
uint64_t lapic_timer_hz(void);

/* This CPU's timer initial count: what each period counts down (0: stopped). Preemption off. */
uint32_t lapic_timer_period_count(void);

/* IPIs cpu has sent and received so far (NMIs counted as sent only). Any context. */
void lapic_ipi_counts(unsigned cpu, uint64_t *sent, uint64_t *received);

/* Count one IPI received by this CPU (trap_dispatch, for vectors VEC_IPI_FIRST..LAST). */
void lapic_ipi_received(void);

/* Errors the LVT Error interrupt reported on any CPU, and the last ESR value. */
uint64_t lapic_error_count(uint32_t *last_esr);

#endif
