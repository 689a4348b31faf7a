/*
 * fastpath.h - the IPC fast path: a call or reply_recv that finds its
 * partner waiting, with nothing but registers to move, switches straight
 * to it without the run queues.
 *
 * (Groundwork: the fast path is filled in by the scheduler/IPC fast-path
 * work; until then both functions decline and the general path runs.)
 *
 * Invariants:
 *   [x] returning false changes nothing: the general path then runs;
 *   [x] returning true means frame holds the call's complete result.
 * Context: the calling process's thread in the system call, interrupts on.
 */
#ifndef KERNEL_IPC_FASTPATH_H
#define KERNEL_IPC_FASTPATH_H

#include <stdbool.h>

struct trap_frame;

/* SYS_ipc_call: handled completely (true), or declined (false, nothing changed). */
bool ipc_fastpath_call(struct trap_frame *frame);

/* SYS_ipc_reply_recv: handled completely (true), or declined (false, nothing changed). */
bool ipc_fastpath_reply_recv(struct trap_frame *frame);

#endif
