/*
 * signal.h - signals: how a process is asked to stop, by the kernel (a
 * fault, Ctrl-C) or by another process (kill), and what it does then.
 *
 * Each process keeps its signal state here: what is pending, what it blocks,
 * and one action per signal (rt_sigaction). Sending only marks the signal
 * pending and wakes the interruptible wait the target may be in; the
 * target's own thread acts on it at its next return towards ring 3
 * (signal_deliver, from the assembly of every exit to user mode), so a
 * process is always ended or redirected by itself, never under another
 * thread's feet.
 *
 * Invariants:
 *   [x] SIGKILL and SIGSTOP are never blocked and keep SIG_DFL;
 *   [x] a signal whose action is SIG_IGN (or SIG_DFL with an "ignore"
 *       default) is dropped when sent, never left pending;
 *   [x] only the process's own thread changes blocked and actions.
 * Context: signal_send from any context, interrupts on or off (the serial
 * interrupt's Ctrl-C); the rest from a process's thread. Lock order: a
 * process's lock -> nothing.
 */
#ifndef KERNEL_PROC_SIGNAL_H
#define KERNEL_PROC_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/uapi.h"

struct process;
struct trap_frame;
struct wait_queue;

struct signal_state {
	int pending;                     /* atomic: the signal that ends the process, 0: none */
	uint64_t blocked;                /* rt_sigprocmask: bit sig - 1 blocked */
	struct linux_sigaction actions[LINUX_NSIG]; /* rt_sigaction (index sig - 1) */
	struct wait_queue *interruptible; /* a queue the thread sleeps on that a signal wakes */
};

/*
 * fork: child's state starts as a copy of parent's actions and blocked
 * mask, with nothing pending (as Linux: pending signals are not inherited).
 */
void signal_fork(struct signal_state *child, const struct signal_state *parent);

/*
 * execve: every handled signal goes back to SIG_DFL (the handlers' code is
 * gone); ignored signals stay ignored; the blocked mask and what is pending
 * are kept.
 */
void signal_exec(struct signal_state *s);

/* The name of a signal ("SIGSEGV"), or NULL if it has none here. */
const char *signal_name(int sig);

/*
 * Send sig (1 .. LINUX_NSIG - 1) to p: mark it pending unless p ignores it,
 * and wake the interruptible wait p is in. Any context.
 */
void signal_send(struct process *p, int sig);

/*
 * Send sig to process pid (kill(2) for one pid). Returns 0; -ESRCH (no such
 * running process), -EINVAL (sig out of range). Process context.
 */
int signal_kill(int pid, int sig) __must_check;

/* Is a signal pending for the calling process? (false for kernel threads) */
bool signal_pending(void);

/*
 * An interruptible sleep: between signal_sleep_begin(wq) and
 * signal_sleep_end(), a signal sent to the calling process wakes wq, so a
 * wait whose condition includes signal_pending() ends (the console read:
 * tty_read(..., signal_pending) returns -EINTR). For kernel threads both
 * do nothing. From a thread, interrupts on.
 */
void signal_sleep_begin(struct wait_queue *wq);
void signal_sleep_end(void);

/*
 * At every return to ring 3 (isr.asm, syscall_entry.asm): act on a pending
 * signal (the process may end here and never return). Interrupts off.
 */
void signal_deliver(struct trap_frame *frame);

#endif
