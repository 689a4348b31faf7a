/*
 * pager.c - user-level pagers (see pager.h).
 *
 * Placeholder: no region has a pager yet, so a fault never gets here and
 * an exiting space has no binding to drop.
 */
#include "kernel/ipc/pager.h"
#include "lib/errno.h"

int pager_fault(virt_addr_t addr, unsigned access, struct trap_frame *frame)
{
	(void)addr;
	(void)access;
	(void)frame;
	return -ENOSYS;
}

void pager_space_exit(struct user_space *us)
{
	(void)us;
}
