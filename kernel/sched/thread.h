/*
 * thread.h - kernel threads: what one is, creating, exiting and joining.
 *
 * A thread is a flow of control with its own guarded kernel stack
 * (kernel/stack.h: a vmalloc area with an unmapped guard page below, so an
 * overflow faults at once) and a saved context: when it is not running,
 * its callee-saved registers sit on its own stack and `context_rsp` says
 * where (switch.asm pushes them, stores RSP, loads the next thread's RSP,
 * pops, returns). Everything else a C function can clobber was already
 * saved by the compiler around the call to the switch.
 *
 * Lifetime: thread_create() makes it READY on the run queue of the least
 * loaded CPU its affinity allows (sched.h); it runs until
 * fn returns or it calls thread_exit(); it is then DEAD, holding only its
 * descriptor and stack, until thread_join() (or, for a THREAD_DETACHED
 * thread, the next reaping in thread_create/thread_reap) frees both. A
 * thread never frees its own stack: it is standing on it.
 *
 * Kernel code uses no FPU/SSE (-mno-sse ...), so a switch saves integer
 * registers only; docs/threads.md says how user threads' FPU state will be
 * kept. Context: thread_create, thread_join and thread_reap allocate and
 * free (kmalloc, vmalloc: process context, callers serialize: the shell
 * thread and what it runs); the rest any thread, interrupts on or off.
 */
#ifndef KERNEL_SCHED_THREAD_H
#define KERNEL_SCHED_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/x86_64/page_fault.h"
#include "mm/spinlock.h"
#include "lib/compiler.h"
#include "lib/list.h"

#define THREAD_NAME_MAX 24          /* bytes of the name, the NUL included */
#define THREAD_STACK_SIZE (16u << 10) /* each thread's kernel stack */

/* Priorities: a larger number runs first. The idle thread is below them all. */
#define THREAD_PRIO_MIN 0
#define THREAD_PRIO_MAX 7
#define THREAD_PRIO_LEVELS (THREAD_PRIO_MAX + 1)
#define THREAD_PRIO_DEFAULT 3
#define THREAD_PRIO_SHELL 5         /* the shell answers before demos compute */

/* thread_create flags. */
#define THREAD_DETACHED (1u << 0)   /* nobody joins: freed by the next reaping */
#define THREAD_CRITICAL (1u << 1)   /* a fault in it stops the machine (the shell) */
/* THREAD_PRIO(p): start at priority p (else THREAD_PRIO_DEFAULT). */
#define THREAD_PRIO(p) ((((unsigned)(p) & 0xf) + 1) << 8)
#define THREAD_FLAGS_PRIO(flags) ((int)(((flags) >> 8) & 0x1f) - 1)

enum thread_state {
	THREAD_READY,    /* on a run queue, waiting for a CPU */
	THREAD_RUNNING,  /* on a CPU now (cpu says which) */
	THREAD_BLOCKED,  /* on a wait queue (waiting_on says which) */
	THREAD_SLEEPING, /* on a CPU's sleep list until wake_tick */
	THREAD_DEAD,     /* exited; descriptor and stack wait to be freed */
};

struct address_space;
struct wait_queue;
struct kernel_stack;
struct recovery_point;
struct mutex;
struct process;

struct thread {
	uint64_t context_rsp;           /* saved RSP while not running (switch.asm) */
	uint64_t id;                    /* 1, 2, ...; never reused */
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	int priority;                   /* THREAD_PRIO_MIN .. THREAD_PRIO_MAX; -1: idle */
	unsigned cpu;                   /* the CPU it runs or last ran on */
	cpumask_t affinity;             /* bit i: may run on CPU i */
	unsigned flags;                 /* thread_create's flags */
	const struct kernel_stack *stack; /* NULL for the idle threads (boot stacks) */
	/* Scheduling (sched.c owns these while the thread is on its lists). */
	spinlock_t sched_lock;          /* wake-ups, priority and affinity changes, requeueing */
	struct list_node run_link;      /* on a run queue level, or a sleep list */
	unsigned slice_left;            /* ticks left in the current time slice */
	uint64_t wake_tick;             /* SLEEPING: the tick it wakes at */
	uint64_t woke_tick;             /* the tick of its latest wake from sleep */
	bool on_rq;                     /* RUNNING or READY in the policy's eyes (a wake-up
					   before its schedule() only makes it RUNNING again) */
	bool on_cpu;                    /* its CPU still runs on its stack: set when picked,
					   cleared by the next thread once the switch away is
					   complete; no other CPU runs it or frees it meanwhile */
	/* Blocking (wait.c). */
	struct wait_queue *waiting_on;  /* BLOCKED: the queue it is on */
	struct list_node wait_link;     /* on that queue's waiter list */
	struct wait_queue *join_queue;  /* joiners wait here for DEAD (thread.c) */
	/* What it runs. */
	void (*fn)(void *arg);
	void *arg;
	/* Accounting. */
	uint64_t run_cycles;            /* TSC cycles spent running */
	uint64_t switches;              /* times it was switched in */
	uint64_t preemptions;           /* of those switches out, by the timer */
	uint64_t last_switch_in;        /* TSC when it was last switched in */
	bool kill_requested;            /* thread_kill: stop at the next check */
	/* Faults. */
	struct recovery_point *recovery; /* its recovery points while switched out */
	struct page_fault_state faults; /* #PF handlers it is in, its last fault (page_fault.c) */
	/* Memory. */
	struct address_space *space;    /* its current address space (kernel threads: kernel_space) */
	struct list_node mutexes_held;  /* struct mutex held_link: what it owns */
	struct mutex *waiting_mutex;    /* BLOCKED in mutex_lock: on which (deadlock detector) */
	uint64_t ticks_unswitched;      /* ticks run since it was last switched in (watchdog) */
	bool lockup_reported;           /* the watchdog spoke during this stretch */
	uint64_t fault_vector;          /* the exception that killed it, if one did */
	bool faulted;                   /* killed by a fault (thread_die_of_fault) */
	struct list_node all_link;      /* on the list of every thread (thread.c) */
	/* User mode (kernel/proc/, kernel/arch/x86_64/user_mode.c): all 0 in kernel threads. */
	struct process *process;        /* the process it runs for, or NULL: a kernel thread */
	void *fpu_state;                /* its FXSAVE/XSAVE area (fpu.h), or NULL: no user code */
	uint64_t fs_base;               /* user FS base (arch_prctl ARCH_SET_FS): musl's TLS */
	uint64_t clear_child_tid;       /* set_tid_address: a user address, or 0 */
};

/*
 * Create a thread running fn(arg) and make it READY. name is copied
 * (truncated to THREAD_NAME_MAX - 1 bytes). flags: THREAD_DETACHED,
 * THREAD_PRIO(p). Returns the thread, or NULL when the descriptor or stack
 * cannot be allocated (nothing is kept) or a flag is unknown. A joinable
 * thread's pointer stays valid until thread_join; a detached one's only
 * while it runs (use its id). Process context: allocates.
 */
struct thread *thread_create(void (*fn)(void *arg), void *arg, const char *name,
			     unsigned flags) __must_check;

/*
 * thread_create with the affinity given (a CPU bitmask that must include an
 * online CPU, else NULL): the thread is only ever queued on those CPUs.
 */
struct thread *thread_create_on(void (*fn)(void *arg), void *arg, const char *name,
				unsigned flags, cpumask_t affinity) __must_check;

/* End the calling thread (fn returning does the same). Not the idle thread. */
__noreturn void thread_exit(void);

/*
 * Wait until t (joinable, not the caller) is DEAD, then free its stack and
 * descriptor. Returns 0; -EINVAL if t is the caller or detached. Sleeps.
 */
int thread_join(struct thread *t) __must_check;

/*
 * Change t's priority (THREAD_PRIO_MIN .. THREAD_PRIO_MAX) or its affinity
 * (a CPU bitmask that must include an online CPU). If that makes a ready
 * thread outrank the caller, or the caller no longer the most urgent, the
 * switch happens before the call returns. Returns 0, or -EINVAL (t is the
 * idle thread or dead, or the value is out of range: nothing changes).
 * Any thread, interrupts on.
 */
int thread_set_priority(struct thread *t, int priority) __must_check;
int thread_set_affinity(struct thread *t, cpumask_t mask) __must_check;

/*
 * May the running thread be killed for a fatal exception instead of the
 * machine halting? Only a thread (not idle, not THREAD_CRITICAL) that
 * faulted with interrupts on (irqs_were_on: IF in the trap frame) and
 * preemption allowed (no spinlock held). Interrupts off (trap handler).
 */
bool thread_fault_can_kill(bool irqs_were_on);

/*
 * End the running thread after the trap code reported its fatal exception
 * `vector`: say so, naming and releasing every mutex it held (each goes
 * to its oldest waiter), mark it faulted and DEAD, wake joiners, switch
 * away for good. Its stack and descriptor are freed as for any dead
 * thread. Interrupts off, on the faulting thread (any stack: its own, or
 * IST 1 for a #DF from its stack overflow, never returned to).
 */
__noreturn void thread_die_of_fault(uint64_t vector);

/* Free every DEAD detached thread. Returns how many. Process context. */
size_t thread_reap(void);

/*
 * The thread with this id, or NULL (a DEAD one counts until freed).
 * Interrupts off; the pointer stays valid only while the thread cannot be
 * freed (the caller is the one that joins or reaps it).
 */
struct thread *thread_find(uint64_t id);

/*
 * Ask thread `id` to stop: it ends at its next thread_should_stop() check.
 * Returns 0; -ENOENT if there is no such live thread; -EPERM if it is the
 * idle thread, the caller or not detached (only demo-like threads may be killed).
 */
int thread_kill(uint64_t id);

/* thread_kill every live detached thread; returns how many were asked. */
size_t thread_kill_detached(void);

/* Has thread_kill asked the calling thread to stop? */
bool thread_should_stop(void);

/*
 * Call fn(t, arg) for every thread (idle ones included), interrupts off,
 * under the thread list's lock: fn only reads, takes no lock, never sleeps.
 */
void thread_for_each(void (*fn)(const struct thread *t, void *arg), void *arg);

/* Number of threads that exist (descriptors not yet freed). */
size_t thread_count(void);

/* Bytes of t's stack ever used (the deepest write below its top), 0 if unknown. */
size_t thread_stack_high_water(const struct thread *t);

/* Name of a state, "ready", "running", ... */
const char *thread_state_name(enum thread_state s);

#endif
