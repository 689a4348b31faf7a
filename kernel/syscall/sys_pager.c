/*
 * sys_pager.c - user-level pagers: pager_region.
 *
 * Placeholder: every call answers -ENOSYS until the pager work lands.
 */
#include "kernel/syscall/sys_pager.h"
#include "lib/errno.h"

long sys_pager_region(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}
