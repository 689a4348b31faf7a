/*
 * notification.h - notifications: 64 bits a process waits on, set
 * asynchronously by other processes (ipc_notify) or by the kernel from an
 * interrupt handler (irq_notify.c: interrupts as notification bits).
 *
 * Signalling never blocks: it ORs bits into the word and wakes the
 * waiters. A wait returns the bits set so far and clears them (each bit
 * is seen once), or sleeps until some are set. Rights: SEND signals,
 * RECEIVE waits (sys_ipc.c checks them).
 *
 * Invariants:
 *   [x] bits and the waiters change only under the notification's lock;
 *   [x] a wait that returns 0 returned nonzero bits and cleared exactly those.
 * Lock order: "notification" -> a wait queue's lock. Context: signal from
 * any context (interrupt handlers included: irqsave); wait from a
 * process's thread.
 */
#ifndef KERNEL_IPC_NOTIFICATION_H
#define KERNEL_IPC_NOTIFICATION_H

#include <stdint.h>

#include "kernel/ipc/object.h"
#include "kernel/sched/wait.h"
#include "lib/compiler.h"
#include "mm/spinlock.h"

struct notification {
	struct kobject ko;      /* first: handles name it */
	spinlock_t lock;        /* "notification": bits */
	uint64_t bits;          /* set, not yet taken by a wait */
	struct wait_queue wq;   /* processes in notification_wait */
	uint64_t signals;       /* notification_signal calls (a hint for the shell) */
};

/* A new notification with no bits and one reference (the caller's), or NULL. */
struct notification *notification_create(void);

/* The notification behind o (o's type is KOBJECT_NOTIFICATION: checked). */
struct notification *notification_from_object(struct kobject *o);

/*
 * OR bits into n and wake its waiters. Any context, interrupt handlers
 * included (spinlock irqsave; wakes only). bits 0: nothing happens.
 */
void notification_signal(struct notification *n, uint64_t bits);

/*
 * Wait until n has bits set (deadline: endpoint.h's ipc_deadline; 0: do
 * not wait), take them all into *bits and clear them. Returns 0, -EINTR
 * (a signal), -ETIMEDOUT. A process's thread, interrupts on; sleeps.
 */
__must_check int notification_wait(struct notification *n, uint64_t deadline, uint64_t *bits);

#endif
