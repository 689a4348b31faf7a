/*
 * iovec.h - checking a vector of user buffers (writev's struct iovec
 * array) the way Linux's import_iovec does, before any byte moves.
 *
 * Linux checks the whole vector first: a negative (above SSIZE_MAX) length
 * anywhere is -EINVAL, then a segment outside the user half is -EFAULT,
 * and the total is capped at MAX_RW_COUNT by shortening the segment that
 * crosses it (and zeroing those after): one write never moves more than
 * that. Only then does the write start, so a bad segment 5 means nothing
 * of segments 0 .. 4 is written. A segment that is in range but not mapped
 * is a different thing: it faults during the copy, and writev returns the
 * bytes written before it (or -EFAULT if none).
 *
 * Invariants:
 *   [x] iovec_check changes only iov_len, and only to shorten it;
 *   [x] after a successful check the lengths sum to the returned total,
 *       at most IOVEC_MAX_RW_COUNT.
 * Pure code (the range check is the caller's function): any context,
 * kernel and host (tests/host/test_iovec.c).
 */
#ifndef KERNEL_SYSCALL_IOVEC_H
#define KERNEL_SYSCALL_IOVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/uapi.h"
#include "mm/layout.h"

/* The most bytes one read or write moves (Linux: INT_MAX rounded down to a page). */
#define IOVEC_MAX_RW_COUNT 0x7ffff000ull

/*
 * Check the n segments of iov (a kernel copy of the user's array): returns
 * the total bytes to move, after capping as described above; -EINVAL if
 * some iov_len has its top bit set (negative as ssize_t); else -EFAULT if
 * range_ok(base, len) is false for some segment. n may be 0 (total 0).
 */
long iovec_check(struct linux_iovec *iov, size_t n, bool (*range_ok)(virt_addr_t va, size_t len));

#endif
