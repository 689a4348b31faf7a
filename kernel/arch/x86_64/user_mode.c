/*
 * user_mode.c - ring 3's CPU set-up (STAR, LSTAR, FMASK, EFER.SCE), the
 * first entry to user mode, the per-thread state a switch moves, and the
 * kernel's words for what ends a process from ring 3 (user_mode.h).
 *
 * The entry and exit paths themselves are assembly (syscall_entry.asm,
 * isr.asm); this file holds what they call and what they rely on: the
 * frame layout they hard-code is checked against struct trap_frame here,
 * and every switch to a thread points TSS.RSP0 and percpu->syscall_stack
 * at its kernel stack top, where both paths build their frame, and gives
 * the CPU's TSS the I/O bitmap of the process it switches to (gdt.c).
 *
 * Invariants:
 *   [x] every online CPU has EFER.SCE, STAR, LSTAR and FMASK set (kmain
 *       and smpboot's AP path call user_mode_init_cpu before user code);
 *   [x] after a switch to a thread with a kernel stack, TSS.RSP0 ==
 *       percpu->syscall_stack == that stack's top;
 *   [x] no iretq or sysretq to ring 3 with a CS/SS other than the user
 *       selectors, a non-canonical RIP, IF clear or IOPL above 0.
 * Context: user_mode_init_cpu at boot per CPU; arch_switch_user_state in
 * switch_to; the rest on a process's thread, interrupts off unless said.
 */
#include "kernel/arch/x86_64/user_mode.h"

#include <stddef.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ipc/fastpath.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/stack_registry.h"
#include "lib/printf.h"
#include "lib/uapi.h"
#include "user/include/pagoda/ipc_abi.h"
#include "mm/arch.h"
#include "mm/paging.h"

extern char syscall_entry[];
/* syscall_entry.asm: iretq to ring 3 with *src copied to the top of the stack at top. */
extern __noreturn void user_mode_enter_frame(const struct trap_frame *src, uint64_t top);

/* The offsets syscall_entry.asm and isr.asm use (TF_*): the frame is 22 quadwords. */
_Static_assert(offsetof(struct trap_frame, r11) == 4 * 8, "user_mode.c: TF_R11");
_Static_assert(offsetof(struct trap_frame, rcx) == 12 * 8, "user_mode.c: TF_RCX");
_Static_assert(offsetof(struct trap_frame, rip) == 17 * 8, "user_mode.c: TF_RIP");
_Static_assert(offsetof(struct trap_frame, cs) == 18 * 8, "user_mode.c: TF_CS");
_Static_assert(offsetof(struct trap_frame, rflags) == 19 * 8, "user_mode.c: TF_RFLAGS");
_Static_assert(offsetof(struct trap_frame, rsp) == 20 * 8, "user_mode.c: TF_RSP");
_Static_assert(offsetof(struct trap_frame, ss) == 21 * 8, "user_mode.c: TF_SS");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "user_mode.c: 22 quadwords, 16-aligned calls");
/* The numbers syscall_entry.asm sends to IPC's fast path (SYS_IPC_*). */
_Static_assert(SYS_ipc_call == 4100 && SYS_ipc_reply_recv == 4102 && IPC_FASTPATH_DONE_QUIET == 2,
	       "user_mode.c: syscall_entry.asm's SYS_IPC_CALL, SYS_IPC_REPLY_RECV, IPC_FASTPATH_DONE_QUIET");

void user_mode_init_cpu(void)
{
	ASSERT_IRQS_OFF();
	wrmsr(MSR_STAR, STAR_VALUE);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, FMASK_VALUE);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

/* This CPU's ring-3 entry stack: interrupts (TSS.RSP0) and syscall alike. */
static inline void set_entry_stack(struct percpu *p, uint64_t top)
{
	p->gdt.tss->rsp[0] = top;
	p->syscall_stack = top;
}

void arch_switch_user_state(struct thread *prev, struct thread *next)
{
	struct percpu *p = this_percpu();

	if (next->stack)
		set_entry_stack(p, next->stack->top);
	if (prev->fpu_state || next->fpu_state)
		fpu_switch(p, prev->fpu_state, next->fpu_state);
	const struct process *np = next->process;
	if (np) {
		wrmsr(MSR_FS_BASE, next->fs_base);
		/*
		 * gdt_io_load's own first test, here: most switches keep the TSS's
		 * bitmap. io_generation is 0 exactly when there is no bitmap (ioperm.c).
		 */
		if (p->gdt.io_loaded != np->io_generation)
			gdt_io_load(np->io_bitmap, np->io_generation);
	}
}

void arch_io_bitmap_load(const struct process *p)
{
	ASSERT_IRQS_OFF();
	gdt_io_load(p->io_bitmap, p->io_generation);
}

void arch_set_fs_base(uint64_t base)
{
	unsigned long flags = arch_irq_save();

	ASSERT(paging_canonical(base), "arch_set_fs_base: non-canonical base (wrmsr would #GP)");
	thread_current()->fs_base = base;
	wrmsr(MSR_FS_BASE, base);
	arch_irq_restore(flags);
}

/* The calling process for a report: pid and name, or -1 and "kernel". */
static void who(int *pid, const char **name)
{
	struct process *p = process_current();

	*pid = p ? p->pid : -1;
	*name = p ? p->name : "kernel";
}

void user_mode_check_frame(struct trap_frame *frame)
{
	if (unlikely(frame->cs != GDT_USER_CODE || frame->ss != GDT_USER_DATA ||
		     !paging_canonical(frame->rip))) {
		int pid;
		const char *name;

		who(&pid, &name);
		kprintf("pid %d (%s): cannot return to user mode: cs 0x%lx ss 0x%lx ip 0x%lx "
			"(killed by SIGSEGV)\n", pid, name, frame->cs, frame->ss, frame->rip);
		process_exit_signal(SIGSEGV);
	}
	frame->rflags = (frame->rflags & ~(RFLAGS_IOPL | RFLAGS_NT | RFLAGS_VM)) | RFLAGS_IF |
			RFLAGS_FIXED;
}

__noreturn void arch_enter_user(const struct trap_frame *frame)
{
	struct thread *t = thread_current();
	struct trap_frame f = *frame;

	interrupts_disable();
	ASSERT(t && t->process && t->stack, "arch_enter_user: only a process's thread enters ring 3");
	if (t->fpu_state)
		fpu_load(t->fpu_state);
	signal_deliver(&f); /* killed before it ran, or a signal for fork's child; may switch */
	set_entry_stack(this_percpu(), t->stack->top);
	wrmsr(MSR_FS_BASE, t->fs_base);
	arch_io_bitmap_load(t->process); /* fork's child: the switch ran before t->process */
	user_mode_check_frame(&f);
	user_mode_enter_frame(&f, t->stack->top);
}

struct trap_frame *user_mode_frame(void)
{
	struct thread *t = thread_current();

	ASSERT(t->process && t->stack, "user_mode_frame: only a process's thread has one");
	return (struct trap_frame *)(uintptr_t)(t->stack->top - sizeof(struct trap_frame));
}

int user_mode_exception_signal(uint64_t vector)
{
	switch (vector) {
	case VEC_DIVIDE_ERROR:
	case VEC_X87_FP_ERROR:
	case VEC_SIMD_FP:
		return SIGFPE;
	case VEC_INVALID_OPCODE:
		return SIGILL;
	case VEC_BREAKPOINT:
	case VEC_DEBUG: /* a single step (TF) */
		return SIGTRAP;
	case VEC_ALIGNMENT_CHECK:
		return SIGBUS;
	default: /* #GP, #SS, #NP, #PF, #BR, #OF, ...: Linux sends SIGSEGV */
		return SIGSEGV;
	}
}

/* siginfo's si_code and si_addr for a ring-3 exception (Linux's choices). */
static int exception_code(const struct trap_frame *frame, uint64_t *addr)
{
	*addr = frame->rip;
	switch (frame->vector) {
	case VEC_DIVIDE_ERROR:
		return FPE_INTDIV;
	case VEC_INVALID_OPCODE:
		return ILL_ILLOPN;
	case VEC_ALIGNMENT_CHECK:
		return BUS_ADRALN;
	default: /* #GP, #BP, ...: the kernel says so, no address */
		*addr = 0;
		return SI_KERNEL;
	}
}

/* Back to ring 3 with frame, which is at the top of this thread's kernel stack. */
static __noreturn void return_to_user(struct trap_frame *frame)
{
	signal_deliver(frame); /* the handler's frame; returns with interrupts off */
	user_mode_check_frame(frame);
	user_mode_enter_frame(frame, thread_current()->stack->top);
}

__noreturn void user_mode_exception(struct trap_frame *frame)
{
	int pid;
	const char *name;
	int sig = user_mode_exception_signal(frame->vector);
	uint64_t addr;
	int code = exception_code(frame, &addr);

	if (signal_fault(sig, code, addr))
		return_to_user(frame); /* the program handles it */
	who(&pid, &name);
	kprintf("pid %d (%s): %s ip 0x%lx sp 0x%lx error %lu (killed by %s)\n", pid, name,
		trap_exception_name(frame->vector), frame->rip, frame->rsp, frame->error_code,
		signal_name(sig));
	process_exit_signal(sig);
}

__noreturn void user_mode_kernel_fault(void)
{
	ASSERT_IRQS_OFF();
	struct thread *t = thread_current();
	int pid;
	const char *name;

	who(&pid, &name);
	kprintf("(the kernel faulted working for pid %d (%s): the process is killed", pid, name);
	while (!list_empty(&t->mutexes_held)) {
		struct mutex *m = list_first_entry(&t->mutexes_held, struct mutex, held_link);
		kprintf("; mutex '%s' released", m->waiters.name);
		mutex_release_dead_owner(m, t);
	}
	kprintf("; the kernel goes on)\n");
	process_exit_signal(SIGKILL);
}
