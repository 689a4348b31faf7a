/*
 * stack.h - creating and destroying kernel stacks with guard pages.
 *
 * A kernel stack is a vmalloc_stack() area: pages mapped read-write with an
 * unmapped guard page below (and above). A stack that overflows runs into
 * the guard and page-faults at once, instead of silently overwriting
 * whatever lies below. The CPU cannot push that page fault's frame on the
 * full stack either, so the overflow arrives as a double fault, whose
 * handler runs on its own IST stack (gdt.h) and reports "kernel stack
 * overflow" (kernel/arch/x86_64/page_fault.c).
 *
 * Boot runs on the static boot stack from boot.asm until vmalloc exists;
 * then kmain moves to a guarded stack for the rest of its life (it ends as
 * the idle thread; other threads get stacks from kernel_stack_create).
 * Every stack, static or created here, is entered in the registry
 * (kernel/stack_registry.h), which backtraces consult; this file is the
 * part that needs vmalloc and kmalloc. Context: boot CPU, process context.
 */
#ifndef KERNEL_STACK_H
#define KERNEL_STACK_H

#include <stddef.h>

#include "kernel/stack_registry.h"
#include "lib/compiler.h"

#define KERNEL_STACK_SIZE (16u << 10) /* "main": kmain's second half, then the idle thread */
#define FAULT_STACK_SIZE (16u << 10)  /* the #DF handler's IST stack */

/*
 * Register the static stacks: the boot stack (boot.asm) and the boot-time
 * IST stacks for #DF, NMI and #MC (gdt.c), so that backtraces work from the
 * first exception on. Boot CPU, right after gdt_init, interrupts off.
 */
void kernel_stacks_register_static(void);

/*
 * Create the guarded stacks: "main" (for kmain's second half and idling)
 * and the #DF IST stack, and point IST slot 1 at it. Panics if
 * vmalloc cannot provide them. Boot CPU, after vmalloc_init, interrupts off.
 */
void kernel_stacks_init(void);

/*
 * A new guarded stack of size bytes (a multiple of 4 KiB), registered under
 * name (not copied). Returns NULL when kmalloc or vmalloc fails.
 * Process context (takes the allocators' locks).
 */
const struct kernel_stack *kernel_stack_create(size_t size, const char *name);

/*
 * Unregister and free a stack made by kernel_stack_create. Returns 0;
 * -EINVAL if s is a static stack or not registered; -EBUSY if the caller
 * is running on s. Process context.
 */
int kernel_stack_destroy(const struct kernel_stack *s);

/* The stack kmain continues on (created by kernel_stacks_init). */
const struct kernel_stack *kernel_stack_main(void);

/* Switch to stack s and call fn, which must never return. */
__noreturn void kernel_stack_run(const struct kernel_stack *s, void (*fn)(void));

/*
 * Overflow the running stack on purpose (demos and tests): recurse, 256
 * bytes a frame, until the guard page below the stack stops it. Returns
 * only if the fault aborts to a recovery point above the caller (then not
 * here, but at that point); otherwise the #DF handler kills the thread or
 * halts (kernel/arch/x86_64/page_fault.c). Any context that may fault.
 */
void kernel_stack_overflow(void);

#endif
