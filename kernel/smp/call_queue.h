/*
 * call_queue.h - the mechanism under cross-CPU calls (kernel/smp/call.c):
 * one fixed-size queue of call requests per CPU, the sender's side (queue
 * a copy of the request on every target, kick each, wait for the
 * acknowledgements) and the receiver's side (run what is queued).
 *
 *   sender CPU s                      target CPU t
 *   ------------                      ------------
 *   pending = |targets|
 *   push {fn, arg, &pending} ----->   queue[t]  (lock, copy into a slot)
 *   kick(t)  (the IPI)        ----->  handler: call_queue_serve(t)
 *   while pending:                      pop, fn(arg), pending -= 1
 *     call_queue_serve(s)  <- its own queue, so two CPUs calling each
 *     relax()                 other at once both make progress
 *
 * Nothing here allocates: a request is copied into a slot of the target's
 * ring (CALL_QUEUE_SLOTS), and a sender that finds a ring full serves its
 * own queue and tries again. The ring's lock is a test-and-set byte held
 * for a copy, never while a function runs. The code knows no CPU and no
 * interrupt: the caller passes its CPU number and the kick, and keeps
 * interrupts off around every call (kernel); so it builds on the host,
 * where tests/host/test_call.c runs it on threads standing for CPUs.
 *
 * Invariants:
 *   [x] an entry is in exactly one queue slot from push to pop;
 *   [x] *pending reaches 0 only after every target has returned from fn;
 *   [x] a CPU waiting for acknowledgements keeps serving its own queue;
 *   [x] requests run in the order queued, except that a spin-wait may take
 *       the CALL_SPIN_SAFE ones ahead of the others.
 * Context: interrupts off on the calling CPU (kernel); any CPU.
 */
#ifndef KERNEL_SMP_CALL_QUEUE_H
#define KERNEL_SMP_CALL_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/arch.h" /* cpumask_t, MM_MAX_CPUS */

#define CALL_QUEUE_SLOTS 16 /* requests one CPU can have queued at once */

/* How a request is sent (call_queue_send_many's flags). */
#define CALL_WAIT (1u << 0)      /* return only when every target has run it */
#define CALL_SPIN_SAFE (1u << 1) /* fn takes no lock: it may run inside a spin-wait */

/* One queued request: a copy, so the sender's descriptor may be on its stack. */
struct call_entry {
	void (*fn)(void *arg);
	void *arg;
	unsigned *pending; /* the sender's count of targets not done, or NULL (no wait) */
	unsigned flags;    /* CALL_SPIN_SAFE or 0 */
};

struct call_queue {
	uint8_t lock;          /* test-and-set; held only to copy an entry in or out */
	unsigned head, tail;   /* entries head .. tail-1 (mod CALL_QUEUE_SLOTS) are queued */
	struct call_entry slot[CALL_QUEUE_SLOTS];
	uint64_t served;       /* requests run from this queue */
	uint64_t full_waits;   /* pushes that found this queue full and retried */
};

/* The CPUs' queues and how to reach them. */
struct call_system {
	struct call_queue *queue;          /* one per CPU, indexed by CPU number */
	void (*kick)(unsigned cpu);        /* make cpu serve its queue soon (the IPI) */
	void (*relax)(void);               /* one spin of a wait loop (pause) */
};

/* Clear q (no entries, counters 0). Before any CPU uses it. */
void call_queue_init(struct call_queue *q);

/*
 * Copy e into q. Returns false when q is full (nothing changed). Any CPU,
 * interrupts off (the lock is not taken by interrupt handlers of the
 * pushing CPU, but a CPU must not be interrupted while holding it).
 */
bool call_queue_push(struct call_queue *q, const struct call_entry *e);

/*
 * Run every request queued on cpu's queue (also those queued while it
 * runs), each once, then acknowledge it (decrement its pending count).
 * Returns how many ran. Called by cpu itself: from its IPI handler and its
 * wait loops. Interrupts off.
 */
unsigned call_queue_serve(const struct call_system *sys, unsigned cpu);

/*
 * Like call_queue_serve, but only the CALL_SPIN_SAFE requests (TLB
 * shootdowns), the others staying queued in order: for a CPU spinning on
 * a lock with interrupts off, whose lock holder may be waiting for it to
 * acknowledge a shootdown. Interrupts off.
 */
unsigned call_queue_serve_spin_safe(const struct call_system *sys, unsigned cpu);

/*
 * From CPU self: queue fn(arg) on every CPU of targets (self must not be
 * one of them), kick each once after its entry is queued, and with
 * CALL_WAIT return only once all have run fn, serving self's own queue
 * meanwhile. Without it, fn and arg must outlive the call. flags:
 * CALL_WAIT, CALL_SPIN_SAFE. Interrupts off.
 */
void call_queue_send_many(const struct call_system *sys, unsigned self, cpumask_t targets,
			  void (*fn)(void *arg), void *arg, unsigned flags);

#endif
