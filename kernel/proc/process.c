/*
 * process.c - the process table, starting a program, forking, ending,
 * waiting (see process.h).
 *
 * Life of a process:
 *
 *   process_spawn (the shell) or     main thread (any CPU)
 *   process_fork (its parent)
 *   -------------------------        ---------------------
 *   a table slot (PROCESS_MAX)
 *   space: exec_load / user_space_fork
 *   fds, signals, FPU state, frame
 *   pid, table, thread_create  --->  t->process, t->fpu_state, fs_base,
 *                                    address_space_switch, arch_enter_user
 *                                    ... ring 3, system calls, faults ...
 *                                    process_end: kernel_space,
 *                                      user_space_destroy, fds, FPU freed;
 *                                      ZOMBIE, children to init; wake,
 *                                      SIGCHLD to the parent
 *   wait4 / process_wait /     <-    thread_exit
 *   the reaper: thread_join, off the table, put
 *
 * A kill only marks the process and wakes the wait it may be in; its own
 * thread ends itself on its way back to ring 3 (signal_deliver), so the
 * tear-down always runs on the thread that owns the space. The reaper, a
 * kernel thread started with the first process, reaps background processes
 * (`run -b`, init) and orphans when there is no init.
 *
 * Invariants:
 *   [x] the table (processes, next_pid, table_count, init_process) and
 *       every parent/children link change only under table_lock;
 *       table_count counts the listed processes plus slots reserved by a
 *       spawn or fork under way, never more than PROCESS_MAX;
 *   [x] refcount = 1 (the table, until reaped) + process_get references;
 *       the last process_put frees a reaped process;
 *   [x] state becomes ZOMBIE once, under table_lock, after space, fds and
 *       FPU state are freed, with the children handed on in the same hold.
 * Context: see process.h. Lock order: table_lock -> a process's lock ->
 * nothing; tty lock -> table_lock (the Ctrl-C hook signals the foreground group).
 */
#include "kernel/proc/process.h"

#include "drivers/tty.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/fs/initrd.h"
#include "kernel/ipc/ipc.h"
#include "kernel/ipc/irq_notify.h"
#include "kernel/ipc/pager.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/ioperm.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/syscall/sys_random.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"
#include "mm/share.h"

static spinlock_t table_lock = SPINLOCK_INIT("process table");
static struct list_node processes = LIST_INIT(processes);
static int next_pid = 1;
static size_t table_count;
static struct process *init_process;  /* adopts orphans (process_set_init), or NULL */

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

void process_for_each_locked(void (*fn)(struct process *p, void *arg), void *arg)
{
	struct process *p;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	list_for_each_entry(p, &processes, link)
		fn(p, arg);
	spin_unlock_irqrestore(&table_lock, flags);
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
 * Finish reaping a zombie already claimed (reaped set under table_lock):
 * join its thread (its stack and descriptor are freed), unlist it, drop
 * the table's reference.
 */
static void reap_claimed(struct process *p)
{
	MUST_SUCCEED(thread_join(p->main_thread), "reap_claimed: the main thread is joinable");
	p->main_thread = NULL;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	list_remove(&p->link);
	table_count--;
	spin_unlock_irqrestore(&table_lock, flags);
	process_put(p);
}

static void reap(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&table_lock);
	p->reaped = true;
	spin_unlock_irqrestore(&table_lock, flags);
	reap_claimed(p);
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

/* ---- Parents and children. ---- */

int process_ppid(const struct process *p)
{
	return __atomic_load_n(&p->ppid, __ATOMIC_RELAXED);
}


/* What to tell after handing children on (done once table_lock is dropped). */
struct handover {
	struct process *heir;            /* referenced: send it SIGCHLD, wake its wait4 */
	bool wake_reaper;                /* an orphan zombie went to the reaper */
};

/*
 * p ends: give each of its children to init (or, without a live init, to
 * the reaper: parent NULL, PROCESS_BACKGROUND). An ended child already a
 * zombie makes its new parent's wait4 wake (and init gets SIGCHLD, as
 * Linux's reparenting sends it). Under table_lock.
 */
static void hand_children_on(struct process *p, struct handover *h)
{
	struct process *heir = init_process;

	if (heir == p || (heir && heir->state == PROCESS_ZOMBIE))
		heir = NULL;
	while (!list_empty(&p->children)) {
		struct process *c = list_first_entry(&p->children, struct process, sibling);
		list_remove(&c->sibling);
		if (heir) {
			c->parent = heir;
			__atomic_store_n(&c->ppid, heir->pid, __ATOMIC_RELAXED);
			list_add_tail(&heir->children, &c->sibling);
			if (c->state == PROCESS_ZOMBIE && !h->heir) {
				__atomic_fetch_add(&heir->refcount, 1, __ATOMIC_RELAXED);
				h->heir = heir;
			}
		} else {
			c->parent = NULL;
			__atomic_store_n(&c->ppid, 0, __ATOMIC_RELAXED);
			c->flags |= PROCESS_BACKGROUND;
			h->wake_reaper |= c->state == PROCESS_ZOMBIE;
		}
	}
}

/* Tell a parent that child ended (drops the caller's reference to parent). */
static void notify_parent(struct process *parent, const struct process *child)
{
	wait_queue_wake_all(&parent->child_wait);
	signal_child_ended(parent, child->pid, child->wait_status);
	process_put(parent);
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
	signal_send_group(((struct process *)owner)->pgid, sig); /* the foreground group */
}

/* ---- Ending. ---- */

/* The calling thread's figures for its process's usage, at its end. */
static void usage_at_end(struct process *p, const struct thread *t)
{
	p->usage.cycles = t->run_cycles + (rdtsc() - t->last_switch_in);
	p->usage.minflt = p->minflt;
	p->usage.majflt = p->majflt;
	p->usage.nvcsw = t->switches - t->preemptions;
	p->usage.nivcsw = t->preemptions;
}

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
	/*
	 * IPC first, while the space still exists: its owed reply fails
	 * (-EPIPE), its handles go (an endpoint whose last RECEIVE handle
	 * this was fails its waiting senders), mappings derived from its
	 * pages go from every space they reached, its pager bindings and
	 * bound IRQs go.
	 */
	ipc_process_exit(p);
	handle_table_destroy(&p->handles);
	share_space_exit(&p->space);
	pager_space_exit(&p->space);
	irq_notify_process_exit(p);

	/* Leave the space: from here on this thread runs on the kernel's tables. */
	address_space_switch(&kernel_space);
	mutex_lock(&p->space_mutex);
	p->minflt = p->space.as.minflt;
	p->usage.maxrss_pages = user_space_destroy(&p->space); /* the pages it still mapped */
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
	process_io_release(p); /* its ports: this thread never returns to ring 3 */
	usage_at_end(p, t);

	struct handover h = {NULL, false};
	flags = spin_lock_irqsave(&table_lock);
	spin_lock(&p->lock);
	p->wait_status = status;
	__atomic_store_n(&p->state, PROCESS_ZOMBIE, __ATOMIC_RELEASE);
	spin_unlock(&p->lock);
	hand_children_on(p, &h);
	struct process *parent = p->parent;
	if (parent)
		__atomic_fetch_add(&parent->refcount, 1, __ATOMIC_RELAXED);
	bool background = p->flags & PROCESS_BACKGROUND;
	bool was_init = p == init_process;
	if (was_init)
		init_process = NULL;
	spin_unlock_irqrestore(&table_lock, flags);

	t->process = NULL;
	/* The waiter joins this thread before freeing p: p stays valid until thread_exit. */
	wait_queue_wake_all(&p->exit_wait);
	if (parent)
		notify_parent(parent, p);
	if (h.heir)
		notify_parent(h.heir, p);
	if (background || h.wake_reaper)
		wait_queue_wake_all(&reaper_queue);
	if (was_init)
		process_put(p); /* process_set_init's reference */
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
	reap_claimed(p);
	process_put(p); /* the caller's */
	return 0;
}

/* ---- wait4. ---- */

/* Does child c match wait4's pid argument, for a caller in process group pgid? */
static bool wait_selects(const struct process *c, int pid, int pgid)
{
	if (pid > 0)
		return c->pid == pid;
	if (pid == -1)
		return true;
	return c->pgid == (pid == 0 ? pgid : -pid);
}

enum wait_find { WAIT_NONE, WAIT_RUNNING, WAIT_ZOMBIE };

/*
 * Look among self's children for one pid selects: WAIT_ZOMBIE (an ended
 * one, claimed into *out when out is not NULL: off the children list, its
 * reaping ours), WAIT_RUNNING (selected ones, none ended) or WAIT_NONE.
 */
static enum wait_find wait_find(struct process *self, int pid, struct process **out)
{
	enum wait_find found = WAIT_NONE;
	struct process *c;
	unsigned long flags = spin_lock_irqsave(&table_lock);

	list_for_each_entry(c, &self->children, sibling) {
		if (!wait_selects(c, pid, self->pgid))
			continue;
		found = WAIT_RUNNING;
		if (reapable(c)) {
			found = WAIT_ZOMBIE;
			if (out) {
				c->reaped = true;
				list_remove(&c->sibling);
				*out = c;
			}
			break;
		}
	}
	spin_unlock_irqrestore(&table_lock, flags);
	return found;
}

static void usage_add(struct process_usage *sum, const struct process_usage *u)
{
	sum->cycles += u->cycles;
	sum->minflt += u->minflt;
	sum->majflt += u->majflt;
	sum->nvcsw += u->nvcsw;
	sum->nivcsw += u->nivcsw;
	if (u->maxrss_pages > sum->maxrss_pages)
		sum->maxrss_pages = u->maxrss_pages;
}

#define WAIT_OPTIONS_KNOWN (WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)

long process_wait_child(int pid, int *status, unsigned options, struct process_usage *usage)
{
	struct process *self = process_current(), *c = NULL;

	ASSERT(self != NULL, "process_wait_child: not a process's thread");
	if (options & ~WAIT_OPTIONS_KNOWN)
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH; /* Linux: -INT_MIN does not fit a pid */
	/* Every child ends with SIGCHLD: __WCLONE alone selects none. */
	if ((options & __WCLONE) && !(options & __WALL))
		return -ECHILD;
	for (;;) {
		enum wait_find f = wait_find(self, pid, &c);
		if (f == WAIT_ZOMBIE)
			break;
		if (f == WAIT_NONE)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (wait_event_interruptible(&self->child_wait,
					     wait_find(self, pid, NULL) != WAIT_RUNNING))
			return -ERESTARTSYS;
	}
	int child_pid = c->pid;
	struct process_usage u = c->usage;
	usage_add(&u, &c->child_usage);
	usage_add(&self->child_usage, &u);
	if (status)
		*status = c->wait_status;
	if (usage)
		*usage = u;
	reap_claimed(c);
	return child_pid;
}

/* ---- Process groups. ---- */

long process_getpgid(int pid)
{
	struct process *self = process_current();

	if (pid == 0 || pid == self->pid)
		return self->pgid;
	if (pid < 0)
		return -ESRCH;
	struct process *p = process_get(pid);
	if (!p)
		return -ESRCH;
	int pgid = p->pgid;
	process_put(p);
	return pgid;
}

/* A process in the table (not reaped) whose group is pgid? Under table_lock. */
static bool group_exists(int pgid)
{
	struct process *p;
	list_for_each_entry(p, &processes, link)
		if (!p->reaped && p->pgid == pgid)
			return true;
	return false;
}

long process_setpgid(int pid, int pgid)
{
	struct process *self = process_current(), *target = NULL, *c;
	long err = 0;

	if (pgid < 0)
		return -EINVAL;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	if (pid == 0 || pid == self->pid) {
		target = self;
	} else {
		list_for_each_entry(c, &self->children, sibling)
			if (c->pid == pid)
				target = c;
	}
	if (!target) {
		err = -ESRCH;
	} else {
		int group = pgid ? pgid : target->pid;
		if (group != target->pid && !group_exists(group))
			err = -EPERM;
		else
			target->pgid = group;
	}
	spin_unlock_irqrestore(&table_lock, flags);
	return err;
}

/* ---- Starting. ---- */

/* The main thread: become the process's, enter its space and ring 3 with p->start. */
static void process_main(void *arg)
{
	struct process *p = arg;
	struct thread *t = thread_current();

	/* Interrupts off from here: a switch must not save stray registers into the FPU state. */
	interrupts_disable();
	t->process = p;
	t->fpu_state = p->initial_fpu;
	t->fs_base = p->start_fs_base;
	p->initial_fpu = NULL;
	address_space_switch(&p->space.as);
	arch_enter_user(&p->start); /* a kill sent before it ran takes effect there */
}

void process_name_from_path(char *name, const char *path)
{
	const char *base = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	strlcpy(name, base, PROCESS_NAME_MAX);
}

/* Take a table slot for a process to come: 0, or -EAGAIN (PROCESS_MAX reached). */
static int slot_reserve(void)
{
	int err = 0;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	if (table_count >= PROCESS_MAX)
		err = -EAGAIN;
	else
		table_count++;
	spin_unlock_irqrestore(&table_lock, flags);
	return err;
}

static void slot_release(void)
{
	unsigned long flags = spin_lock_irqsave(&table_lock);
	table_count--;
	spin_unlock_irqrestore(&table_lock, flags);
}

/* A zeroed process with its locks and lists ready; NULL without memory. */
static struct process *process_alloc(unsigned flags)
{
	struct process *p = kmalloc(sizeof(*p), KM_ZERO);
	if (!p)
		return NULL;
	p->flags = flags;
	p->refcount = 1;
	spin_lock_init(&p->lock, "process");
	wait_queue_init(&p->exit_wait, "process exit");
	wait_queue_init(&p->child_wait, "wait4");
	mutex_init(&p->space_mutex, "process space");
	list_init(&p->children);
	list_init(&p->sibling);
	fd_table_init(&p->fds);
	handle_table_init(&p->handles, (uint32_t)random_u64());
	ipc_state_init(&p->ipc);
	p->state = PROCESS_RUNNING;
	return p;
}

/*
 * Give p (its slot reserved) a pid and put it in the table, a child of
 * parent (may be NULL); pgid 0: its own pid. Returns the pid.
 */
static int process_publish(struct process *p, struct process *parent, int pgid)
{
	unsigned long irq = spin_lock_irqsave(&table_lock);
	p->pid = next_pid++;
	p->pgid = pgid ? pgid : p->pid;
	p->start_tick = timer_ticks();
	p->parent = parent;
	p->ppid = parent ? parent->pid : 0;
	if (parent)
		list_add_tail(&parent->children, &p->sibling);
	list_add_tail(&processes, &p->link);
	spin_unlock_irqrestore(&table_lock, irq);
	return p->pid;
}

/* Undo process_publish for a process whose thread never started (slot released too). */
static void process_unpublish(struct process *p)
{
	unsigned long irq = spin_lock_irqsave(&table_lock);
	list_remove(&p->sibling);
	list_remove(&p->link);
	table_count--;
	spin_unlock_irqrestore(&table_lock, irq);
}

/* Free what a process that never ran owns, and the process. */
static void process_discard(struct process *p)
{
	fpu_state_free(p->initial_fpu);
	fd_table_release(&p->fds);
	handle_table_destroy(&p->handles);
	process_io_release(p);
	user_space_destroy(&p->space);
	kfree(p);
}

/* Start p's main thread; on failure p is unpublished and discarded. 0 or -ENOMEM. */
static int process_start_thread(struct process *p)
{
	struct thread *t = thread_create(process_main, p, p->name, 0);
	if (!t) {
		tty_release_foreground(p);
		process_unpublish(p);
		process_discard(p);
		return -ENOMEM;
	}
	__atomic_store_n(&p->main_thread, t, __ATOMIC_RELEASE);
	wait_queue_wake_all(&p->exit_wait); /* a waiter may wait for main_thread alone */
	return 0;
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
	if ((flags & ~(PROCESS_BACKGROUND | PROCESS_FOREGROUND | PROCESS_TRACE | PROCESS_NAMESERVER)) ||
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
	if ((err = slot_reserve()) != 0) {
		WHY("%d processes already exist (PROCESS_MAX)", PROCESS_MAX);
		return err;
	}
	struct process *p = process_alloc(flags);
	if (!p) {
		slot_release();
		WHY("no memory for the process");
		return -ENOMEM;
	}
	process_name_from_path(p->name, file->name);

	err = user_space_create(&p->space);
	if (err) {
		slot_release();
		WHY("no memory for an address space");
		kfree(p);
		return err;
	}
	struct exec_result res;
	const char *const default_argv[] = {file->name, NULL};
	/* Started by the kernel (the shell, init): a handle to the name server. */
	if (!process_current())
		p->ipc.nameserver_handle = ipc_nameserver_install(&p->handles,
								  flags & PROCESS_NAMESERVER);
	err = exec_load_ipc(&p->space, file, argc ? argv : default_argv, process_envp,
			    (uint64_t)p->ipc.nameserver_handle, &res, why, why_size);
	if (!err && (err = fd_table_open_console(&p->fds)) != 0)
		WHY("no memory for the console descriptors");
	if (!err && !(p->initial_fpu = fpu_state_alloc())) {
		WHY("no memory for the FPU state");
		err = -ENOMEM;
	}
	if (err) {
		slot_release();
		process_discard(p);
		return err;
	}
	p->start.rip = res.entry;
	p->start.rsp = res.stack_pointer;
	p->start.rflags = USER_RFLAGS_INITIAL;
	p->start.cs = GDT_USER_CODE;
	p->start.ss = GDT_USER_DATA;

	process_publish(p, process_current(), 0); /* a shell-started program leads its group */
	if (out)
		__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
	if (flags & PROCESS_FOREGROUND)
		tty_set_foreground(p, process_tty_signal);
	if (process_start_thread(p) != 0) {
		if (out)
			*out = NULL;
		WHY("no memory for the main thread");
		return -ENOMEM;
	}
	if (flags & PROCESS_BACKGROUND)
		wait_queue_wake_all(&reaper_queue);
	if (out)
		*out = p;
	return 0;
}

long process_fork(const struct trap_frame *frame)
{
	struct process *parent = process_current();
	struct thread *t = thread_current();
	int err;

	ASSERT(parent != NULL, "process_fork: not a process's thread");
	if ((err = slot_reserve()) != 0)
		return err;
	struct process *p = process_alloc(parent->flags & PROCESS_TRACE);
	if (!p) {
		slot_release();
		return -ENOMEM;
	}
	memcpy(p->name, parent->name, sizeof(p->name));
	p->start = *frame;
	p->start.rax = 0; /* fork returns 0 in the child */
	p->start_fs_base = t->fs_base;
	p->initial_fpu = fpu_state_clone_current(t->fpu_state);
	if (!p->initial_fpu) {
		slot_release();
		kfree(p);
		return -ENOMEM;
	}
	if ((err = user_space_fork(&p->space, &parent->space)) != 0) {
		slot_release();
		fpu_state_free(p->initial_fpu);
		kfree(p);
		return err;
	}
	if ((err = fd_table_clone(&p->fds, &parent->fds)) != 0 ||
	    (err = process_io_fork(p, parent)) != 0) {
		slot_release();
		process_discard(p);
		return err;
	}
	handle_table_clone(&p->handles, &parent->handles); /* same numbers; cannot fail */
	p->ipc.nameserver_handle = parent->ipc.nameserver_handle;
	signal_fork(&p->signals, &parent->signals);
	int pid = process_publish(p, parent, parent->pgid);
	if ((err = process_start_thread(p)) != 0)
		return err;
	return pid;
}

/* init has settled: asleep in sigsuspend (its interruptible queue set). */
static bool init_settled(struct process *p)
{
	return __atomic_load_n(&p->signals.interruptible, __ATOMIC_SEQ_CST) != NULL;
}

int process_start_init(void)
{
	const char *const argv[] = {"init", NULL};
	struct process *p;
	int err = process_spawn("init", argv, PROCESS_BACKGROUND, &p, NULL, 0);

	if (err)
		return err;
	unsigned long flags = spin_lock_irqsave(&table_lock);
	ASSERT(init_process == NULL, "process_start_init: init is started once");
	init_process = p; /* spawn's reference, kept until init ends */
	spin_unlock_irqrestore(&table_lock, flags);
	process_settle(p, init_settled);
	return 0;
}

void process_settle(struct process *p, bool (*settled)(struct process *p))
{
	for (unsigned ms = 0;; ms += 10) {
		if (settled(p) || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PROCESS_ZOMBIE)
			return;
		if (ms >= PROCESS_SETTLE_MS) {
			kprintf("%s: still starting after %u ms\n", p->name, PROCESS_SETTLE_MS);
			return;
		}
		thread_sleep_ms(10);
	}
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
