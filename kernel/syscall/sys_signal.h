/*
 * sys_signal.h - the signal system calls: rt_sigaction, rt_sigprocmask,
 * rt_sigreturn, kill, tkill, tgkill, pause, rt_sigsuspend, rt_sigpending,
 * sigaltstack.
 *
 * Thin: each checks its arguments in Linux's order, copies from and to the
 * program, and leaves the work to kernel/proc/signal.c (sending, the
 * pending set, delivery, the frame). Processes have one thread here, so a
 * thread id is the process id: tkill(tid) is kill(tid) with SI_TKILL, and
 * tgkill(tgid, tid) needs tid == tgid (else -ESRCH).
 *
 * Invariants:
 *   [x] sigsetsize must be 8 (the kernel's sigset_t), as in Linux
 *       (rt_sigpending accepts less);
 *   [x] SIGKILL and SIGSTOP keep SIG_DFL and are never in the mask.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_SIGNAL_H
#define KERNEL_SYSCALL_SYS_SIGNAL_H

#include <stddef.h>

#include "mm/layout.h"

struct trap_frame;

long sys_rt_sigaction(int sig, virt_addr_t act, virt_addr_t oldact, size_t sigsetsize);
long sys_rt_sigprocmask(int how, virt_addr_t set, virt_addr_t oldset, size_t sigsetsize);
/* Returns the restored RAX; a bad frame ends the process (signal_return). */
long sys_rt_sigreturn(struct trap_frame *frame);
/* kill(2): pid > 0, 0, -1, < -1; sig 0 probes. -EINVAL, -ESRCH. */
long sys_kill(int pid, int sig);
/* tkill(2): tid > 0 (else -EINVAL). */
long sys_tkill(int tid, int sig);
/* tgkill(2): tgid, tid > 0 (else -EINVAL); tid != tgid: -ESRCH. */
long sys_tgkill(int tgid, int tid, int sig);
/* Sleep until a signal is delivered: -EINTR. */
long sys_pause(void);
/* Block *mask, sleep until a signal is delivered, put the mask back: -EINTR. */
long sys_rt_sigsuspend(virt_addr_t mask, size_t sigsetsize);
/* The pending signals that are blocked: -EINVAL (sigsetsize > 8), -EFAULT. */
long sys_rt_sigpending(virt_addr_t set, size_t sigsetsize);
/* The alternate signal stack: -EINVAL, -ENOMEM (too small), -EPERM (on it), -EFAULT. */
long sys_sigaltstack(virt_addr_t ss, virt_addr_t old_ss);

#endif
