/*
 * sys_fs.h - the file system calls: read, write, writev, open, openat,
 * close, fstat, lseek, ioctl, on the console and the read-only initrd.
 *
 * Each handler takes its arguments with the types Linux's prototype has
 * (syscall.c's table casts the registers) and returns what the system call
 * returns: a count or descriptor (>= 0), or -errno with Linux's errno for
 * the same mistake. File operations themselves (the console's line
 * discipline, initrd positions) are kernel/proc/fd.h's; these calls find
 * the file, check the arguments a file never sees (ranges, flags, paths)
 * and copy structures in and out through mm/uaccess.h.
 *
 * Invariants:
 *   [x] every reference fd_get hands out is put before the handler returns;
 *   [x] no user pointer is dereferenced: buffers go to the file's operation
 *       as user addresses, structures through copy_to/from_user;
 *   [x] a file opened on the initrd is never writable (EROFS on any
 *       request to write, create or truncate).
 * Context: a process's thread in a system call: interrupts on, no lock
 * held; read may sleep (the console waits for a line).
 */
#ifndef KERNEL_SYSCALL_SYS_FS_H
#define KERNEL_SYSCALL_SYS_FS_H

#include <stddef.h>
#include <stdint.h>

#include "mm/layout.h"

long sys_read(int fd, virt_addr_t buf, size_t count);
long sys_write(int fd, virt_addr_t buf, size_t count);
long sys_writev(int fd, virt_addr_t iov, uint64_t iovcnt);
long sys_open(virt_addr_t path, int flags, unsigned mode);
long sys_openat(int dirfd, virt_addr_t path, int flags, unsigned mode);
long sys_close(int fd);
long sys_fstat(int fd, virt_addr_t statbuf);
long sys_lseek(int fd, int64_t offset, unsigned whence);
long sys_ioctl(int fd, unsigned cmd, uint64_t arg);

#endif
