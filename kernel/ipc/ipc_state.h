/*
 * ipc_state.h - what a process is doing in IPC: the state machine of its
 * one thread's send, receive, call or reply, and the message being
 * delivered to it (struct process's field `ipc`; kernel/ipc/endpoint.c).
 *
 * Processes are single-threaded, so a process is in at most one IPC wait.
 * It sleeps only on its own queue `wq` (signals wake it there: its
 * signals.interruptible points at wq while it waits); a partner changes
 * `state` under `lock`, then wakes wq, and the sleeper re-checks state, so
 * no wake-up is lost. The states:
 *
 *   IDLE ---send/call, nobody waiting---> SENDING (on ep->senders)
 *   IDLE ---recv, nobody waiting--------> RECEIVING (on ep->receivers)
 *   SENDING/RECEIVING ---a partner took it off the queue---> BUSY
 *   BUSY ---transfer done (call's message taken)---> REPLY_WAIT
 *   BUSY ---transfer done / failed--------> DONE (result: 0 or -errno)
 *   BUSY ---transfer refused by the partner's side---> RECEIVING again
 *   REPLY_WAIT ---a reply (BUSY while it transfers)---> DONE
 *   any wait ---timeout / signal / endpoint dead---> IDLE (the waiter leaves)
 *
 * Invariants:
 *   [x] state, result, call_seq change under `lock`, with three
 *       exceptions: a move into or out of SENDING/RECEIVING happens under
 *       the endpoint's lock instead (the queue link goes with it; whoever
 *       cares about those states holds that lock: a partner taking from
 *       the queue, the waiter leaving it); the partner holding a process
 *       BUSY, or matched in REPLY_WAIT, with its thread claimed (IPC's
 *       fast path) sets its result and DONE alone; and the fast path's
 *       caller moves itself from IDLE to REPLY_WAIT (call_seq first: a
 *       replier matching under the lock reads state, then call_seq).
 *       Stores of state are release stores;
 *   [x] a process in REPLY_WAIT leaves it only by its own thread (a
 *       signal, a timeout, its exit: it must be woken off wq first) or by
 *       the reply it waits for, which only the process owing it (reply_to,
 *       reply_seq) can send: so the fast path matches a reply under wq's
 *       lock, with the sleeper on wq and switched out, without `lock`;
 *   [x] a process is on an endpoint queue exactly while SENDING or
 *       RECEIVING, and then `ep` is that endpoint (kept alive by the
 *       reference of the waiter's look-up, or by its own handle);
 *   [x] a BUSY process never leaves its wait (not even on a signal or a
 *       timeout) until the partner sets DONE/REPLY_WAIT/RECEIVING: so its
 *       space and handle table change only by its own thread or while it
 *       is blocked in IPC, and it cannot exit under a transfer;
 *   [x] reply_to holds a process reference (or is NULL): the caller this
 *       process owes a reply, valid while that caller's call_seq is still
 *       reply_seq and it is in REPLY_WAIT.
 * Lock order: an endpoint's lock -> an ipc state's lock -> a wait queue's
 * lock. Two ipc state locks are never held at once.
 */
#ifndef KERNEL_IPC_IPC_STATE_H
#define KERNEL_IPC_IPC_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/ipc/ipc.h"
#include "kernel/sched/wait.h"
#include "lib/list.h"
#include "mm/layout.h"
#include "mm/spinlock.h"

enum ipc_wait_state {
	IPC_IDLE = 0,    /* not waiting in IPC */
	IPC_SENDING,     /* send or call: queued on ep->senders with msg */
	IPC_RECEIVING,   /* recv: queued on ep->receivers */
	IPC_BUSY,        /* a partner is transferring to/from it: it may not leave */
	IPC_REPLY_WAIT,  /* call: the message was taken; waiting for the reply */
	IPC_DONE,        /* finished by a partner: result (and msg, when 0) */
	IPC_EXITED,      /* the process is gone (ipc_process_exit): never again */
};

struct process;
struct trap_frame;

struct ipc_state {
	spinlock_t lock;                 /* "ipc state": state, result, call_seq */
	struct wait_queue wq;            /* only this process's thread sleeps here */
	enum ipc_wait_state state;
	int result;                      /* DONE: 0 or -errno for the waiter */
	struct endpoint *ep;             /* SENDING/RECEIVING: the queue's endpoint */
	struct list_node link;           /* on ep->senders or ep->receivers */
	/*
	 * SENDING: the message going out (badge: the sender's pid, 0 from
	 * the kernel; handle: its number in this process's table). DONE
	 * after a receive or a reply: the message delivered (handle: its
	 * number in this table, 0 if none; words 4, 5 of a memory item:
	 * where it landed and its length).
	 */
	struct ipc_message msg;
	bool is_call;                    /* SENDING: a call (wait for the reply after) */
	bool kernel_call;                /* the call is ipc_kernel_call's (below) */
	uint64_t call_seq;               /* numbers this process's calls (reply matching) */
	/* The caller this process received a call from and owes a reply (referenced), or NULL. */
	struct process *reply_to;
	uint64_t reply_seq;              /* reply_to's call_seq for that call */
	/* ipc_kernel_call: where a pager's one-page MAP reply goes. */
	struct user_space *map_into;
	virt_addr_t map_at;
	bool map_write;                  /* SHARE_WRITE allowed */
	int nameserver_handle;           /* AT_PAGODA_NAMESERVER (0: none); fork copies it */
	uint64_t messages;               /* messages this process received (a hint) */
	/*
	 * The IPC fast path's (fastpath.c): while its thread blocks there, its
	 * system call's frame, so a fast-path partner that claimed it writes
	 * the message straight into its registers (then sets in_frame instead
	 * of writing msg); NULL whenever it waits anywhere else. Only the
	 * process's own thread sets and clears both, while it runs.
	 */
	struct trap_frame *fast_frame;
	bool in_frame;
};

/* A fresh state (spawn, fork: no pending reply). nameserver_handle: 0. */
void ipc_state_init(struct ipc_state *s);

/*
 * The calling process p is exiting (its own thread, no IPC wait under
 * way): fail the caller it owed a reply (-EPIPE) and drop that reference;
 * from now on nobody can start a transfer with p. Before
 * handle_table_destroy. Process context, interrupts on.
 */
void ipc_process_exit(struct process *p);

#endif
