/*
 * sys_share.h - taking back memory passed by IPC: ipc_revoke.
 *
 * Each takes the system call's whole trap frame: the IPC calls read and
 * write registers beyond Linux's six (the register map of
 * user/include/pagoda/ipc_abi.h), so every Pagoda call has one shape.
 * Returns the value for rax (>= 0, or -errno).
 *
 * Invariants:
 *   [x] (placeholder: filled in by memory passing (mm/share.c))
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_SHARE_H
#define KERNEL_SYSCALL_SYS_SHARE_H

struct trap_frame;

long sys_ipc_revoke(struct trap_frame *frame);

#endif
