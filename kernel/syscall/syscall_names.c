/*
 * syscall_names.c - Linux's x86-64 system-call names, by number.
 *
 * The rows come from LINUX_SYSCALLS (syscall_list.h), in its order, so the
 * array is sorted by number and syscall_name() can search it in halves
 * (9 steps for 362 rows). A direct array indexed by number would be as
 * easy, but only the -ENOSYS log line and the tests ask, never the
 * system-call fast path, and the sorted rows serve the tests' "complete
 * and in order" check as well.
 *
 * Invariants:
 *   [x] rows strictly ascending by nr (checked by the tests, not at run time);
 *   [x] no row has a NULL or empty name.
 * Any context: read-only data.
 */
#include "kernel/syscall/syscall_names.h"

#include "kernel/syscall/syscall_list.h"

static const struct syscall_name syscall_names[] = {
#define SYSCALL_NAME_ROW(number, call) {number, #call},
	LINUX_SYSCALLS(SYSCALL_NAME_ROW)
#undef SYSCALL_NAME_ROW
};

#define SYSCALL_NAME_ROWS (sizeof(syscall_names) / sizeof(syscall_names[0]))

const char *syscall_name(uint64_t nr)
{
	size_t lo = 0, hi = SYSCALL_NAME_ROWS; /* the answer, if any, is in [lo, hi) */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syscall_names[mid].nr == nr)
			return syscall_names[mid].name;
		if (syscall_names[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t syscall_name_count(void)
{
	return SYSCALL_NAME_ROWS;
}

const struct syscall_name *syscall_name_at(size_t i)
{
	return i < SYSCALL_NAME_ROWS ? &syscall_names[i] : NULL;
}
