/*
 * sys_irq.h - interrupts delivered as notifications: irq_bind, irq_ack.
 *
 * Each takes the system call's whole trap frame: the IPC calls read and
 * write registers beyond Linux's six (the register map of
 * user/include/pagoda/ipc_abi.h), so every Pagoda call has one shape.
 * Returns the value for rax (>= 0, or -errno).
 *
 * Invariants:
 *   [x] (placeholder: filled in by the user-space driver work)
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_IRQ_H
#define KERNEL_SYSCALL_SYS_IRQ_H

struct trap_frame;

long sys_irq_bind(struct trap_frame *frame);
long sys_irq_ack(struct trap_frame *frame);

#endif
