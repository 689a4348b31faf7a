/*
 * idt.c - fills the 256 interrupt gates (SDM Vol. 3A 6.14.1).
 *
 * Every gate is a 64-bit interrupt gate (IF cleared on entry, so handlers
 * start with interrupts off), present, DPL 0 except #BP (DPL 3, so that a
 * user-mode int3 works later), target = the stub from isr.asm. Stacks:
 * #DF, NMI and #MC name an IST slot (gdt.h) and always start on a fresh
 * stack; everything else, #PF included, pushes its frame on the current
 * stack, so faults may nest (docs/faults.md has the table). One IDT for
 * every CPU: built by the boot CPU, loaded by each AP (idt_load_this_cpu);
 * the IST slots it names are per CPU (each CPU's own TSS).
 *
 * Invariants:
 *   [x] the gates change only before the APs start (idt_init, idt_set_ist
 *       at boot): every CPU sees the same table.
 * Context: interrupts off.
 */
#include "kernel/arch/x86_64/idt.h"

#include "kernel/arch/x86_64/gdt.h"
#include "lib/compiler.h"
#include "mm/arch.h"

#define GATE_INTERRUPT 0xe  /* type: 64-bit interrupt gate (IF cleared) */
#define GATE_PRESENT 0x80   /* P bit of the type byte */
#define GATE_DPL(n) ((n) << 5)

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;        /* bits 0-2: IST slot, 0 = none */
	uint8_t type;       /* P, DPL, gate type */
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __packed;
STATIC_ASSERT(sizeof(struct idt_gate) == 16, "IDT gates are 16 bytes");

struct __packed idt_pointer {
	uint16_t limit;
	uint64_t base;
};

extern const uint64_t isr_stub_table[IDT_VECTORS];
static struct idt_gate idt[IDT_VECTORS] __aligned(16);

static void idt_load(const void *base, uint16_t limit)
{
	struct idt_pointer ptr = {limit, (uint64_t)(uintptr_t)base};
	__asm__ volatile("lidt %0" ::"m"(ptr) : "memory");
}

void idt_init(void)
{
	ASSERT_IRQS_OFF();
	for (int v = 0; v < IDT_VECTORS; v++) {
		uint64_t target = isr_stub_table[v];
		int dpl = v == 3 ? 3 : 0;
		idt[v] = (struct idt_gate){
			.offset_low = target & 0xffff,
			.selector = GDT_KERNEL_CODE,
			.ist = 0,
			.type = GATE_PRESENT | GATE_DPL(dpl) | GATE_INTERRUPT,
			.offset_mid = (target >> 16) & 0xffff,
			.offset_high = target >> 32,
		};
	}
	idt_set_ist(2, IST_NMI);
	idt_set_ist(8, IST_DOUBLE_FAULT);
	idt_set_ist(18, IST_MACHINE_CHECK);
	idt_load(idt, sizeof(idt) - 1);
}

void idt_load_this_cpu(void)
{
	ASSERT_IRQS_OFF();
	idt_load(idt, sizeof(idt) - 1);
}

void idt_set_ist(int vector, int ist)
{
	ASSERT_IRQS_OFF();
	idt[vector].ist = ist & 7;
}

void idt_load_empty(void)
{
	ASSERT_IRQS_OFF();
	idt_load(NULL, 0);
}
