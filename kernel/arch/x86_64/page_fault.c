/*
 * page_fault.c - the x86-64 side of page faults and general-protection
 * faults: read what the CPU reports, let mm/fault.c decide, and word the
 * report.
 *
 * #PF (vector 14) pushes an error code (SDM Vol. 3A 4.7) and puts the
 * faulting address in CR2. The error code becomes FAULT_* access bits and
 * fault_handle() resolves the fault or names the violation. A resolved
 * fault returns straight to the instruction, which runs again. A violation
 * gets one headline here ("page fault: write to read-only region ...");
 * trap_dispatch then prints the full report and aborts to the shell's
 * recovery point, or halts.
 *
 * #GP (vector 13) reports no address at all. The commonest kernel cause is
 * a non-canonical address, so the handler decodes the faulting instruction
 * (insn.c) and, if its memory operand is non-canonical, says so.
 *
 * Both run on interrupt gates (interrupts off); #PF on its own IST stack
 * (kernel/stack.h), so a fault from an overflowed stack still has room.
 * A fault inside the #PF handler itself would reuse that IST stack and
 * overwrite the first fault's frame: it is detected and halts at once.
 */
#include "kernel/arch/x86_64/page_fault.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/insn.h"
#include "kernel/arch/x86_64/trap.h"
#include "kernel/stack.h"
#include "lib/printf.h"
#include "mm/arch.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/vmalloc.h"

static unsigned handler_depth;      /* > 0 while the #PF handler runs */
static struct fault last_fault;     /* the last fault handled, for `touch` */
static uint64_t last_fault_number;  /* fault_stats.faults when it happened */

/*
 * The #PF error code (SDM Vol. 3A 4.7) as mm/fault.h's access bits, plus
 * whether SMEP and SMAP were in force (SDM Vol. 3A 4.6.1: SMAP only while
 * EFLAGS.AC is clear), so the report names them only when they refused.
 */
static unsigned access_of(uint64_t error, uint64_t rflags)
{
	unsigned access = 0;
	uint64_t cr4 = read_cr4();

	if (cr4 & CR4_SMEP)
		access |= FAULT_SMEP_ON;
	if ((cr4 & CR4_SMAP) && !(rflags & RFLAGS_AC))
		access |= FAULT_SMAP_ON;

	if (error & PF_PRESENT)
		access |= FAULT_PRESENT;
	if (error & PF_WRITE)
		access |= FAULT_WRITE;
	if (error & PF_USER)
		access |= FAULT_USER;
	if (error & PF_RESERVED)
		access |= FAULT_RESERVED;
	if (error & PF_INSTRUCTION)
		access |= FAULT_FETCH;
	return access;
}

static bool page_fault_trap(struct trap_frame *frame)
{
	ASSERT_IRQS_OFF();
	uint64_t address = read_cr2();

	if (handler_depth > 0) {
		kprintf("\n*** page fault at 0x%lx inside the page-fault handler: its IST stack "
			"is no longer trustworthy ***\n", address);
		return false; /* the report follows; nested faults are never recovered */
	}
	handler_depth++;
	int err = fault_handle(current_space(), address, access_of(frame->error_code, frame->rflags),
			       &last_fault);
	handler_depth--;
	last_fault_number = fault_stats.faults;
	if (err == 0)
		return true;
	char why[200];
	kprintf("\n*** page fault: %s at 0x%lx ***\n", fault_describe(&last_fault, why, sizeof(why)),
		address);
	const struct kernel_stack *stack =
		last_fault.area ? kernel_stack_find(last_fault.area->start, 1) : NULL;
	if (stack)
		kprintf("(that is the \"%s\" kernel stack: %lu KiB, guard page at 0x%lx)\n",
			stack->name, (stack->top - stack->bottom) >> 10, stack->bottom - PAGE_SIZE);
	return false;
}

static bool general_protection_trap(struct trap_frame *frame)
{
	ASSERT_IRQS_OFF();
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
}

bool page_fault_last(uint64_t since, struct fault *out)
{
	if (last_fault_number <= since)
		return false;
	*out = last_fault;
	return true;
}
