/*
 * sys_ipc.c - the IPC system calls (sys_ipc.h): registers in, the core
 * (kernel/ipc/endpoint.c, notification.c, handle.c), registers out.
 *
 * Each message call reads the register map of ipc_abi.h from the frame
 * into a struct ipc_message (rsi tag, rdx r10 r8 r9 r12 r13 words, r14
 * handle, r15 timeout), checks the tag (message.c: -EINVAL), looks the
 * endpoint handle up with the right it needs (SEND, RECEIVE: -EBADF,
 * -EPERM), and on success writes what came back into the out registers
 * (rdi badge, rsi tag, the words, r14 handle). A failed call leaves
 * every register but rax as it was. call and reply_recv come here only
 * when the fast path (kernel/ipc/fastpath.h), which syscall_entry.asm
 * offers them to first, declined them.
 *
 * Invariants:
 *   [x] every object reference taken by a lookup is put before return;
 *   [x] only the calling process's own frame is read or written here.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_ipc.h"

#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/message.h"
#include "kernel/ipc/notification.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"

/* The message of the frame's registers. */
static void frame_message(const struct trap_frame *f, struct ipc_message *m)
{
	m->tag = f->rsi;
	m->words[0] = f->rdx;
	m->words[1] = f->r10;
	m->words[2] = f->r8;
	m->words[3] = f->r9;
	m->words[4] = f->r12;
	m->words[5] = f->r13;
	m->handle = (int64_t)f->r14;
	m->badge = 0;
}

/* The endpoint handle h names with right, referenced (*out), or -errno. */
static int endpoint_lookup(int64_t h, uint32_t right, struct endpoint **out)
{
	struct kobject *o;
	int err = handle_lookup_type(&process_current()->handles, h, KOBJECT_ENDPOINT, right, &o);
	if (!err)
		*out = endpoint_from_object(o);
	return err;
}

/* The notification h names with right, referenced (*out), or -errno. */
static int notification_lookup(int64_t h, uint32_t right, struct notification **out)
{
	struct kobject *o;
	int err = handle_lookup_type(&process_current()->handles, h, KOBJECT_NOTIFICATION, right,
				     &o);
	if (!err)
		*out = notification_from_object(o);
	return err;
}

/* Install a new object's only reference in the caller's table with every right. */
static long install_new(struct kobject *o)
{
	int h = handle_install(&process_current()->handles, o, HANDLE_RIGHTS_ALL);
	if (h < 0)
		kobject_put(o); /* destroys it */
	return h;
}

long sys_ipc_endpoint_create(struct trap_frame *frame)
{
	(void)frame;
	struct endpoint *ep = endpoint_create();
	return ep ? install_new(&ep->ko) : -ENOMEM;
}

long sys_ipc_notification_create(struct trap_frame *frame)
{
	(void)frame;
	struct notification *n = notification_create();
	return n ? install_new(&n->ko) : -ENOMEM;
}

/* send (call: false) and call (true). */
static long send_or_call(struct trap_frame *frame, bool call)
{
	struct ipc_message m, reply = {0}; /* nothing of the kernel's stack leaks out */
	struct endpoint *ep;

	frame_message(frame, &m);
	int err = ipc_tag_check(m.tag, m.handle);
	if (!err)
		err = endpoint_lookup((int64_t)frame->rdi, HANDLE_RIGHT_SEND, &ep);
	if (err)
		return err;
	err = ipc_send(ep, &m, call, false, ipc_deadline((long)frame->r15), &reply);
	kobject_put(&ep->ko);
	if (!err && call)
		ipc_frame_deliver(frame, &reply);
	return err;
}

long sys_ipc_send(struct trap_frame *frame)
{
	return send_or_call(frame, false);
}

long sys_ipc_call(struct trap_frame *frame)
{
	return send_or_call(frame, true);
}

/* Receive on the endpoint of rdi into the frame. */
static long recv_into(struct trap_frame *frame)
{
	struct ipc_message m = {0};
	struct endpoint *ep;

	int err = endpoint_lookup((int64_t)frame->rdi, HANDLE_RIGHT_RECEIVE, &ep);
	if (err)
		return err;
	err = ipc_recv(ep, ipc_deadline((long)frame->r15), &m);
	kobject_put(&ep->ko);
	if (!err)
		ipc_frame_deliver(frame, &m);
	return err;
}

long sys_ipc_recv(struct trap_frame *frame)
{
	return recv_into(frame);
}

/* The reply of the frame's registers. */
static long reply_from(struct trap_frame *frame)
{
	struct ipc_message m;

	frame_message(frame, &m);
	int err = ipc_tag_check(m.tag, m.handle);
	return err ? err : ipc_reply(&m);
}

long sys_ipc_reply(struct trap_frame *frame)
{
	return reply_from(frame);
}

/*
 * reply, then receive. A reply nobody waits for any more (-EPIPE: the
 * caller went) or with nobody to answer (-ESRCH) is dropped and the
 * receive goes on, as seL4's ReplyRecv: a server loop survives its
 * clients dying. Any other reply error returns at once (nothing received).
 */
long sys_ipc_reply_recv(struct trap_frame *frame)
{
	long err = reply_from(frame);
	if (err && err != -EPIPE && err != -ESRCH)
		return err;
	return recv_into(frame);
}

long sys_ipc_notify(struct trap_frame *frame)
{
	struct notification *n;

	int err = notification_lookup((int64_t)frame->rdi, HANDLE_RIGHT_SEND, &n);
	if (err)
		return err;
	notification_signal(n, frame->rsi);
	kobject_put(&n->ko);
	return 0;
}

long sys_ipc_notify_wait(struct trap_frame *frame)
{
	struct notification *n;
	uint64_t bits = 0;

	int err = notification_lookup((int64_t)frame->rdi, HANDLE_RIGHT_RECEIVE, &n);
	if (err)
		return err;
	err = notification_wait(n, ipc_deadline((long)frame->r15), &bits);
	kobject_put(&n->ko);
	if (!err)
		frame->rsi = bits;
	return err;
}

long sys_handle_duplicate(struct trap_frame *frame)
{
	int64_t h = (int64_t)frame->rdi;
	uint64_t rights = frame->rsi;

	if (h <= 0 || h > INT32_MAX)
		return -EBADF;
	if (rights & ~(uint64_t)HANDLE_RIGHTS_ALL)
		return -EINVAL;
	return handle_duplicate(&process_current()->handles, (int)h, (uint32_t)rights);
}

long sys_handle_close(struct trap_frame *frame)
{
	int64_t h = (int64_t)frame->rdi;

	if (h <= 0 || h > INT32_MAX)
		return -EBADF;
	return handle_close(&process_current()->handles, (int)h);
}

long sys_handle_info(struct trap_frame *frame)
{
	int64_t h = (int64_t)frame->rdi;
	struct kobject *o;
	uint32_t rights;

	if (h <= 0 || h > INT32_MAX)
		return -EBADF;
	int err = handle_lookup(&process_current()->handles, (int)h, 0, &o, &rights);
	if (err)
		return err;
	long info = (long)o->type << 8 | rights;
	kobject_put(o);
	return info;
}
