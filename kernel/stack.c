/*
 * stack.c - the table of kernel stacks (see stack.h).
 *
 * Invariants:
 *   [x] every stack the kernel runs on is in the table (boot, the three
 *       static IST stacks, and each kernel_stack_create()), so backtraces
 *       never follow a frame pointer into anything else;
 *   [x] a guarded stack's bottom is a vmalloc_stack() area start: the page
 *       below it is an unmapped guard.
 * Boot CPU; the table only grows.
 */
#include "kernel/stack.h"

#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/trap.h"
#include "lib/panic.h"
#include "mm/arch.h"
#include "mm/vmalloc.h"

extern char boot_stack_bottom[], boot_stack_top[];
void stack_call(uint64_t top, void (*fn)(void)); /* context.asm */

static struct kernel_stack stacks[KERNEL_STACKS_MAX];
static size_t stack_count;
static const struct kernel_stack *main_stack;

static const struct kernel_stack *add(uint64_t bottom, uint64_t top, const char *name,
				      bool guarded)
{
	if (stack_count == KERNEL_STACKS_MAX)
		return NULL;
	stacks[stack_count] = (struct kernel_stack){bottom, top, name, guarded};
	return &stacks[stack_count++];
}

const struct kernel_stack *kernel_stack_create(size_t size, const char *name)
{
	if (stack_count == KERNEL_STACKS_MAX)
		return NULL;
	void *bottom = vmalloc_stack(size);
	if (!bottom)
		return NULL;
	uint64_t b = (uint64_t)(uintptr_t)bottom;
	return add(b, b + size, name, true);
}

void kernel_stacks_init(void)
{
	ASSERT_IRQS_OFF();
	static const char *const ist_names[] = {"#DF (boot)", "NMI", "#MC"};

	add((uint64_t)(uintptr_t)boot_stack_bottom, (uint64_t)(uintptr_t)boot_stack_top, "boot",
	    false);
	for (int ist = 1; ist <= 3; ist++) {
		uint64_t lo, hi;
		gdt_ist_stack_range(ist, &lo, &hi);
		add(lo, hi, ist_names[ist - 1], false);
	}
	main_stack = kernel_stack_create(KERNEL_STACK_SIZE, "main");
	const struct kernel_stack *pf = kernel_stack_create(FAULT_STACK_SIZE, "#PF");
	const struct kernel_stack *df = kernel_stack_create(FAULT_STACK_SIZE, "#DF");
	if (!main_stack || !pf || !df)
		panic("kernel_stacks_init: vmalloc cannot provide the kernel stacks");
	gdt_set_ist(IST_PAGE_FAULT, pf->top);
	gdt_set_ist(IST_DOUBLE_FAULT, df->top);
	idt_set_ist(VEC_PAGE_FAULT, IST_PAGE_FAULT);
}

const struct kernel_stack *kernel_stack_main(void)
{
	return main_stack;
}

void kernel_stack_run(const struct kernel_stack *s, void (*fn)(void))
{
	stack_call(s->top, fn);
	__builtin_unreachable();
}

const struct kernel_stack *kernel_stack_find(uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < stack_count; i++)
		if (addr >= stacks[i].bottom && addr + size <= stacks[i].top && addr + size > addr)
			return &stacks[i];
	return NULL;
}
