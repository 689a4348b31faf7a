/*
 * sys_signal.h - rt_sigaction and rt_sigprocmask: the signal state a
 * process sets up, kept for the day signals are delivered.
 *
 * musl's start-up and many programs call both (to block signals around
 * thread creation, to ignore SIGPIPE ...); Pagoda accepts them with Linux's
 * checks and stores what was asked in struct process (actions[], sigmask).
 * No handler runs yet: a signal still ends the process, except that a kill
 * whose action is SIG_IGN is ignored (signal_send reads actions[]).
 *
 * Invariants:
 *   [x] sigsetsize must be 8 (the kernel's sigset_t), as in Linux;
 *   [x] SIGKILL and SIGSTOP keep SIG_DFL and are never in sigmask.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#ifndef KERNEL_SYSCALL_SYS_SIGNAL_H
#define KERNEL_SYSCALL_SYS_SIGNAL_H

#include <stddef.h>

#include "mm/layout.h"

long sys_rt_sigaction(int sig, virt_addr_t act, virt_addr_t oldact, size_t sigsetsize);
long sys_rt_sigprocmask(int how, virt_addr_t set, virt_addr_t oldset, size_t sigsetsize);

#endif
