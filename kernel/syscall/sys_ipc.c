/*
 * sys_ipc.c - the IPC system calls: endpoints, messages, notifications, handles.
 *
 * Placeholder: every call answers -ENOSYS until the IPC core lands.
 */
#include "kernel/syscall/sys_ipc.h"
#include "lib/errno.h"

long sys_ipc_endpoint_create(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_notification_create(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_send(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_recv(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_call(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_reply(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_reply_recv(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_notify(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_ipc_notify_wait(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_handle_duplicate(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_handle_close(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}

long sys_handle_info(struct trap_frame *frame)
{
	(void)frame;
	return -ENOSYS;
}
