/*
 * iovec.c - Linux's checks of an iovec array (see iovec.h).
 *
 * Two loops, in Linux's order: lengths first (iovec_from_user rejects a
 * negative length while copying the array in), then ranges and the cap
 * (import_iovec's loop). Keeping the order makes the error a program sees
 * for a vector with two faults the same as on Linux.
 *
 * Invariants:
 *   [x] the running total never exceeds IOVEC_MAX_RW_COUNT, so no sum can
 *       overflow;
 *   [x] nothing is read outside iov[0 .. n).
 * Pure code: any context.
 */
#include "kernel/syscall/iovec.h"

#include "lib/errno.h"

long iovec_check(struct linux_iovec *iov, size_t n, bool (*range_ok)(virt_addr_t va, size_t len))
{
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		if ((int64_t)iov[i].iov_len < 0)
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!range_ok(iov[i].iov_base, iov[i].iov_len))
			return -EFAULT;
		if (iov[i].iov_len > IOVEC_MAX_RW_COUNT - total)
			iov[i].iov_len = IOVEC_MAX_RW_COUNT - total; /* the cap: this one ends it */
		total += iov[i].iov_len;
	}
	return (long)total;
}
