/*
 * endpoint.h - IPC endpoints: where synchronous messages meet (send,
 * receive, call, reply, reply-and-receive), and what the shell's `ipc`
 * command shows of them.
 *
 * An endpoint is a kernel object (kernel/ipc/object.h) with two FIFOs of
 * blocked processes: senders/callers whose message waits for a receiver,
 * and receivers waiting for a message. Whoever arrives second takes the
 * first of the other queue (it becomes IPC_BUSY: kernel/ipc/ipc_state.h),
 * drops the endpoint's lock, transfers (the registers, a handle, a memory
 * item) and finishes the partner (DONE, or REPLY_WAIT for a call) and
 * wakes it. A call leaves the receiver owing the caller a reply
 * (ipc_state.reply_to). The endpoint counts its handles with RECEIVE
 * (object hooks handle_opened/handle_closed): when that count drops to 0
 * it is dead for good, every sender waiting fails with -EPIPE and so does
 * every later send and call.
 *
 * For the fast path (kernel/ipc/fastpath.c): with ep->lock held, a
 * receiver on ep->receivers (list_first_entry(&ep->receivers, struct
 * process, ipc.link)) is RECEIVING and blocked; take it off with
 * endpoint_take_locked (it becomes BUSY: it stays blocked whatever
 * happens until finished), drop the lock, write its ipc.msg (badge, tag,
 * words, handle 0), then either ipc_finish(r, 0) (plain) or set up the
 * call with ipc_call_taken(caller, r) first. Only a message with no
 * handle and no memory item may take such a short cut.
 *
 * Invariants:
 *   [x] a process is on senders/receivers exactly while its ipc state
 *       is SENDING/RECEIVING with ipc.ep == this endpoint;
 *   [x] dead is set once, under lock, when receive_handles went from 1
 *       to 0, and then both queues are empty for good;
 *   [x] the endpoint is destroyed only with both queues empty (every
 *       waiter holds a reference from its handle lookup).
 * Lock order: "endpoint list" -> "endpoint" -> "ipc state" (a process's)
 * -> a wait queue's lock. No endpoint lock is held across a transfer, a
 * sleep, an allocation or a handle table operation.
 * Context: process context, interrupts on, unless said otherwise.
 */
#ifndef KERNEL_IPC_ENDPOINT_H
#define KERNEL_IPC_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/ipc/ipc.h"
#include "kernel/ipc/ipc_state.h"
#include "kernel/ipc/object.h"
#include "kernel/proc/process.h"
#include "lib/compiler.h"
#include "lib/list.h"
#include "lib/panic.h"
#include "mm/spinlock.h"

struct process;
struct wait_queue;

struct endpoint {
	struct kobject ko;             /* first: handles name it */
	spinlock_t lock;               /* "endpoint": queues, dead, counters */
	struct list_node senders;      /* SENDING processes, by ipc.link, oldest first */
	struct list_node receivers;    /* RECEIVING processes, by ipc.link, oldest first */
	unsigned receive_handles;      /* atomic: handles with RECEIVE (object hooks) */
	bool dead;                     /* receive_handles dropped to 0: -EPIPE for good */
	uint64_t id;                   /* 1, 2, ... in creation order (the shell) */
	int creator_pid;               /* 0: the kernel */
	int last_receiver_pid;         /* the process that last received or waits (pagers) */
	uint64_t messages;             /* messages transferred (calls included) */
	uint64_t calls;                /* of them, calls */
	struct list_node all;          /* on the list endpoint_list walks */
};

/* What the shell's `ipc` shows of one endpoint. */
struct endpoint_info {
	uint64_t id;
	int creator_pid;
	int refs;
	unsigned receive_handles;
	bool dead;
	unsigned senders_waiting, receivers_waiting;
	int sender_pids[4], receiver_pids[4]; /* the first four of each queue */
	uint64_t messages, calls;
};

/* A new endpoint with one reference (the caller's), or NULL (no memory). */
struct endpoint *endpoint_create(void);

/*
 * Copy up to max endpoints (oldest first), each taken at one moment under
 * its lock, into out; returns how many exist (may exceed max). Any
 * process context.
 */
unsigned endpoint_list(struct endpoint_info *out, unsigned max);

/* A deadline in timer ticks for a timeout in ms (IPC_FOREVER or any negative: none). */
uint64_t ipc_deadline(long timeout_ms);
#define IPC_NO_DEADLINE UINT64_MAX

/*
 * The IPC operations of the calling process (its own thread, interrupts
 * on, no lock held; they sleep). msg's tag was checked (message.h); its
 * handle is a number in the caller's table. deadline: ipc_deadline's.
 * Results: 0 or the -errno of DESIGN's list (ipc.h, ipc_abi.h).
 *
 * ipc_send: deliver msg (badge set here: the caller's pid, or 0 when
 * kernel). With call, then wait for the reply into *reply.
 */
__must_check int ipc_send(struct endpoint *ep, struct ipc_message *msg, bool call, bool kernel,
			  uint64_t deadline, struct ipc_message *reply);

/* Wait for a message on ep into *out (dropping a reply still owed: its caller gets -EPIPE). */
__must_check int ipc_recv(struct endpoint *ep, uint64_t deadline, struct ipc_message *out);

/*
 * Answer the caller this process owes a reply with msg. -ESRCH: none;
 * -EPIPE: it went (timed out, was killed); a transfer error (bad handle,
 * memory item) leaves the caller waiting and the reply owed.
 */
__must_check int ipc_reply(struct ipc_message *msg);

/* ---- For the fast path (kernel/ipc/fastpath.c) and the core ---- */

/*
 * Take p (on one of ep's queues) off it: p becomes BUSY. ep->lock held,
 * which is what guards a move into or out of the queued states
 * (ipc_state.h): p's own lock is not needed. Inline: IPC's fast path.
 */
static inline void endpoint_take_locked(struct endpoint *ep, struct process *p)
{
	ASSERT(p->ipc.ep == ep, "endpoint_take_locked: not on this endpoint");
	list_remove(&p->ipc.link);
	p->ipc.ep = NULL;
	__atomic_store_n(&p->ipc.state, IPC_BUSY, __ATOMIC_RELEASE);
}

/* Finish BUSY p: DONE with result, then wake it. No lock held. */
void ipc_finish(struct process *p, int result);

/*
 * The receiver r (BUSY, its ipc.msg written) took caller's call: r owes
 * caller the reply (reply_to, a reference), caller becomes REPLY_WAIT
 * (it must be the calling thread or BUSY) and r is finished (DONE, 0).
 */
void ipc_call_taken(struct process *caller, struct process *r);

/*
 * Put p on queue q of ep (first or last) in state st (SENDING or
 * RECEIVING). ep->lock held (as endpoint_take_locked). Inline: the fast path.
 */
static inline void endpoint_queue_locked(struct endpoint *ep, struct process *p,
					 struct list_node *q, bool first, enum ipc_wait_state st)
{
	p->ipc.ep = ep;
	if (first)
		list_add(q, &p->ipc.link);
	else
		list_add_tail(q, &p->ipc.link);
	__atomic_store_n(&p->ipc.state, st, __ATOMIC_RELEASE);
}

/* A receiver's wait, once queued RECEIVING on an endpoint (self: the calling process). */
__must_check int ipc_recv_wait(struct process *self, uint64_t deadline, struct ipc_message *out);

/* A caller's wait for its reply (self: the calling process, REPLY_WAIT). 0 and *reply, or -errno. */
__must_check int ipc_call_wait_reply(struct process *self, uint64_t deadline,
				     struct ipc_message *reply);

/*
 * Sleep on wq until ready(arg); a signal (when interruptible) or the
 * deadline (IPC_NO_DEADLINE: none) end the sleep first. Returns 0 (ready),
 * -EINTR or -ETIMEDOUT. The sleep is interruptible: a signal wakes wq.
 */
int ipc_wait(struct wait_queue *wq, bool (*ready)(void *arg), void *arg, bool interruptible,
	     uint64_t deadline);

#endif
