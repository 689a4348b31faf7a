/*
 * notification.c - asynchronous bits (see notification.h).
 *
 * The word is read and cleared under the lock; a waiter sleeps on the
 * notification's own queue (interruptible: its process's signals wake the
 * same queue) until the word is nonzero, then takes the bits under the
 * lock, so two waiters never both get the same bit.
 *
 * Invariants:
 *   [x] notification_signal only ORs and wakes: safe in an interrupt
 *       handler, never sleeps or allocates.
 * Lock order: "notification" -> a wait queue's lock (wake after unlock).
 */
#include "kernel/ipc/notification.h"

#include "kernel/ipc/endpoint.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "mm/kmalloc.h"

static void notification_destroy(struct kobject *o)
{
	kfree(notification_from_object(o));
}

static const struct kobject_ops notification_ops = {
	.type = KOBJECT_NOTIFICATION,
	.destroy = notification_destroy,
};

struct notification *notification_from_object(struct kobject *o)
{
	ASSERT(o && o->type == KOBJECT_NOTIFICATION, "notification_from_object: not a notification");
	return container_of(o, struct notification, ko);
}

struct notification *notification_create(void)
{
	struct notification *n = kmalloc(sizeof(*n), KM_ZERO);
	if (!n)
		return NULL;
	kobject_init(&n->ko, &notification_ops);
	spin_lock_init(&n->lock, "notification");
	wait_queue_init(&n->wq, "notification");
	return n;
}

void notification_signal(struct notification *n, uint64_t bits)
{
	if (!bits)
		return;
	unsigned long flags = spin_lock_irqsave(&n->lock);
	n->bits |= bits;
	n->signals++;
	spin_unlock_irqrestore(&n->lock, flags);
	wait_queue_wake_all(&n->wq);
}

/* Take and clear n's bits (0 if none). */
static uint64_t take_bits(struct notification *n)
{
	unsigned long flags = spin_lock_irqsave(&n->lock);
	uint64_t b = n->bits;
	n->bits = 0;
	spin_unlock_irqrestore(&n->lock, flags);
	return b;
}

static bool bits_set(void *arg)
{
	return __atomic_load_n(&((struct notification *)arg)->bits, __ATOMIC_ACQUIRE) != 0;
}

int notification_wait(struct notification *n, uint64_t deadline, uint64_t *bits)
{
	for (;;) {
		uint64_t b = take_bits(n);
		if (b) {
			*bits = b;
			return 0;
		}
		if (deadline == 0)
			return -ETIMEDOUT;
		int err = ipc_wait(&n->wq, bits_set, n, true, deadline);
		if (err && !bits_set(n))
			return err;
	}
}
