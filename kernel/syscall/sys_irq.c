/*
 * sys_irq.c - interrupts delivered as notifications: irq_bind, irq_ack.
 *
 * Placeholder: every call answers -ENOSYS until the user-space driver work lands.
 */
#include "kernel/syscall/sys_irq.h"
#include "lib/errno.h"

long sys_irq_bind(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_irq_ack(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}
