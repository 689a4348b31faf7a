/*
 * signal.c - sending signals and acting on them (see signal.h).
 *
 * A send sets the signal's bit in the target's pending set (with its
 * siginfo) under the target's lock and wakes the wait it is in; the
 * target's thread acts on its next return to ring 3 (signal_deliver): the
 * default action, or a handler, for which Linux's rt_sigframe (layout and
 * checks: kernel/arch/x86_64/signal_frame.c) is written on the user stack,
 * FPU image included, and the frame redirected to the handler. The handler
 * returns through its restorer (sa_restorer, SA_RESTORER required, as on
 * x86-64 Linux) into rt_sigreturn (signal_return), which believes nothing
 * in the frame without checking it: a forged frame kills its process with
 * SIGSEGV, never hurts the kernel. An interrupted system call's
 * -ERESTARTSYS becomes a restart (no handler, or SA_RESTART) or -EINTR.
 *
 * Invariants:
 *   [x] pending and info[] change only under the process's lock;
 *   [x] the interruptible queue is woken and cleared only under that lock
 *       (a pipe's queue dies with the pipe right after its sleeper leaves),
 *       except the process's own IPC queue, which lives as long as it
 *       (signal_sleep_end_in: cleared without the lock);
 *   [x] signal_deliver returns with interrupts off and nothing deliverable
 *       pending, or never returns (the process ended);
 *   [x] a frame that cannot be written or read back ends the process
 *       (SIGSEGV), whatever its handlers.
 * Context: see signal.h.
 */
#include "kernel/proc/signal.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/signal_frame.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/wait.h"
#include "kernel/syscall/sigmask.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/uaccess.h"

static const char *const signal_names[] = {
	[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN",
	[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",       [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

/* pause and rt_sigsuspend sleep here; a send wakes it (interruptible), each rechecks its own. */
static struct wait_queue pause_queue = WAIT_QUEUE_INIT(pause_queue, "pause");

const char *signal_name(int sig)
{
	if (sig <= 0 || (size_t)sig >= sizeof(signal_names) / sizeof(signal_names[0]))
		return NULL;
	return signal_names[sig];
}

/* Linux's unkillable init: pid 1 takes only the signals it has a handler for. */
static bool is_init(const struct process *p)
{
	return p->pid == 1;
}

/* Under p's lock: would sig be thrown away at the send? */
static bool dropped_at_send(const struct process *p, int sig)
{
	uint64_t handler = p->signals.actions[sig - 1].handler;

	if (is_init(p) && handler <= SIG_IGN)
		return true;
	if (sig == SIGKILL)
		return false;
	if (p->signals.blocked & SIGMASK_BIT(sig))
		return false; /* the action may change before it is unblocked (Linux's rule) */
	return handler == SIG_IGN ||
	       (handler == SIG_DFL && (sig_default_action(sig) == SIG_DEFAULT_IGNORE ||
				       sig_default_action(sig) == SIG_DEFAULT_STOP));
}

/* Mark sig pending in p with its info (the first instance's info is kept). Any context. */
static void send(struct process *p, int sig, const struct signal_info *info)
{
	if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE)
		return;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool wake = false;
	if (!dropped_at_send(p, sig)) {
		if (!(p->signals.pending & SIGMASK_BIT(sig)))
			p->signals.info[sig - 1] = *info;
		__atomic_or_fetch(&p->signals.pending, SIGMASK_BIT(sig), __ATOMIC_SEQ_CST);
		wake = true;
	}
	/*
	 * Wake under p's lock: signal_sleep_end clears the queue under it too,
	 * so the queue (a pipe's, freed with the pipe) cannot be freed between
	 * this load and the wake. Lock order: p's lock -> the queue's.
	 */
	struct wait_queue *wq = __atomic_load_n(&p->signals.interruptible, __ATOMIC_SEQ_CST);
	if (wake && wq)
		wait_queue_wake_all(wq);
	spin_unlock_irqrestore(&p->lock, flags);
}

void signal_send(struct process *p, int sig)
{
	ASSERT(sig >= 1 && sig <= LINUX_NSIG, "signal_send: signal number out of range");
	struct signal_info info = {.code = SI_KERNEL};
	send(p, sig, &info);
}

void signal_send_info(struct process *p, int sig, int code, int sender)
{
	ASSERT(sig >= 1 && sig <= LINUX_NSIG, "signal_send_info: signal number out of range");
	struct signal_info info = {.code = code, .pid = sender};
	send(p, sig, &info);
}

void signal_child_ended(struct process *parent, int pid, int wait_status)
{
	int sig = wait_status & 0x7f;
	struct signal_info info = {.code = sig ? CLD_KILLED : CLD_EXITED, .pid = pid,
				   .status = sig ? sig : (wait_status >> 8) & 0xff};
	send(parent, SIGCHLD, &info);
}

/* ---- Choosing targets. ---- */

struct group_send {
	int pgid;           /* > 0: that group; 0: every process (kill -1) */
	int sig;            /* 0: count only */
	struct signal_info info;
	const struct process *skip; /* kill -1: the caller */
	int count;
};

/* process_for_each_locked's visit: under the table lock, so no sleeping. */
static void group_visit(struct process *p, void *arg)
{
	struct group_send *g = arg;

	if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE)
		return;
	if (g->pgid > 0 ? p->pgid != g->pgid : (is_init(p) || p == g->skip))
		return;
	g->count++;
	if (g->sig)
		send(p, g->sig, &g->info);
}

int signal_send_group(int pgid, int sig)
{
	struct group_send g = {.pgid = pgid, .sig = sig, .info = {.code = SI_KERNEL}};

	if (pgid <= 0)
		return 0;
	process_for_each_locked(group_visit, &g);
	return g.count;
}

int signal_kill(int pid, int sig)
{
	if (sig <= 0 || sig >= LINUX_NSIG)
		return -EINVAL;
	struct process *p = process_get(pid);
	if (!p)
		return -ESRCH;
	int err = 0;
	if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE)
		err = -ESRCH; /* already ended: nothing to kill */
	else if (is_init(p))
		err = -EPERM;
	else
		signal_send(p, sig);
	process_put(p);
	return err;
}

int signal_kill_user(int pid, int sig, int code)
{
	struct process *self = process_current();
	struct signal_info info = {.code = code, .pid = self ? self->pid : 0};

	if (sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	if (pid > 0) {
		struct process *p = process_get(pid);
		if (!p)
			return -ESRCH; /* a zombie not yet reaped exists: 0, as Linux */
		if (sig)
			send(p, sig, &info);
		process_put(p);
		return 0;
	}
	if (pid == INT32_MIN)
		return -ESRCH; /* -pid overflows: no such group (Linux) */
	struct group_send g = {.pgid = pid == -1 ? 0 : pid == 0 ? (self ? self->pgid : 0) : -pid,
			       .sig = sig, .info = info, .skip = self};
	if (pid == 0 && g.pgid <= 0)
		return -ESRCH;
	process_for_each_locked(group_visit, &g);
	return g.count ? 0 : -ESRCH;
}

/* ---- Fork, exec, waits. ---- */

void signal_fork(struct signal_state *child, const struct signal_state *parent)
{
	/* The parent is the caller: only its own thread changes its actions and mask. */
	for (int i = 0; i < LINUX_NSIG; i++)
		child->actions[i] = parent->actions[i];
	child->blocked = parent->blocked;
	child->pending = 0;
	child->interruptible = NULL;
	child->restore_mask = false;
	child->altstack_sp = parent->altstack_sp;
	child->altstack_size = parent->altstack_size;
}

void signal_exec(struct signal_state *s)
{
	struct process *p = container_of(s, struct process, signals);
	unsigned long flags = spin_lock_irqsave(&p->lock);
	for (int i = 0; i < LINUX_NSIG; i++) {
		/* A handler's code is gone with the old image; flags and mask go too (Linux). */
		uint64_t handler = s->actions[i].handler == SIG_IGN ? SIG_IGN : SIG_DFL;
		s->actions[i] = (struct linux_sigaction){.handler = handler};
	}
	spin_unlock_irqrestore(&p->lock, flags);
	s->altstack_sp = 0;
	s->altstack_size = 0;
}

/* Is a signal p does not block pending? */
static bool deliverable(const struct process *p)
{
	return signal_pending_in(&p->signals);
}

bool signal_pending(void)
{
	struct process *p = process_current();
	return p && deliverable(p);
}

void signal_sleep_begin(struct wait_queue *wq)
{
	struct process *p = process_current();
	if (p)
		__atomic_store_n(&p->signals.interruptible, wq, __ATOMIC_SEQ_CST);
}

void signal_sleep_end(void)
{
	struct process *p = process_current();
	if (!p)
		return;
	/* Under the lock: a send that saw the queue has finished waking it (see send). */
	unsigned long flags = spin_lock_irqsave(&p->lock);
	__atomic_store_n(&p->signals.interruptible, NULL, __ATOMIC_SEQ_CST);
	spin_unlock_irqrestore(&p->lock, flags);
}

int signal_wait(void)
{
	struct process *p = process_current();

	ASSERT(p != NULL, "signal_wait: only a process waits for a signal");
	signal_sleep_begin(&pause_queue);
	wait_event(&pause_queue, deliverable(p));
	signal_sleep_end();
	return -EINTR;
}

void signal_suspend_mask(uint64_t mask)
{
	struct signal_state *s = &process_current()->signals;

	s->saved_mask = s->blocked;
	s->restore_mask = true;
	s->blocked = mask & ~SIGMASK_UNBLOCKABLE;
}

bool signal_fault(int sig, int code, uint64_t addr)
{
	struct process *p = process_current();

	if (!p)
		return false;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool handled = p->signals.actions[sig - 1].handler > SIG_IGN &&
		       !(p->signals.blocked & SIGMASK_BIT(sig));
	if (handled) {
		p->signals.info[sig - 1] = (struct signal_info){.code = code, .addr = addr};
		__atomic_or_fetch(&p->signals.pending, SIGMASK_BIT(sig), __ATOMIC_SEQ_CST);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return handled;
}

/* ---- Delivery. ---- */

/* A frame the process cannot have: report and end it with SIGSEGV. */
static __noreturn void bad_frame(struct process *p, const char *what, uint64_t addr)
{
	kprintf("pid %d (%s): %s at 0x%lx (killed by SIGSEGV)\n", p->pid, p->name, what, addr);
	process_exit_signal(SIGSEGV);
}

/* Take the next deliverable signal off p's pending set with its info and action; 0: none. */
static int dequeue(struct process *p, struct signal_info *info, struct linux_sigaction *act)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	int sig = sigmask_next(p->signals.pending, p->signals.blocked);
	if (sig) {
		__atomic_and_fetch(&p->signals.pending, ~SIGMASK_BIT(sig), __ATOMIC_SEQ_CST);
		*info = p->signals.info[sig - 1];
		*act = p->signals.actions[sig - 1];
		if (act->handler > SIG_IGN && (act->flags & SA_RESETHAND))
			p->signals.actions[sig - 1].handler = SIG_DFL;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return sig;
}

/* Was frame a system call that a signal interrupted (-ERESTARTSYS)? */
static bool interrupted_call(const struct trap_frame *frame)
{
	return frame->vector == SYSCALL_VECTOR && frame->error_code != SIGNAL_NO_SYSCALL &&
	       (int64_t)frame->rax == -ERESTARTSYS;
}

/* The interrupted call runs again: its number back in RAX, RIP on the `syscall` (2 bytes). */
static void restart_call(struct trap_frame *frame)
{
	frame->rax = frame->error_code;
	frame->rip -= 2;
}

/* The FPU image written under a frame: the thread's area, its size, and whether it is XSAVE's. */
static size_t fpu_image_size(void)
{
	return fpu_state_size() + (fpu_uses_xsave() ? 4 : 0); /* + FP_XSTATE_MAGIC2 */
}

/* The user stack the handler runs on: the alternate stack if asked for and not on it already. */
static uint64_t handler_stack(const struct signal_state *s, const struct linux_sigaction *act,
			      uint64_t sp, struct linux_stack *uc_stack, bool *fresh)
{
	bool on_alt = s->altstack_size && sp - s->altstack_sp <= s->altstack_size;

	uc_stack->ss_sp = s->altstack_sp;
	uc_stack->ss_size = s->altstack_size;
	uc_stack->ss_flags = !s->altstack_size ? SS_DISABLE : on_alt ? SS_ONSTACK : 0;
	*fresh = (act->flags & SA_ONSTACK) && s->altstack_size && !on_alt;
	return *fresh ? s->altstack_sp + s->altstack_size : sp;
}

/*
 * Write the handler's frame for sig under the user stack and point frame
 * at the handler. Ends the process (SIGSEGV) if it cannot. Interrupts on.
 */
static void setup_frame(struct process *p, struct trap_frame *frame, int sig,
			const struct linux_sigaction *act, const struct signal_info *info)
{
	struct thread *t = thread_current();
	struct signal_state *s = &p->signals;
	struct signal_frame_info fi = {
		.sig = sig, .code = info->code, .pid = info->pid, .status = info->status,
		.addr = info->addr,
		.restorer = act->restorer, .xstate = fpu_uses_xsave(),
	};
	bool fresh;
	uint64_t sp = handler_stack(s, act, frame->rsp, &fi.altstack, &fresh);
	uint64_t frame_addr = signal_frame_place(sp, !fresh, fpu_image_size(), &fi.fpstate);

	if (!(act->flags & SA_RESTORER))
		bad_frame(p, "signal handler without SA_RESTORER", act->handler);
	if (!frame_addr || !t->fpu_state)
		bad_frame(p, "no room for a signal frame", sp);
	fi.mask = s->restore_mask ? s->saved_mask : s->blocked;

	/* The FPU registers into the thread's area (they are loaded while it runs). */
	interrupts_disable();
	fpu_save(t->fpu_state);
	interrupts_enable();
	uint8_t *image = t->fpu_state;
	if (fi.xstate)
		signal_frame_fpu_mark(image, fpu_state_size(), fpu_xcr0());
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	struct linux_rt_sigframe sf;
	signal_frame_fill(&sf, frame, &fi);
	if (copy_to_user(fi.fpstate, image, fpu_state_size()) ||
	    (fi.xstate && copy_to_user(fi.fpstate + fpu_state_size(), &magic2, 4)) ||
	    copy_to_user(frame_addr, &sf, sizeof(sf)))
		bad_frame(p, "cannot write a signal frame", frame_addr);

	/* The handler starts with a clean FPU (as Linux) and its mask. */
	interrupts_disable();
	fpu_state_reset(t->fpu_state);
	fpu_load(t->fpu_state);
	interrupts_enable();
	signal_frame_enter(frame, frame_addr, sig, act->handler);
	uint64_t add = act->mask | ((act->flags & SA_NODEFER) ? 0 : SIGMASK_BIT(sig));
	s->blocked |= add & ~SIGMASK_UNBLOCKABLE;
	s->restore_mask = false;
}

/* Act on every deliverable signal; interrupts on. Returns when none is left or never. */
static void deliver_slow(struct process *p, struct trap_frame *frame)
{
	struct signal_info info = {0};
	struct linux_sigaction act = {0};
	bool handled = false;
	int sig;

	while ((sig = dequeue(p, &info, &act)) != 0) {
		if (act.handler == SIG_IGN)
			continue;
		if (act.handler == SIG_DFL) {
			enum sig_default d = sig_default_action(sig);
			if (d == SIG_DEFAULT_IGNORE || d == SIG_DEFAULT_STOP || is_init(p))
				continue;
			process_exit_signal(sig); /* TERM and CORE alike: no core files */
		}
		if (interrupted_call(frame)) {
			if (act.flags & SA_RESTART)
				restart_call(frame);
			else
				frame->rax = (uint64_t)-EINTR;
		}
		setup_frame(p, frame, sig, &act, &info);
		handled = true;
	}
	if (interrupted_call(frame))
		restart_call(frame); /* no handler ran: the call goes on as if never interrupted */
	if (!handled && p->signals.restore_mask) {
		p->signals.blocked = p->signals.saved_mask;
		p->signals.restore_mask = false;
	}
}

void signal_deliver(struct trap_frame *frame)
{
	struct process *p = thread_current()->process;

	if (unlikely(p == NULL))
		return;
	while (unlikely(deliverable(p) || interrupted_call(frame) || p->signals.restore_mask)) {
		interrupts_enable();
		deliver_slow(p, frame);
		interrupts_disable();
	}
}

long signal_return(struct trap_frame *frame)
{
	struct process *p = process_current();
	struct thread *t = thread_current();
	struct linux_rt_sigframe sf;
	uint64_t addr = frame->rsp - 8; /* the handler's ret popped pretcode */

	if (copy_from_user(&sf, addr, sizeof(sf)))
		bad_frame(p, "rt_sigreturn: unreadable signal frame", addr);
	uint64_t fp = sf.uc.uc_mcontext.fpstate;
	void *image = fpu_state_alloc();
	if (!image)
		bad_frame(p, "rt_sigreturn: no memory for the FPU state", fp);
	if (fp && copy_from_user(image, fp, fpu_state_size())) {
		fpu_state_free(image);
		bad_frame(p, "rt_sigreturn: unreadable FPU state", fp);
	}
	interrupts_disable();
	fpu_save(t->fpu_state); /* for the CPU's MXCSR_MASK */
	interrupts_enable();
	uint32_t mxcsr_mask;
	memcpy(&mxcsr_mask, (uint8_t *)t->fpu_state + FPU_MXCSR_OFFSET + 4, 4);
	if (!mxcsr_mask)
		mxcsr_mask = 0xffbf; /* SDM Vol. 1 11.6.6: the default when the field is 0 */
	if (fp && !signal_frame_fpu_ok(image, fpu_state_size(), fpu_uses_xsave(), fpu_xcr0(),
				       mxcsr_mask)) {
		fpu_state_free(image);
		bad_frame(p, "rt_sigreturn: FPU state the CPU would refuse", fp);
	}
	if (signal_frame_restore(&sf, frame)) {
		fpu_state_free(image);
		bad_frame(p, "rt_sigreturn: forged registers (selectors or addresses)",
			  sf.uc.uc_mcontext.rip);
	}
	interrupts_disable();
	memcpy(t->fpu_state, image, fpu_state_size()); /* image is clean if fp was 0 */
	fpu_load(t->fpu_state);
	interrupts_enable();
	fpu_state_free(image);
	p->signals.blocked = sf.uc.uc_sigmask & ~SIGMASK_UNBLOCKABLE;
	return (long)frame->rax;
}
