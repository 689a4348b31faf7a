/*
 * ipc.h - the IPC core as the rest of the kernel uses it: the kernel's own
 * calls to an endpoint (pagers), the name server's endpoint, and what the
 * shell shows.
 *
 * The core: kernel/ipc/endpoint.c (rendezvous: send, receive, call,
 * reply), notification.c (asynchronous bits), message.c (tag rules),
 * handle.c (the per-process table), ipc.c (this header's functions), the
 * per-process state ipc_state.h; the system calls are in
 * kernel/syscall/sys_ipc.c; the ABI in user/include/pagoda/ipc_abi.h;
 * docs/ipc.md tells the whole story.
 *
 * Invariants:
 *   [x] the name server's endpoint lives from ipc_init to the end.
 * Context: process context, interrupts on, no lock held, unless a
 * function says otherwise.
 */
#ifndef KERNEL_IPC_IPC_H
#define KERNEL_IPC_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"
#include "user/include/pagoda/ipc_abi.h"

struct endpoint;
struct process;
struct user_space;
struct kobject;

/* A message inside the kernel: the registers of the register map. */
struct ipc_message {
	uint64_t tag;                     /* IPC_TAG(label, words) | IPC_TAG_* */
	uint64_t words[IPC_WORDS_MAX];
	int64_t handle;                   /* IPC_TAG_HANDLE: the handle moved */
	int64_t badge;                    /* the sender's pid; 0 for the kernel */
};

/*
 * A call from the kernel on behalf of the calling process (a page fault in
 * a pager-backed region): send msg to ep (badge 0) and wait for the reply,
 * at most timeout_ms (IPC_FOREVER). When the reply carries IPC_TAG_MAP of
 * one page, that page is mapped at map_at of map_into (share_map with
 * SHARE_FIXED | SHARE_PAGER, and SHARE_WRITE if the reply has
 * IPC_TAG_WRITE and write_allowed) before the pager runs on. *reply gets
 * the reply. Returns 0 (a page was mapped), -EPIPE (no pager: its endpoint
 * has no receiver left, or it died during the call), -ETIMEDOUT, -EINTR
 * (a signal came), -EFAULT (the reply mapped nothing: an error reply, or
 * the pager's page could not be mapped), -EDEADLK (the calling process is
 * the one that last received on ep: a pager faulting on a region it
 * serves would wait for itself). msg's handle, memory and WRITE flags are
 * dropped (the kernel passes registers only). *reply is filled on 0 and
 * -EFAULT. Process context of the faulting thread, interrupts on, no lock
 * held; sleeps.
 */
__must_check int ipc_kernel_call(struct endpoint *ep, struct ipc_message *msg, long timeout_ms,
				 struct user_space *map_into, virt_addr_t map_at,
				 bool write_allowed, struct ipc_message *reply);

/* The endpoint behind object o (o's type is KOBJECT_ENDPOINT: checked). */
struct endpoint *endpoint_from_object(struct kobject *o);

/*
 * The name server's endpoint, made at boot by ipc_init (NULL before).
 * process_spawn gives each program started from the shell a SEND handle
 * to it (AT_PAGODA_NAMESERVER); the name server process gets RECEIVE.
 */
struct endpoint *ipc_nameserver_endpoint(void);

/* Make the name server's endpoint (kmain, once). Returns 0 or -ENOMEM. */
__must_check int ipc_init(void);

struct handle_table;

/*
 * process_spawn's step for a program started by the kernel (no parent):
 * install in t a handle to the name server's endpoint, SEND | DUPLICATE |
 * TRANSFER, or for the name server itself (server) RECEIVE | SEND |
 * DUPLICATE. Returns the handle (the auxv's AT_PAGODA_NAMESERVER), or 0
 * when there is no name server endpoint or no room.
 */
int ipc_nameserver_install(struct handle_table *t, bool server);

/*
 * p's handle to the name server for a new image's AT_PAGODA_NAMESERVER
 * (execve keeps the table): the number it was given, if it still names an
 * open handle, else 0. p is the calling process.
 */
int ipc_nameserver_handle(struct process *p);

/*
 * Start the initrd's "nameserver" program in the background holding
 * RECEIVE | SEND | DUPLICATE on the name server's endpoint (process_spawn
 * with PROCESS_NAMESERVER; its AT_PAGODA_NAMESERVER is that handle).
 * Returns 0, or process_spawn's error (-ENOENT: no such program), once
 * the server waits for its first message (process_settle: at most
 * PROCESS_SETTLE_MS, else the console says it is still starting). kmain,
 * once, after init; sleeps. When the name server exits, its endpoint is
 * dead for good (every call to it then fails with -EPIPE).
 */
__must_check int ipc_spawn_nameserver(void);

#endif
