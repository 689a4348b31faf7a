/*
 * uaccess.h - every user pointer a system call takes goes through these:
 * copies between kernel memory and the current address space's user half.
 *
 * A user pointer is a number the process chose: it may be NULL, point into
 * the kernel, at nothing, at a page not yet touched, or run off the end of
 * a mapping. The routines check the range first (user_range_ok: inside
 * [0, USER_TOP), no wrap-around), then copy with arch_copy_user (mm/arch.h),
 * which lets a page fault happen: a fault the process itself could have
 * taken legitimately (demand-zero, copy-on-write, stack growth, a file
 * page) is resolved as a user fault and the copy goes on; any other ends
 * the copy early through the exception table, and the routine returns
 * -EFAULT, never a kernel report.
 *
 * Invariants:
 *   [x] a user address is only touched inside arch_copy_user (SMAP open);
 *   [x] no spinlock and no address-space lock is held across the copy;
 *   [x] a range reaching a page the process may not access (PROT_NONE, a
 *       kernel page) is -EFAULT.
 * Context: process context, interrupts on, no spinlock held (a fault may
 * allocate). Lock order: the region set's lock is taken and dropped before
 * the copy. Host-compilable (the host primitive simulates the faults).
 */
#ifndef MM_UACCESS_H
#define MM_UACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/compiler.h"
#include "mm/layout.h"

/* Copy n bytes from user address src to dst. 0, or -EFAULT (dst may hold part). */
__must_check int copy_from_user(void *dst, virt_addr_t src, size_t n);

/* Copy n bytes from src to user address dst. 0, or -EFAULT (a prefix may be written). */
__must_check int copy_to_user(virt_addr_t dst, const void *src, size_t n);

/*
 * Copy a NUL-terminated string from user address src into dst (size bytes,
 * size >= 1). Returns its length (the NUL not counted); -EFAULT (an
 * unreadable byte before the NUL); -ENAMETOOLONG (no NUL in the first size
 * bytes). dst is NUL-terminated in every case (empty on -EFAULT).
 */
long strncpy_from_user(char *dst, virt_addr_t src, size_t size);

/* Does [va, va + n) lie in [0, USER_TOP) without wrapping? n == 0: va <= USER_TOP. */
bool user_range_ok(virt_addr_t va, size_t n);

#endif
