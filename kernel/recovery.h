/*
 * recovery.h - exception-recovery points: a fault inside a shell command
 * aborts the command instead of the kernel.
 *
 * Before running a command the shell saves a recovery point (the registers
 * a C function must preserve, its stack pointer and return address, like
 * setjmp). If an exception that would otherwise stop the kernel (a page
 * fault that is a violation, #GP, #UD, #DE, ...) happens while the point is
 * active, the trap code prints its full report and then, instead of
 * halting, rewrites the trap frame so that IRETQ "returns" from
 * recovery_save() a second time, with 1. This is the idea behind Linux's
 * exception tables (fixups for faulting instructions), applied to a whole
 * command. What the command had allocated before the fault is not freed:
 * commands that may fault touch memory before they allocate.
 *
 * Points nest (a selftest run from the shell may set its own); the innermost
 * active one receives the abort. Faults outside any point still halt. A
 * point may be pushed inside a page-fault handler (faults nest): an abort to
 * it abandons the handlers nested deeper, and the page-fault depth goes back
 * to what it was at the push.
 * Context: process context (the shell); the abort runs in the trap handler.
 */
#ifndef KERNEL_RECOVERY_H
#define KERNEL_RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

/* Saved by recovery_save; offsets are used by kernel/arch/x86_64/context.asm. */
struct recovery_point {
	uint64_t rbx, rbp, r12, r13, r14, r15; /* callee-saved registers */
	uint64_t rsp, rip, rflags;             /* where recovery_save returns to */
	struct recovery_point *outer;          /* the point active before this one */
	const char *what;                      /* what runs under it, for the abort message */
	uint64_t aborts;                       /* faults that came back to this point */
	uint64_t fault_vector, fault_rip;      /* the exception of the latest abort, and where */
	unsigned fault_depth;                  /* page-fault handlers running at the push */
};

/*
 * Save the context into rp. Returns 0 now, and 1 when a fault aborts back
 * to rp after recovery_push(rp). Like setjmp: locals changed between the two
 * returns must be volatile to be trusted afterwards.
 */
int recovery_save(struct recovery_point *rp) __attribute__((returns_twice));

/* Make rp (saved just before) the innermost active point; what names the work. */
void recovery_push(struct recovery_point *rp, const char *what);

/* Deactivate rp, the innermost point (after the work finished normally). */
void recovery_pop(struct recovery_point *rp);

/*
 * Called by the trap code after reporting a fatal exception: if a point is
 * active, pop it, note the exception's vector and RIP in it (fault_vector,
 * fault_rip), rewrite frame to resume at its recovery_save() returning 1
 * (interrupts as they were when it was saved) and return true; else return
 * false (the caller halts). Interrupts off.
 */
bool recovery_abort(struct trap_frame *frame);

/* Is a recovery point active? (Faults then abort instead of halting.) */
bool recovery_active(void);

/*
 * Is a point active whose saved stack pointer lies in [bottom, top)? The #DF
 * handler asks before aborting a kernel stack overflow: only a point on the
 * overflowed stack itself may be resumed. Any context.
 */
bool recovery_resumes_within(uint64_t bottom, uint64_t top);

/*
 * Call fn with no recovery point active, as if from boot code: a fault in
 * it halts the kernel (`crash KIND halt` shows that). The points active
 * before come back when fn returns.
 */
void recovery_run_unguarded(void (*fn)(void));

/* Each CPU's chain head (recovery.c's; only through the functions above and below). */
extern struct recovery_point *recovery_innermost_of_cpu[];

/*
 * Recovery points belong to a thread: the scheduler calls this at every
 * context switch of CPU cpu (the calling one) with the incoming thread's
 * chain (its innermost point, or NULL) and keeps the returned chain, the
 * outgoing thread's, in that thread. So a fault aborts only to a point of
 * the thread that faulted. Interrupts off. Inline: every switch runs it.
 */
static inline struct recovery_point *recovery_chain_switch(unsigned cpu,
							   struct recovery_point *next_chain)
{
	struct recovery_point *prev_chain = recovery_innermost_of_cpu[cpu];

	recovery_innermost_of_cpu[cpu] = next_chain;
	return prev_chain;
}

#endif
