/*
 * trap.c - the one C entry point for every interrupt and exception.
 *
 * Order of business in trap_dispatch():
 *   1. ISA IRQ (32-47): without an I/O APIC, ignore the PIC's spurious IRQ
 *      7/15; run the registered handler, send end-of-interrupt (to the
 *      local APIC, or the 8259s), and let the scheduler preempt the
 *      interrupted thread (kernel/sched/schedule.h); the APIC's spurious
 *      vector 0xff is dropped without EOI; any other registered vector
 *      (the LAPIC timer, IPIs, the APIC error) runs its handler, then the
 *      local APIC EOI and the same preemption point, IPIs being counted as
 *      received (vectors.h);
 *   2. exception with a registered handler that resolves it: return;
 *   3. NMI: report it in one line and carry on (QEMU's `nmi` sends one);
 *      an exception from ring 3 (other than #DF/#MC) never reaches the
 *      steps below: the process ends with a one-line report and the signal
 *      Linux would send (user_mode_exception: #DE SIGFPE, #UD SIGILL, #GP
 *      SIGSEGV, ...), and the machine goes on;
 *   4. #BP (int3): the full report, then carry on after the int3;
 *   5. anything else: the full report; then, if a recovery point of the
 *      running thread is active (a shell command is running,
 *      kernel/recovery.h), abort back to it; else, if the thread may die
 *      alone (interrupts were on, no spinlock held, not the shell), end
 *      that thread (kernel/sched/thread.h) - and when it works for a
 *      process (a system call faulted), the whole process, killed by
 *      SIGKILL (user_mode_kernel_fault); otherwise (or for #DF and #MC)
 *      halt this CPU. (A #DF from a kernel stack overflow is resolved in
 *      step 2: its handler aborts itself, or ends a thread that may die
 *      alone.)
 * Interrupts are off throughout (interrupt gates clear IF). Re-entrant: a
 * #PF may come in while another exception is being handled (nothing here is
 * kept between calls but the handler tables).
 */
#include "kernel/arch/x86_64/trap.h"

#include "kernel/arch/x86_64/backtrace.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/pic.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/ksyms.h"
#include "kernel/recovery.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "lib/compiler.h"
#include "lib/printf.h"
#include "mm/arch.h"

static irq_handler_t irq_handlers[PIC_IRQ_COUNT];
static exception_handler_t exception_handlers[32];
static irq_handler_t vector_handlers[IDT_VECTORS]; /* VEC_FIRST_FREE .. VEC_LAST_FREE */

static const char *const exception_names[32] = {
	[0] = "#DE Divide Error",
	[1] = "#DB Debug",
	[2] = "NMI Non-Maskable Interrupt",
	[3] = "#BP Breakpoint",
	[4] = "#OF Overflow",
	[5] = "#BR BOUND Range Exceeded",
	[6] = "#UD Invalid Opcode",
	[7] = "#NM Device Not Available",
	[8] = "#DF Double Fault",
	[9] = "Coprocessor Segment Overrun",
	[10] = "#TS Invalid TSS",
	[11] = "#NP Segment Not Present",
	[12] = "#SS Stack-Segment Fault",
	[13] = "#GP General Protection",
	[14] = "#PF Page Fault",
	[16] = "#MF x87 Floating-Point Error",
	[17] = "#AC Alignment Check",
	[18] = "#MC Machine Check",
	[19] = "#XM SIMD Floating-Point",
	[20] = "#VE Virtualization",
	[21] = "#CP Control Protection",
	[28] = "#HV Hypervisor Injection",
	[29] = "#VC VMM Communication",
	[30] = "#SX Security",
};

const char *trap_exception_name(uint64_t vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return "reserved";
}

void trap_register_irq(int irq, irq_handler_t handler)
{
	irq_handlers[irq] = handler;
	if (ioapic_in_use())
		ioapic_unmask_irq(irq);
	else
		pic_unmask(irq);
}

void trap_register_vector(uint8_t vector, irq_handler_t handler)
{
	if (vector < VEC_FIRST_FREE || vector > VEC_LAST_FREE)
		panic("trap_register_vector: vector 0x%x is not free for handlers", vector);
	vector_handlers[vector] = handler;
}

void trap_register_exception(int vector, exception_handler_t handler)
{
	exception_handlers[vector] = handler;
}

/* Print the error code in words: what a student would look up in the SDM. */
static void report_error_code(const struct trap_frame *f)
{
	uint64_t e = f->error_code;

	kprintf("Error code: 0x%lx", e);
	if (f->vector == VEC_PAGE_FAULT) {
		kprintf(" = %s, %s, %s mode%s%s%s\n",
			e & PF_PRESENT ? "protection violation" : "page not present",
			e & PF_INSTRUCTION ? "instruction fetch" : e & PF_WRITE ? "write" : "read",
			e & PF_USER ? "user" : "supervisor",
			e & PF_RESERVED ? ", reserved bit set in a paging entry" : "",
			e & PF_PROTECTION_KEY ? ", protection key" : "",
			e & PF_SHADOW_STACK ? ", shadow stack" : "");
		kprintf("Faulting address (CR2): 0x%016lx\n", read_cr2());
		return;
	}
	switch (f->vector) {
	case 10: case 11: case 12: case 13: case 17:
		/* Selector error code (SDM Vol. 3A 6.13): 0 means "no selector involved". */
		if (e == 0) {
			kprintf(" (no segment selector involved%s)\n",
				f->vector == VEC_GENERAL_PROTECTION
					? "; a common cause is a non-canonical address" : "");
		} else {
			kprintf(" = %s%s index %lu%s\n", e & 1 ? "external event, " : "",
				e & 2 ? "IDT" : e & 4 ? "LDT" : "GDT", (e >> 3) & 0x1fff,
				e & 2 ? " (vector)" : "");
		}
		return;
	default:
		kprintf("\n");
	}
}

static void print_symbol(uint64_t addr)
{
	uint64_t offset;
	const char *name = ksyms_lookup(addr, &offset);

	if (name)
		kprintf("<%s+0x%lx>", name, offset);
	else
		kprintf("<?>");
}

void trap_report(const struct trap_frame *f)
{
	kprintf("\n*** CPU exception %lu: %s ***\n", f->vector, trap_exception_name(f->vector));
	report_error_code(f);
	kprintf("RIP: 0x%016lx ", f->rip);
	print_symbol(f->rip);
	kprintf("\nCS: 0x%02lx  SS: 0x%02lx  RFLAGS: 0x%08lx  RSP: 0x%016lx\n", f->cs, f->ss,
		f->rflags, f->rsp);
	kprintf("RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("RSI=%016lx RDI=%016lx RBP=%016lx RSP=%016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	kprintf("R8 =%016lx R9 =%016lx R10=%016lx R11=%016lx\n", f->r8, f->r9, f->r10, f->r11);
	kprintf("R12=%016lx R13=%016lx R14=%016lx R15=%016lx\n", f->r12, f->r13, f->r14, f->r15);
	kprintf("CR0=%016lx CR2=%016lx CR3=%016lx CR4=%016lx\n", read_cr0(), read_cr2(),
		read_cr3(), read_cr4());
	backtrace_print_trap(f->rip, f->rsp, f->rbp);
}

void trap_dispatch(struct trap_frame *frame)
{
	ASSERT_IRQS_OFF();
	uint64_t v = frame->vector;

	if (v >= IRQ_BASE && v < IRQ_BASE + PIC_IRQ_COUNT) {
		int irq = (int)(v - IRQ_BASE);
		bool apic = ioapic_in_use();
		if (!apic && pic_is_spurious(irq))
			return;
		if (irq_handlers[irq])
			irq_handlers[irq]();
		if (apic)
			lapic_eoi();
		else
			pic_end_of_interrupt(irq);
		sched_irq_exit(frame->rip); /* preemption: switch threads if the tick asked to */
		return;
	}
	if (v == VEC_SPURIOUS)
		return; /* the APIC withdrew it: no handler, no EOI (SDM Vol. 3A 11.9) */
	if (v >= VEC_FIRST_FREE && vector_handlers[v]) {
		if (v >= VEC_IPI_FIRST && v <= VEC_IPI_LAST)
			lapic_ipi_received();
		vector_handlers[v]();
		lapic_eoi();
		sched_irq_exit(frame->rip); /* a reschedule IPI or the tick may switch threads */
		return;
	}
	if (v < 32 && exception_handlers[v] && exception_handlers[v](frame))
		return;
	if (v == VEC_NMI) {
		kprintf("NMI received at ");
		print_symbol(frame->rip);
		kprintf(", continuing\n");
		return;
	}
	if (v < 32 && (frame->cs & 3) && v != VEC_DOUBLE_FAULT && v != VEC_MACHINE_CHECK)
		user_mode_exception(frame); /* kills only that process; never returns */
	trap_report(frame);
	if (v == VEC_BREAKPOINT) {
		kprintf("(breakpoint: continuing)\n");
		return;
	}
	if (v >= 32) {
		kprintf("(vector %lu has no handler)\n", v);
		lapic_eoi_if_in_service((uint8_t)v); /* the APIC would block its class forever */
	}
	/* A double fault or machine check leaves nothing to trust: always halt. */
	if (v != VEC_DOUBLE_FAULT && v != VEC_MACHINE_CHECK && recovery_abort(frame))
		return;
	/* Working for a process (a system call): end the process, which ends the thread. */
	if (v != VEC_DOUBLE_FAULT && v != VEC_MACHINE_CHECK && thread_current() &&
	    thread_current()->process && thread_fault_can_kill(frame->rflags & RFLAGS_IF))
		user_mode_kernel_fault();
	/* A thread (not the shell) that faulted with interrupts on and no spinlock: end it alone. */
	if (v != VEC_DOUBLE_FAULT && v != VEC_MACHINE_CHECK &&
	    thread_fault_can_kill(frame->rflags & RFLAGS_IF))
		thread_die_of_fault(v);
	kprintf("System halted.\n");
	cpu_halt_forever();
}
