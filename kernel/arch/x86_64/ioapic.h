/*
 * ioapic.h - the I/O APICs: where device interrupts enter the APIC system.
 *
 * An I/O APIC has a number of inputs, each a global system interrupt (GSI)
 * numbered from the gsi_base the MADT gives it, and for each input a
 * redirection entry saying which vector goes to which CPU, how the line
 * signals (edge or level, active high or low) and whether it is masked.
 * The ISA IRQs 0-15 arrive on GSIs 0-15 unless the MADT overrides one
 * (on most PCs IRQ 0, the PIT, is wired to GSI 2, and ACPI's SCI is often
 * level/low). ioapic_init() routes ISA IRQ i to vector VEC_IRQ_BASE + i on
 * the boot CPU with the MADT's polarity and trigger (ISA default: edge,
 * active high), every entry masked until trap_register_irq() unmasks it.
 * Without an I/O APIC in the MADT (or with `noapic` on the command line)
 * nothing changes: the 8259s keep delivering, and ioapic_in_use() is false.
 */
#ifndef ARCH_X86_64_IOAPIC_H
#define ARCH_X86_64_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Find the I/O APICs in acpi_madt, map each, mask every redirection entry
 * and program the ISA routes (masked). disabled: the command line asked for
 * the 8259s (`noapic`). Prints one line saying which interrupt path the
 * kernel uses, and why if it is the 8259s. Returns 0 when the I/O APIC path
 * is in use, -ENODEV when the 8259s stay (no local APIC, no MADT, no I/O
 * APIC, disabled), -ENOMEM if a mapping failed. An ISA IRQ whose GSI no
 * I/O APIC serves, or whose GSI another IRQ's override claims, stays
 * unrouted (unmasking it prints a note and does nothing). Boot CPU,
 * interrupts off, after pic_init().
 */
int ioapic_init(bool disabled);

/* Does the I/O APIC deliver the ISA IRQs (ioapic_init() returned 0)? */
bool ioapic_in_use(void);

/* Unmask / mask ISA irq (0-15) at its I/O APIC input. Any context. */
void ioapic_unmask_irq(int irq);
void ioapic_mask_irq(int irq);

/* Print the I/O APICs and the ISA routes (the `cpu` command's interrupt lines). */
void ioapic_print_routes(void);

#endif
