/*
 * sys_fd.h - the descriptor system calls: pipe, pipe2, dup, dup2, dup3
 * and fcntl. They make and copy descriptors (kernel/proc/fd.h) and pipes
 * (kernel/fs/pipe.h); reading and writing them is sys_fs.h's read/write.
 *
 * Each handler takes its arguments with Linux's prototype's types and
 * returns what the system call returns: a descriptor or 0, or -errno with
 * Linux's errno for the same mistake (EBADF, EINVAL, EMFILE, EFAULT).
 *
 * Invariants:
 *   [x] every reference fd_get hands out is put or installed before the
 *       handler returns; a failed pipe2 leaves no descriptor behind.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_FD_H
#define KERNEL_SYSCALL_SYS_FD_H

#include <stdint.h>

#include "mm/layout.h"

long sys_pipe(virt_addr_t fds);
long sys_pipe2(virt_addr_t fds, int flags);
long sys_dup(int oldfd);
long sys_dup2(int oldfd, int newfd);
long sys_dup3(int oldfd, int newfd, int flags);
long sys_fcntl(int fd, unsigned cmd, uint64_t arg);

#endif
