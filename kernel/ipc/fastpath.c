/*
 * fastpath.c - the IPC fast path (see fastpath.h).
 *
 * A call that finds its server waiting in receive:
 *
 *   client (running)                         server (RECEIVING, blocked in
 *   checks: plain tag, no limit, no trace,      its reply_recv's block_handoff,
 *     no signal; SEND handle; a receiver        or in endpoint.c's receive)
 *   lock ep; take the receiver (BUSY)  --->  BUSY: stays blocked
 *   its ipc.msg = the client's registers
 *   REPLY_WAIT; the server owes the reply
 *   take its thread off its wait queue       (no waker, signal or timeout
 *     (only once it left its CPU)              reaches it now)
 *   server DONE, without a wake-up
 *   block_handoff: on our own queue,
 *     sched_handoff(server's thread)   --->  runs at once on this CPU: its
 *                                            wait sees DONE, its registers
 *                                            get the message (collect)
 *
 * and reply_recv is the same the other way round: the caller is BUSY,
 * its ipc.msg gets the reply, its thread is taken off its queue, the
 * server queues RECEIVING on the endpoint and its block hands the CPU to
 * the caller. A partner whose thread was not taken (still on its way to
 * sleep) is finished with a wake-up (ipc_finish) instead. Everything that
 * could need more than registers (a handle, a memory item, a time limit,
 * a trace, a signal, a partner not waiting, a kernel call) declines
 * before anything changed, so the general path (endpoint.c) runs it
 * whole; a block woken by a signal goes on in endpoint.c's waits.
 *
 * Invariants:
 *   [x] a decline happens before the first change (the endpoint reference
 *       taken by the lookup is put);
 *   [x] the partner is BUSY (taken under ep->lock, or matched under its
 *       ipc lock) before its message is written, as endpoint.c's rule;
 *   [x] its thread, once taken off its queue, is handed off to or woken
 *       exactly once (block_handoff, or the wake before a general receive).
 * Lock order: endpoint.c's ("endpoint" -> "ipc state" -> a wait queue's
 * lock); the partner's wait-queue lock is taken alone.
 */
#include "kernel/ipc/fastpath.h"

#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/ipc_state.h"
#include "kernel/ipc/message.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/wait.h"

static struct ipc_fastpath_stats stats;

static bool declined(void)
{
	__atomic_fetch_add(&stats.declined, 1, __ATOMIC_RELAXED);
	return false;
}

/* May frame's message take the fast path? Label and words only, no limit, no trace, no signal. */
static bool plain_message(const struct trap_frame *f, const struct process *self)
{
	return (f->rsi & ~(IPC_TAG_LABEL_MASK | IPC_TAG_WORDS_MASK)) == 0 &&
	       IPC_TAG_WORDS(f->rsi) <= IPC_WORDS_MAX && (long)f->r15 == IPC_FOREVER &&
	       !(self->flags & PROCESS_TRACE) && !signal_pending();
}

/* The endpoint handle h names with right, referenced, or NULL. */
static struct endpoint *endpoint_of(struct process *self, uint64_t h, uint32_t right)
{
	struct kobject *o;

	if (handle_lookup_type(&self->handles, (int64_t)h, KOBJECT_ENDPOINT, right, &o) != 0)
		return NULL;
	return endpoint_from_object(o);
}

/* frame's message as delivered (words past its count 0, no handle) into *m, badge pid. */
static void message_from_frame(const struct trap_frame *f, int pid, struct ipc_message *m)
{
	unsigned n = IPC_TAG_WORDS(f->rsi); /* checked <= IPC_WORDS_MAX; past it: 0 */

	m->tag = f->rsi;
	m->words[0] = n > 0 ? f->rdx : 0;
	m->words[1] = n > 1 ? f->r10 : 0;
	m->words[2] = n > 2 ? f->r8 : 0;
	m->words[3] = n > 3 ? f->r9 : 0;
	m->words[4] = n > 4 ? f->r12 : 0;
	m->words[5] = n > 5 ? f->r13 : 0;
	m->handle = 0;
	m->badge = pid;
}

/* p's thread, taken off p's own queue if it sleeps there (BLOCKED, ours to hand off), or NULL. */
static struct thread *take_sleeper(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&p->ipc.wq.lock);
	struct thread *t = wait_queue_take_one_locked(&p->ipc.wq);

	spin_unlock_irqrestore(&p->ipc.wq.lock, flags);
	return t;
}

/* Set BUSY p's result and state (DONE, or the caller's own REPLY_WAIT) under its lock. */
static void state_to(struct process *p, enum ipc_wait_state st, int result)
{
	unsigned long flags = spin_lock_irqsave(&p->ipc.lock);

	p->ipc.result = result;
	__atomic_store_n(&p->ipc.state, st, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&p->ipc.lock, flags);
}

/*
 * Finish the partner p (BUSY, its ipc.msg written): DONE with 0. Its
 * thread t was taken off its queue (then the caller hands off to it) or
 * was not on it (NULL: it runs towards its check, or must be woken).
 */
static void partner_done(struct process *p, struct thread *t)
{
	if (t)
		state_to(p, IPC_DONE, 0); /* nobody else can wake t: no wake-up needed */
	else
		ipc_finish(p, 0);
}

/* Has self's state moved on from `waiting` (neither it nor BUSY)? */
static bool moved(struct process *self, enum ipc_wait_state waiting)
{
	enum ipc_wait_state s = __atomic_load_n(&self->ipc.state, __ATOMIC_ACQUIRE);

	return s != waiting && s != IPC_BUSY;
}

/*
 * Block self in state `waiting` (already set, on its own queue's terms) and
 * give the CPU straight to partner (taken off its queue; NULL: none):
 * an interruptible sleep as endpoint.c's. Returns whether the state moved
 * on (the common end: a partner finished self); false when a signal or
 * something else woke self first (the caller goes on with the general
 * wait). partner is handed off to or woken in every case.
 */
static bool block_handoff(struct process *self, enum ipc_wait_state waiting,
			  struct thread *partner)
{
	struct wait_queue *wq = &self->ipc.wq;

	signal_sleep_begin(wq);
	unsigned long flags = arch_irq_save();
	wait_prepare(wq);
	if (moved(self, waiting) || signal_pending()) {
		wait_cancel(wq);
		if (partner)
			sched_wake_thread(partner);
	} else if (!partner || !sched_handoff(partner)) {
		if (partner)
			sched_wake_thread(partner); /* declined: it runs where it can */
		schedule();
	}
	arch_irq_restore(flags);
	signal_sleep_end();
	return moved(self, waiting);
}

/*
 * The end of a wait that self's partner finished (DONE): IDLE; the result;
 * the message into frame. No lock: only self leaves DONE, and no partner
 * acts on a DONE or IDLE process.
 */
static int collect(struct process *self, struct trap_frame *frame)
{
	int result = self->ipc.result; /* written before DONE was stored (release) */

	__atomic_store_n(&self->ipc.state, IPC_IDLE, __ATOMIC_RELEASE);
	if (result == 0)
		ipc_frame_deliver(frame, &self->ipc.msg);
	return result;
}

/* The general wait's result into frame: rax, and the message when it is 0. */
static bool finish_general(struct trap_frame *frame, int err, const struct ipc_message *m)
{
	if (!err)
		ipc_frame_deliver(frame, m);
	frame->rax = (uint64_t)(long)err;
	return true;
}

bool ipc_fastpath_call(struct trap_frame *frame)
{
	struct process *self = process_current();

	if (!plain_message(frame, self))
		return declined();
	struct endpoint *ep = endpoint_of(self, frame->rdi, HANDLE_RIGHT_SEND);
	if (!ep)
		return declined();
	unsigned long flags = spin_lock_irqsave(&ep->lock);
	if (ep->dead || list_empty(&ep->receivers)) {
		spin_unlock_irqrestore(&ep->lock, flags);
		kobject_put(&ep->ko);
		return declined();
	}
	struct process *r = list_first_entry(&ep->receivers, struct process, ipc.link);
	endpoint_take_locked(ep, r); /* BUSY: it stays blocked until finished */
	ep->messages++;
	ep->calls++;
	ep->last_receiver_pid = r->pid;
	spin_unlock_irqrestore(&ep->lock, flags);
	kobject_put(&ep->ko); /* r and ep are done with each other */
	__atomic_fetch_add(&stats.calls, 1, __ATOMIC_RELAXED);
	r->ipc.messages++;
	message_from_frame(frame, self->pid, &r->ipc.msg);
	/* The call: r owes self the reply (ipc_call_taken's steps, without its wake-ups). */
	flags = spin_lock_irqsave(&self->ipc.lock);
	self->ipc.call_seq++;
	self->ipc.kernel_call = false;
	__atomic_store_n(&self->ipc.state, IPC_REPLY_WAIT, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&self->ipc.lock, flags);
	__atomic_fetch_add(&self->refcount, 1, __ATOMIC_RELAXED); /* r's reply_to */
	r->ipc.reply_to = self;
	r->ipc.reply_seq = self->ipc.call_seq;
	struct thread *rt = take_sleeper(r); /* before it is finished: nobody else wakes it */
	partner_done(r, rt);
	if (block_handoff(self, IPC_REPLY_WAIT, rt)) {
		frame->rax = (uint64_t)(long)collect(self, frame);
		return true;
	}
	struct ipc_message reply;
	int err = ipc_call_wait_reply(self, IPC_NO_DEADLINE, &reply); /* a signal came first */
	return finish_general(frame, err, &reply);
}

bool ipc_fastpath_reply_recv(struct trap_frame *frame)
{
	struct process *self = process_current();
	struct process *c = self->ipc.reply_to;

	if (!c || !plain_message(frame, self))
		return declined();
	struct endpoint *ep = endpoint_of(self, frame->rdi, HANDLE_RIGHT_RECEIVE);
	if (!ep)
		return declined();
	unsigned long flags = spin_lock_irqsave(&c->ipc.lock);
	bool waiting = c->ipc.state == IPC_REPLY_WAIT && c->ipc.call_seq == self->ipc.reply_seq &&
		       !c->ipc.kernel_call;
	if (waiting)
		__atomic_store_n(&c->ipc.state, IPC_BUSY, __ATOMIC_RELEASE); /* ours to finish */
	spin_unlock_irqrestore(&c->ipc.lock, flags);
	if (!waiting) {
		kobject_put(&ep->ko);
		return declined(); /* gone, timed out, or a pager's fault: the general path */
	}
	__atomic_fetch_add(&stats.reply_recvs, 1, __ATOMIC_RELAXED);
	message_from_frame(frame, self->pid, &c->ipc.msg);
	struct thread *ct = take_sleeper(c);
	self->ipc.reply_to = NULL;
	partner_done(c, ct);
	process_put(c); /* reply_to's reference */
	/* The receive: queue on ep when no sender waits (else the general receive takes it). */
	flags = spin_lock_irqsave(&ep->lock);
	bool queue = !ep->dead && list_empty(&ep->senders);
	if (queue) {
		ep->last_receiver_pid = self->pid;
		endpoint_queue_locked(ep, self, &ep->receivers, false, IPC_RECEIVING);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
	struct ipc_message m;
	int err;
	if (!queue) {
		if (ct) {
			flags = arch_irq_save();
			sched_wake_thread(ct);
			arch_irq_restore(flags);
		}
		err = ipc_recv(ep, IPC_NO_DEADLINE, &m);
	} else if (block_handoff(self, IPC_RECEIVING, ct)) {
		kobject_put(&ep->ko);
		frame->rax = (uint64_t)(long)collect(self, frame);
		return true;
	} else {
		err = ipc_recv_wait(self, IPC_NO_DEADLINE, &m); /* a signal came first */
	}
	kobject_put(&ep->ko);
	return finish_general(frame, err, &m);
}

void ipc_fastpath_stats(struct ipc_fastpath_stats *out)
{
	out->calls = __atomic_load_n(&stats.calls, __ATOMIC_RELAXED);
	out->reply_recvs = __atomic_load_n(&stats.reply_recvs, __ATOMIC_RELAXED);
	out->declined = __atomic_load_n(&stats.declined, __ATOMIC_RELAXED);
	out->handoffs = sched_handoff_count();
}
