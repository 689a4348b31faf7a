/*
 * pic.c - 8259A set-up and acknowledgement (see pic.h).
 *
 * Initialization is the four-word ICW sequence from the 8259A datasheet:
 * ICW1 starts it (edge triggered, cascade, ICW4 follows), ICW2 sets the
 * vector base, ICW3 wires master and slave together on IRQ 2, ICW4 selects
 * 8086 mode. After that, writes to the data port set the mask (OCW1) and
 * writes to the command port acknowledge (OCW2) or select the register that
 * the next command-port read returns (OCW3).
 * Where the I/O APIC delivers the ISA IRQs (ioapic.h), the 8259s are
 * remapped all the same (a stray interrupt from them then lands on vectors
 * 32-47, not on an exception) and every line stays masked.
 */
#include "kernel/arch/x86_64/pic.h"

#include <stdint.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "mm/arch.h"

#define PIC_MASTER_COMMAND 0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_COMMAND 0xa0
#define PIC_SLAVE_DATA 0xa1

#define ICW1_ICW4 0x01      /* ICW4 will follow */
#define ICW1_INIT 0x10      /* start initialization */
#define ICW4_8086 0x01      /* 8086/88 mode */
#define OCW2_EOI 0x20       /* non-specific end of interrupt */
#define OCW3_READ_ISR 0x0b  /* next command-port read returns the in-service register */

static uint16_t irq_mask = 0xffff; /* bit n set: IRQ n masked */

static void pic_write_mask(void)
{
	outb(PIC_MASTER_DATA, irq_mask & 0xff);
	outb(PIC_SLAVE_DATA, irq_mask >> 8);
}

void pic_init(void)
{
	ASSERT_IRQS_OFF();
	outb(PIC_MASTER_COMMAND, ICW1_INIT | ICW1_ICW4);
	io_wait();
	outb(PIC_SLAVE_COMMAND, ICW1_INIT | ICW1_ICW4);
	io_wait();
	outb(PIC_MASTER_DATA, IRQ_BASE);      /* ICW2: IRQ 0-7 -> vectors 32-39 */
	io_wait();
	outb(PIC_SLAVE_DATA, IRQ_BASE + 8);   /* ICW2: IRQ 8-15 -> vectors 40-47 */
	io_wait();
	outb(PIC_MASTER_DATA, 1 << IRQ_CASCADE); /* ICW3: slave on IRQ 2 */
	io_wait();
	outb(PIC_SLAVE_DATA, IRQ_CASCADE);    /* ICW3: slave's cascade identity */
	io_wait();
	outb(PIC_MASTER_DATA, ICW4_8086);
	io_wait();
	outb(PIC_SLAVE_DATA, ICW4_8086);
	io_wait();

	irq_mask = 0xffff; /* every line, the cascade too, until a driver asks */
	pic_write_mask();
}

void pic_unmask(int irq)
{
	ASSERT_IRQS_OFF();
	irq_mask &= ~(1u << irq);
	if (irq >= 8)
		irq_mask &= ~(1u << IRQ_CASCADE); /* the slave's lines pass through the master's IRQ 2 */
	pic_write_mask();
}

void pic_mask(int irq)
{
	ASSERT_IRQS_OFF();
	irq_mask |= 1u << irq;
	pic_write_mask();
}

void pic_end_of_interrupt(int irq)
{
	ASSERT_IRQS_OFF();
	if (irq >= 8)
		outb(PIC_SLAVE_COMMAND, OCW2_EOI);
	outb(PIC_MASTER_COMMAND, OCW2_EOI);
}

bool pic_is_spurious(int irq)
{
	ASSERT_IRQS_OFF();
	if (irq == 7) {
		outb(PIC_MASTER_COMMAND, OCW3_READ_ISR);
		return !(inb(PIC_MASTER_COMMAND) & 0x80);
	}
	if (irq == 15) {
		outb(PIC_SLAVE_COMMAND, OCW3_READ_ISR);
		if (inb(PIC_SLAVE_COMMAND) & 0x80)
			return false;
		outb(PIC_MASTER_COMMAND, OCW2_EOI); /* the master did see IRQ 2 */
		return true;
	}
	return false;
}
