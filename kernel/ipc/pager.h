/*
 * pager.h - user-level pagers: regions whose page faults are served by a
 * process over IPC (user/include/pagoda/ipc_abi.h: PAGER_FAULT).
 *
 * pager_region (kernel/syscall/sys_pager.c) makes a REGION_PAGER region
 * and records here which endpoint serves it: a binding {space, range,
 * endpoint reference}. struct region gains no field: the fault path finds
 * the binding by space and address. A not-present page of such a region
 * (mm/fault.c: outcome FAULT_PAGER, -EAGAIN) comes to pager_fault, which
 * calls the pager from the faulting thread (ipc_kernel_call) and lets the
 * IPC core map the page of the reply. docs/ipc.md, "Pagers".
 *
 * Invariants:
 *   [x] a pager binding holds a reference to its endpoint until the
 *       range is bound again (a new region over a stale binding) or its
 *       space goes (pager_space_exit);
 *   [x] the bindings of one space never overlap.
 * Context: process context, interrupts on, no lock held (pager_fault:
 * the faulting thread, interrupts turned on by the caller).
 */
#ifndef KERNEL_IPC_PAGER_H
#define KERNEL_IPC_PAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

struct kobject;
struct trap_frame;
struct user_space;

/* Bindings the whole system holds at once (pager_bind: -ENOMEM beyond). */
#define PAGER_BINDINGS_MAX 64

/*
 * Record that faults in [start, end) of us go to endpoint ep (a
 * KOBJECT_ENDPOINT); writable: the
 * region may be written (a reply with IPC_TAG_WRITE maps a page
 * writable). The caller's reference to ep moves into the binding on
 * success (stays the caller's on failure). Any older binding of us
 * overlapping the range, or whose region has gone (munmap), is dropped.
 * Returns 0 or -ENOMEM (the table is full). Process context, no lock held.
 */
__must_check int pager_bind(struct user_space *us, virt_addr_t start, virt_addr_t end,
			    bool writable, struct kobject *ep);

/*
 * Serve a fault at addr (access: FAULT_* bits of mm/fault.h) in a
 * REGION_PAGER region of the current process by asking its pager.
 * Returns 0 (the page is mapped: retry the access) or -errno (the caller
 * kills the process, or fails the user copy with -EFAULT):
 *   -ENOENT      no binding (a safety net: sys_pager.c binds every region
 *                it makes, and fork leaves pager regions out of the child);
 *   -EPIPE       no pager: its endpoint has no receiver, or it died;
 *   -EDEADLK     the faulting process is the region's pager (it holds a
 *                RECEIVE handle to the endpoint, or answered it before);
 *   -EBUSY       the fault cannot wait: interrupts were off, or a lock
 *                (spinlock or mutex) is held (a kernel access);
 *   -EINTR       a signal came while waiting (user fault: retried after
 *                the signal, which usually kills);
 *   -EFAULT      the pager answered without a page, or its page could
 *                not be mapped; -ETIMEDOUT, -ENOMEM as ipc_kernel_call.
 * Called by the #PF handler with interrupts off; turns them on around
 * the call and off again before returning. The thread sleeps holding no
 * lock.
 */
__must_check int pager_fault(virt_addr_t addr, unsigned access, struct trap_frame *frame);

/* pager_fault's error in words for the segfault report: "no pager: ...", "pager error: ...". */
const char *pager_fault_reason(int err);

/* us is going away: drop its pager bindings (their endpoint references). */
void pager_space_exit(struct user_space *us);

#endif
