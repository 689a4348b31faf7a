/*
 * endpoint.c - rendezvous IPC: send, receive, call, reply (endpoint.h; the
 * states are kernel/ipc/ipc_state.h's).
 *
 * A call, when the server is already waiting in receive:
 *
 *   caller (running)                        server (RECEIVING on ep)
 *   lock ep; take the first receiver  --->  BUSY (stays blocked)
 *   unlock ep; transfer: words, handle,
 *     memory into server's ipc.msg
 *   caller REPLY_WAIT; server owes it
 *     (reply_to); finish server: DONE  --->  wakes, copies ipc.msg to its
 *   sleep on own wq until DONE              registers, returns to ring 3
 *                                           ... serves, then reply:
 *                                    <---   caller BUSY; transfer into
 *   wakes: DONE, reply in ipc.msg           caller's ipc.msg; DONE; wake
 *
 * When the caller comes first it waits SENDING on ep->senders with its
 * message in its ipc.msg, and the receiver does the same steps the other
 * way round. A transfer that fails (a bad handle, an unmappable range)
 * fails the sender's call and changes nothing: the receiver goes back to
 * waiting (first in its queue) or takes the next sender.
 *
 * Waiting (ipc_wait) sleeps on the process's own queue, interruptible,
 * with the deadline as a timeout (kernel/sched/timeout.h);
 * a waiter woken by a signal or its deadline leaves only if it is still
 * in the state it waited in (checked under the locks that guard it):
 * once BUSY it waits, uninterruptibly, for the partner to finish.
 *
 * Invariants:
 *   [x] a process is changed to BUSY only by the one partner that took it
 *       off a queue (under ep->lock) or matched its REPLY_WAIT (under its
 *       ipc lock), and only that partner moves it on (the fast path,
 *       fastpath.c, matches a REPLY_WAIT under the caller's queue lock
 *       instead, with its thread claimed, and moves it straight to DONE);
 *   [x] no lock is held across a transfer (handle_transfer, share_map),
 *       a sleep or an allocation;
 *   [x] every reply_to holds one process reference, put when the reply
 *       is given, dropped by a receive, or at exit.
 * Lock order: "endpoint list" -> "endpoint" -> "ipc state" -> a wait
 * queue's lock; two ipc state locks are never held together.
 */
#include "kernel/ipc/endpoint.h"

#include "kernel/ipc/handle.h"
#include "kernel/ipc/ipc_state.h"
#include "kernel/ipc/message.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/timeout.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/share.h"

static spinlock_t endpoints_lock = SPINLOCK_INIT("endpoint list");
static struct list_node endpoints = LIST_INIT(endpoints);
static uint64_t next_endpoint_id = 1;

/* ---- The object ---- */

static void endpoint_destroy(struct kobject *o)
{
	struct endpoint *ep = endpoint_from_object(o);

	ASSERT(list_empty(&ep->senders) && list_empty(&ep->receivers),
	       "endpoint_destroy: processes still wait on it");
	unsigned long flags = spin_lock_irqsave(&endpoints_lock);
	list_remove(&ep->all);
	spin_unlock_irqrestore(&endpoints_lock, flags);
	kfree(ep);
}

/* A handle with RECEIVE appeared: under a handle table's lock, atomics only. */
static void endpoint_handle_opened(struct kobject *o, uint32_t rights)
{
	if (rights & HANDLE_RIGHT_RECEIVE)
		__atomic_fetch_add(&endpoint_from_object(o)->receive_handles, 1, __ATOMIC_RELAXED);
}

/* Fail every process waiting on ep with -EPIPE and mark it dead. */
static void endpoint_kill(struct endpoint *ep)
{
	struct process *failed[2 * PROCESS_MAX];
	unsigned n = 0;

	unsigned long flags = spin_lock_irqsave(&ep->lock);
	ep->dead = true;
	struct list_node *queues[2] = {&ep->senders, &ep->receivers};
	for (unsigned q = 0; q < 2; q++) {
		while (!list_empty(queues[q]) && n < ARRAY_SIZE(failed)) {
			struct process *p = list_first_entry(queues[q], struct process, ipc.link);
			endpoint_take_locked(ep, p);
			failed[n++] = p;
		}
	}
	spin_unlock_irqrestore(&ep->lock, flags);
	for (unsigned i = 0; i < n; i++)
		ipc_finish(failed[i], -EPIPE); /* each was BUSY: alive until finished */
}

/* A handle with RECEIVE went: the last one kills the endpoint. No table lock held. */
static void endpoint_handle_closed(struct kobject *o, uint32_t rights)
{
	struct endpoint *ep = endpoint_from_object(o);

	if (!(rights & HANDLE_RIGHT_RECEIVE))
		return;
	unsigned old = __atomic_fetch_sub(&ep->receive_handles, 1, __ATOMIC_ACQ_REL);
	ASSERT(old > 0, "endpoint_handle_closed: more RECEIVE handles closed than opened");
	if (old == 1)
		endpoint_kill(ep);
}

static const struct kobject_ops endpoint_ops = {
	.type = KOBJECT_ENDPOINT,
	.destroy = endpoint_destroy,
	.handle_opened = endpoint_handle_opened,
	.handle_closed = endpoint_handle_closed,
};

struct endpoint *endpoint_from_object(struct kobject *o)
{
	ASSERT(o && o->type == KOBJECT_ENDPOINT, "endpoint_from_object: not an endpoint");
	return container_of(o, struct endpoint, ko);
}

struct endpoint *endpoint_create(void)
{
	struct endpoint *ep = kmalloc(sizeof(*ep), KM_ZERO);
	if (!ep)
		return NULL;
	kobject_init(&ep->ko, &endpoint_ops);
	spin_lock_init(&ep->lock, "endpoint");
	list_init(&ep->senders);
	list_init(&ep->receivers);
	struct process *self = process_current();
	ep->creator_pid = self ? self->pid : 0;
	unsigned long flags = spin_lock_irqsave(&endpoints_lock);
	ep->id = next_endpoint_id++;
	list_add_tail(&endpoints, &ep->all);
	spin_unlock_irqrestore(&endpoints_lock, flags);
	return ep;
}

/* Up to 4 pids of a queue, and its length. ep->lock held. */
static unsigned queue_pids(struct list_node *q, int pids[4])
{
	unsigned n = 0;
	struct process *p;
	list_for_each_entry(p, q, ipc.link) {
		if (n < 4)
			pids[n] = p->pid;
		n++;
	}
	return n;
}

unsigned endpoint_list(struct endpoint_info *out, unsigned max)
{
	unsigned n = 0;
	struct endpoint *ep;
	unsigned long flags = spin_lock_irqsave(&endpoints_lock);
	list_for_each_entry(ep, &endpoints, all) {
		if (n < max) {
			struct endpoint_info *i = &out[n];
			memset(i, 0, sizeof(*i));
			spin_lock(&ep->lock);
			i->id = ep->id;
			i->creator_pid = ep->creator_pid;
			i->refs = kobject_refcount(&ep->ko);
			i->receive_handles = __atomic_load_n(&ep->receive_handles, __ATOMIC_RELAXED);
			i->dead = ep->dead;
			i->senders_waiting = queue_pids(&ep->senders, i->sender_pids);
			i->receivers_waiting = queue_pids(&ep->receivers, i->receiver_pids);
			i->messages = ep->messages;
			i->calls = ep->calls;
			spin_unlock(&ep->lock);
		}
		n++;
	}
	spin_unlock_irqrestore(&endpoints_lock, flags);
	return n;
}

/* ---- States ---- */

static enum ipc_wait_state state_of(struct process *p)
{
	return __atomic_load_n(&p->ipc.state, __ATOMIC_ACQUIRE);
}

static void state_set(struct process *p, enum ipc_wait_state s)
{
	__atomic_store_n(&p->ipc.state, s, __ATOMIC_RELEASE);
}

/* p (the caller or BUSY, on no queue) moves to state st; it is woken to re-check. */
static void state_move(struct process *p, enum ipc_wait_state st)
{
	unsigned long flags = spin_lock_irqsave(&p->ipc.lock);
	state_set(p, st);
	spin_unlock_irqrestore(&p->ipc.lock, flags);
	wait_queue_wake_all(&p->ipc.wq);
}

void ipc_finish(struct process *p, int result)
{
	unsigned long flags = spin_lock_irqsave(&p->ipc.lock);
	ASSERT(p->ipc.state == IPC_BUSY, "ipc_finish: the process is not BUSY");
	p->ipc.result = result;
	state_set(p, IPC_DONE);
	spin_unlock_irqrestore(&p->ipc.lock, flags);
	wait_queue_wake_all(&p->ipc.wq);
}

void ipc_call_taken(struct process *caller, struct process *r)
{
	__atomic_fetch_add(&caller->refcount, 1, __ATOMIC_RELAXED); /* r's reply_to */
	r->ipc.reply_to = caller;
	r->ipc.reply_seq = caller->ipc.call_seq;
	state_move(caller, IPC_REPLY_WAIT); /* a caller that slept SENDING moves on */
	ipc_finish(r, 0);
}

/* ---- Sleeping ---- */

uint64_t ipc_deadline(long timeout_ms)
{
	if (timeout_ms < 0)
		return IPC_NO_DEADLINE;
	if (timeout_ms == 0)
		return 0;
	return timer_ticks() + sched_ms_to_ticks((uint64_t)timeout_ms);
}

int ipc_wait(struct wait_queue *wq, bool (*ready)(void *arg), void *arg, bool interruptible,
	     uint64_t deadline)
{
	int result = 0;

	signal_sleep_begin(wq);
	for (;;) {
		if (ready(arg))
			break;
		if (interruptible && signal_pending()) {
			result = -EINTR;
			break;
		}
		uint64_t now = timer_ticks();
		if (deadline != IPC_NO_DEADLINE && now >= deadline) {
			result = -ETIMEDOUT;
			break;
		}
		/* Woken by a partner, a signal or the deadline's timeout: the loop decides. */
		(void)wait_event_timeout(wq, ready(arg) || (interruptible && signal_pending()),
					 deadline == IPC_NO_DEADLINE ? UINT64_MAX : deadline - now);
	}
	signal_sleep_end();
	return result;
}

struct state_wait {
	struct process *p;
	enum ipc_wait_state waiting; /* ready once the state is neither this nor BUSY */
};

static bool state_moved(void *arg)
{
	struct state_wait *w = arg;
	enum ipc_wait_state s = state_of(w->p);
	return s != w->waiting && s != IPC_BUSY;
}

static bool state_not_busy(void *arg)
{
	return state_of(arg) != IPC_BUSY;
}

/*
 * Try to leave a wait in state `waiting` (a signal, the deadline): under
 * ep->lock (the queued states) and self's lock, leave if still in it.
 * Returns true when self left (IDLE). A partner that refused a transfer
 * may have queued self again meanwhile: ep is re-read, then checked under
 * the locks.
 */
static bool wait_leave(struct process *self, enum ipc_wait_state waiting)
{
	unsigned long flags;
	bool left = false;

	if (waiting == IPC_REPLY_WAIT) {
		flags = spin_lock_irqsave(&self->ipc.lock);
		if (self->ipc.state == waiting) {
			state_set(self, IPC_IDLE);
			left = true;
		}
		spin_unlock_irqrestore(&self->ipc.lock, flags);
		return left;
	}
	struct endpoint *ep = __atomic_load_n(&self->ipc.ep, __ATOMIC_ACQUIRE);
	if (!ep)
		return false; /* taken off its queue: BUSY or beyond */
	flags = spin_lock_irqsave(&ep->lock);
	spin_lock(&self->ipc.lock);
	if (self->ipc.state == waiting && self->ipc.ep == ep) {
		list_remove(&self->ipc.link);
		self->ipc.ep = NULL;
		state_set(self, IPC_IDLE);
		left = true;
	}
	spin_unlock(&self->ipc.lock);
	spin_unlock_irqrestore(&ep->lock, flags);
	return left;
}

/*
 * Wait in state `waiting` until a partner moves self on. Returns 0 (the
 * state moved: DONE or REPLY_WAIT), or -EINTR / -ETIMEDOUT (self left:
 * IDLE).
 */
static int wait_moved(struct process *self, enum ipc_wait_state waiting, uint64_t deadline)
{
	struct state_wait w = {self, waiting};

	for (;;) {
		int err = ipc_wait(&self->ipc.wq, state_moved, &w, true, deadline);
		if (err == 0)
			return 0;
		if (wait_leave(self, waiting))
			return err;
		/* Taken meanwhile: BUSY waits, uninterruptibly, for the partner to finish. */
		(void)ipc_wait(&self->ipc.wq, state_not_busy, self, false, IPC_NO_DEADLINE);
		if (state_moved(&w))
			return 0;
	}
}

/* The end of a wait that reached DONE: IDLE again; the partner's result. */
static int wait_collect(struct process *self)
{
	unsigned long flags = spin_lock_irqsave(&self->ipc.lock);
	ASSERT(self->ipc.state == IPC_DONE, "wait_collect: not DONE");
	int result = self->ipc.result;
	state_set(self, IPC_IDLE);
	spin_unlock_irqrestore(&self->ipc.lock, flags);
	return result;
}

/* ---- The transfer ---- */

/*
 * Move m (from's message; its handle a number in from's table) to to:
 * *out gets the message as delivered. from and to are the calling thread
 * and a BUSY process (either way round). The handle is checked before the
 * memory item moves, so once memory moved the handle cannot fail. Returns
 * 0 or -errno (nothing moved).
 */
static int ipc_transfer(struct process *from, const struct ipc_message *m, bool kernel,
			struct process *to, struct ipc_message *out)
{
	struct ipc_message d;

	d.tag = m->tag;
	ipc_words_deliver(m->tag, m->words, d.words);
	d.handle = 0;
	d.badge = kernel ? 0 : from->pid;
	if (!kernel && (m->tag & IPC_TAG_HANDLE)) {
		struct kobject *o;
		int err = handle_lookup(&from->handles, (int)m->handle, HANDLE_RIGHT_TRANSFER, &o, NULL);
		if (err)
			return err;
		kobject_put(o);
		if (handle_table_count(&to->handles) >= HANDLE_TABLE_SLOTS)
			return -EMFILE;
	}
	if (!kernel && ipc_tag_has_memory(m->tag)) {
		unsigned flags = m->tag & IPC_TAG_WRITE ? SHARE_WRITE : 0;
		virt_addr_t at = 0;
		int err = m->tag & IPC_TAG_MAP
			? share_map(&from->space, m->words[4], m->words[5], flags, &to->space, &at)
			: share_grant(&from->space, m->words[4], m->words[5], flags, &to->space, &at);
		if (err)
			return err;
		d.words[4] = at;
		d.words[5] = m->words[5];
	}
	if (!kernel && (m->tag & IPC_TAG_HANDLE)) {
		int h = (int)m->handle, moved;
		int err = handle_transfer(&from->handles, &h, 1, &to->handles, &moved);
		if (err)
			return err; /* cannot happen after the checks above (both tables are still) */
		d.handle = moved;
	}
	*out = d;
	return 0;
}

/* ---- Send and call ---- */

int ipc_call_wait_reply(struct process *self, uint64_t deadline, struct ipc_message *reply)
{
	/* A call with timeout 0 only refuses to wait for a receiver: its reply is waited for. */
	int err = wait_moved(self, IPC_REPLY_WAIT, deadline == 0 ? IPC_NO_DEADLINE : deadline);
	if (err)
		return err; /* detached: the server's reply gets -EPIPE */
	err = wait_collect(self);
	if (!err)
		*reply = self->ipc.msg;
	return err;
}

int ipc_send(struct endpoint *ep, struct ipc_message *msg, bool call, bool kernel,
	     uint64_t deadline, struct ipc_message *reply)
{
	struct process *self = process_current();
	int err;

	ASSERT(self != NULL, "ipc_send: not a process's thread");
	ASSERT(!kernel || call, "ipc_send: the kernel only calls");
	unsigned long f = spin_lock_irqsave(&self->ipc.lock);
	self->ipc.call_seq += call;
	self->ipc.kernel_call = kernel;
	spin_unlock_irqrestore(&self->ipc.lock, f);
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&ep->lock);
		if (ep->dead) {
			spin_unlock_irqrestore(&ep->lock, flags);
			return -EPIPE;
		}
		if (list_empty(&ep->receivers)) {
			if (deadline == 0) {
				spin_unlock_irqrestore(&ep->lock, flags);
				return -ETIMEDOUT;
			}
			/* Nobody waits: queue with the message and sleep. */
			self->ipc.msg = *msg;
			self->ipc.msg.badge = kernel ? 0 : self->pid;
			self->ipc.is_call = call;
			endpoint_queue_locked(ep, self, &ep->senders, false, IPC_SENDING);
			spin_unlock_irqrestore(&ep->lock, flags);
			err = wait_moved(self, IPC_SENDING, deadline);
			if (err)
				return err;
			/*
			 * Taken (a call then waits for, or already got, its reply), refused,
			 * or ep died: DONE with the error, which the reply wait collects too.
			 */
			if (call)
				return ipc_call_wait_reply(self, deadline, reply);
			return wait_collect(self);
		}
		/* A receiver waits: take it and transfer. */
		struct process *r = list_first_entry(&ep->receivers, struct process, ipc.link);
		endpoint_take_locked(ep, r);
		spin_unlock_irqrestore(&ep->lock, flags);
		err = ipc_transfer(self, msg, kernel, r, &r->ipc.msg);
		if (err) {
			/* Refused: the receiver waits again, first in line. */
			flags = spin_lock_irqsave(&ep->lock);
			endpoint_queue_locked(ep, r, &ep->receivers, true, IPC_RECEIVING);
			spin_unlock_irqrestore(&ep->lock, flags);
			wait_queue_wake_all(&r->ipc.wq); /* it re-checks its signals and deadline */
			return err;
		}
		flags = spin_lock_irqsave(&ep->lock);
		ep->messages++;
		ep->calls += call;
		ep->last_receiver_pid = r->pid;
		spin_unlock_irqrestore(&ep->lock, flags);
		r->ipc.messages++;
		if (!call) {
			ipc_finish(r, 0);
			return 0;
		}
		ipc_call_taken(self, r);
		return ipc_call_wait_reply(self, deadline, reply);
	}
}

/* ---- Receive ---- */

/* Fail the caller self owes a reply (-EPIPE) and forget it. */
static void reply_drop(struct process *self)
{
	struct process *c = self->ipc.reply_to;
	if (!c)
		return;
	self->ipc.reply_to = NULL;
	unsigned long flags = spin_lock_irqsave(&c->ipc.lock);
	bool fail = c->ipc.state == IPC_REPLY_WAIT && c->ipc.call_seq == self->ipc.reply_seq;
	if (fail) {
		c->ipc.result = -EPIPE;
		state_set(c, IPC_DONE);
	}
	spin_unlock_irqrestore(&c->ipc.lock, flags);
	if (fail)
		wait_queue_wake_all(&c->ipc.wq);
	process_put(c);
}

int ipc_recv_wait(struct process *self, uint64_t deadline, struct ipc_message *out)
{
	int err = wait_moved(self, IPC_RECEIVING, deadline);
	if (err)
		return err;
	err = wait_collect(self); /* the sender set reply_to for a call */
	if (!err)
		*out = self->ipc.msg;
	return err;
}

int ipc_recv(struct endpoint *ep, uint64_t deadline, struct ipc_message *out)
{
	struct process *self = process_current();

	ASSERT(self != NULL, "ipc_recv: not a process's thread");
	reply_drop(self); /* one pending reply per process */
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&ep->lock);
		if (ep->dead) {
			spin_unlock_irqrestore(&ep->lock, flags);
			return -EPIPE;
		}
		ep->last_receiver_pid = self->pid;
		if (list_empty(&ep->senders)) {
			if (deadline == 0) {
				spin_unlock_irqrestore(&ep->lock, flags);
				return -ETIMEDOUT;
			}
			endpoint_queue_locked(ep, self, &ep->receivers, false, IPC_RECEIVING);
			spin_unlock_irqrestore(&ep->lock, flags);
			return ipc_recv_wait(self, deadline, out);
		}
		/* A sender waits: take it and transfer its message to self. */
		struct process *s = list_first_entry(&ep->senders, struct process, ipc.link);
		endpoint_take_locked(ep, s);
		spin_unlock_irqrestore(&ep->lock, flags);
		bool call = s->ipc.is_call;
		int err = ipc_transfer(s, &s->ipc.msg, s->ipc.msg.badge == 0, self, out);
		if (err) {
			ipc_finish(s, err); /* its send fails, nothing moved; try the next */
			continue;
		}
		flags = spin_lock_irqsave(&ep->lock);
		ep->messages++;
		ep->calls += call;
		spin_unlock_irqrestore(&ep->lock, flags);
		self->ipc.messages++;
		if (!call) {
			ipc_finish(s, 0);
			return 0;
		}
		/* s now waits for self's reply. */
		__atomic_fetch_add(&s->refcount, 1, __ATOMIC_RELAXED);
		self->ipc.reply_to = s;
		self->ipc.reply_seq = s->ipc.call_seq;
		state_move(s, IPC_REPLY_WAIT);
		return 0;
	}
}

/* ---- Reply ---- */

/*
 * The reply m of a kernel call (a pager's answer) to c: a MAP of one page
 * goes to c's map_at, nothing else moves (a handle or a grant stays with
 * the server). Returns c's result (0 mapped, -EFAULT not) and in
 * *server_err what the server's reply returns (share_map's error, or
 * -EINVAL for a handle or a grant).
 */
static int reply_to_kernel(struct process *self, const struct ipc_message *m, struct process *c,
			   int *server_err)
{
	*server_err = 0;
	c->ipc.msg.tag = m->tag;
	ipc_words_deliver(m->tag, m->words, c->ipc.msg.words);
	c->ipc.msg.handle = 0;
	c->ipc.msg.badge = self->pid;
	if (m->tag & (IPC_TAG_HANDLE | IPC_TAG_GRANT)) {
		*server_err = -EINVAL;
		return -EFAULT;
	}
	if (!(m->tag & IPC_TAG_MAP) || m->words[5] != PAGE_SIZE)
		return -EFAULT; /* an error reply: the fault fails */
	virt_addr_t at = c->ipc.map_at;
	unsigned flags = SHARE_FIXED | SHARE_PAGER |
			 ((m->tag & IPC_TAG_WRITE) && c->ipc.map_write ? SHARE_WRITE : 0);
	int err = share_map(&self->space, m->words[4], PAGE_SIZE, flags, c->ipc.map_into, &at);
	*server_err = err;
	return err ? -EFAULT : 0;
}

int ipc_reply(struct ipc_message *msg)
{
	struct process *self = process_current();
	struct process *c = self->ipc.reply_to;

	if (!c)
		return -ESRCH;
	unsigned long flags = spin_lock_irqsave(&c->ipc.lock);
	bool waiting = c->ipc.state == IPC_REPLY_WAIT && c->ipc.call_seq == self->ipc.reply_seq;
	if (waiting)
		state_set(c, IPC_BUSY);
	spin_unlock_irqrestore(&c->ipc.lock, flags);
	if (!waiting) {
		self->ipc.reply_to = NULL;
		process_put(c);
		return -EPIPE; /* it timed out, was interrupted or died */
	}
	int result = 0, err;
	if (c->ipc.kernel_call) {
		result = reply_to_kernel(self, msg, c, &err);
	} else {
		err = ipc_transfer(self, msg, false, c, &c->ipc.msg);
		if (err) {
			/* Refused: the caller waits on (re-checking its signals and deadline). */
			state_move(c, IPC_REPLY_WAIT);
			return err;
		}
	}
	self->ipc.reply_to = NULL;
	ipc_finish(c, result);
	process_put(c);
	return err;
}

/* ---- The state's life ---- */

void ipc_state_init(struct ipc_state *s)
{
	memset(s, 0, sizeof(*s));
	spin_lock_init(&s->lock, "ipc state");
	wait_queue_init(&s->wq, "ipc");
	list_init(&s->link);
	s->state = IPC_IDLE;
}

void ipc_process_exit(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&p->ipc.lock);
	ASSERT(p->ipc.state == IPC_IDLE || p->ipc.state == IPC_DONE,
	       "ipc_process_exit: the process exits in the middle of an IPC");
	state_set(p, IPC_EXITED);
	spin_unlock_irqrestore(&p->ipc.lock, flags);
	reply_drop(p); /* its caller gets -EPIPE */
}
