/*
 * failinject.c - the countdowns behind failinject.h.
 *
 * Invariants:
 *   [x] failinject_countdown[k] == 0 exactly when kind k is not armed;
 *   [x] an armed kind fails exactly one allocation, then disarms itself.
 * Single CPU: a countdown is read and written by one CPU at a time (the
 * allocators call failinject_tick with interrupts off or from the shell).
 */
#include "mm/failinject.h"

#include "lib/errno.h"

uint64_t failinject_countdown[FAILINJECT_KINDS];
static uint64_t injected[FAILINJECT_KINDS];

static const char *const kind_names[FAILINJECT_KINDS] = {
	[FAILINJECT_PMM] = "pmm",
	[FAILINJECT_SLAB] = "slab",
	[FAILINJECT_VMALLOC] = "vmalloc",
};

int failinject_arm(enum failinject_kind kind, uint64_t n)
{
	if ((unsigned)kind >= FAILINJECT_KINDS || n == 0)
		return -EINVAL;
	failinject_countdown[kind] = n;
	return 0;
}

void failinject_off(void)
{
	for (int k = 0; k < FAILINJECT_KINDS; k++)
		failinject_countdown[k] = 0;
}

uint64_t failinject_count(enum failinject_kind kind)
{
	return (unsigned)kind < FAILINJECT_KINDS ? injected[kind] : 0;
}

const char *failinject_kind_name(enum failinject_kind kind)
{
	return (unsigned)kind < FAILINJECT_KINDS ? kind_names[kind] : "?";
}

bool failinject_tick(enum failinject_kind kind)
{
	if (--failinject_countdown[kind] != 0)
		return false;
	injected[kind]++;
	return true;
}
