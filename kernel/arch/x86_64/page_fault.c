/*
 * page_fault.c - the x86-64 side of page faults, general-protection faults
 * and double faults: read what the CPU reports, let mm/fault.c decide, and
 * word the report.
 *
 * #PF (vector 14) pushes an error code (SDM Vol. 3A 4.7) and puts the
 * faulting address in CR2. The error code becomes FAULT_* access bits and
 * fault_handle() resolves the fault or names the violation. A resolved
 * fault returns straight to the instruction, which runs again. A violation
 * gets one headline here ("page fault: write to read-only region ...");
 * trap_dispatch then prints the full report and aborts to the shell's
 * recovery point, or halts.
 *
 * #PF runs on the current kernel stack (no IST), so faults nest: a fault
 * taken while another is being handled pushes its frame below the first
 * one's, and both return in order. The price: a kernel stack overflow
 * cannot push the #PF frame on the full stack and arrives as #DF, which
 * keeps its IST stack (gdt.h). The #DF handler here recognises that case
 * (CR2 or RSP in the guard page below a registered stack, or just below
 * it), reports it in the words the #PF handler would have used, and aborts
 * to a recovery point on the overflowed stack if there is one; else, if the
 * stack is the running thread's and that thread may die alone (the rule of
 * thread_fault_can_kill, as for any fault), ends that thread alone.
 *
 * From ring 3 (error code bit U) the same decision runs with FAULT_USER:
 * demand-zero, COW, stack growth and file pages are resolved as for the
 * kernel; a violation kills only that process, after one line in the
 * kernel's words, like Linux's ("pid 7 (fault_null): segfault at 0x0 ip
 * 0x401136 sp 0x7fffffffee80 error 4: NULL dereference"), unless the
 * program has a SIGSEGV handler: the fault then becomes that signal
 * (signal_fault) and the handler runs on the way back. The user-copy
 * routine (user_copy.asm) faults in ring 0 on a program's addresses: its
 * RIP is in the exception table (extable.h), so its fault is decided as a
 * user access too (FAULT_USER added), and a violation resumes at the
 * table's fixup instead of a report: the copy returns what it did not copy.
 * A #GP there (a non-canonical address) goes to the fixup as well.
 *
 * A missing page of a pager-backed region (REGION_PAGER: fault_handle
 * answers -EAGAIN, outcome FAULT_PAGER) is the one fault whose handler
 * waits: pager_fault (kernel/ipc/pager.c) turns interrupts on and calls
 * the region's pager over IPC from this thread, holding no lock, until the
 * page is mapped. A user fault it cannot serve ends the process with the
 * usual line, its reason "pager error: ..." or "no pager: ..."; a user
 * copy's goes to the fixup (the system call returns -EFAULT).
 *
 * #GP (vector 13) reports no address at all. The commonest kernel cause is
 * a non-canonical address, so the handler decodes the faulting instruction
 * (insn.c) and, if its memory operand is non-canonical, says so.
 *
 * The nesting depth and the fault records belong to the running thread
 * (struct page_fault_state in struct thread; the boot flow's own before
 * sched_init): a handler that sleeps (a mutex, a pager later) while another
 * thread faults finds its depth and record as it left them.
 *
 * Invariants:
 *   [x] a thread's depth counts the #PF handlers it is in (not yet returned
 *       or abandoned by a recovery abort, which puts back the depth of its
 *       point); it never exceeds PAGE_FAULT_NEST_MAX;
 *   [x] each handler decides into its thread's record of its nesting depth
 *       and makes it that thread's last fault only when done, so neither a
 *       nested fault nor another thread's fault changes its record.
 * All handlers run on interrupt gates (interrupts off). Boot CPU.
 */
#include "kernel/arch/x86_64/page_fault.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/extable.h"
#include "kernel/arch/x86_64/insn.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/pager.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/recovery.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/stack.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/uapi.h"
#include "mm/arch.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/vmalloc.h"

/* > 0 while this CPU's #DF handler runs on its IST stack (each CPU has its own IST 1) */
static unsigned double_fault_depth[MM_MAX_CPUS];
static page_fault_hook_t test_hook; /* selftests: called inside the handler */
static struct page_fault_state boot_faults; /* the boot flow's, before sched_init */

/* The running thread's page-fault state (the boot flow's before threads exist). */
static struct page_fault_state *faults_here(void)
{
	struct thread *t = thread_current(); /* NULL until sched_init */

	return t ? &t->faults : &boot_faults;
}

/* The error-code bits that mean what mm/fault.h's FAULT_* access bits mean, bit for bit. */
#define PF_ACCESS_BITS (PF_PRESENT | PF_WRITE | PF_USER | PF_RESERVED | PF_INSTRUCTION)
_Static_assert(PF_PRESENT == FAULT_PRESENT && PF_WRITE == FAULT_WRITE && PF_USER == FAULT_USER &&
		       PF_RESERVED == FAULT_RESERVED && PF_INSTRUCTION == FAULT_FETCH,
	       "page_fault.c: the #PF error code's access bits are mm/fault.h's, unshifted");

/*
 * The #PF error code (SDM Vol. 3A 4.7) as mm/fault.h's access bits, plus
 * whether SMEP and SMAP were in force (SDM Vol. 3A 4.6.1: SMAP only while
 * EFLAGS.AC is clear), so the report names them only when they refused.
 */
static unsigned access_of(uint64_t error, uint64_t rflags)
{
	unsigned access = (unsigned)error & PF_ACCESS_BITS; /* the same bits (asserted below) */
	uint64_t cr4 = read_cr4();

	if (cr4 & CR4_SMEP)
		access |= FAULT_SMEP_ON;
	if ((cr4 & CR4_SMAP) && !(rflags & RFLAGS_AC))
		access |= FAULT_SMAP_ON;
	return access;
}

/*
 * The headline of a violation f at address (and, for a guard page below a
 * kernel stack, which stack it was), before the full report.
 */
static void report_violation(const struct fault *f, uint64_t address)
{
	char why[200];

	kprintf("\n*** page fault: %s at 0x%lx ***\n", fault_describe(f, why, sizeof(why)), address);
	const struct kernel_stack *stack = f->area ? kernel_stack_find(f->area->start, 1) : NULL;
	if (stack)
		kprintf("(that is the \"%s\" kernel stack: %lu KiB, guard page at 0x%lx)\n",
			stack->name, (stack->top - stack->bottom) >> 10, stack->bottom - PAGE_SIZE);
}

/*
 * A ring-3 violation: SIGSEGV to the program's handler if it has one
 * (returns, the handler runs on the way out); else one line in the
 * kernel's words and the process ends by SIGSEGV (never returns).
 * Interrupts off.
 */
static void user_segfault(const struct fault *f, const struct trap_frame *frame,
			  uint64_t address, const char *reason)
{
	char why[200];
	struct process *p = process_current();

	if (signal_fault(SIGSEGV, f->in_region ? SEGV_ACCERR : SEGV_MAPERR, address))
		return;
	kprintf("pid %d (%s): segfault at 0x%lx ip 0x%lx sp 0x%lx error %lu: %s\n",
		p ? p->pid : -1, p ? p->name : "?", address, frame->rip, frame->rsp,
		frame->error_code, reason ? reason : fault_describe(f, why, sizeof(why)));
	process_exit_signal(SIGSEGV);
}

/*
 * A missing page of a pager-backed region (fault_handle said FAULT_PAGER):
 * ask the region's pager (kernel/ipc/pager.c), a user fault or a user
 * copy's, from this handler. pager_fault sleeps with interrupts on until
 * the pager answers; the nesting depth stays counted meanwhile, and it and
 * f are this thread's own, so other threads' faults on this CPU change
 * neither (as the selftest hook that sleeps here shows). Returns 0 (the
 * page is mapped: retry) or pager_fault's -errno. Interrupts off again.
 */
static int pager_page(struct fault *f, struct trap_frame *frame, uint64_t address,
		      unsigned access)
{
	int err = pager_fault(address, access, frame);

	f->outcome = err ? FAULT_VIOLATION : FAULT_PAGER;
	return err;
}

/*
 * The #PF handler. Interrupts off: trap_dispatch, its only caller, has
 * asserted it (not again here: this is every user fault's path, counted
 * in instructions by bench_user).
 */
static bool page_fault_trap(struct trap_frame *frame)
{
	uint64_t address = read_cr2();
	struct page_fault_state *pf = faults_here();
	bool from_user = frame->cs & 3;
	/* A user copy's access from ring 0 (RIP in the exception table) is a user access. */
	const struct extable_entry *fixup = from_user ? NULL : extable_find(frame->rip);
	unsigned access = access_of(frame->error_code, frame->rflags);

	if (fixup)
		access |= FAULT_USER;
	if (pf->depth >= PAGE_FAULT_NEST_MAX) {
		kprintf("\n*** page fault at 0x%lx nested %u deep in page-fault handlers: a runaway "
			"recursive fault ***\n", address, pf->depth + 1);
		return false; /* the report follows; the recovery point puts the depth back */
	}
	struct fault *f = &pf->records[pf->depth++];
	if (unlikely(test_hook))
		test_hook(frame, address, pf->depth); /* may sleep: pf stays this thread's */
	int err = fault_handle(current_space(), address, access, f);
	/* Only a program's own access or a user copy may wait for a pager. */
	bool pager = err == -EAGAIN && f->outcome == FAULT_PAGER && (from_user || fixup);
	if (pager)
		err = pager_page(f, frame, address, access); /* sleeps, interrupts on */
	if (err == -EAGAIN) { /* a kernel bug touching a pager page directly: report it */
		f->outcome = FAULT_VIOLATION;
		f->violation = VIOLATION_NOT_MAPPED;
	}
	pf->depth--;
	pf->last = f;
	pf->last_number = fault_count_total();
	if (err == 0)
		return true;
	if (fixup) {
		frame->rip = fixup->fixup; /* the copy stops and says how much is left */
		return true;
	}
	if (from_user) {
		if (pager && err == -EINTR)
			return true; /* the signal is delivered on the way out; then the touch again */
		user_segfault(f, frame, address, pager ? pager_fault_reason(err) : NULL);
		return true; /* its handler runs */
	}
	report_violation(f, address);
	return false;
}

/*
 * The registered guarded stack whose guard page (the one below it) holds
 * addr, or whose guard addr lies just below (a frame larger than the guard
 * page jumped over it, into the trailing guard of the area before, which is
 * never mapped either); NULL if none.
 */
static const struct kernel_stack *overflowed_stack(uint64_t addr)
{
	for (uint64_t above = PAGE_SIZE; above <= 2 * PAGE_SIZE; above += PAGE_SIZE) {
		if (addr > UINT64_MAX - above)
			return NULL;
		const struct kernel_stack *s = kernel_stack_find(addr + above, 1);
		if (s && s->guarded && addr < s->bottom)
			return s;
	}
	return NULL;
}

/*
 * #DF: a kernel stack overflow is the one double fault the kernel expects.
 * The push into the guard page faulted, delivering that #PF needed the same
 * full stack and faulted again, and the CPU turned the pair into #DF (SDM
 * Vol. 3A 6.15, "Interrupt 8"). The CPU and memory are consistent (nothing
 * was written below the stack); only the overflowed stack's deepest frames
 * are lost. So it is reported as the page fault it was and, when the
 * innermost recovery point lives on that same stack (above the lost frames),
 * aborted to it. With no such point, a thread that overflowed its own stack
 * and may die alone (not idle or the shell, interrupts were on, no spinlock
 * held) is ended by thread_die_of_fault, called here on IST 1: the thread
 * never resumes, so nothing of its frames on IST 1 is needed again, and the
 * next #DF starts at the top of IST 1 (the TSS holds that, not the last
 * RSP). Its stack is freed when it is joined or reaped. Any other double
 * fault, a stack overflow with no point on its stack that no thread may die
 * for (boot code, the shell outside a command, interrupts off, a spinlock
 * held), or a #DF inside this handler (its IST stack was reused: the first
 * frame is gone) returns false: trap_dispatch prints the full report and
 * halts.
 */
static bool double_fault_trap(struct trap_frame *frame)
{
	ASSERT_IRQS_OFF();
	uint64_t cr2 = read_cr2();
	struct fault f;

	if (double_fault_depth[arch_cpu_id()] > 0) {
		kprintf("\n*** double fault inside the double-fault handler: its IST stack was "
			"reused ***\n");
		return false;
	}
	const struct kernel_stack *s = overflowed_stack(cr2);
	if (!s)
		s = overflowed_stack(frame->rsp);
	if (!s)
		return false; /* not an overflow: the report follows, then halt */
	double_fault_depth[arch_cpu_id()]++;
	/* Classify the guard page below s as the #PF handler would have: same words, same counters. */
	uint64_t guard = cr2 >= s->bottom - PAGE_SIZE && cr2 < s->bottom ? cr2 : s->bottom - 8;
	if (fault_handle(current_space(), guard, FAULT_WRITE, &f) != -EFAULT) {
		double_fault_depth[arch_cpu_id()]--;
		return false; /* a guard page resolved? Not an overflow after all: halt */
	}
	report_violation(&f, guard);
	kprintf("(the CPU could not push the page fault's frame onto the full stack: it arrived as "
		"a double fault)\n");
	if (recovery_resumes_within(s->bottom, s->top)) {
		trap_report(frame);
		double_fault_depth[arch_cpu_id()]--;
		return recovery_abort(frame);
	}
	/* A thread that may die alone overflowed its own stack: end it (never resumes). */
	if (thread_fault_can_kill(frame->rflags & RFLAGS_IF) && thread_current()->stack == s) {
		trap_report(frame);
		double_fault_depth[arch_cpu_id()]--; /* IST 1 is abandoned here: the next #DF starts at its top */
		thread_die_of_fault(VEC_DOUBLE_FAULT);
	}
	kprintf("(no recovery point on the \"%s\" stack to go back to)\n", s->name);
	double_fault_depth[arch_cpu_id()]--;
	return false;
}

static bool general_protection_trap(struct trap_frame *frame)
{
	ASSERT_IRQS_OFF();
	if ((frame->cs & 3) == 0) {
		/* A user copy given a non-canonical address: the copy stops there. */
		const struct extable_entry *fixup = extable_find(frame->rip);
		if (fixup) {
			frame->rip = fixup->fixup;
			return true;
		}
	}
	struct insn_regs regs = {
		frame->rax, frame->rcx, frame->rdx, frame->rbx, frame->rsp, frame->rbp,
		frame->rsi, frame->rdi, frame->r8,  frame->r9,  frame->r10, frame->r11,
		frame->r12, frame->r13, frame->r14, frame->r15, frame->rip,
	};
	uint64_t address;

	/* Decode only bytes known to be readable: inside the kernel image's regions. */
	const struct region *code =
		kernel_space.regions ? region_find(kernel_space.regions, frame->rip) : NULL;
	if (!code || code->kind != REGION_KERNEL_IMAGE || frame->error_code != 0 ||
	    (frame->cs & 3) != 0)
		return false;
	uint64_t readable = code->end - frame->rip; /* rodata follows text: usually 15 */
	if (insn_memory_address((const uint8_t *)(uintptr_t)frame->rip,
				readable < INSN_MAX_LENGTH ? readable : INSN_MAX_LENGTH, &regs,
				&address) == 0 &&
	    !paging_canonical(address))
		kprintf("\n*** general protection fault: non-canonical address 0x%016lx ***\n",
			address);
	return false; /* always fatal to the work at hand: the full report follows */
}

void page_fault_init(void)
{
	ASSERT_IRQS_OFF();
	trap_register_exception(VEC_PAGE_FAULT, page_fault_trap);
	trap_register_exception(VEC_GENERAL_PROTECTION, general_protection_trap);
	trap_register_exception(VEC_DOUBLE_FAULT, double_fault_trap);
}

unsigned page_fault_depth(void)
{
	return faults_here()->depth;
}

void page_fault_unwind(unsigned depth)
{
	ASSERT_IRQS_OFF();
	struct page_fault_state *pf = faults_here();

	if (depth < pf->depth)
		pf->depth = depth;
}

void page_fault_set_test_hook(page_fault_hook_t hook)
{
	test_hook = hook;
}

bool page_fault_last(uint64_t since, struct fault *out)
{
	const struct page_fault_state *pf = faults_here();

	if (!pf->last || pf->last_number <= since)
		return false;
	*out = *pf->last;
	return true;
}
