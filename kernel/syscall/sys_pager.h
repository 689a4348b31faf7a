/*
 * sys_pager.h - user-level pagers: pager_region.
 *
 * Each takes the system call's whole trap frame: the IPC calls read and
 * write registers beyond Linux's six (the register map of
 * user/include/pagoda/ipc_abi.h), so every Pagoda call has one shape.
 * Returns the value for rax (>= 0, or -errno).
 *
 * sys_pager_region makes a pager-backed region (kernel/syscall/sys_pager.c
 * says how; kernel/ipc/pager.h what happens at its faults).
 *
 * Invariants:
 *   [x] a failed call changes nothing (no region, no binding, no reference).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_PAGER_H
#define KERNEL_SYSCALL_SYS_PAGER_H

struct trap_frame;

long sys_pager_region(struct trap_frame *frame);

#endif
