/*
 * irq_notify.c - interrupts as notifications (see irq_notify.h).
 *
 * bindable[] is the policy: the ISA lines a process may take, each with the
 * ports of its device (which the binder must already hold by ioperm: a
 * process that may not talk to a device has no use for its interrupt).
 * bindings[] is the state, one per table entry, under irq_notify_lock.
 *
 * The handler (IRQ context, interrupts off, the boot CPU: the I/O APIC
 * routes the ISA lines there) masks its line first, then ORs the bits into
 * the notification; trap_dispatch sends the EOI after it. The line stays
 * masked until the driver's irq_ack: between the two the device may keep
 * its line asserted as long as it likes. A line's handler is registered at
 * its first bind (trap_register_irq, which also unmasks it) and stays: once
 * unbound, an interrupt that still comes finds no binding and only masks
 * the line again.
 *
 * Invariants:
 *   [x] bindings[i].notification != NULL iff the line is bound, and then
 *       owner is the binder (alive: exit unbinds before the process goes);
 *   [x] masked is the line's mask state whenever the lock is free (once
 *       handler_set), so ack unmasks only a line the handler masked;
 *   [x] the notification's reference is dropped outside the lock, after the
 *       binding is cleared: a handler running under the lock never sees a
 *       freed notification.
 * Lock order: irq_notify_lock (irqsave) -> ioapic_lock; irq_notify_lock ->
 * the notification's lock (notification_signal) -> wait queue locks.
 */
#include "kernel/ipc/irq_notify.h"

#include <stdbool.h>

#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/arch/x86_64/pic.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/notification.h"
#include "kernel/ipc/object.h"
#include "kernel/proc/io_bitmap.h"
#include "kernel/proc/process.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "mm/spinlock.h"

static void irq_notify_line0(void);

/* The lines a process may bind, and the device behind each. */
static const struct irq_line {
	int irq;
	const char *device;
	uint16_t port, ports;      /* the device's ports, all needed (ioperm) */
	irq_handler_t handler;     /* calls irq_notify_fire(its index) */
} bindable[] = {
	{3, "COM2", 0x2f8, 8, irq_notify_line0},
};

static struct irq_binding {
	struct process *owner;
	struct kobject *notification; /* NULL: unbound */
	uint64_t bits;
	bool handler_set;              /* trap_register_irq ran for this line */
	bool masked;
	uint64_t interrupts;           /* counted while bound */
} bindings[ARRAY_SIZE(bindable)];

static spinlock_t irq_notify_lock = SPINLOCK_INIT("irq notify");

/* bindable[]'s index for irq, or -1. */
static int line_index(int irq)
{
	for (unsigned i = 0; i < ARRAY_SIZE(bindable); i++)
		if (bindable[i].irq == irq)
			return (int)i;
	return -1;
}

/* Mask or unmask irq where the ISA lines are delivered. Interrupts off. */
static void line_set_masked(int irq, bool masked)
{
	if (ioapic_in_use()) {
		if (masked)
			ioapic_mask_irq(irq);
		else
			ioapic_unmask_irq(irq);
	} else if (masked) {
		pic_mask(irq);
	} else {
		pic_unmask(irq);
	}
}

/* The interrupt of bindable[i]: mask the line, then tell the binder. */
static void irq_notify_fire(unsigned i)
{
	struct irq_binding *b = &bindings[i];

	spin_lock(&irq_notify_lock); /* IRQ context: interrupts are off */
	line_set_masked(bindable[i].irq, true);
	b->masked = true;
	if (b->notification) {
		b->interrupts++;
		notification_signal(notification_from_object(b->notification), b->bits);
	}
	spin_unlock(&irq_notify_lock);
}

static void irq_notify_line0(void)
{
	irq_notify_fire(0);
}

int irq_notify_check(const struct process *p, int irq)
{
	if (irq < 0 || irq >= PIC_IRQ_COUNT)
		return -EINVAL;
	int i = line_index(irq);
	if (i < 0 || !p->io_bitmap)
		return -EPERM;
	for (uint32_t port = bindable[i].port; port < bindable[i].port + bindable[i].ports; port++)
		if (!io_bitmap_allows(p->io_bitmap, port))
			return -EPERM;
	return 0;
}

int irq_notify_bind(struct process *p, int irq, struct kobject *notification, uint64_t bits)
{
	int i = line_index(irq);

	ASSERT(i >= 0, "irq_notify_bind: an IRQ irq_notify_check refuses");
	if (bits == 0 || notification->type != KOBJECT_NOTIFICATION)
		return -EINVAL;
	struct irq_binding *b = &bindings[i];
	unsigned long flags = spin_lock_irqsave(&irq_notify_lock);
	if (b->notification) {
		spin_unlock_irqrestore(&irq_notify_lock, flags);
		return -EBUSY;
	}
	b->owner = p;
	b->notification = notification;
	b->bits = bits;
	b->interrupts = 0;
	b->masked = false;
	if (!b->handler_set) {
		b->handler_set = true;
		trap_register_irq(irq, bindable[i].handler); /* installs, then unmasks */
	} else {
		line_set_masked(irq, false);
	}
	spin_unlock_irqrestore(&irq_notify_lock, flags);
	return 0;
}

int irq_notify_ack(struct process *p, int irq)
{
	if (irq < 0 || irq >= PIC_IRQ_COUNT)
		return -EINVAL;
	int i = line_index(irq);
	if (i < 0)
		return -EPERM;
	struct irq_binding *b = &bindings[i];
	unsigned long flags = spin_lock_irqsave(&irq_notify_lock);
	int err = b->notification && b->owner == p ? 0 : -EPERM;
	if (!err && b->masked) {
		b->masked = false;
		line_set_masked(irq, false);
	}
	spin_unlock_irqrestore(&irq_notify_lock, flags);
	return err;
}

void irq_notify_process_exit(struct process *p)
{
	for (unsigned i = 0; i < ARRAY_SIZE(bindable); i++) {
		struct irq_binding *b = &bindings[i];
		struct kobject *n = NULL;
		unsigned long flags = spin_lock_irqsave(&irq_notify_lock);
		if (b->notification && b->owner == p) {
			line_set_masked(bindable[i].irq, true);
			b->masked = true;
			n = b->notification;
			b->notification = NULL;
			b->owner = NULL;
		}
		spin_unlock_irqrestore(&irq_notify_lock, flags);
		if (n)
			kobject_put(n);
	}
}
