/*
 * idt.h - the interrupt descriptor table.
 *
 * All 256 vectors point at the stubs in isr.asm, which funnel into
 * trap_dispatch() (trap.c). Vectors 0-31 are the CPU's exceptions; the PIC's
 * IRQs are remapped to 32-47 (pic.c). #DF, NMI and #MC run on IST stacks
 * (gdt.h) so they work even when the kernel stack is gone; every other
 * vector, #PF included, runs on the current stack and may nest.
 */
#ifndef ARCH_X86_64_IDT_H
#define ARCH_X86_64_IDT_H

#include <stdint.h>

#define IDT_VECTORS 256
#define IRQ_BASE 32 /* vector of IRQ 0 after remapping */

/* Build and load the IDT. Boot CPU, interrupts off, after gdt_init(). */
void idt_init(void);

/* Load the IDT idt_init built on this CPU (an AP, at start). Interrupts off. */
void idt_load_this_cpu(void);

/* Run exception `vector` on IST slot ist (0 = the current stack). */
void idt_set_ist(int vector, int ist);

/* Load an empty IDT: the next exception triple-faults (used to force a reset). */
void idt_load_empty(void);

#endif
