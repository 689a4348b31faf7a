/*
 * sys_ipc.h - the IPC system calls: endpoints, messages, notifications, handles.
 *
 * Each takes the system call's whole trap frame: the IPC calls read and
 * write registers beyond Linux's six (the register map of
 * user/include/pagoda/ipc_abi.h), so every Pagoda call has one shape.
 * Returns the value for rax (>= 0, or -errno).
 *
 * handle_duplicate, handle_close, handle_info take Linux's argument
 * registers (rdi, rsi) and return in rax only; ipc_notify_wait also
 * returns the bits in rsi. ipc_reply_recv drops a reply whose caller is
 * gone (-EPIPE) or missing (-ESRCH) and receives anyway.
 *
 * Invariants:
 *   [x] on failure only rax changes; on success the out registers of the
 *       register map hold the message received (recv, call, reply_recv).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_IPC_H
#define KERNEL_SYSCALL_SYS_IPC_H

struct trap_frame;
struct ipc_message;

long sys_ipc_endpoint_create(struct trap_frame *frame);
long sys_ipc_notification_create(struct trap_frame *frame);
long sys_ipc_send(struct trap_frame *frame);
long sys_ipc_recv(struct trap_frame *frame);
long sys_ipc_call(struct trap_frame *frame);
long sys_ipc_reply(struct trap_frame *frame);
long sys_ipc_reply_recv(struct trap_frame *frame);
long sys_ipc_notify(struct trap_frame *frame);
long sys_ipc_notify_wait(struct trap_frame *frame);
long sys_handle_duplicate(struct trap_frame *frame);
long sys_handle_close(struct trap_frame *frame);
long sys_handle_info(struct trap_frame *frame);

#endif
