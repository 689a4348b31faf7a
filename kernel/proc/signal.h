/*
 * signal.h - signals: how a process is asked to stop, by the kernel (a
 * fault, Ctrl-C) or by another process (kill), and what it does then.
 *
 * Each process keeps its signal state here: a pending SET (one bit per
 * signal, with what siginfo says about it), the blocked mask, one action
 * per signal (rt_sigaction) and its alternate stack. Sending only marks the
 * signal pending and wakes the interruptible wait the target may be in;
 * the target's own thread acts on it at its next return towards ring 3
 * (signal_deliver, from the assembly of every exit to user mode): it ends
 * itself (default action), drops it, or builds Linux's rt_sigframe on its
 * user stack and returns into the handler, which comes back through
 * rt_sigreturn. So a process is always ended or redirected by itself,
 * never under another thread's feet.
 *
 * Invariants:
 *   [x] SIGKILL and SIGSTOP are never blocked and keep SIG_DFL;
 *   [x] a signal that is ignored (SIG_IGN, or SIG_DFL with an "ignore"
 *       default) and not blocked is dropped when sent, never left pending;
 *   [x] pid 1 (init) drops every signal it has no handler for (Linux's
 *       unkillable init), SIGKILL included;
 *   [x] only the process's own thread changes blocked, the altstack and
 *       (under its lock) actions; pending and info change under its lock.
 * Context: signal_send from any context, interrupts on or off (the serial
 * interrupt's Ctrl-C); the rest from a process's thread. Lock order:
 * tty lock -> process table -> a process's lock -> a wait queue's lock.
 */
#ifndef KERNEL_PROC_SIGNAL_H
#define KERNEL_PROC_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/wait.h"
#include "kernel/syscall/sigmask.h"
#include "lib/compiler.h"
#include "lib/uapi.h"

struct process;
struct trap_frame;
struct wait_queue;

/* What is remembered of a pending signal for the handler's siginfo. */
struct signal_info {
	int32_t code;                    /* si_code: SI_USER, SI_KERNEL, SI_TKILL, SEGV_*, ... */
	int32_t pid;                     /* the sender (kill) or the child (SIGCHLD), 0 */
	int32_t status;                  /* SIGCHLD: the exit code or the signal */
	uint64_t addr;                   /* faults: the address (si_addr, cr2) */
};

struct signal_state {
	uint64_t pending;                /* bit sig - 1: sent, not yet acted on */
	uint64_t blocked;                /* rt_sigprocmask: bit sig - 1 blocked */
	struct linux_sigaction actions[LINUX_NSIG]; /* rt_sigaction (index sig - 1) */
	struct signal_info info[LINUX_NSIG];        /* of each pending signal (index sig - 1) */
	struct wait_queue *interruptible; /* a queue the thread sleeps on that a signal wakes */
	uint64_t saved_mask;             /* rt_sigsuspend: the mask to put back ... */
	bool restore_mask;               /* ... once a handler's frame holds it */
	uint64_t altstack_sp;            /* sigaltstack: base and size; 0 size: none */
	uint64_t altstack_size;
};

/*
 * fork: child's state starts as a copy of parent's actions, blocked mask
 * and alternate stack, with nothing pending (as Linux: pending signals are
 * not inherited). From the parent's thread.
 */
void signal_fork(struct signal_state *child, const struct signal_state *parent);

/*
 * execve: every handled signal goes back to SIG_DFL (the handlers' code is
 * gone); ignored signals stay ignored; flags and handler masks are
 * cleared; the alternate stack is forgotten; the blocked mask and what is
 * pending are kept. From the process's thread.
 */
void signal_exec(struct signal_state *s);

/* The name of a signal ("SIGSEGV"), or NULL if it has none here. */
const char *signal_name(int sig);

/*
 * Send sig (1 .. LINUX_NSIG) from the kernel to p (si_code SI_KERNEL):
 * mark it pending unless p ignores it, and wake the interruptible wait p
 * is in. Nothing for a zombie. Any context.
 */
void signal_send(struct process *p, int sig);

/*
 * SIGCHLD to parent for child pid, which ended with wait_status: siginfo
 * says CLD_EXITED and the exit code, or CLD_KILLED and the signal. Any
 * context.
 */
void signal_child_ended(struct process *parent, int pid, int wait_status);

/* signal_send with siginfo's code and sender pid (kill, tkill). Any context. */
void signal_send_info(struct process *p, int sig, int code, int sender);

/*
 * Send sig to every running process of process group pgid (Ctrl-C: the
 * foreground group). Returns how many were signalled. Any context (the
 * table is walked under its lock).
 */
int signal_send_group(int pgid, int sig);

/*
 * The shell's kill: sig to process pid. Returns 0; -ESRCH (no such running
 * process), -EINVAL (sig out of 1 .. LINUX_NSIG - 1), -EPERM (pid 1: init
 * cannot be killed). Process context.
 */
int signal_kill(int pid, int sig) __must_check;

/*
 * kill(2)'s targets from the calling process: pid > 0 that process, 0 the
 * caller's group, -1 every process but init and the caller, < -1 group
 * -pid. sig 0 only checks that a target exists. code is SI_USER or
 * SI_TKILL (siginfo). Returns 0, -EINVAL (sig out of 0 .. LINUX_NSIG),
 * -ESRCH (no target). Process context.
 */
int signal_kill_user(int pid, int sig, int code) __must_check;

/* Is a signal the calling process does not block pending? (false for kernel threads) */
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
 * The same three on the caller's own signal state s (its process's
 * `signals`, given: no look-up), for a sleep on a queue that lives as long
 * as the process (its IPC queue: the IPC fast path inlines them). The end
 * takes no lock: a send that read the queue just before wakes a queue
 * still alive, a spurious wake-up every sleep re-checks. Interrupts off
 * or on.
 */
static __always_inline bool signal_pending_in(const struct signal_state *s)
{
	return (__atomic_load_n(&s->pending, __ATOMIC_SEQ_CST) &
		~(s->blocked & ~SIGMASK_UNBLOCKABLE)) != 0;
}

static inline void signal_sleep_begin_in(struct signal_state *s, struct wait_queue *wq)
{
	__atomic_store_n(&s->interruptible, wq, __ATOMIC_SEQ_CST);
}

static inline void signal_sleep_end_in(struct signal_state *s)
{
	__atomic_store_n(&s->interruptible, NULL, __ATOMIC_RELEASE);
}

/*
 * Would signal_deliver do nothing for a system call of the process of s
 * that returns 0 (no unblocked signal pending, no mask to put back)? The
 * IPC fast path asks, to return to ring 3 without calling it. Interrupts off.
 */
static __always_inline bool signal_nothing_to_deliver(const struct signal_state *s)
{
	return !signal_pending_in(s) && !s->restore_mask;
}

/*
 * Linux's wait_event_interruptible: sleep on wq (an interruptible sleep,
 * above) until cond holds or a signal is pending. 0 when cond holds (a
 * signal may be pending too: the caller goes on), else -ERESTARTSYS (the
 * caller returns it, or its count so far). cond is evaluated again after
 * every wake-up. From a process's thread, interrupts on; sleeps.
 */
#define wait_event_interruptible(wq, cond)                          \
	({                                                          \
		signal_sleep_begin(wq);                             \
		wait_event(wq, (cond) || signal_pending());         \
		signal_sleep_end();                                 \
		(cond) ? 0 : -ERESTARTSYS;                          \
	})

/*
 * Sleep until a signal the caller does not block is pending (pause,
 * rt_sigsuspend). Returns -EINTR. Process context; sleeps.
 */
int signal_wait(void);

/*
 * rt_sigsuspend's mask: block mask until the next handler's frame is built
 * (it then records the current mask for rt_sigreturn to put back), or
 * until signal_deliver runs no handler. From the process's thread.
 */
void signal_suspend_mask(uint64_t mask);

/*
 * A user fault (sig, si_code code, address addr) on the calling process:
 * if sig has a handler and is not blocked, make it pending and return true
 * (the handler runs on the way back to ring 3). Otherwise false: the caller
 * reports and ends the process with sig (a blocked or ignored fault signal
 * kills, as Linux's force_sig). Interrupts off (a trap handler).
 */
bool signal_fault(int sig, int code, uint64_t addr);

/*
 * At every return to ring 3 (isr.asm, syscall_entry.asm, arch_enter_user):
 * act on the pending signals the process does not block: default action
 * (the process may end here and never return), or a handler's frame
 * (frame is redirected to it). An interrupted system call (-ERESTARTSYS
 * in frame->rax) is restarted, or fails with -EINTR when a handler without
 * SA_RESTART runs. Called and returns with interrupts off; turns them on
 * while it works.
 */
void signal_deliver(struct trap_frame *frame);

/*
 * rt_sigreturn: restore the registers, FPU state and mask the handler's
 * frame at the caller's RSP - 8 holds. Returns the restored RAX (the
 * dispatcher stores it back). A frame that cannot be read or does not pass
 * signal_frame_restore's checks ends the process with SIGSEGV. Process
 * context (the system call's frame).
 */
long signal_return(struct trap_frame *frame);

#endif
