/*
 * stack_registry.h - which kernel stack an address is on.
 *
 * Backtraces follow frame pointers and must never read outside a stack; the
 * page-fault report names the stack whose guard page was hit. Both ask this
 * registry, and so does nothing else need a copy of the stack ranges. It is
 * kept apart from creating stacks (kernel/stack.h, which needs vmalloc) so
 * that the panic path (panic -> panic_stop -> backtrace -> here) depends on
 * nothing that can itself panic: this file uses only lib/ headers.
 *
 * The descriptor of each stack embeds its list link, so registering never
 * allocates and never runs out of room: threads can create and join
 * thousands of stacks. Lookups walk the list, O(number of stacks).
 *
 * Context: register/unregister from process context with interrupts off
 * and the caller's lock held (kernel/stack.c's stacks_lock serializes the
 * CPUs); kernel_stack_find from any context, exception handlers included,
 * without a lock: a node is linked whole before it is published, and a
 * stack is unregistered only after its last use (the thread is gone).
 */
#ifndef KERNEL_STACK_REGISTRY_H
#define KERNEL_STACK_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/list.h"

/* One kernel stack. Fill bottom..guarded, then register it; read-only while registered. */
struct kernel_stack {
	uint64_t bottom, top; /* [bottom, top): the usable bytes; the guard is below bottom */
	const char *name;     /* "boot", "main", "#PF", ... (not copied) */
	bool guarded;         /* a vmalloc stack with a guard page (the static ones are not) */
	struct list_node link; /* private: on the registry's list; zero or self-linked when off */
};

/*
 * Add s to the registry. s (zero-initialized or unregistered before) stays
 * owned by the caller and must outlive its registration.
 * Returns 0, -EINVAL if [bottom, top) is empty, -EBUSY if s is registered.
 */
int kernel_stack_register(struct kernel_stack *s);

/* Remove s from the registry. Returns 0, or -ENOENT if s is not registered. */
int kernel_stack_unregister(struct kernel_stack *s);

/* Whether s is in the registry now. */
bool kernel_stack_registered(const struct kernel_stack *s);

/*
 * The registered stack containing all of [addr, addr + size), or NULL (none,
 * size 0, or the range wraps past 2^64). Any context.
 */
const struct kernel_stack *kernel_stack_find(uint64_t addr, uint64_t size);

/* How many stacks are registered (walks the list). */
size_t kernel_stack_count(void);

#endif
