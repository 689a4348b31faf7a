/*
 * stack.c - creating kernel stacks (see stack.h); the registry that says
 * which stack an address is on is kernel/stack_registry.c.
 *
 * Invariants:
 *   [x] every stack the kernel runs on is registered (boot, the three
 *       static IST stacks, and each kernel_stack_create() until its
 *       kernel_stack_destroy()), so backtraces never follow a frame
 *       pointer into anything else;
 *   [x] a guarded stack's bottom is a vmalloc_stack() area start: the page
 *       below it is an unmapped guard; its descriptor comes from kmalloc;
 *   [x] the registry changes only with interrupts off and stacks_lock held
 *       (several CPUs create and destroy thread stacks at once).
 * Lock order: stacks_lock is a leaf (taken with nothing else needed inside).
 * Process context (the static ones: boot CPU, first thing).
 */
#include "kernel/stack.h"

#include "kernel/arch/x86_64/gdt.h"
#include "lib/errno.h"
#include "mm/spinlock.h"
#include "lib/panic.h"
#include "mm/arch.h"
#include "mm/kmalloc.h"
#include "mm/vmalloc.h"

extern char boot_stack_bottom[], boot_stack_top[];
void stack_call(uint64_t top, void (*fn)(void)); /* context.asm */

static struct kernel_stack boot_stack;
static struct kernel_stack ist_stacks[3]; /* IST slots 1-3 */
static const struct kernel_stack *main_stack;
static spinlock_t stacks_lock = SPINLOCK_INIT("stack registry"); /* writers of the registry */

/* Register s with interrupts off: a backtrace must never see the list half-changed. */
static void register_stack(struct kernel_stack *s)
{
	unsigned long flags = spin_lock_irqsave(&stacks_lock);
	int err = kernel_stack_register(s);

	spin_unlock_irqrestore(&stacks_lock, flags);
	ASSERT(err == 0, "kernel stacks: a new descriptor is empty or already registered");
}

void kernel_stacks_register_static(void)
{
	static const char *const ist_names[] = {"#DF (boot)", "NMI", "#MC"};

	boot_stack = (struct kernel_stack){.bottom = (uint64_t)(uintptr_t)boot_stack_bottom,
					   .top = (uint64_t)(uintptr_t)boot_stack_top,
					   .name = "boot"};
	register_stack(&boot_stack);
	for (int ist = 1; ist <= 3; ist++) {
		struct kernel_stack *s = &ist_stacks[ist - 1];
		*s = (struct kernel_stack){.name = ist_names[ist - 1]};
		gdt_ist_stack_range(ist, &s->bottom, &s->top);
		register_stack(s);
	}
}

const struct kernel_stack *kernel_stack_create(size_t size, const char *name)
{
	struct kernel_stack *s = kmalloc(sizeof(*s), 0);
	if (!s)
		return NULL;
	void *bottom = vmalloc_stack(size);
	if (!bottom) {
		kfree(s);
		return NULL;
	}
	uint64_t b = (uint64_t)(uintptr_t)bottom;
	*s = (struct kernel_stack){.bottom = b, .top = b + size, .name = name, .guarded = true};
	register_stack(s);
	return s;
}

int kernel_stack_destroy(const struct kernel_stack *cs)
{
	struct kernel_stack *s = (struct kernel_stack *)cs; /* ours: made by kernel_stack_create */
	uint64_t here = (uint64_t)(uintptr_t)&s;

	if (!s->guarded || !kernel_stack_registered(s))
		return -EINVAL;
	if (here >= s->bottom && here < s->top)
		return -EBUSY;
	unsigned long flags = spin_lock_irqsave(&stacks_lock);
	int err = kernel_stack_unregister(s);
	spin_unlock_irqrestore(&stacks_lock, flags);
	ASSERT(err == 0, "kernel_stack_destroy: a registered stack could not be removed");
	err = vfree((void *)(uintptr_t)s->bottom);
	ASSERT(err == 0, "kernel_stack_destroy: the stack's vmalloc area is gone");
	kfree(s);
	return 0;
}

void kernel_stacks_init(void)
{
	main_stack = kernel_stack_create(KERNEL_STACK_SIZE, "main");
	const struct kernel_stack *df = kernel_stack_create(FAULT_STACK_SIZE, "#DF");
	if (!main_stack || !df)
		panic("kernel_stacks_init: vmalloc cannot provide the kernel stacks");
	gdt_set_ist(IST_DOUBLE_FAULT, df->top);
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

static volatile bool keep_recursing = true; /* always true: GCC cannot see the end */

/* Recurse with a 256-byte frame until the stack's guard page stops it. */
static __noinline uint64_t recurse(uint64_t n)
{
	volatile uint8_t frame[256];

	frame[0] = (uint8_t)n;
	if (!keep_recursing)
		return n;
	return recurse(n + 1) + frame[0]; /* not a tail call: the frame stays */
}

void kernel_stack_overflow(void)
{
	(void)recurse(0);
}
