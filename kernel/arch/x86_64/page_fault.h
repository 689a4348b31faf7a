/*
 * page_fault.h - route #PF and #GP to the memory manager (page_fault.c).
 *
 * The CPU's half of a page fault: the handlers read CR2 and the error code,
 * let mm/fault.c decide, and word the report; `touch` asks what its one
 * access caused. Boot CPU; the handlers run with interrupts off.
 */
#ifndef ARCH_X86_64_PAGE_FAULT_H
#define ARCH_X86_64_PAGE_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct fault;

/*
 * Register the #PF handler (mm/fault.c decides) and the #GP handler (names
 * non-canonical addresses). Boot, once, after the kernel space's regions
 * exist (kernel_space_regions_init), interrupts off.
 */
void page_fault_init(void);

/*
 * The last page fault handled, if it happened after fault number `since`
 * (fault_stats.faults read before an access): true and *out filled, else
 * false. For `touch`, which reports what its one access caused.
 */
bool page_fault_last(uint64_t since, struct fault *out);

#endif
