/*
 * sys_share.c - taking back memory passed by IPC: ipc_revoke.
 *
 * Placeholder: every call answers -ENOSYS until memory passing (mm/share.c) lands.
 */
#include "kernel/syscall/sys_share.h"
#include "lib/errno.h"

long sys_ipc_revoke(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}
