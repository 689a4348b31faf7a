/*
 * ipc.c - the IPC core as the rest of the kernel uses it (ipc.h): the
 * kernel's calls on behalf of a faulting process (pagers), the name
 * server's endpoint and the handles programs get to it.
 *
 * A kernel call is an ordinary call (endpoint.c) made by the faulting
 * process's own thread with badge 0 and no handle or memory item; its
 * ipc_state remembers where a one-page MAP reply goes (map_into, map_at),
 * and the server's reply maps it there during the reply's transfer
 * (endpoint.c's reply_to_kernel), while the faulting process is BUSY.
 *
 * The name server's endpoint is made once at boot (ipc_init) and the
 * kernel keeps its reference for ever. A program started by the kernel
 * (process_spawn with no parent: the shell, init) gets a handle to it
 * (ipc_nameserver_install); the name server program itself is started
 * by ipc_spawn_nameserver with RECEIVE, which returns once it waits for
 * its first message (process_settle): its start-up pages are taken
 * before the prompt, not under the shell's first measurements.
 *
 * Invariants:
 *   [x] nameserver_ep is set once, before the first process_spawn, and
 *       never freed.
 * Context: process context, interrupts on. Lock order: takes none itself.
 */
#include "kernel/ipc/ipc.h"

#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/ipc_state.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"
#include "lib/panic.h"

static struct endpoint *nameserver_ep;

int ipc_kernel_call(struct endpoint *ep, struct ipc_message *msg, long timeout_ms,
		    struct user_space *map_into, virt_addr_t map_at, bool write_allowed,
		    struct ipc_message *reply)
{
	struct process *self = process_current();

	ASSERT(self != NULL, "ipc_kernel_call: not a process's thread");
	/* The faulting process serves ep itself: it would wait for itself. */
	if (__atomic_load_n(&ep->last_receiver_pid, __ATOMIC_RELAXED) == self->pid)
		return -EDEADLK;
	/*
	 * A fault may come in the middle of this process's own call (a user
	 * copy in a transfer): its call's kind is put back afterwards, so that
	 * call's reply is taken as a process's, not as a pager's.
	 */
	bool outer_kernel_call = self->ipc.kernel_call;
	self->ipc.map_into = map_into;
	self->ipc.map_at = map_at;
	self->ipc.map_write = write_allowed;
	struct ipc_message m = *msg;
	m.tag &= ~(uint64_t)(IPC_TAG_HANDLE | IPC_TAG_MAP | IPC_TAG_GRANT | IPC_TAG_WRITE);
	m.handle = 0;
	m.badge = 0;
	struct ipc_message r = {0};
	int err = ipc_send(ep, &m, true, true, ipc_deadline(timeout_ms), &r);
	self->ipc.kernel_call = outer_kernel_call;
	if (err == 0 || err == -EFAULT)
		*reply = r;
	return err;
}

int ipc_init(void)
{
	ASSERT(nameserver_ep == NULL, "ipc_init: called twice");
	nameserver_ep = endpoint_create();
	return nameserver_ep ? 0 : -ENOMEM;
}

struct endpoint *ipc_nameserver_endpoint(void)
{
	return nameserver_ep;
}

int ipc_nameserver_install(struct handle_table *t, bool server)
{
	if (!nameserver_ep)
		return 0;
	uint32_t rights = server ? IPC_RIGHT_RECEIVE | IPC_RIGHT_SEND | IPC_RIGHT_DUPLICATE
				 : IPC_RIGHT_SEND | IPC_RIGHT_DUPLICATE | IPC_RIGHT_TRANSFER;
	kobject_get(&nameserver_ep->ko);
	int h = handle_install(t, &nameserver_ep->ko, rights);
	if (h < 0) {
		kobject_put(&nameserver_ep->ko);
		return 0;
	}
	return h;
}

int ipc_nameserver_handle(struct process *p)
{
	struct kobject *o;
	int h = p->ipc.nameserver_handle;

	if (h <= 0 || handle_lookup(&p->handles, h, 0, &o, NULL) != 0)
		return 0;
	kobject_put(o);
	return h;
}

/* The name server has settled: queued for its first message (it allocates no more). */
static bool nameserver_settled(struct process *p)
{
	return __atomic_load_n(&p->ipc.state, __ATOMIC_ACQUIRE) == IPC_RECEIVING;
}

int ipc_spawn_nameserver(void)
{
	const char *const argv[] = {"nameserver", NULL};
	struct process *p;
	char why[80];

	if (!nameserver_ep)
		return -ENOENT;
	int err = process_spawn("nameserver", argv, PROCESS_BACKGROUND | PROCESS_NAMESERVER, &p, why,
				sizeof(why));
	if (err)
		return err;
	process_settle(p, nameserver_settled);
	process_put(p);
	return 0;
}
