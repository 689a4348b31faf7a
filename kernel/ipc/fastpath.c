/*
 * fastpath.c - the IPC fast path (see fastpath.h).
 *
 * syscall_entry.asm calls here for call and reply_recv before it turns
 * interrupts on, so the whole path runs with interrupts off: nothing on
 * this CPU can come between its steps, locks need no irqsave, and the
 * CPU goes from the client's system call to the server's return to ring
 * 3 without a trip through the run queues. Its locks are bare
 * (spin_lock_raw) unless the lock validator is on, and the switch is
 * inline (kernel/sched/switch.h). A call that finds its
 * server waiting in receive:
 *
 *   client (running, interrupts off)         server (RECEIVING, its thread
 *   checks: plain tag, no limit, no trace,     switched out on its own queue)
 *     no signal; SEND handle (no lock)
 *   lock ep: the first receiver, its thread
 *     switched out and free to run here?
 *     (claim: off its queue, ours alone)   --->  no waker, signal or timeout
 *     no: decline, nothing changed                reaches it now
 *   receiver BUSY, off ep; unlock ep
 *   its registers = ours (ipc.fast_frame,
 *     or its ipc.msg); it owes
 *     us the reply; we REPLY_WAIT; it DONE
 *   we sleep on our own queue (a signal
 *     finds us there) and switch straight
 *     to its thread                       --->  runs at once on this CPU: its
 *                                                 wait sees DONE, the message
 *                                                 in its registers, sysret
 *
 * reply_recv is the same the other way round: the caller's REPLY_WAIT is
 * matched and its thread claimed under its wait queue's lock, its
 * registers get the reply (message_to), it is DONE; the server queues
 * RECEIVING on the endpoint and hands the CPU to the caller
 * (sched_handoff_claimed, both ways). Whatever is unusual declines before
 * the first change, and the general path (endpoint.c) runs it whole: a
 * handle, a memory item, a time limit, a trace, a signal pending, a
 * partner not waiting or whose thread is still on a CPU (or may not run
 * here, or is outranked here), a kernel call (a pager's fault), a dead
 * endpoint.
 *
 * Invariants:
 *   [x] a decline happens before the first change;
 *   [x] the partner is BUSY (taken under ep->lock) or matched in
 *       REPLY_WAIT (under its queue's lock, see claim_sleeper), and its
 *       thread is claimed, before its message is written: only we write
 *       it, until it is DONE;
 *   [x] a claimed thread is handed off to or woken exactly once
 *       (block_and_switch, or the wake before a general receive);
 *   [x] ipc.fast_frame is set only while we block in this path (set
 *       before a partner can claim us, cleared as soon as we run again);
 *       a partner that claimed us writes either there (in_frame) or msg;
 *   [x] we sleep only on our own queue, registered as interruptible, and
 *       check for a signal after the registration (the sender checks the
 *       registration after marking the signal: one of us sees the other).
 * Lock order: endpoint.c's ("endpoint" -> a wait queue's lock; this path
 * takes no ipc state lock), then a thread's sched_lock inside the
 * handoff, alone.
 */
#include "kernel/ipc/fastpath.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/ipc_state.h"
#include "kernel/ipc/message.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/switch.h"
#include "kernel/sched/wait.h"

static struct ipc_fastpath_stats stats;

/*
 * The path's locks: bare (spin_lock_raw) while the lock validator is off,
 * checked while it is on (spin_lock_hot). Each entry decides once, from
 * lockdep_enabled, and its body is built twice, with `checked` a constant
 * (ipc_fastpath_call, ipc_fastpath_reply_recv). Interrupts are off from
 * syscall_entry.asm's call to the return (fastpath.h's contract), so
 * nothing preempts the path under a bare lock. The one nesting here, an
 * endpoint's lock then a partner's queue lock, is the documented order
 * (ipc_state.h), and the validator checks it in every checked run.
 */
static int declined(void)
{
	__atomic_fetch_add(&stats.declined, 1, __ATOMIC_RELAXED);
	return IPC_FASTPATH_DECLINED;
}

/* May frame's message take the fast path? Label and words only, no limit, no trace, no signal. */
static __always_inline bool plain_message(const struct trap_frame *f, const struct process *self)
{
	return (f->rsi & ~(IPC_TAG_LABEL_MASK | IPC_TAG_WORDS_MASK)) == 0 &&
	       IPC_TAG_WORDS(f->rsi) <= IPC_WORDS_MAX && (long)f->r15 == IPC_FOREVER &&
	       !(self->flags & PROCESS_TRACE) && !signal_pending_in(&self->signals);
}

/*
 * The endpoint handle h of self's table names with right, or NULL. No
 * lock and no reference (handle_peek_own): the handle keeps the endpoint
 * alive until self's own thread closes it, which it cannot do while it is
 * in this system call, blocked here included.
 */
static __always_inline struct endpoint *endpoint_of(struct process *self, uint64_t h, uint32_t right)
{
	struct kobject *o = handle_peek_own(&self->handles, (int64_t)h, KOBJECT_ENDPOINT, right);

	return o ? container_of(o, struct endpoint, ko) : NULL;
}

/*
 * frame's message as delivered (words past its count 0, no handle, badge
 * pid) to p, whose thread we claimed: straight into the registers of its
 * system call when it blocked in this fast path (fast_frame: what
 * ipc_frame_deliver would write there), else into p->ipc.msg.
 */
static __always_inline void message_to(struct process *p, const struct trap_frame *f, int pid)
{
	unsigned n = IPC_TAG_WORDS(f->rsi); /* checked <= IPC_WORDS_MAX; past it: 0 */
	struct trap_frame *to = p->ipc.fast_frame;

	if (likely(to)) {
		to->rdi = (uint64_t)pid;
		to->rsi = f->rsi;
		to->rdx = n > 0 ? f->rdx : 0;
		to->r10 = n > 1 ? f->r10 : 0;
		to->r8 = n > 2 ? f->r8 : 0;
		to->r9 = n > 3 ? f->r9 : 0;
		to->r12 = n > 4 ? f->r12 : 0;
		to->r13 = n > 5 ? f->r13 : 0;
		to->r14 = 0;
		p->ipc.in_frame = true;
		return;
	}
	struct ipc_message *m = &p->ipc.msg;
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

/*
 * Claim p's thread: if it sleeps on p's own queue, switched out, and may
 * run on cpu now (sched_handoff_allowed), take it off the queue, BLOCKED:
 * from here on it is ours alone to hand off to (or wake). NULL when it is
 * still on its way to sleep, on another CPU, or outranked here: then the
 * general path, which wakes partners, must run.
 *
 * A receiver (reply_seq NULL): the caller holds ep->lock, which keeps p
 * RECEIVING. A caller waiting for our reply (*reply_seq: the call_seq we
 * owe it): its REPLY_WAIT for this very call is checked here,
 * under the queue's lock alone (ipc_reply's match, without the ipc lock).
 * That suffices: p's state leaves REPLY_WAIT only by p's own thread (a
 * signal, a timeout, its exit), which must first be woken off this queue,
 * or by the one process owing it this reply, which is us; a stale reply
 * right (an older call_seq) changes nothing.
 */
static __always_inline struct thread *claim_sleeper(struct process *p, unsigned cpu,
						    const uint64_t *reply_seq, bool checked)
{
	struct wait_queue *wq = &p->ipc.wq;
	struct thread *t;

	spin_lock_hot(&wq->lock, checked);
	t = wait_queue_first_locked(wq);
	if (t && sched_handoff_allowed(cpu, t) && /* on_rq clear among its checks */
	    (!reply_seq ||
	     (p->ipc.state == IPC_REPLY_WAIT && p->ipc.call_seq == *reply_seq && !p->ipc.kernel_call)))
		wait_queue_take_locked(wq, t);
	else
		t = NULL;
	spin_unlock_hot(&wq->lock, checked);
	return t;
}

/* Has self's state moved on from `waiting` (neither it nor BUSY)? */
static __always_inline bool moved(struct process *self, enum ipc_wait_state waiting)
{
	enum ipc_wait_state s = __atomic_load_n(&self->ipc.state, __ATOMIC_ACQUIRE);

	return s != waiting && s != IPC_BUSY;
}

/*
 * Block self (its thread me) in state `waiting`, already set, and give
 * the CPU straight to partner, the thread we claimed: an interruptible
 * sleep on self's own queue, as endpoint.c's waits. Returns whether the
 * state moved on (the common end: a partner finished self); false when a
 * signal or something else woke self first (the caller goes on with the
 * general wait). partner is handed off to or woken in every case.
 * Interrupts off.
 */
static __always_inline bool block_and_switch(struct process *self, struct thread *me,
					     enum ipc_wait_state waiting, struct thread *partner,
					     bool checked)
{
	struct wait_queue *wq = &self->ipc.wq;

	/* self->ipc.fast_frame is set: a partner that claims us may write there */
	signal_sleep_begin_in(&self->signals, wq);
	spin_lock_hot(&wq->lock, checked); /* wait_prepare, with the path's lock */
	wait_add_thread_locked(wq, me);
	spin_unlock_hot(&wq->lock, checked);
	if (moved(self, waiting) || signal_pending_in(&self->signals)) {
		wait_cancel(wq);
		sched_wake_thread(partner);
	} else {
		sched_handoff_claimed(partner, checked); /* claim_sleeper checked it may run here */
	}
	signal_sleep_end_in(&self->signals);
	self->ipc.fast_frame = NULL; /* running: nobody claims us; a general wait may follow */
	return moved(self, waiting);
}

/*
 * The end of a wait that self's partner finished (DONE): IDLE; the result
 * in rax, the message in the out registers (a fast-path partner wrote
 * them already: in_frame). No lock: only self leaves DONE, and no partner
 * acts on a DONE or IDLE process.
 */
static __always_inline int collect(struct process *self, struct trap_frame *frame)
{
	int result = self->ipc.result; /* written before DONE was stored (release) */
	bool in_frame = self->ipc.in_frame;

	self->ipc.in_frame = false;
	__atomic_store_n(&self->ipc.state, IPC_IDLE, __ATOMIC_RELEASE);
	frame->rax = (uint64_t)(long)result;
	if (result != 0)
		return IPC_FASTPATH_DONE;
	if (!in_frame)
		ipc_frame_deliver(frame, &self->ipc.msg);
	return signal_nothing_to_deliver(&self->signals) ? IPC_FASTPATH_DONE_QUIET
							 : IPC_FASTPATH_DONE;
}

/* The general wait's result into frame (rax, and the message when 0); interrupts off again. */
static int finish_general(struct trap_frame *frame, int err, const struct ipc_message *m)
{
	interrupts_disable();
	if (!err)
		ipc_frame_deliver(frame, m);
	frame->rax = (uint64_t)(long)err;
	return IPC_FASTPATH_DONE;
}

/* ipc_fastpath_call's body; checked: the validator's locks (a constant). */
static __always_inline int fast_call(struct trap_frame *frame, bool checked)
{
	struct thread *me = thread_current();
	struct process *self = me->process;

	if (!plain_message(frame, self))
		return declined();
	struct endpoint *ep = endpoint_of(self, frame->rdi, HANDLE_RIGHT_SEND);
	if (!ep)
		return declined();
	spin_lock_hot(&ep->lock, checked);
	struct process *r = ep->dead || list_empty(&ep->receivers)
		? NULL : list_first_entry(&ep->receivers, struct process, ipc.link);
	struct thread *rt = r ? claim_sleeper(r, me->cpu, NULL, checked) : NULL;
	if (!rt) {
		spin_unlock_hot(&ep->lock, checked);
		return declined();
	}
	endpoint_take_locked(ep, r); /* BUSY: it stays blocked until finished */
	ep->messages++;
	ep->calls++;
	ep->last_receiver_pid = r->pid;
	spin_unlock_hot(&ep->lock, checked);
	__atomic_fetch_add(&stats.calls, 1, __ATOMIC_RELAXED);
	/*
	 * The transfer, and the call's bookkeeping (ipc_call_taken's, without
	 * its wake-ups). r is BUSY and its thread ours: nobody else reads or
	 * writes its message and reply fields. self is running, so nobody
	 * else changes its state; a server holding an old reply right to
	 * self reads call_seq under self's lock after state: call_seq first.
	 */
	r->ipc.messages++;
	message_to(r, frame, self->pid);
	self->ipc.call_seq++;
	self->ipc.kernel_call = false;
	__atomic_fetch_add(&self->refcount, 1, __ATOMIC_RELAXED); /* r's reply_to */
	r->ipc.reply_to = self;
	r->ipc.reply_seq = self->ipc.call_seq;
	__atomic_store_n(&self->ipc.state, IPC_REPLY_WAIT, __ATOMIC_RELEASE);
	r->ipc.result = 0;
	__atomic_store_n(&r->ipc.state, IPC_DONE, __ATOMIC_RELEASE);
	self->ipc.fast_frame = frame;
	if (block_and_switch(self, me, IPC_REPLY_WAIT, rt, checked))
		return collect(self, frame);
	struct ipc_message reply;
	interrupts_enable();
	int err = ipc_call_wait_reply(self, IPC_NO_DEADLINE, &reply); /* a signal came first */
	return finish_general(frame, err, &reply);
}

/* The two builds of each body: bare locks, and the validator's. */
static __noinline int fast_call_bare(struct trap_frame *frame)
{
	return fast_call(frame, false);
}

static __noinline __attribute__((cold)) int fast_call_checked(struct trap_frame *frame)
{
	return fast_call(frame, true);
}

int ipc_fastpath_call(struct trap_frame *frame)
{
	return unlikely(lockdep_enabled) ? fast_call_checked(frame) : fast_call_bare(frame);
}

/* ipc_fastpath_reply_recv's body; checked as fast_call's. */
static __always_inline int fast_reply_recv(struct trap_frame *frame, bool checked)
{
	struct thread *me = thread_current();
	struct process *self = me->process;
	struct process *c = self->ipc.reply_to;

	if (!c || !plain_message(frame, self))
		return declined();
	struct endpoint *ep = endpoint_of(self, frame->rdi, HANDLE_RIGHT_RECEIVE);
	if (!ep)
		return declined();
	/* The reply: the caller must still wait for this very reply (ipc_reply's match). */
	struct thread *ct = claim_sleeper(c, me->cpu, &self->ipc.reply_seq, checked);
	if (!ct)
		return declined(); /* gone, timed out, a pager's fault, or not switched out */
	message_to(c, frame, self->pid); /* c's thread is ours: nobody else moves c now */
	c->ipc.result = 0;
	__atomic_store_n(&c->ipc.state, IPC_DONE, __ATOMIC_RELEASE);
	__atomic_fetch_add(&stats.reply_recvs, 1, __ATOMIC_RELAXED);
	self->ipc.reply_to = NULL;
	/*
	 * reply_to's reference, dropped inline: it is never the last (c's
	 * thread is blocked, claimed by us, so c cannot have exited).
	 */
	int refs = __atomic_fetch_sub(&c->refcount, 1, __ATOMIC_ACQ_REL);
	ASSERT(refs > 1, "ipc_fastpath_reply_recv: the caller's last reference");
	/* The receive: queue on ep when no sender waits (else the general receive takes it). */
	spin_lock_hot(&ep->lock, checked);
	bool queue = !ep->dead && list_empty(&ep->senders);
	if (queue) {
		self->ipc.fast_frame = frame; /* before a partner can take us */
		ep->last_receiver_pid = self->pid;
		endpoint_queue_locked(ep, self, &ep->receivers, false, IPC_RECEIVING);
	}
	spin_unlock_hot(&ep->lock, checked);
	if (queue && block_and_switch(self, me, IPC_RECEIVING, ct, checked))
		return collect(self, frame);
	struct ipc_message m;
	int err;
	if (!queue) {
		sched_wake_thread(ct); /* the caller runs where it can; we receive the general way */
		interrupts_enable();
		err = ipc_recv(ep, IPC_NO_DEADLINE, &m);
	} else {
		interrupts_enable();
		err = ipc_recv_wait(self, IPC_NO_DEADLINE, &m); /* a signal came first */
	}
	return finish_general(frame, err, &m);
}

static __noinline int fast_reply_recv_bare(struct trap_frame *frame)
{
	return fast_reply_recv(frame, false);
}

static __noinline __attribute__((cold)) int fast_reply_recv_checked(struct trap_frame *frame)
{
	return fast_reply_recv(frame, true);
}

int ipc_fastpath_reply_recv(struct trap_frame *frame)
{
	return unlikely(lockdep_enabled) ? fast_reply_recv_checked(frame)
					 : fast_reply_recv_bare(frame);
}

void ipc_fastpath_stats(struct ipc_fastpath_stats *out)
{
	out->calls = __atomic_load_n(&stats.calls, __ATOMIC_RELAXED);
	out->reply_recvs = __atomic_load_n(&stats.reply_recvs, __ATOMIC_RELAXED);
	out->declined = __atomic_load_n(&stats.declined, __ATOMIC_RELAXED);
	out->handoffs = sched_handoff_count();
}
