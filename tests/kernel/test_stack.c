/*
 * test_stack.c - kernel-only checks of creating and destroying kernel
 * stacks (suite `kernel_stack`, kernel/stack.h) on real vmalloc memory:
 * a new stack is registered, writable end to end and fenced by guard
 * pages; destroying it unregisters it and gives its area and pages back;
 * many stacks come and go (what threads will do) leaving the registry and
 * the page allocator as they were; the stack in use and the static stacks
 * are refused. The registry itself is tested on the host
 * (tests/host/test_stack_registry.c).
 */
#include "kernel/selftest.h"
#include "kernel/stack.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

#define TEST_STACK_SIZE (16u << 10)
#define MANY_STACKS 256

extern char boot_stack_bottom[];

static const char *test_create_destroy(void)
{
	size_t count = kernel_stack_count();
	const struct kernel_stack *s = kernel_stack_create(TEST_STACK_SIZE, "test");

	CHECK(s != NULL);
	CHECK(s->guarded && s->top - s->bottom == TEST_STACK_SIZE);
	CHECK(kernel_stack_count() == count + 1);
	CHECK(kernel_stack_find(s->bottom, 16) == s);
	CHECK(kernel_stack_find(s->top - 8, 8) == s);
	CHECKF(vmalloc_is_guard(s->bottom - 8) && vmalloc_is_guard(s->top),
	       "no guard page below or above the new stack 0x%lx-0x%lx", s->bottom, s->top);
	memset((void *)(uintptr_t)s->bottom, 0x5a, TEST_STACK_SIZE); /* every byte is mapped */
	uint64_t bottom = s->bottom;
	CHECK(kernel_stack_destroy(s) == 0);
	CHECK(kernel_stack_count() == count);
	CHECK(kernel_stack_find(bottom, 16) == NULL);
	CHECKF(vmalloc_find(bottom) == NULL, "the stack's vmalloc area is still there");
	return NULL;
}

static const char *test_many(void)
{
	static const struct kernel_stack *stacks[MANY_STACKS];
	size_t count = kernel_stack_count();

	slab_shrink();
	uint64_t free_before = buddy_free_pages();
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < MANY_STACKS; i++) {
			stacks[i] = kernel_stack_create(TEST_STACK_SIZE, "many");
			CHECKF(stacks[i], "round %d: stack %d could not be created", round, i);
		}
		CHECK(kernel_stack_count() == count + MANY_STACKS);
		for (int i = 0; i < MANY_STACKS; i++)
			CHECKF(kernel_stack_find(stacks[i]->bottom + 64, 8) == stacks[i],
			       "stack %d is not found by an address inside it", i);
		for (int i = 0; i < MANY_STACKS; i += 2) /* every other one, then the rest */
			CHECK(kernel_stack_destroy(stacks[i]) == 0);
		for (int i = 1; i < MANY_STACKS; i += 2)
			CHECK(kernel_stack_destroy(stacks[i]) == 0);
		CHECK(kernel_stack_count() == count);
	}
	slab_shrink();
	CHECKF(buddy_free_pages() == free_before, "%lu free pages before, %lu after",
	       free_before, buddy_free_pages());
	return NULL;
}

static const char *test_refusals(void)
{
	const struct kernel_stack *here = kernel_stack_find((uint64_t)(uintptr_t)&here, 8);
	const struct kernel_stack *boot =
		kernel_stack_find((uint64_t)(uintptr_t)boot_stack_bottom, 8);

	CHECKF(here && here->guarded, "the selftests do not run on a guarded stack");
	CHECK(kernel_stack_destroy(here) == -EBUSY);
	CHECK(boot && !boot->guarded);
	CHECK(kernel_stack_destroy(boot) == -EINVAL);
	CHECK(kernel_stack_find((uint64_t)(uintptr_t)&here, 8) == here); /* still there */
	return NULL;
}

static const struct selftest kernel_stack_tests[] = {
	{"create_destroy", "a new stack is registered, guarded and writable; destroy undoes it",
	 test_create_destroy},
	{"many", "4 rounds of 256 stacks created and destroyed: registry and pages as before",
	 test_many},
	{"refusals", "-EBUSY for the stack in use, -EINVAL for the static boot stack",
	 test_refusals},
};

SELFTEST_SUITE(kernel_stack, kernel_stack_tests);
