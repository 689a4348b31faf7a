/*
 * fastpath.h - the IPC fast path: a call or reply_recv that finds its
 * partner waiting, with nothing but registers to move, switches straight
 * to it without the run queues.
 *
 * syscall_entry.asm offers call and reply_recv here first, interrupts
 * still off. The fast path takes a message of label and words only (no
 * handle, no memory item, no flag), with no time limit (r15 IPC_FOREVER),
 * from a process that is not traced and has no signal pending, whose
 * partner already waits with its thread switched out and free to run on
 * this CPU: for a call, a receiver blocked on the endpoint; for a reply,
 * the caller blocked in REPLY_WAIT for this very reply (not a kernel
 * call). It looks the handle up without the table's lock, claims the
 * partner's thread (off its wait queue: nobody else can wake it), writes
 * its message, moves both states as the general path (endpoint.c) would,
 * and blocks the caller on its own queue while handing the CPU straight
 * to the partner (sched_handoff_claimed). Its locks are bare unless the
 * lock validator is on (spin_lock_hot). Everything else declines and the
 * general path (sys_ipc.c) runs.
 *
 * Invariants:
 *   [x] DECLINED changes nothing: the general path then runs;
 *   [x] DONE means frame holds the call's complete result (rax, and the
 *       out registers when rax is 0); DONE_QUIET too, with rax 0 and
 *       nothing signal_deliver would act on;
 *   [x] a partner taken off its wait queue is handed off to or woken
 *       exactly once (block_and_switch).
 * Context: the calling process's thread at the system call's entry,
 * interrupts off; they are off again on return (the general wait a signal
 * may end in runs with them on).
 */
#ifndef KERNEL_IPC_FASTPATH_H
#define KERNEL_IPC_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

/* What the fast path did (syscall_entry.asm reads it in eax). */
#define IPC_FASTPATH_DECLINED 0   /* nothing changed: the general path runs the call */
#define IPC_FASTPATH_DONE 1       /* done: the result in the frame; then signal_deliver */
#define IPC_FASTPATH_DONE_QUIET 2 /* done with 0, nothing for signal_deliver: straight out */

/* SYS_ipc_call: one of the three above. */
int ipc_fastpath_call(struct trap_frame *frame);

/* SYS_ipc_reply_recv: one of the three above. */
int ipc_fastpath_reply_recv(struct trap_frame *frame);

/* How often the fast path ran, and how often the CPU went straight to the partner. */
struct ipc_fastpath_stats {
	uint64_t calls;         /* calls it handled */
	uint64_t reply_recvs;   /* reply_recvs it handled */
	uint64_t declined;      /* calls and reply_recvs it left to the general path */
	uint64_t handoffs;      /* direct switches on every CPU (sched_handoff_count) */
};

/* The figures since boot (counters: a hint, read without a lock). Any context. */
void ipc_fastpath_stats(struct ipc_fastpath_stats *out);

#endif
