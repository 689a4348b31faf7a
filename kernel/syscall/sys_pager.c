/*
 * sys_pager.c - user-level pagers: pager_region(addr, len, endpoint h, prot).
 *
 * The call makes [addr, addr + len) of the caller a REGION_PAGER region
 * named "pager" and binds it to the endpoint h names (kernel/ipc/pager.c):
 * from then on a touch of one of its missing pages, by the program or by
 * a system call's user copy, asks that endpoint's pager for the page
 * (PAGER_FAULT, user/include/pagoda/ipc_abi.h). The region starts empty:
 * no frame is promised (the pager brings its own), so no memory check.
 *
 * Arguments (Linux's registers): rdi addr (page-aligned, in the user
 * half), rsi len (> 0, rounded up to pages), rdx a handle with SEND to an
 * endpoint, r10 prot: PROT_READ, PROT_WRITE or both (PROT_WRITE implies
 * reading, as the MMU does; no PROT_EXEC, no PROT_NONE). Returns 0;
 * -EINVAL (a bad range or prot); -EBADF (h is not an open handle to an
 * endpoint); -EPERM (h lacks SEND); -EEXIST (something is mapped in the
 * range); -ENOMEM (no slot for the region or the binding).
 *
 * Invariants:
 *   [x] on error nothing changed: no region, no binding, no reference;
 *   [x] a REGION_PAGER region made here always has its binding (the
 *       region goes again if the binding cannot be made).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_pager.h"

#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/pager.h"
#include "kernel/proc/process.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/region.h"

#define PAGER_REGION_NAME "pager"

long sys_pager_region(struct trap_frame *frame)
{
	struct process *p = process_current();
	virt_addr_t addr = frame->rdi;
	uint64_t len = frame->rsi;
	uint64_t h = frame->rdx, prot = frame->r10;
	struct kobject *ep;

	if (!IS_ALIGNED(addr, PAGE_SIZE) || len == 0 || len > USER_TOP || addr < USER_START ||
	    addr > USER_TOP || ALIGN_UP(len, PAGE_SIZE) > USER_TOP - addr)
		return -EINVAL;
	if (prot == 0 || (prot & ~(uint64_t)(PROT_READ | PROT_WRITE)))
		return -EINVAL;
	int err = handle_lookup_type(&p->handles, (int64_t)h, KOBJECT_ENDPOINT, HANDLE_RIGHT_SEND,
				     &ep);
	if (err)
		return err;
	bool writable = prot & PROT_WRITE;
	struct region r = {.start = addr, .end = addr + ALIGN_UP(len, PAGE_SIZE),
			   .prot = MAP_USER | (writable ? MAP_WRITE : 0), .kind = REGION_PAGER};
	strlcpy(r.name, PAGER_REGION_NAME, sizeof(r.name));
	err = region_insert(&p->space.regions, &r);
	if (!err) {
		err = pager_bind(&p->space, r.start, r.end, writable, ep);
		if (err)
			MUST_SUCCEED(region_remove(&p->space.regions, r.start, r.end),
				     "sys_pager_region: removing the region just inserted");
	}
	if (err)
		kobject_put(ep); /* else the binding holds it */
	return err;
}
