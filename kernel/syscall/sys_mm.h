/*
 * sys_mm.h - the memory system calls: mmap, munmap, mprotect, brk,
 * madvise, mincore.
 *
 * The work and nearly every argument check are mm/user_space.h's
 * (user_mmap ...), which implement Linux's semantics on a process's
 * struct user_space; these handlers add what lies outside the memory
 * manager: the file behind a file mapping (a descriptor, kernel/proc/fd.h),
 * the order of Linux's checks that come before it (an unaligned offset is
 * -EINVAL before a bad descriptor is -EBADF), and copying mincore's vector
 * out to the process.
 *
 * Invariants:
 *   [x] the space changed is always the calling process's own;
 *   [x] mincore's vector is written through copy_to_user only.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_MM_H
#define KERNEL_SYSCALL_SYS_MM_H

#include <stdint.h>

#include "mm/layout.h"

long sys_mmap(virt_addr_t addr, uint64_t len, uint64_t prot, uint64_t flags, int fd,
	      uint64_t offset);
long sys_munmap(virt_addr_t addr, uint64_t len);
long sys_mprotect(virt_addr_t addr, uint64_t len, uint64_t prot);
long sys_brk(virt_addr_t brk);
long sys_madvise(virt_addr_t addr, uint64_t len, int advice);
long sys_mincore(virt_addr_t addr, uint64_t len, virt_addr_t vec);

#endif
