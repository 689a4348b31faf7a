/*
 * process.c - the process table, starting a program, ending, waiting,
 * killing (see process.h).
 *
 * Life of a process:
 *
 *   process_spawn (the shell)        main thread (any CPU)
 *   -------------------------        ---------------------
 *   user_space_create, exec_load
 *   fds 0/1/2 = console, FPU state
 *   pid, table, thread_create  --->  t->process, t->fpu_state,
 *                                    address_space_switch, arch_enter_user
 *                                    ... ring 3, system calls, faults ...
 *                                    process_exit / process_exit_signal:
 *                                      kernel_space, user_space_destroy,
 *                                      fds, FPU state freed; ZOMBIE; wake
 *   process_wait (or the reaper) <-  thread_exit
 *   thread_join, off the table, put
 *
 * A kill only marks the process (pending_signal) and wakes the wait it
 * may be in; the process's own thread ends itself at its next return
 * towards ring 3 (process_user_return), so the tear-down always runs on
 * the thread that owns the space, never under somebody else's feet.
 * Background processes (`run -b`) are reaped by a kernel thread, "reaper",
 * started with the first process.
 *
 * Invariants:
 *   [x] the table (processes, next_pid) changes only under table_lock;
 *       a process leaves it only when reaped, after its thread is joined;
 *   [x] refcount = 1 (the table, until reaped) + process_get references;
 *       the last process_put frees a reaped process;
 *   [x] state becomes ZOMBIE once, after space, fds and FPU state are freed.
 * Context: see process.h. Lock order: table_lock -> nothing; a process's
 * lock -> nothing; tty lock -> process_signal (the Ctrl-C hook).
 */
#include "kernel/proc/process.h"

#include "drivers/tty.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/fs/initrd.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"

static spinlock_t table_lock = SPINLOCK_INIT("process table");
static struct list_node processes = LIST_INIT(processes);
static int next_pid = 1;
static size_t table_count;

/* The reaper of background processes: sleeps here until one is a zombie. */
static struct wait_queue reaper_queue = WAIT_QUEUE_INIT(reaper_queue, "reaper");
static bool reaper_started;           /* under table_lock */
static struct thread *reaper_thread;  /* runs for ever once started */

/* What a process sees in its environment. */
static const char *const process_envp[] = {"PATH=/", "HOME=/", "TERM=vt100", NULL};

struct process *process_current(void)
{
	return thread_current()->process;
}

const char *process_state_name(enum process_state s)
{
	return s == PROCESS_RUNNING ? "running" : s == PROCESS_ZOMBIE ? "zombie" : "?";
}

/* ---- References and the table. ---- */

struct process *process_get(int pid)
{
	struct process *found = NULL, *p;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	list_for_each_entry(p, &processes, link) {
		if (p->pid == pid) {
			__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
			found = p;
			break;
		}
	}
	spin_unlock_irqrestore(&table_lock, flags);
	return found;
}

static void process_free(struct process *p)
{
	ASSERT(p->reaped && p->state == PROCESS_ZOMBIE, "process_free: a process never reaped");
	kfree(p);
}

void process_put(struct process *p)
{
	int old = __atomic_fetch_sub(&p->refcount, 1, __ATOMIC_ACQ_REL);
	ASSERT(old > 0, "process_put: more puts than references");
	if (old == 1)
		process_free(p);
}

/* The next process by pid above after, with a reference; NULL after the last. */
static struct process *next_after(int after)
{
	struct process *best = NULL, *p;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	list_for_each_entry(p, &processes, link)
		if (p->pid > after && (!best || p->pid < best->pid))
			best = p;
	if (best)
		__atomic_fetch_add(&best->refcount, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&table_lock, flags);
	return best;
}

void process_for_each(void (*fn)(struct process *p, void *arg), void *arg)
{
	int last = 0;
	struct process *p;

	while ((p = next_after(last)) != NULL) {
		last = p->pid;
		fn(p, arg);
		process_put(p);
	}
}

size_t process_count(void)
{
	return __atomic_load_n(&table_count, __ATOMIC_RELAXED);
}

size_t process_running_count(void)
{
	size_t n = 0;
	struct process *p;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	list_for_each_entry(p, &processes, link)
		n += p->state == PROCESS_RUNNING;
	spin_unlock_irqrestore(&table_lock, flags);
	return n;
}

/*
 * Take a zombie whose thread was created off the table: join the thread
 * (its stack and descriptor are freed), unlist, drop the table's reference.
 */
static void reap(struct process *p)
{
	MUST_SUCCEED(thread_join(p->main_thread), "reap: the main thread is joinable");
	p->main_thread = NULL;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	p->reaped = true;
	list_remove(&p->link);
	table_count--;
	spin_unlock_irqrestore(&table_lock, flags);
	process_put(p);
}

static bool reapable(const struct process *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE &&
	       __atomic_load_n(&p->main_thread, __ATOMIC_ACQUIRE) != NULL;
}

/* A background zombie to reap, with a reference; NULL if none. */
static struct process *background_zombie(void)
{
	struct process *found = NULL, *p;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	list_for_each_entry(p, &processes, link) {
		if ((p->flags & PROCESS_BACKGROUND) && !p->reaped && reapable(p)) {
			__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
			found = p;
			break;
		}
	}
	spin_unlock_irqrestore(&table_lock, flags);
	return found;
}

static bool background_zombie_exists(void)
{
	struct process *p = background_zombie();
	if (!p)
		return false;
	__atomic_fetch_sub(&p->refcount, 1, __ATOMIC_RELAXED); /* the table still holds it */
	return true;
}

static void reaper_main(void *arg)
{
	(void)arg;
	for (;;) {
		wait_event(&reaper_queue, background_zombie_exists());
		struct process *p;
		while ((p = background_zombie()) != NULL) {
			reap(p);
			process_put(p);
		}
	}
}

/* Start the reaper once (the first background process). 0 or -ENOMEM. */
static int reaper_start(void)
{
	unsigned long flags = spin_lock_irqsave(&table_lock);
	bool started = reaper_started;
	reaper_started = true;
	spin_unlock_irqrestore(&table_lock, flags);
	if (started)
		return 0;
	/* Joinable but never joined: `kill -t` and Ctrl-C (demo threads) leave it alone. */
	reaper_thread = thread_create(reaper_main, NULL, "reaper", 0);
	if (!reaper_thread) {
		flags = spin_lock_irqsave(&table_lock);
		reaper_started = false;
		spin_unlock_irqrestore(&table_lock, flags);
		return -ENOMEM;
	}
	return 0;
}

/* ---- Wait statuses and the console's Ctrl-C. ---- */

const char *process_status_describe(int wait_status, char *buf, size_t size)
{
	int sig = wait_status & 0x7f;

	if (sig == 0) {
		ksnprintf(buf, size, "exited with status %d", (wait_status >> 8) & 0xff);
	} else if (signal_name(sig)) {
		ksnprintf(buf, size, "killed by %s", signal_name(sig));
	} else {
		ksnprintf(buf, size, "killed by signal %d", sig);
	}
	return buf;
}

static void process_tty_signal(void *owner, int sig)
{
	signal_send(owner, sig);
}

/* ---- Ending. ---- */

/*
 * The calling process's thread frees everything the process owns and
 * becomes a zombie with status, then ends. Interrupts turned on first
 * (a trap handler may call with them off; it holds no spinlock).
 */
static __noreturn void process_end(int status)
{
	struct thread *t = thread_current();
	struct process *p = t->process;

	ASSERT(p != NULL, "process_end: not a process's thread");
	ASSERT(preempt_count() == 0, "process_end: a process ends holding a spinlock");
	interrupts_enable();
	tty_release_foreground(p);

	/* Leave the space: from here on this thread runs on the kernel's tables. */
	address_space_switch(&kernel_space);
	mutex_lock(&p->space_mutex);
	p->minflt = p->space.as.minflt;
	user_space_destroy(&p->space);
	p->space_gone = true;
	mutex_unlock(&p->space_mutex);
	fd_table_release(&p->fds);

	/* The FPU state: no switch may save into it once it is freed. */
	unsigned long flags = arch_irq_save();
	void *fpu = t->fpu_state;
	t->fpu_state = NULL;
	arch_irq_restore(flags);
	if (fpu)
		fpu_state_free(fpu);

	flags = spin_lock_irqsave(&p->lock);
	p->wait_status = status;
	__atomic_store_n(&p->state, PROCESS_ZOMBIE, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&p->lock, flags);
	t->process = NULL;
	/* The waiter joins this thread before freeing p: p stays valid until thread_exit. */
	wait_queue_wake_all(&p->exit_wait);
	if (p->flags & PROCESS_BACKGROUND)
		wait_queue_wake_all(&reaper_queue);
	thread_exit();
}

void process_exit(int code)
{
	process_end(WAIT_STATUS_EXITED(code));
}

void process_exit_signal(int sig)
{
	process_end(WAIT_STATUS_SIGNALED(sig));
}

int process_wait(struct process *p, int *wait_status)
{
	if (p->flags & PROCESS_BACKGROUND) {
		process_put(p);
		return -EINVAL;
	}
	wait_event(&p->exit_wait, reapable(p));
	unsigned long flags = spin_lock_irqsave(&table_lock);
	bool taken = p->reaped;
	p->reaped = true; /* claimed: nobody else reaps it */
	spin_unlock_irqrestore(&table_lock, flags);
	if (taken) {
		process_put(p);
		return -EINVAL;
	}
	if (wait_status)
		*wait_status = p->wait_status;
	MUST_SUCCEED(thread_join(p->main_thread), "process_wait: the main thread is joinable");
	p->main_thread = NULL;
	flags = spin_lock_irqsave(&table_lock);
	list_remove(&p->link);
	table_count--;
	spin_unlock_irqrestore(&table_lock, flags);
	process_put(p); /* the table's */
	process_put(p); /* the caller's */
	return 0;
}

/* ---- Starting. ---- */

/* The main thread: become the process's, enter its space and ring 3. */
static void process_main(void *arg)
{
	struct process *p = arg;
	struct thread *t = thread_current();
	struct trap_frame frame;

	memset(&frame, 0, sizeof(frame));
	frame.rip = p->entry;
	frame.rsp = p->user_sp;
	frame.rflags = USER_RFLAGS_INITIAL;
	frame.cs = GDT_USER_CODE;
	frame.ss = GDT_USER_DATA;
	/* Interrupts off from here: a switch must not save stray registers into the clean state. */
	interrupts_disable();
	t->process = p;
	t->fpu_state = p->initial_fpu;
	p->initial_fpu = NULL;
	address_space_switch(&p->space.as);
	if (__atomic_load_n(&p->signals.pending, __ATOMIC_SEQ_CST))
		process_exit_signal(p->signals.pending); /* killed before it ran */
	arch_enter_user(&frame);
}

/* The last path component of path, at most PROCESS_NAME_MAX - 1 bytes. */
static void name_from_path(char *name, const char *path)
{
	const char *base = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	strlcpy(name, base, PROCESS_NAME_MAX);
}

#define WHY(...)                                                      \
	do {                                                          \
		if (why && why_size)                                  \
			ksnprintf(why, why_size, __VA_ARGS__);         \
	} while (0)

int process_spawn(const char *path, const char *const argv[], unsigned flags,
		  struct process **out, char *why, size_t why_size)
{
	int err;
	size_t argc = 0;

	if (out)
		*out = NULL;
	if (why && why_size)
		why[0] = '\0';
	if ((flags & ~(PROCESS_BACKGROUND | PROCESS_FOREGROUND | PROCESS_TRACE)) ||
	    (flags & PROCESS_BACKGROUND && flags & PROCESS_FOREGROUND) || !path) {
		WHY("bad flags or no path");
		return -EINVAL;
	}
	while (argv && argv[argc]) {
		if (++argc > PROCESS_ARGS_MAX) {
			WHY("more than %d arguments", PROCESS_ARGS_MAX);
			return -EINVAL;
		}
	}
	const struct initrd_file *file = initrd_find(path);
	if (!file) {
		WHY("'%s' not found in the initrd (try 'ls')", path);
		return -ENOENT;
	}
	/*
	 * The reaper starts with the first process of any kind, so that its
	 * stack is not counted against the first background one (meminfo
	 * before and after a `run -b` agree); only a background process needs it.
	 */
	if ((err = reaper_start()) != 0 && (flags & PROCESS_BACKGROUND)) {
		WHY("no memory for the reaper thread");
		return err;
	}
	struct process *p = kmalloc(sizeof(*p), KM_ZERO);
	if (!p) {
		WHY("no memory for the process");
		return -ENOMEM;
	}
	p->flags = flags;
	p->refcount = 1;
	spin_lock_init(&p->lock, "process");
	wait_queue_init(&p->exit_wait, "process exit");
	mutex_init(&p->space_mutex, "process space");
	fd_table_init(&p->fds);
	name_from_path(p->name, file->name);
	p->parent = process_current();
	p->state = PROCESS_RUNNING;

	err = user_space_create(&p->space);
	if (err) {
		WHY("no memory for an address space");
		kfree(p);
		return err;
	}
	struct exec_result res;
	const char *const default_argv[] = {file->name, NULL};
	err = exec_load(&p->space, file, argc ? argv : default_argv, process_envp, &res, why,
			why_size);
	if (!err && (err = fd_table_open_console(&p->fds)) != 0)
		WHY("no memory for the console descriptors");
	if (!err && !(p->initial_fpu = fpu_state_alloc())) {
		WHY("no memory for the FPU state");
		err = -ENOMEM;
	}
	if (err) {
		fd_table_release(&p->fds);
		user_space_destroy(&p->space);
		kfree(p);
		return err;
	}
	p->entry = res.entry;
	p->user_sp = res.stack_pointer;

	unsigned long irq = spin_lock_irqsave(&table_lock);
	p->pid = next_pid++;
	p->start_tick = timer_ticks();
	list_add_tail(&processes, &p->link);
	table_count++;
	spin_unlock_irqrestore(&table_lock, irq);
	if (out)
		__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
	if (flags & PROCESS_FOREGROUND)
		tty_set_foreground(p, process_tty_signal);

	struct thread *t = thread_create(process_main, p, p->name, 0);
	if (!t) {
		/* Never ran: undo by hand, as its thread would have. */
		tty_release_foreground(p);
		fpu_state_free(p->initial_fpu);
		fd_table_release(&p->fds);
		user_space_destroy(&p->space);
		irq = spin_lock_irqsave(&table_lock);
		list_remove(&p->link);
		table_count--;
		spin_unlock_irqrestore(&table_lock, irq);
		kfree(p);
		if (out)
			*out = NULL;
		WHY("no memory for the main thread");
		return -ENOMEM;
	}
	__atomic_store_n(&p->main_thread, t, __ATOMIC_RELEASE);
	wait_queue_wake_all(&p->exit_wait); /* a waiter may wait for main_thread alone */
	if (flags & PROCESS_BACKGROUND)
		wait_queue_wake_all(&reaper_queue);
	if (out)
		*out = p;
	return 0;
}

/* ---- Readers. ---- */

struct user_space *process_space_begin(struct process *p)
{
	mutex_lock(&p->space_mutex);
	if (p->space_gone) {
		mutex_unlock(&p->space_mutex);
		return NULL;
	}
	return &p->space;
}

void process_space_end(struct process *p)
{
	mutex_unlock(&p->space_mutex);
}

uint64_t process_minflt(const struct process *p)
{
	if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE)
		return p->minflt;
	return __atomic_load_n(&p->space.as.minflt, __ATOMIC_RELAXED);
}

uint64_t process_resident(struct process *p)
{
	struct user_space *us = process_space_begin(p);
	if (!us)
		return 0;
	uint64_t n = user_space_resident(us);
	process_space_end(p);
	return n;
}
