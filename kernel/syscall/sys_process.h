/*
 * sys_process.h - the process system calls: exit, exit_group, getpid,
 * gettid, getppid, sched_yield, set_tid_address, arch_prctl, ioperm, getrusage,
 * uname, fork, vfork, clone, wait4, getpgid, setpgid, getpgrp.
 *
 * A Pagoda process has one thread, its main thread, whose thread id is the
 * pid (as Linux's main thread's is): exit and exit_group both end the
 * process. getppid is the null system call the benchmark times, so it and
 * its neighbours read fields and return, nothing more.
 *
 * Invariants:
 *   [x] exit and exit_group never return;
 *   [x] arch_prctl only accepts an FS base inside the user half (a
 *       non-canonical one would fault the kernel's wrmsr).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_PROCESS_H
#define KERNEL_SYSCALL_SYS_PROCESS_H

#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

__noreturn long sys_exit(int code);
__noreturn long sys_exit_group(int code);
long sys_getpid(void);
long sys_gettid(void);
long sys_getppid(void);
long sys_sched_yield(void);
long sys_set_tid_address(virt_addr_t tidptr);
long sys_arch_prctl(int code, uint64_t addr);
/* ioperm(2): 0, -EINVAL (bad range), -EPERM (a kernel port), -ENOMEM (kernel/proc/ioperm.h). */
long sys_ioperm(uint64_t from, uint64_t num, int turn_on);
long sys_getrusage(int who, virt_addr_t usage);
long sys_uname(virt_addr_t buf);

struct trap_frame;
/*
 * fork and vfork (a full fork): the child's pid, or -EAGAIN (PROCESS_MAX),
 * -ENOMEM. clone: only fork's form, flags == SIGCHLD (newsp 0: the
 * caller's stack; else the child's); any other flag is -EINVAL (no
 * threads, no shared spaces). frame: the caller's system-call registers.
 */
long sys_fork(struct trap_frame *frame);
long sys_vfork(struct trap_frame *frame);
long sys_clone(struct trap_frame *frame);
/*
 * wait4(pid, status, options, rusage): process_wait_child's result; -EFAULT
 * when status or rusage cannot be written (the child is reaped anyway).
 */
long sys_wait4(int pid, virt_addr_t status, unsigned options, virt_addr_t usage);
long sys_getpgid(int pid);
long sys_setpgid(int pid, int pgid);
long sys_getpgrp(void);

/* What uname reports: sysname "Pagoda", release PAGODA_RELEASE, machine "x86_64". */
#define PAGODA_RELEASE "0.15"

#endif
