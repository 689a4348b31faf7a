/*
 * irq_notify.h - interrupts delivered to user-space drivers as
 * notification bits (irq_bind, irq_ack: kernel/syscall/sys_irq.c).
 *
 * A driver process that holds a device's ports (ioperm) binds the device's
 * IRQ to a notification: from then on each interrupt masks the line (at the
 * I/O APIC, or the 8259s where they deliver) and ORs the binding's bits into
 * the notification, which wakes the driver's ipc_notify_wait. The driver
 * talks to its device, then irq_ack unmasks the line for the next one. The
 * kernel never touches the device itself: masking the line is what keeps a
 * level-triggered or chattering device from storming the CPU meanwhile.
 *
 * Only the lines of irq_notify.c's table are bindable (today IRQ 3, COM2:
 * ports 0x2f8-0x2ff, which ioperm grants and the kernel's own serial driver
 * never touches); every other line belongs to a kernel driver or to nobody.
 *
 * Invariants:
 *   [x] a bound IRQ belongs to one process until it exits (no unbind call:
 *       exit is the unbind);
 *   [x] a binding holds one reference to its notification, dropped at unbind;
 *   [x] an unbound line is masked (once a handler was ever registered).
 * Context: process context, interrupts on (the handler: IRQ context).
 * Lock order: irq_notify_lock -> the notification's lock -> wait queue
 * locks; irq_notify_lock -> ioapic_lock.
 */
#ifndef KERNEL_IPC_IRQ_NOTIFY_H
#define KERNEL_IPC_IRQ_NOTIFY_H

#include <stdint.h>

struct kobject;
struct process;

/*
 * May p bind irq? 0 if irq is in the table and p holds (ioperm) every port
 * of its device; -EINVAL for an irq outside 0-15 (the ISA lines); -EPERM
 * for a line not in the table (the kernel's, or no device) or a device
 * whose ports p was not granted.
 */
int irq_notify_check(const struct process *p, int irq);

/*
 * Bind irq (irq_notify_check said 0) to notification (a KOBJECT_NOTIFICATION;
 * the caller's reference moves into the binding on success) with bits
 * (non-zero), owned by p, and unmask the line. Returns 0, -EINVAL (bits 0,
 * not a notification) or -EBUSY (irq is bound already). On failure the
 * caller keeps its reference.
 */
int irq_notify_bind(struct process *p, int irq, struct kobject *notification, uint64_t bits);

/*
 * The driver is done with the interrupt: unmask irq again. Returns 0,
 * -EINVAL (irq outside 0-15) or -EPERM (p has not bound irq).
 */
int irq_notify_ack(struct process *p, int irq);

/* p is exiting: unbind (and mask) every IRQ it bound. */
void irq_notify_process_exit(struct process *p);

#endif
