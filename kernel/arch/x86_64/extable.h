/*
 * extable.h - the exception table: instructions allowed to fault, and
 * where execution continues when they do.
 *
 * The user-copy routine (user_copy.asm) touches addresses a program gave:
 * they may be unmapped, or in the kernel half. Each of its instructions
 * that may fault is recorded, with the address of its fixup, in the
 * section `__ex_table` (boot/kernel.ld gathers it between __start_ex_table
 * and __stop_ex_table). A kernel-mode #PF or #GP whose RIP is in the table
 * is a user access, not a kernel bug: page_fault.c resolves it as a user
 * fault, or, for a violation, resumes at the fixup (which returns the
 * bytes not copied). Never a report.
 *
 * Invariants:
 *   [x] after extable_init, the table is sorted by insn, with no
 *       duplicates (extable_init panics otherwise), and never changes;
 *   [x] every fixup lies in kernel text.
 * Context: extable_init once at boot before anything faults through it;
 * extable_find any context (reads only).
 */
#ifndef ARCH_X86_64_EXTABLE_H
#define ARCH_X86_64_EXTABLE_H

#include <stddef.h>
#include <stdint.h>

/* One entry: absolute addresses (the kernel is linked at a fixed address). */
struct extable_entry {
	uint64_t insn;  /* the instruction that may fault */
	uint64_t fixup; /* where to continue when it does */
};

/*
 * Sort the linker-gathered table by insn (the assembler emits entries in
 * source order, and the linker concatenates files in link order). Boot,
 * once, before the first user copy. Panics on a duplicate insn.
 */
void extable_init(void);

/* The entry for the instruction at rip, or NULL. Binary search; any context. */
const struct extable_entry *extable_find(uint64_t rip);

/*
 * The entry of table[0 .. count) whose insn is rip, or NULL: a binary
 * search, O(log count) comparisons, of a table sorted by insn with no
 * duplicates (extable_init's result). count 0: NULL. Any context; no
 * lock, no allocation. extable_find searches the kernel's table with it;
 * host-compilable (tests/host/test_extable.c gives it tables of its own).
 */
const struct extable_entry *extable_search(const struct extable_entry *table, size_t count,
					   uint64_t rip);

/* The table (after extable_init: sorted), for tests and `cpuinfo`-style listings. */
const struct extable_entry *extable_entries(size_t *count);

#endif
