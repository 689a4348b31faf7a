/*
 * fastpath.c - the IPC fast path (see fastpath.h).
 *
 * Placeholder: both calls decline, so every call takes the general path
 * in kernel/ipc/endpoint.c until the fast path lands.
 */
#include "kernel/ipc/fastpath.h"

bool ipc_fastpath_call(struct trap_frame *frame)
{
	(void)frame;
	return false;
}

bool ipc_fastpath_reply_recv(struct trap_frame *frame)
{
	(void)frame;
	return false;
}
