/*
 * failinject.h - make the Nth next allocation of one kind fail, on purpose.
 *
 * Every path that allocates must survive a NULL: roll back what it did and
 * report, leaving no mapping and no page behind. Such paths are rarely
 * taken, so they are rarely tested; fault injection takes them on demand
 * (`failinject pmm 3` makes the third next page allocation fail, once).
 * Linux has the same idea in its fault-injection framework (failslab,
 * fail_page_alloc).
 *
 * The check sits on allocation fast paths, so it is an inline test of one
 * counter per kind that is 0 unless armed. The countdowns are per CPU
 * (failinject.c says why): "the Nth next allocation" means on the CPU that
 * armed it. Any context. Host-compilable.
 */
#ifndef MM_FAILINJECT_H
#define MM_FAILINJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/arch.h"

enum failinject_kind {
	FAILINJECT_PMM,     /* alloc_pages(): page frames, page tables */
	FAILINJECT_SLAB,    /* slab_alloc() and kmalloc() of small sizes */
	FAILINJECT_VMALLOC, /* vmalloc() and vmalloc_stack(), before any frame is taken */
	FAILINJECT_KINDS
};

/*
 * Per CPU and kind: allocations still to go before the one that fails;
 * 0 = not armed. Read inline by failinject_should_fail; changed only by
 * failinject.c, on its own CPU with interrupts off.
 */
extern uint64_t failinject_countdown[MM_MAX_CPUS][FAILINJECT_KINDS];

/*
 * Arm kind on this CPU: its nth next allocation of that kind fails (n >= 1), once; the
 * ones before it succeed. Returns 0, or -EINVAL for a bad kind or n == 0.
 */
__must_check int failinject_arm(enum failinject_kind kind, uint64_t n);

/* Disarm every kind on every CPU. */
void failinject_off(void);

/* Allocations of kind still to go on this CPU before the failing one; 0 if not armed. */
uint64_t failinject_pending(enum failinject_kind kind);

/* Failures injected of kind since boot, every CPU summed (the `failinject` report, tests). */
uint64_t failinject_count(enum failinject_kind kind);

/* "pmm", "slab", "vmalloc". */
const char *failinject_kind_name(enum failinject_kind kind);

/* Slow part of failinject_should_fail(): count down, true when it hits 0. */
bool failinject_tick(enum failinject_kind kind);

/* Should this allocation of kind fail? Call once per allocation attempt. */
static __always_inline bool failinject_should_fail(enum failinject_kind kind)
{
	return unlikely(failinject_countdown[arch_cpu_id()][kind] != 0) && failinject_tick(kind);
}

#endif
