/*
 * vectors.h - who uses which of the 256 interrupt vectors.
 *
 *   0x00-0x1f  CPU exceptions (trap.h names them; SDM Vol. 3A 6.3.1)
 *   0x20-0x2f  ISA IRQ 0-15: through the I/O APIC to CPU 0 (ioapic.c), or
 *              through the 8259s where there is no I/O APIC (pic.c)
 *   0x30-0xeb  free for trap_register_vector()
 *   0xec       each CPU's local APIC timer: the tick (timer.c)
 *   0xf0-0xfd  inter-processor interrupts (counted as received by trap.c)
 *   0xfe       local APIC internal error (LVT Error)
 *   0xff       local APIC spurious interrupt: no handler, no EOI
 * The local APIC ranks a vector's priority by its upper four bits (SDM Vol.
 * 3A 11.8.3), so the IPIs and the APIC's own vectors sit at the top, above
 * every device. Pure constants: any context.
 */
#ifndef ARCH_X86_64_VECTORS_H
#define ARCH_X86_64_VECTORS_H

#define VEC_IRQ_BASE 0x20       /* ISA IRQ i arrives on vector VEC_IRQ_BASE + i */
#define VEC_ISA_IRQS 16         /* ISA IRQ 0-15 */
#define VEC_FIRST_FREE 0x30     /* first vector trap_register_vector() accepts */
#define VEC_LOCAL_TIMER 0xec    /* LVT Timer: the per-CPU tick */
#define VEC_IPI_FIRST 0xf0      /* IPIs: VEC_IPI_FIRST .. VEC_IPI_LAST */
#define VEC_CALL_FUNCTION 0xfb  /* smp_call_function_many(): run a function there */
#define VEC_RESCHEDULE 0xfd     /* smp_send_reschedule(): the exit path switches */
#define VEC_IPI_LAST 0xfd
#define VEC_LAPIC_ERROR 0xfe    /* LVT Error: the APIC logged an error in the ESR */
#define VEC_SPURIOUS 0xff       /* SVR spurious vector; low nibble must be 1111 on P6 */
#define VEC_LAST_FREE 0xfe      /* last vector trap_register_vector() accepts */

_Static_assert(VEC_IRQ_BASE + VEC_ISA_IRQS <= VEC_FIRST_FREE, "vectors: ISA IRQs below the free range");
_Static_assert(VEC_LOCAL_TIMER < VEC_IPI_FIRST, "vectors: the tick below the IPIs");

#endif
