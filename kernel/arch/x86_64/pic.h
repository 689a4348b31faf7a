/*
 * pic.h - the two cascaded 8259A programmable interrupt controllers.
 *
 * At reset the master PIC delivers IRQ 0-7 on vectors 8-15, which collide
 * with CPU exceptions (IRQ 0 would look like a double fault). pic_init()
 * remaps IRQ 0-15 to vectors 32-47 and masks them all; drivers unmask the
 * line they use through trap_register_irq(), which goes to the I/O APIC
 * instead when one is in use (ioapic.h): then the 8259s stay fully masked.
 * Interrupts off while called.
 */
#ifndef ARCH_X86_64_PIC_H
#define ARCH_X86_64_PIC_H

#include <stdbool.h>

#define PIC_IRQ_COUNT 16
#define IRQ_TIMER 0    /* PIT channel 0 */
#define IRQ_KEYBOARD 1 /* i8042 port 1: the PS/2 keyboard */
#define IRQ_CASCADE 2  /* the slave PIC's line into the master */
#define IRQ_COM1 4     /* 16550 serial port COM1 */

/* Remap to vectors 32-47 and mask every line, the cascade included. */
void pic_init(void);

/* Unmask irq (0-15); a slave line (8-15) unmasks the cascade as well. */
void pic_unmask(int irq);
void pic_mask(int irq);

/* Acknowledge irq so the PIC can deliver the next one. */
void pic_end_of_interrupt(int irq);

/*
 * True for a spurious IRQ 7 or 15 (the PIC raised the line, then withdrew
 * it): such an interrupt must not be acknowledged (except the cascade for 15).
 */
bool pic_is_spurious(int irq);

#endif
