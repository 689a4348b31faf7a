/*
 * sys_irq.c - interrupts delivered as notifications: irq_bind, irq_ack
 * (the policy and the binding table are kernel/ipc/irq_notify.c's).
 *
 *   irq_bind(irq rdi, notification handle rsi, bits rdx) -> 0
 *   irq_ack(irq rdi) -> 0
 *
 * The checks, in order: -EINVAL an irq outside 0-15; -EPERM a line no
 * process may take, or whose device's ports the caller was not granted by
 * ioperm; -EBADF a bad handle, or one that is not a notification (as the
 * IPC calls say of a handle of the wrong type); -EPERM a handle without
 * SEND; -EINVAL bits 0; -EBUSY the line is bound already.
 *
 * Invariants:
 *   [x] a failed irq_bind leaves nothing behind (the handle's reference
 *       taken by the lookup is put back).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_irq.h"

#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/irq_notify.h"
#include "kernel/ipc/object.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"

/* A register holding an IRQ number: anything outside int becomes -1 (-EINVAL). */
static int irq_arg(uint64_t reg)
{
	return reg < 256 ? (int)reg : -1;
}

long sys_irq_bind(struct trap_frame *frame)
{
	struct process *p = process_current();
	int irq = irq_arg(frame->rdi);
	struct kobject *o;
	int err = irq_notify_check(p, irq);

	if (err)
		return err;
	err = handle_lookup_type(&p->handles, (int64_t)frame->rsi, KOBJECT_NOTIFICATION,
				 HANDLE_RIGHT_SEND, &o);
	if (err)
		return err;
	err = irq_notify_bind(p, irq, o, frame->rdx);
	if (err)
		kobject_put(o);
	return err;
}

long sys_irq_ack(struct trap_frame *frame)
{
	return irq_notify_ack(process_current(), irq_arg(frame->rdi));
}
