/*
 * sys_share.h - taking back memory passed by IPC: ipc_revoke.
 *
 * Each takes the system call's whole trap frame: the IPC calls read and
 * write registers beyond Linux's six (the register map of
 * user/include/pagoda/ipc_abi.h), so every Pagoda call has one shape.
 * Returns the value for rax (>= 0, or -errno).
 *
 * sys_ipc_revoke(rdi = addr, rsi = len): share_revoke on the caller's own
 * space: returns how many mappings went (0: none, not an error), -EINVAL
 * for an unaligned addr, len 0, or a range leaving the user half.
 *
 * Invariants:
 *   [x] only the caller's own mappings' descendants are reached: a
 *       process can take back what it passed on, nothing else.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_SHARE_H
#define KERNEL_SYSCALL_SYS_SHARE_H

struct trap_frame;

long sys_ipc_revoke(struct trap_frame *frame);

#endif
