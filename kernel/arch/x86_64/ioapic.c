/*
 * ioapic.c - I/O APIC redirection (see ioapic.h).
 *
 * An I/O APIC shows two registers (82093AA datasheet, 3.1): IOREGSEL
 * selects an internal register, IOWIN reads or writes it. So every access
 * is a pair, done under ioapic_lock with interrupts off. The redirection
 * table (datasheet 3.2.4) has one 64-bit entry per input, as two 32-bit
 * registers: the low half holds vector, delivery, polarity, trigger and
 * mask; the high half the destination APIC id (physical mode). The mask
 * bit is written last when unmasking and first when masking, so an entry
 * is never live half-programmed.
 * Invariants:
 *   [x] an entry is unmasked only after its vector, trigger, polarity and
 *       destination are written;
 *   [x] isa_gsi[irq] and isa_chip[irq] are set once by ioapic_init() for
 *       every ISA IRQ before ioapic_ready becomes true;
 *   [x] two ISA IRQs never share an input: an IRQ whose identity GSI another
 *       IRQ's override claims (IRQ 2 under "IRQ 0 -> GSI 2") stays unrouted.
 * Lock order: ioapic_lock is a leaf (taken with interrupts off, nothing
 * inside it).
 */
#include "kernel/arch/x86_64/ioapic.h"

#include "kernel/acpi.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/mmio.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/sched/spinlock.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "mm/arch.h"

#define IOAPIC_REGSEL 0x00  /* register select (datasheet 3.1.1) */
#define IOAPIC_WINDOW 0x10  /* data window (datasheet 3.1.2) */
#define IOAPIC_MMIO_SIZE 0x20

#define IOAPIC_REG_ID 0x00       /* IOAPICID: bits 27-24 (datasheet 3.2.1) */
#define IOAPIC_REG_VERSION 0x01  /* IOAPICVER (datasheet 3.2.2): */
#define IOAPIC_VERSION_MAX_ENTRY(v) (((v) >> 16) & 0xff) /* bits 23-16: entries - 1 */
#define IOAPIC_REG_REDIRECT(n) (0x10 + 2 * (n)) /* IOREDTBL n, low half; high at +1 */

/* Redirection entry, low half (datasheet 3.2.4). */
#define IOAPIC_DELIVERY_FIXED (0u << 8)  /* bits 10-8: fixed delivery */
#define IOAPIC_DEST_PHYSICAL (0u << 11)  /* bit 11: destination is an APIC id */
#define IOAPIC_ACTIVE_LOW (1u << 13)     /* bit 13: input pin polarity low */
#define IOAPIC_LEVEL (1u << 15)          /* bit 15: level triggered */
#define IOAPIC_MASKED (1u << 16)         /* bit 16: interrupt masked */
#define IOAPIC_DEST_SHIFT 24             /* high half bits 31-24 (entry bits 63-56) */

struct ioapic {
	volatile void *regs;
	uint8_t id;
	uint32_t gsi_base;
	unsigned entries;
};

static struct ioapic chips[ACPI_MAX_IOAPICS];
static unsigned chip_count;
static uint32_t isa_gsi[VEC_ISA_IRQS];    /* where ISA IRQ i arrives */
static uint16_t isa_flags[VEC_ISA_IRQS];  /* its polarity and trigger (ACPI_INTI_*) */
static uint8_t isa_chip[VEC_ISA_IRQS];    /* which I/O APIC serves that GSI, or: */
#define ISA_NOT_ROUTED 0xff               /* no input: no GSI, or another IRQ's override took it */
static bool ioapic_ready;
static spinlock_t ioapic_lock = SPINLOCK_INIT;

static uint32_t ioapic_read(const struct ioapic *c, uint8_t reg)
{
	mmio_write32(c->regs, IOAPIC_REGSEL, reg);
	return mmio_read32(c->regs, IOAPIC_WINDOW);
}

static void ioapic_write(const struct ioapic *c, uint8_t reg, uint32_t value)
{
	mmio_write32(c->regs, IOAPIC_REGSEL, reg);
	mmio_write32(c->regs, IOAPIC_WINDOW, value);
}

bool ioapic_in_use(void)
{
	return ioapic_ready;
}

/* The I/O APIC serving gsi, or -1. */
static int ioapic_for_gsi(uint32_t gsi)
{
	for (unsigned i = 0; i < chip_count; i++)
		if (gsi >= chips[i].gsi_base && gsi - chips[i].gsi_base < chips[i].entries)
			return (int)i;
	return -1;
}

/* Why the I/O APIC path cannot be used, or NULL. */
static const char *ioapic_refusal(bool disabled)
{
	if (disabled)
		return "`noapic` on the command line";
	if (!cpu_features.apic)
		return "the CPU has no local APIC";
	if (!acpi_madt.have_madt)
		return "no ACPI MADT";
	if (acpi_madt.ioapic_count == 0)
		return "the MADT lists no I/O APIC";
	return NULL;
}

static void ioapic_fallback(const char *why)
{
	kprintf("interrupts: 8259 PIC and PIT tick on CPU 0 (%s)\n", why);
}

/* Map each I/O APIC of the MADT and mask all of its entries. */
static int ioapic_map_all(void)
{
	for (unsigned i = 0; i < acpi_madt.ioapic_count; i++) {
		const struct acpi_ioapic *a = &acpi_madt.ioapics[i];
		struct ioapic *c = &chips[chip_count];
		c->regs = mmio_map(a->address, IOAPIC_MMIO_SIZE, "an I/O APIC");
		if (!c->regs)
			return -ENOMEM;
		c->id = a->id;
		c->gsi_base = a->gsi_base;
		c->entries = IOAPIC_VERSION_MAX_ENTRY(ioapic_read(c, IOAPIC_REG_VERSION)) + 1;
		for (unsigned n = 0; n < c->entries; n++)
			ioapic_write(c, IOAPIC_REG_REDIRECT(n), IOAPIC_MASKED);
		chip_count++;
	}
	return 0;
}

/* Does another ISA IRQ's override claim gsi (so that irq's identity route has no line)? */
static bool gsi_taken_by_override(int irq, uint32_t gsi)
{
	for (unsigned i = 0; i < acpi_madt.override_count; i++)
		if (acpi_madt.overrides[i].gsi == gsi && acpi_madt.overrides[i].irq != irq)
			return true;
	return false;
}

/* The redirection entry's low half for ISA irq, masked. */
static uint32_t isa_entry_low(int irq)
{
	uint32_t low = IOAPIC_MASKED | IOAPIC_DELIVERY_FIXED | IOAPIC_DEST_PHYSICAL |
		       (VEC_IRQ_BASE + irq);

	if ((isa_flags[irq] & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW)
		low |= IOAPIC_ACTIVE_LOW;
	if ((isa_flags[irq] & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL)
		low |= IOAPIC_LEVEL;
	return low;
}

int ioapic_init(bool disabled)
{
	ASSERT_IRQS_OFF();
	const char *why = ioapic_refusal(disabled);

	if (why) {
		ioapic_fallback(why);
		return -ENODEV;
	}
	int err = ioapic_map_all();
	if (err) {
		ioapic_fallback("an I/O APIC could not be mapped");
		return err;
	}
	uint32_t boot_apic_id = acpi_madt.cpus[0].apic_id; /* the boot CPU (acpi.h) */
	for (int irq = 0; irq < VEC_ISA_IRQS; irq++) {
		struct acpi_irq_override r = acpi_isa_irq_route(&acpi_madt, (uint8_t)irq);
		int chip = ioapic_for_gsi(r.gsi);
		isa_chip[irq] = ISA_NOT_ROUTED;
		if (chip < 0 || gsi_taken_by_override(irq, r.gsi))
			continue; /* e.g. IRQ 2 when IRQ 0 is overridden to GSI 2: no line */
		isa_gsi[irq] = r.gsi;
		isa_flags[irq] = r.flags;
		isa_chip[irq] = (uint8_t)chip;
		const struct ioapic *c = &chips[chip];
		uint8_t reg = IOAPIC_REG_REDIRECT(r.gsi - c->gsi_base);
		ioapic_write(c, reg + 1, boot_apic_id << IOAPIC_DEST_SHIFT);
		ioapic_write(c, reg, isa_entry_low(irq));
	}
	ioapic_ready = true;
	kprintf("interrupts: local APIC and %u I/O APIC%s (ISA IRQ 0-15 -> vectors 0x%x-0x%x on "
		"CPU 0; %u override%s)\n", chip_count, chip_count > 1 ? "s" : "", VEC_IRQ_BASE,
		VEC_IRQ_BASE + VEC_ISA_IRQS - 1, acpi_madt.override_count,
		acpi_madt.override_count == 1 ? "" : "s");
	return 0;
}

/* Set or clear the mask bit of ISA irq's entry. */
static void ioapic_set_masked(int irq, bool masked)
{
	if (!ioapic_ready || irq < 0 || irq >= VEC_ISA_IRQS)
		panic("ioapic_%smask_irq: IRQ %d (I/O APIC %s)", masked ? "" : "un", irq,
		      ioapic_ready ? "in use" : "not in use");
	if (isa_chip[irq] == ISA_NOT_ROUTED) {
		kprintf("ioapic: ISA IRQ %d reaches no I/O APIC input: left masked\n", irq);
		return;
	}
	const struct ioapic *c = &chips[isa_chip[irq]];
	uint8_t reg = IOAPIC_REG_REDIRECT(isa_gsi[irq] - c->gsi_base);
	uint32_t low = isa_entry_low(irq);
	unsigned long flags = spin_lock_irqsave(&ioapic_lock);

	ioapic_write(c, reg, masked ? low : low & ~IOAPIC_MASKED);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

void ioapic_unmask_irq(int irq)
{
	ioapic_set_masked(irq, false);
}

void ioapic_mask_irq(int irq)
{
	ioapic_set_masked(irq, true);
}

void ioapic_print_routes(void)
{
	if (!ioapic_ready)
		return;
	for (unsigned i = 0; i < chip_count; i++)
		kprintf("I/O APIC %u:    id %u, GSI %u-%u\n", i, chips[i].id, chips[i].gsi_base,
			chips[i].gsi_base + chips[i].entries - 1);
	for (int irq = 0; irq < VEC_ISA_IRQS; irq++) {
		if (isa_chip[irq] == ISA_NOT_ROUTED) {
			kprintf("ISA IRQ %d:%s no I/O APIC input\n", irq, irq < 10 ? "     " : "    ");
			continue;
		}
		if (isa_gsi[irq] == (uint32_t)irq && isa_flags[irq] == 0)
			continue; /* the identity route: not worth a line */
		kprintf("ISA IRQ %d:%s GSI %u, %s, active %s\n", irq, irq < 10 ? "     " : "    ",
			isa_gsi[irq],
			(isa_flags[irq] & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL
				? "level" : "edge",
			(isa_flags[irq] & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW
				? "low" : "high");
	}
}
