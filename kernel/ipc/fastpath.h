/*
 * fastpath.h - the IPC fast path: a call or reply_recv that finds its
 * partner waiting, with nothing but registers to move, switches straight
 * to it without the run queues.
 *
 * sys_ipc.c's call and reply_recv offer their frame here first. The fast
 * path takes a message of label and words only (no handle, no memory
 * item, no flag), with no time limit (r15 IPC_FOREVER), from a process
 * that is not traced and has no signal pending, whose partner already
 * waits: for a call, a receiver blocked on the endpoint; for a reply, the
 * caller blocked in REPLY_WAIT for this very reply (not a kernel call).
 * It writes the partner's message, moves both states as the general path
 * (endpoint.c) would, takes the partner's thread off its wait queue
 * without waking it, and the caller's own blocking (the reply's wait, or
 * the next receive) then hands the CPU straight to it (sched_handoff).
 * Everything else declines and the general path runs.
 *
 * Invariants:
 *   [x] returning false changes nothing: the general path then runs;
 *   [x] returning true means frame holds the call's complete result (rax,
 *       and the out registers when rax is 0);
 *   [x] a partner taken off its wait queue is handed off to or woken
 *       exactly once (block_handoff).
 * Context: the calling process's thread in the system call, interrupts on.
 */
#ifndef KERNEL_IPC_FASTPATH_H
#define KERNEL_IPC_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

/* SYS_ipc_call: handled completely (true), or declined (false, nothing changed). */
bool ipc_fastpath_call(struct trap_frame *frame);

/* SYS_ipc_reply_recv: handled completely (true), or declined (false, nothing changed). */
bool ipc_fastpath_reply_recv(struct trap_frame *frame);

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
