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
 * Pagoda's own calls (from PAGODA_SYS_BASE, user/include/pagoda/ipc_abi.h)
 * are named by a second, direct array, not by rows: the rows stay Linux's.
 * Invariants:
 *   [x] rows strictly ascending by nr (checked by the tests, not at run time);
 *   [x] every Pagoda number has a name (the tests check each);
 *   [x] no row has a NULL or empty name.
 * Any context: read-only data.
 */
#include "kernel/syscall/syscall_names.h"

#include "kernel/syscall/syscall_list.h"
#include "user/include/pagoda/ipc_abi.h"

static const struct syscall_name syscall_names[] = {
#define SYSCALL_NAME_ROW(number, call) {number, #call},
	LINUX_SYSCALLS(SYSCALL_NAME_ROW)
#undef SYSCALL_NAME_ROW
};

#define SYSCALL_NAME_ROWS (sizeof(syscall_names) / sizeof(syscall_names[0]))

/* Pagoda's own calls (ipc_abi.h), by nr - PAGODA_SYS_BASE: `run -t` and the log line name them. */
static const char *const pagoda_names[PAGODA_SYS_COUNT] = {
#define PAGODA_NAME(call) [SYS_##call - PAGODA_SYS_BASE] = #call
	PAGODA_NAME(ipc_endpoint_create), PAGODA_NAME(ipc_notification_create),
	PAGODA_NAME(ipc_send), PAGODA_NAME(ipc_recv), PAGODA_NAME(ipc_call),
	PAGODA_NAME(ipc_reply), PAGODA_NAME(ipc_reply_recv), PAGODA_NAME(ipc_notify),
	PAGODA_NAME(ipc_notify_wait), PAGODA_NAME(handle_duplicate), PAGODA_NAME(handle_close),
	PAGODA_NAME(handle_info), PAGODA_NAME(ipc_revoke), PAGODA_NAME(pager_region),
	PAGODA_NAME(irq_bind), PAGODA_NAME(irq_ack),
#undef PAGODA_NAME
};

const char *syscall_name(uint64_t nr)
{
	if (nr - PAGODA_SYS_BASE < PAGODA_SYS_COUNT)
		return pagoda_names[nr - PAGODA_SYS_BASE];

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
