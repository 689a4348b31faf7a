/*
 * test_stack_registry.c - suite "stack_registry": which kernel stack an
 * address is on (kernel/stack_registry.c), on the host.
 *
 * The registry depends on nothing outside lib/, so it links here alone.
 * Covered: an empty registry; every refused call (empty range, double
 * registration, removing what is not registered, zero and wrapping sizes);
 * the exact edges of a stack; and thousands of stacks registered, removed
 * and registered again in a seeded random order, every lookup checked
 * against a shadow model (what backtraces of many threads will ask).
 * Each test leaves the registry empty. Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "kernel/stack_registry.h"
#include "lib/errno.h"
#include "lib/random.h"

#define BASE 0xffffc80000000000ull /* where the fake stacks lie (never touched) */
#define STACK_BYTES 0x4000ull      /* 16 KiB each */
#define STRIDE 0x6000ull           /* stack + 8 KiB gap (the guard pages) */
#define MANY 4096                  /* stacks in the stress test */

static struct kernel_stack many[MANY];
static bool shadow[MANY]; /* registered, as the model sees it */

static void fake_stack(struct kernel_stack *s, int i)
{
	*s = (struct kernel_stack){.bottom = BASE + (uint64_t)i * STRIDE,
				   .top = BASE + (uint64_t)i * STRIDE + STACK_BYTES,
				   .name = "fake"};
}

/* What kernel_stack_find(addr, size) must return according to the model. */
static const struct kernel_stack *expected(uint64_t addr, uint64_t size)
{
	if (addr < BASE || size == 0)
		return NULL;
	uint64_t i = (addr - BASE) / STRIDE;
	if (i >= MANY || !shadow[i])
		return NULL;
	if (addr + size > many[i].top)
		return NULL;
	return &many[i];
}

static const char *test_empty(void)
{
	CHECK(kernel_stack_count() == 0);
	CHECK(kernel_stack_find(BASE, 1) == NULL);
	CHECK(kernel_stack_find(0, 1) == NULL);
	return NULL;
}

static const char *test_refusals(void)
{
	struct kernel_stack zero = {0}, s, empty;

	CHECK(kernel_stack_unregister(&zero) == -ENOENT); /* zero-initialized: not registered */
	CHECK(!kernel_stack_registered(&zero));
	fake_stack(&empty, 0);
	empty.top = empty.bottom;
	CHECK(kernel_stack_register(&empty) == -EINVAL);
	empty.top = empty.bottom - 1;
	CHECK(kernel_stack_register(&empty) == -EINVAL);
	CHECK(kernel_stack_count() == 0);

	fake_stack(&s, 0);
	CHECK(kernel_stack_register(&s) == 0);
	CHECK(kernel_stack_registered(&s));
	CHECK(kernel_stack_register(&s) == -EBUSY);
	CHECK(kernel_stack_count() == 1);
	CHECK(kernel_stack_find(s.bottom, 0) == NULL);              /* size 0 */
	CHECK(kernel_stack_find(UINT64_MAX - 3, 8) == NULL);        /* wraps past 2^64 */
	CHECK(kernel_stack_unregister(&s) == 0);
	CHECK(kernel_stack_unregister(&s) == -ENOENT);
	CHECK(!kernel_stack_registered(&s));
	CHECK(kernel_stack_count() == 0);
	return NULL;
}

static const char *test_edges(void)
{
	struct kernel_stack a, b;

	fake_stack(&a, 0);
	fake_stack(&b, 1);
	CHECK(kernel_stack_register(&a) == 0);
	CHECK(kernel_stack_register(&b) == 0);
	CHECK(kernel_stack_find(a.bottom, 16) == &a);
	CHECK(kernel_stack_find(a.top - 8, 8) == &a);
	CHECK(kernel_stack_find(a.top - 7, 8) == NULL);  /* runs past the top */
	CHECK(kernel_stack_find(a.bottom - 1, 1) == NULL); /* the guard below */
	CHECK(kernel_stack_find(a.top, 1) == NULL);
	CHECK(kernel_stack_find(b.bottom, STACK_BYTES) == &b);
	CHECK(kernel_stack_find(b.bottom, STACK_BYTES + 1) == NULL);
	CHECK(kernel_stack_find(a.bottom, STRIDE + 16) == NULL); /* spans both */
	CHECK(kernel_stack_unregister(&a) == 0);
	CHECK(kernel_stack_find(a.bottom, 16) == NULL);
	CHECK(kernel_stack_find(b.bottom, 16) == &b);
	CHECK(kernel_stack_unregister(&b) == 0);
	CHECK(kernel_stack_count() == 0);
	return NULL;
}

/* One random lookup against the model; the address range covers gaps and both ends. */
static const char *lookup_once(uint64_t *rng)
{
	uint64_t addr = BASE - STRIDE + random_next(rng) % ((MANY + 2) * STRIDE);
	uint64_t size = 1 + random_next(rng) % 64;
	const struct kernel_stack *want = expected(addr, size), *got = kernel_stack_find(addr, size);

	CHECKF(got == want, "kernel_stack_find(0x%lx, %lu): got stack %ld, expected %ld", addr,
	       size, got ? (long)(got - many) : -1L, want ? (long)(want - many) : -1L);
	return NULL;
}

static const char *test_thousands(void)
{
	uint64_t rng = 0x5eed5eedull;
	const char *err;
	size_t live = 0;

	for (int i = 0; i < MANY; i++) {
		fake_stack(&many[i], i);
		shadow[i] = false;
	}
	for (int i = 0; i < MANY; i++) {
		CHECK(kernel_stack_register(&many[i]) == 0);
		shadow[i] = true;
		live++;
	}
	CHECK(kernel_stack_count() == MANY);
	for (int i = 0; i < MANY; i++)
		CHECKF(kernel_stack_find(many[i].bottom + 8, 8) == &many[i], "stack %d not found", i);

	for (int op = 0; op < 20000; op++) {
		int i = (int)(random_next(&rng) % MANY);
		if (shadow[i]) {
			CHECK(kernel_stack_unregister(&many[i]) == 0);
			live--;
		} else {
			CHECK(kernel_stack_register(&many[i]) == 0);
			live++;
		}
		shadow[i] = !shadow[i];
		if ((err = lookup_once(&rng)))
			return err;
	}
	CHECKF(kernel_stack_count() == live, "%zu registered, the model says %zu",
	       kernel_stack_count(), live);
	for (int i = 0; i < MANY; i++) {
		CHECK(kernel_stack_unregister(&many[i]) == (shadow[i] ? 0 : -ENOENT));
		shadow[i] = false;
	}
	CHECK(kernel_stack_count() == 0);
	for (int k = 0; k < 1000; k++)
		if ((err = lookup_once(&rng)))
			return err;
	return NULL;
}

static const struct selftest stack_registry_tests[] = {
	{"empty", "an empty registry finds nothing and counts 0", test_empty},
	{"refusals", "-EINVAL empty range, -EBUSY twice, -ENOENT not registered; size 0, wraps",
	 test_refusals},
	{"edges", "a stack holds [bottom, top): the guard below and the top are outside",
	 test_edges},
	{"thousands", "4096 stacks, 20000 random registers/removals, lookups against a model",
	 test_thousands},
};

SELFTEST_SUITE(stack_registry, stack_registry_tests);
