/*
 * stack.h - kernel stacks with guard pages.
 *
 * A kernel stack is a vmalloc_stack() area: pages mapped read-write with an
 * unmapped guard page below (and above). A stack that overflows runs into
 * the guard and page-faults at once, instead of silently overwriting
 * whatever lies below. The page-fault handler itself runs on its own IST
 * stack (gdt.h), so it can still run and report "kernel stack overflow"
 * when the faulting stack is full; #DF gets one too.
 *
 * Boot runs on the static boot stack from boot.asm until vmalloc exists;
 * then kmain moves to a guarded stack for the rest of its life (the shell).
 * Every stack is registered here so that backtraces know where a frame
 * pointer may point. Context: boot CPU, process context.
 */
#ifndef KERNEL_STACK_H
#define KERNEL_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"

#define KERNEL_STACK_SIZE (16u << 10) /* the shell's stack */
#define FAULT_STACK_SIZE (16u << 10)  /* #PF and #DF handlers' IST stacks */
#define KERNEL_STACKS_MAX 16

struct kernel_stack {
	uint64_t bottom, top; /* [bottom, top): the usable bytes; the guard is below bottom */
	const char *name;     /* "boot", "main", "#PF", ... */
	bool guarded;         /* a vmalloc stack with a guard page (the static ones are not) */
};

/*
 * Register the boot-time stacks, then create the guarded ones: "main" (for
 * kmain's second half and the shell) and the #PF and #DF IST stacks, and
 * route #PF to its IST slot. Panics if vmalloc cannot provide them. Boot
 * CPU, after vmalloc_init, interrupts off.
 */
void kernel_stacks_init(void);

/*
 * A new guarded stack of size bytes (a multiple of 4 KiB), registered under
 * name (not copied). Returns NULL when vmalloc fails or the table is full.
 */
const struct kernel_stack *kernel_stack_create(size_t size, const char *name);

/* The stack kmain continues on (created by kernel_stacks_init). */
const struct kernel_stack *kernel_stack_main(void);

/* Switch to stack s and call fn, which must never return. */
__noreturn void kernel_stack_run(const struct kernel_stack *s, void (*fn)(void));

/* The registered stack containing [addr, addr + size), or NULL (backtraces). */
const struct kernel_stack *kernel_stack_find(uint64_t addr, uint64_t size);

#endif
