/*
 * irq_notify.c - interrupts as notifications (see irq_notify.h).
 *
 * Placeholder: nothing can be bound yet, so an exiting process has
 * nothing to unbind.
 */
#include "kernel/ipc/irq_notify.h"

void irq_notify_process_exit(struct process *p)
{
	(void)p;
}
