/*
 * irq_notify.h - interrupts delivered to user-space drivers as
 * notification bits (irq_bind, irq_ack: kernel/syscall/sys_irq.c).
 *
 * (Groundwork: the contract is fixed; kernel/ipc/irq_notify.c is filled in
 * by the user-space driver work.)
 *
 * Invariants:
 *   [x] a bound IRQ belongs to one process until it exits or unbinds.
 * Context: process context, interrupts on.
 */
#ifndef KERNEL_IPC_IRQ_NOTIFY_H
#define KERNEL_IPC_IRQ_NOTIFY_H

struct process;

/* p is exiting: unbind (and mask) every IRQ it bound. */
void irq_notify_process_exit(struct process *p);

#endif
