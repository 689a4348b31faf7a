/*
 * pager.h - user-level pagers: regions whose page faults are served by a
 * process over IPC (user/include/pagoda/ipc_abi.h: PAGER_FAULT).
 *
 * (Groundwork: the contracts are fixed; kernel/ipc/pager.c is filled in
 * by the pager work.)
 *
 * Invariants:
 *   [x] a pager binding holds a reference to its endpoint until the
 *       region or its space goes.
 * Context: process context, interrupts on, no lock held (pager_fault:
 * the faulting thread, interrupts turned on by the caller).
 */
#ifndef KERNEL_IPC_PAGER_H
#define KERNEL_IPC_PAGER_H

#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

struct trap_frame;
struct user_space;

/*
 * Serve a fault at addr (access: FAULT_* bits of mm/fault.h) in a
 * REGION_PAGER region of the current process by asking its pager.
 * Returns 0 (the page is mapped: retry the access) or -errno (the caller
 * kills the process, or fails the user copy with -EFAULT).
 */
__must_check int pager_fault(virt_addr_t addr, unsigned access, struct trap_frame *frame);

/* us is going away: drop its pager bindings (their endpoint references). */
void pager_space_exit(struct user_space *us);

#endif
