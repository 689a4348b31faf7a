/*
 * page_fault.h - route #PF and #GP to the memory manager (page_fault.c).
 *
 * The CPU's half of a page fault: the handlers read CR2 and the error code,
 * let mm/fault.c decide, and word the report; `touch` asks what its one
 * access caused. #PF runs on the current stack and may nest up to
 * PAGE_FAULT_NEST_MAX deep in each thread (the depth and records are the
 * thread's: struct page_fault_state); a kernel stack overflow arrives as #DF, which is
 * recognised and reported here too. Boot CPU; the handlers run with
 * interrupts off.
 */
#ifndef ARCH_X86_64_PAGE_FAULT_H
#define ARCH_X86_64_PAGE_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/fault.h"

struct trap_frame;

/*
 * How many page faults may be handled at once on one CPU: one, plus faults
 * taken inside its handler (a lazy page it touches, later a user copy in a
 * system call that faults, a pager). A fault that would be one more is a
 * runaway recursion: it is reported as such and treated as a violation.
 */
#define PAGE_FAULT_NEST_MAX 4

/*
 * The page faults one thread is handling (a field of struct thread, so a
 * fault handler that sleeps keeps its depth and records while another
 * thread faults; before sched_init the boot flow has one of its own).
 * Only page_fault.c touches it, on the thread it belongs to.
 */
struct page_fault_state {
	unsigned depth;                  /* handlers running (nesting), <= PAGE_FAULT_NEST_MAX */
	struct fault records[PAGE_FAULT_NEST_MAX]; /* one per nesting depth */
	const struct fault *last;        /* the last fault handled, for `touch`, or NULL */
	uint64_t last_number;            /* fault_count_total() when it happened */
};

/*
 * Called by the #PF handler with the fault's frame, its address (CR2) and
 * its nesting depth (1 = the outermost fault), before the fault is decided.
 * Selftests use it to take a fault inside a fault. Interrupts off.
 */
typedef void (*page_fault_hook_t)(struct trap_frame *frame, uint64_t address, unsigned depth);

/*
 * Register the #PF handler (mm/fault.c decides), the #GP handler (names
 * non-canonical addresses) and the #DF handler (recognises a kernel stack
 * overflow). Boot, once, after the kernel space's regions
 * exist (kernel_space_regions_init), interrupts off.
 */
void page_fault_init(void);

/*
 * The running thread's last page fault handled, if it happened after fault number `since`
 * (fault_count_total() read before an access): true and *out filled, else
 * false. For `touch`, which reports what its one access caused.
 */
bool page_fault_last(uint64_t since, struct fault *out);

/* How many #PF handlers the running thread is in now (0 outside any). */
unsigned page_fault_depth(void);

/*
 * A recovery abort abandoned the #PF handlers deeper than depth (the depth
 * when its recovery point was pushed): forget them. Never raises the depth.
 * Interrupts off (kernel/recovery.c's abort).
 */
void page_fault_unwind(unsigned depth);

/*
 * Install hook (NULL removes it): the #PF handler calls it on every fault
 * until removed. For selftests only; boot CPU, one test at a time.
 */
void page_fault_set_test_hook(page_fault_hook_t hook);

#endif
