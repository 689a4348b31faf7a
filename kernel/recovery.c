/*
 * recovery.c - the stack of active recovery points (see recovery.h).
 *
 * Invariants:
 *   [x] `innermost` is the most recently pushed point not yet popped or
 *       aborted to; each point's `outer` is the one active before it;
 *   [x] a point is active only while the function that saved it is still
 *       running (recovery_pop before returning), so its saved stack is live;
 *   [x] an abort puts the page-fault nesting depth back to the point's
 *       (page_fault_unwind), since the handlers deeper never return.
 *   [x] `innermost[cpu]` is the chain of the thread running on cpu: the
 *       scheduler swaps it at every context switch (recovery_chain_switch);
 *   [x] each access reads the CPU number and the slot with interrupts off,
 *       so a preemption (which may move the thread) never falls in between.
 * Push/pop from process context, abort from the trap handler with
 * interrupts off; no locks (each CPU touches only its own slot).
 */
#include "kernel/recovery.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/page_fault.h"
#include "kernel/arch/x86_64/trap.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/arch.h"

struct recovery_point *recovery_innermost_of_cpu[MM_MAX_CPUS];

/* This CPU's chain head; call with interrupts off (see the invariants). */
static struct recovery_point **innermost_slot(void)
{
	return &recovery_innermost_of_cpu[arch_cpu_id()];
}

/* The running thread's innermost point (interrupts briefly off to read it). */
static struct recovery_point *innermost_now(void)
{
	unsigned long flags = arch_irq_save();
	struct recovery_point *rp = *innermost_slot();

	arch_irq_restore(flags);
	return rp;
}

void recovery_push(struct recovery_point *rp, const char *what)
{
	unsigned long flags = arch_irq_save();
	struct recovery_point **innermost = innermost_slot();

	rp->what = what;
	rp->outer = *innermost;
	rp->aborts = 0;
	rp->fault_depth = page_fault_depth();
	*innermost = rp;
	arch_irq_restore(flags);
}

void recovery_pop(struct recovery_point *rp)
{
	unsigned long flags = arch_irq_save();
	struct recovery_point **innermost = innermost_slot();

	ASSERT(*innermost == rp, "recovery_pop: not the innermost recovery point");
	*innermost = rp->outer;
	arch_irq_restore(flags);
}

bool recovery_active(void)
{
	return innermost_now() != NULL;
}

bool recovery_resumes_within(uint64_t bottom, uint64_t top)
{
	struct recovery_point *rp = innermost_now();

	return rp && rp->rsp >= bottom && rp->rsp < top;
}

void recovery_run_unguarded(void (*fn)(void))
{
	unsigned long flags = arch_irq_save();
	struct recovery_point *saved = *innermost_slot();

	*innermost_slot() = NULL;
	arch_irq_restore(flags);
	fn();
	flags = arch_irq_save();
	*innermost_slot() = saved;
	arch_irq_restore(flags);
}

/*
 * Implementation note: IRETQ restores RIP, CS, RFLAGS, RSP and SS from the
 * frame and isr.asm pops the general registers from it, so writing the
 * saved values into the frame is all it takes to land in recovery_save's
 * caller with rax = 1, on its own stack: the same stack for a #PF or #GP
 * (the frames of the faulting code below the point are abandoned), the
 * interrupted stack for a #DF taken on its IST stack.
 */
bool recovery_abort(struct trap_frame *frame)
{
	ASSERT_IRQS_OFF();
	struct recovery_point *rp = *innermost_slot();

	if (!rp)
		return false;
	*innermost_slot() = rp->outer;
	page_fault_unwind(rp->fault_depth);
	rp->aborts++;
	rp->fault_vector = frame->vector;
	rp->fault_rip = frame->rip;
	frame->rbx = rp->rbx;
	frame->rbp = rp->rbp;
	frame->r12 = rp->r12;
	frame->r13 = rp->r13;
	frame->r14 = rp->r14;
	frame->r15 = rp->r15;
	frame->rsp = rp->rsp;
	frame->rip = rp->rip;
	frame->rflags = rp->rflags;
	frame->cs = GDT_KERNEL_CODE;
	frame->ss = GDT_KERNEL_DATA;
	frame->rax = 1; /* recovery_save's second return value */
	kprintf("(%s aborted by the fault above; the kernel goes on)\n",
		rp->what ? rp->what : "work");
	return true;
}
