/*
 * syscall_names.h - the name of a Linux x86-64 system call number.
 *
 * The table is syscall_list.h's list, kept in its order (ascending
 * numbers) in one array; a lookup is a binary search. Only the slow paths
 * use it: the "unimplemented system call" log line (syscall.c), the
 * selftests, docs. Pure code: built into the kernel and into
 * tests/host/test_syscall_names.c.
 *
 * Invariants:
 *   [x] syscall_name_at(i)->nr < syscall_name_at(i + 1)->nr for every i;
 *   [x] syscall_name(nr) is that entry's name, NULL for numbers Linux does
 *       not assign (335 .. 423, above SYSCALL_LINUX_LAST).
 * Any context (no state, no locks).
 */
#ifndef KERNEL_SYSCALL_SYSCALL_NAMES_H
#define KERNEL_SYSCALL_SYSCALL_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* One row of the table: a number and Linux's name for it ("read"). */
struct syscall_name {
	uint16_t nr;
	const char *name;
};

/*
 * Linux's name for system call nr, or NULL when Linux assigns nr to
 * nothing; for Pagoda's own numbers (PAGODA_SYS_BASE ..) Pagoda's name
 * ("ipc_call"). The rows below are Linux's only.
 */
const char *syscall_name(uint64_t nr);

/* Rows in the table (every assigned number: 362 for Linux 6.1). */
size_t syscall_name_count(void);

/* Row i (i < syscall_name_count(), else NULL), in ascending order of number. */
const struct syscall_name *syscall_name_at(size_t i);

#endif
