/*
 * process.h - processes: a program from the initrd running in ring 3.
 *
 * A process is a pid, a parent, its own user address space (mm/user_space.h),
 * a file-descriptor table, a handle table and IPC state (kernel/ipc/),
 * its signal state and one thread (its main
 * thread: a kernel thread that entered ring 3). The shell starts one with
 * process_spawn (parent NULL); a process starts another with process_fork
 * (a copy-on-write twin, its child). It ends by exit_group or a signal
 * (process_end): its thread frees everything it owned, hands its children
 * to init (pid 1, user/init.c; or to the kernel's reaper when there is no
 * init) and stays a ZOMBIE holding its wait status and usage until it is
 * reaped: by its parent's wait4 (process_wait_child), by the shell's
 * process_wait, or by the reaper (PROCESS_BACKGROUND, orphans without init).
 * One thread does its own tear-down because only it knows its space is no
 * longer in use on any CPU.
 *
 * Invariants:
 *   [x] a pid is never reused while a process with it exists (pids count up);
 *   [x] a process is in the table from spawn/fork until its last reference
 *       is put after it is reaped; process_get's pointer stays valid until
 *       process_put; at most PROCESS_MAX are in it (-EAGAIN past that);
 *   [x] p->parent is NULL or a process in the table that is not reaped,
 *       and p is on its children list (both under the table lock);
 *   [x] a ZOMBIE owns no frame, table, descriptor or FPU state;
 *   [x] wait_status is Linux's encoding (WAIT_STATUS_EXITED/SIGNALED).
 * Context: process context, interrupts on, except process_exit_signal (a
 * trap handler, interrupts possibly off). Lock order: process table -> a
 * process's lock -> nothing; neither is held across a sleep, an
 * allocation or a call into mm/.
 */
#ifndef KERNEL_PROC_PROCESS_H
#define KERNEL_PROC_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/handle.h"
#include "kernel/ipc/ipc_state.h"
#include "kernel/proc/fd.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/wait.h"
#include "lib/compiler.h"
#include "lib/list.h"
#include "lib/uapi.h"
#include "mm/spinlock.h"
#include "mm/user_space.h"

#define PROCESS_NAME_MAX 16          /* bytes of the name, the NUL included (Linux's comm) */
#define PROCESS_ARGS_MAX 32          /* argv entries process_spawn accepts */
#define PROCESS_MAX 64               /* processes at once, zombies and init included */
#define PROCESS_SETTLE_MS 2000       /* process_settle waits at most this (init, the name server) */

/* process_spawn flags. */
#define PROCESS_BACKGROUND (1u << 0) /* reaped automatically when it ends (`run -b`) */
#define PROCESS_FOREGROUND (1u << 1) /* owns the console: Ctrl-C sends it SIGINT */
#define PROCESS_TRACE      (1u << 2) /* print each system call (`run -t`); fork's children inherit it */
#define PROCESS_NAMESERVER (1u << 3) /* the name server: RECEIVE on its endpoint (ipc_spawn_nameserver) */

enum process_state {
	PROCESS_RUNNING,                 /* its thread exists (running, ready or blocked) */
	PROCESS_ZOMBIE,                  /* ended: only the wait status is left */
};

struct thread;

/* What a process used (getrusage, wait4): its own once it ended, or its reaped children's. */
struct process_usage {
	uint64_t cycles;                 /* TSC cycles its thread ran (ru_utime) */
	uint64_t minflt, majflt;         /* faults (ru_minflt, ru_majflt) */
	uint64_t maxrss_pages;           /* resident pages at exit (ru_maxrss; children: the most) */
	uint64_t nvcsw, nivcsw;          /* switches: gave the CPU up / preempted */
};

struct process {
	int pid;                         /* 1, 2, ...; never reused while it exists */
	int pgid;                        /* process group: the shell's: own pid; fork: inherited */
	struct process *parent;          /* NULL: started by the kernel (the shell); table lock */
	int ppid;                        /* parent's pid, 0 if none (atomic read: getppid) */
	struct list_node children;       /* its children not yet reaped (table lock) */
	struct list_node sibling;        /* on parent->children (table lock) */
	struct wait_queue child_wait;    /* wait4 sleeps here; a child ending wakes it */
	char name[PROCESS_NAME_MAX];     /* the program's name, truncated */
	enum process_state state;        /* PROCESS_RUNNING, PROCESS_ZOMBIE */
	struct thread *main_thread;      /* its only thread (NULL once it is freed) */
	struct user_space space;         /* the user half and its regions */
	struct fd_table fds;
	int wait_status;                 /* WAIT_STATUS_EXITED(code) or WAIT_STATUS_SIGNALED(sig) */
	struct signal_state signals;     /* pending, blocked, actions (signal.h) */
	uint64_t enosys_logged[8];       /* bit n: "unimplemented system call" said for nr n */
	uint8_t *io_bitmap;              /* ioperm's ports (set bit: denied), or NULL: none */
	uint64_t io_generation;          /* names io_bitmap's contents (ioperm.c); 0 exactly without */
	struct handle_table handles;     /* its handles to kernel objects (fork: copied) */
	struct ipc_state ipc;            /* its IPC wait, pending reply (kernel/ipc/ipc_state.h) */
	/* Lifetime (process.c). */
	unsigned flags;                  /* process_spawn's flags */
	int refcount;                    /* atomic: the table's 1 + process_get's */
	spinlock_t lock;                 /* "process": state, wait_status */
	struct wait_queue exit_wait;     /* process_wait sleeps here until ZOMBIE */
	struct list_node link;           /* on the process table */
	bool reaped;                     /* process_wait (or the reaper) took the status */
	struct mutex space_mutex;        /* readers (ps, pmap, ptdump) against the tear-down */
	bool space_gone;                 /* the space was destroyed (under space_mutex) */
	struct trap_frame start;         /* the registers the main thread enters ring 3 with */
	uint64_t start_fs_base;          /* its FS base then (fork: the parent's) */
	void *initial_fpu;               /* the FPU state the main thread takes */
	/* What ps and getrusage show. */
	uint64_t start_tick;             /* timer tick at spawn */
	uint64_t minflt;                 /* faults counted at exit (space.as.minflt before) */
	uint64_t majflt;                 /* faults that read a file (0: the initrd is in RAM) */
	struct process_usage usage;      /* its own, filled at exit */
	struct process_usage child_usage; /* its reaped children's (and theirs): RUSAGE_CHILDREN */
};

/* The process the calling thread runs for, or NULL (a kernel thread). */
struct process *process_current(void);

/*
 * A process's name (spawn, execve): the last component of path, truncated
 * to PROCESS_NAME_MAX - 1 bytes, into name (PROCESS_NAME_MAX bytes).
 */
void process_name_from_path(char *name, const char *path);

/*
 * Start the program at path (an initrd name: "hello", "/hello") with
 * argv (argv[0] is the program name; NULL-terminated, at most
 * PROCESS_ARGS_MAX entries) and flags (PROCESS_BACKGROUND,
 * PROCESS_FOREGROUND). On success returns 0 and, if out is not NULL, a
 * reference to the new process in *out (process_wait or process_put it).
 * Errors: -ENOENT (no such file; why says so), -ENOEXEC (why holds the
 * loader's reason), -E2BIG, -ENOMEM, -EINVAL (bad flags, argv too long).
 * why (why_size bytes, may be NULL) receives a one-line reason on any
 * error. The parent is the caller's process, or NULL from the shell.
 * Process context; allocates.
 */
int process_spawn(const char *path, const char *const argv[], unsigned flags,
		  struct process **out, char *why, size_t why_size) __must_check;

/*
 * Sleep until p is a ZOMBIE, store its wait status in *wait_status (may be
 * NULL), reap it and drop the caller's reference (p is gone after).
 * Returns 0; -EINVAL if p was started PROCESS_BACKGROUND or was already
 * reaped (the reference is still dropped). Process context; sleeps.
 */
int process_wait(struct process *p, int *wait_status) __must_check;

/*
 * fork: a copy of the calling process (frame: its system call's registers),
 * its child: a copy-on-write twin of its space (user_space_fork), its
 * descriptors (fd_table_clone), its handles (handle_table_clone: same
 * numbers; a fresh IPC state, no reply owed), signal actions and mask (signal_fork), FPU
 * registers, FS base, pgid and PROCESS_TRACE. The child returns to ring 3
 * with frame's registers and rax 0. Returns the child's pid; -EAGAIN
 * (PROCESS_MAX processes exist), -ENOMEM. Process context; allocates.
 */
long process_fork(const struct trap_frame *frame) __must_check;

/* wait4's options Pagoda knows (lib/uapi.h WNOHANG, and the no-ops for one thread). */
/*
 * wait4 for the calling process: reap one ended child that pid selects
 * (> 0: that child; -1: any; 0: one in the caller's process group; < -1:
 * one in group -pid). Stores its wait status in *status and its usage
 * (its own and its reaped children's) in *usage (either may be NULL), and
 * returns its pid. With WNOHANG in options returns 0 when children exist
 * but none has ended. Errors: -ECHILD (no child selected), -EINVAL
 * (unknown options), -ERESTARTSYS (a signal came while sleeping). Sleeps.
 */
long process_wait_child(int pid, int *status, unsigned options,
			struct process_usage *usage) __must_check;

/*
 * The process group of pid (0: the caller): getpgid. -ESRCH if none.
 * process_setpgid: setpgid(pid, pgid) for the caller or one of its
 * children (pid 0: the caller; pgid 0: the target's pid); the group must
 * be the target's own pid or an existing group. -ESRCH (not the caller or
 * its child), -EINVAL (pgid < 0), -EPERM (no such group).
 */
long process_getpgid(int pid);
long process_setpgid(int pid, int pgid) __must_check;

/*
 * Start init: the initrd's "init" (user/init.c), pid 1 as the first
 * process, in the background, the process that adopts orphans (their
 * getppid() becomes 1; its wait4 reaps them). Returns 0; -ENOENT when the
 * initrd has none (the kernel's reaper then reaps orphans); process_spawn's
 * errors. Returns once init has settled (process_settle: first asleep
 * waiting for a signal, or ended). kmain, once, before the prompt. Sleeps.
 */
int process_start_init(void) __must_check;

/*
 * Wait until settled(p) holds or p has ended (a zombie), checking every
 * 10 ms, at most PROCESS_SETTLE_MS. For a process the kernel starts at
 * boot (init, the name server): once it sleeps where it will stay, the
 * pages its start-up faults in are taken, so what the shell measures next
 * (meminfo, exhaust's buddyinfo) does not move under it, even when the
 * shell's higher priority keeps it off a single CPU. When the bound
 * passes first, the console says "NAME: still starting after N ms" and the
 * boot goes on. settled must only read p (atomics). The caller holds a
 * reference to p. Process context; sleeps.
 */
void process_settle(struct process *p, bool (*settled)(struct process *p));

/* p's parent's pid (0: none): ps. */
int process_ppid(const struct process *p);

/* End the calling process with exit code code & 0xff (exit_group). */
__noreturn void process_exit(int code);

/*
 * End the calling process as killed by sig (its status shows sig). From a
 * trap handler too, with interrupts off: they are turned on before the
 * tear-down (the caller holds no spinlock). Only for a thread of a process.
 */
__noreturn void process_exit_signal(int sig);

/*
 * The process with this pid (running or zombie, not yet reaped), with a
 * new reference; NULL if none. process_put drops it (and frees a reaped
 * process when it was the last).
 */
struct process *process_get(int pid) __must_check;
void process_put(struct process *p);

/*
 * Call fn(p, arg) for every process in the table, oldest first, each with
 * a reference held across the call (fn may sleep, take locks, print).
 */
void process_for_each(void (*fn)(struct process *p, void *arg), void *arg);

/*
 * Call fn(p, arg) for every process in the table (zombies included) under
 * the table lock: fn must not sleep or take the table lock (a signal send).
 * Any context.
 */
void process_for_each_locked(void (*fn)(struct process *p, void *arg), void *arg);

/* Processes in the table (zombies included); processes running now. */
size_t process_count(void);
size_t process_running_count(void);

/* "running", "zombie". */
const char *process_state_name(enum process_state s);

/* Faults of p so far (minor: resolved user faults). */
uint64_t process_minflt(const struct process *p);

/* Resident user pages of p (0 for a zombie). Sleeps (process_space_begin). */
uint64_t process_resident(struct process *p);

/*
 * Describe a wait status as the shell prints it: "exited with status 3",
 * "killed by SIGSEGV". Returns buf.
 */
const char *process_status_describe(int wait_status, char *buf, size_t size);

/*
 * p's address space for a reader that is not p (ps, pmap, ptdump): returns
 * it with p's space mutex held, or NULL (p is a zombie: nothing left; no
 * mutex held then). p must be referenced. Pair with process_space_end.
 * Process context; sleeps.
 */
struct user_space *process_space_begin(struct process *p) __must_check;
void process_space_end(struct process *p);

#endif
