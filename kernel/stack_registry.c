/*
 * stack_registry.c - the list of kernel stacks (see stack_registry.h).
 *
 * One doubly linked list of descriptors, newest first. Adding links the new
 * node completely before publishing it, so a lookup that runs on a stack the
 * list already names sees a consistent list.
 *
 * Invariants:
 *   [x] a descriptor is on the list exactly when its link is neither zero
 *       nor pointing to itself;
 *   [x] every descriptor on the list has bottom < top;
 *   [x] nothing here allocates, panics or calls outside lib/: the panic path
 *       (backtrace) may call kernel_stack_find at any moment.
 * Context: see stack_registry.h; no locks here (the callers serialize changes).
 */
#include "kernel/stack_registry.h"

#include "lib/errno.h"

static struct list_node stacks = LIST_INIT(stacks);

bool kernel_stack_registered(const struct kernel_stack *s)
{
	return s->link.next != NULL && s->link.next != &s->link;
}

int kernel_stack_register(struct kernel_stack *s)
{
	if (s->bottom >= s->top)
		return -EINVAL;
	if (kernel_stack_registered(s))
		return -EBUSY;
	list_add(&stacks, &s->link);
	return 0;
}

int kernel_stack_unregister(struct kernel_stack *s)
{
	if (!kernel_stack_registered(s))
		return -ENOENT;
	list_remove(&s->link);
	return 0;
}

const struct kernel_stack *kernel_stack_find(uint64_t addr, uint64_t size)
{
	const struct kernel_stack *s;

	if (size == 0 || addr + size < addr)
		return NULL;
	list_for_each_entry(s, &stacks, link)
		if (addr >= s->bottom && addr + size <= s->top)
			return s;
	return NULL;
}

size_t kernel_stack_count(void)
{
	return list_count(&stacks);
}
