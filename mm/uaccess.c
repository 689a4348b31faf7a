/*
 * uaccess.c - copies between the kernel and the current process's memory
 * (uaccess.h has the contracts, docs/processes.md "User copies" the path).
 *
 * Each routine checks the numbers (user_range_ok), then the regions: a
 * page of a PROT_NONE region may still be mapped (mprotect keeps its
 * contents) as a supervisor page, which the kernel could read, so a range
 * touching a region without MAP_USER is refused before the copy. Then
 * arch_copy_user copies; a fault inside it is resolved as the process's
 * own would be, or ends the copy, and what was not copied says -EFAULT.
 * Strings are copied in chunks of STRING_CHUNK bytes that never cross a
 * page, stopping at the NUL, so that an unreadable page after the NUL
 * never matters and a short string costs one short copy.
 * Invariants:
 *   [x] user memory is read or written only by arch_copy_user;
 *   [x] no lock is held across arch_copy_user (the region lookups take and
 *       drop the set's lock inside region_find/region_next);
 *   [x] -EFAULT for every range user_range_ok refuses, before any access.
 * Context: process context, interrupts on, no spinlock held.
 */
#include "mm/uaccess.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/kernel_space.h"
#include "mm/paging.h"
#include "mm/region.h"

/*
 * Bytes a string copy asks for at a time: a path is usually short, and a
 * copy of a whole page to find a NUL in its first bytes would cost a
 * `rep movsb` of 4 KiB; the region check is made once per page.
 */
#define STRING_CHUNK 64

bool user_range_ok(virt_addr_t va, size_t n)
{
	return n <= USER_TOP && va <= USER_TOP - n;
}

/*
 * May a process reach every page of [va, va + n) (n > 0)? False only if a
 * region there lacks MAP_USER (PROT_NONE): pages in no region are left to
 * the fault path (stack growth below a stack, or -EFAULT).
 */
static bool user_pages_allowed(virt_addr_t va, size_t n)
{
	/* LAB 6 BEGIN uaccess_pages_allowed: refuse a range that meets a region without MAP_USER */
	const struct region_set *set = current_space()->regions;
	virt_addr_t end = va + n;

	if (!set)
		return true;
	const struct region *r = region_find(set, va);
	if (!r)
		r = region_next(set, va);
	while (r && r->start < end) {
		if (!(r->prot & MAP_USER))
			return false;
		if (r->end >= end)
			break; /* r covers the rest: no next region to look up */
		r = region_next(set, r->start);
	}
	return true;
	/* LAB 6 END uaccess_pages_allowed */
}

/* The copy itself: bytes not copied (the host primitive is told which side is the user's). */
static size_t copy_user(void *dst, const void *src, size_t n, bool to_user)
{
#ifdef PAGODA_HOST
	host_copy_to_user = to_user;
#else
	(void)to_user;
#endif
	return arch_copy_user(dst, src, n);
}

/*
 * The checked copy of both directions: n bytes from src to dst, one of
 * them a user address (dst if to_user, else src), the other kernel memory.
 * 0, or -EFAULT (a prefix may have been copied).
 */
static int user_copy(void *dst, const void *src, size_t n, bool to_user)
{
	/* LAB 6 BEGIN uaccess_copy: check the range and its regions, then copy with arch_copy_user */
	virt_addr_t user = (uintptr_t)(to_user ? dst : src);

	if (!user_range_ok(user, n))
		return -EFAULT;
	if (n == 0)
		return 0;
	if (!user_pages_allowed(user, n))
		return -EFAULT;
	return copy_user(dst, src, n, to_user) ? -EFAULT : 0;
	/* LAB 6 END uaccess_copy */
}

int copy_from_user(void *dst, virt_addr_t src, size_t n)
{
	return user_copy(dst, (const void *)(uintptr_t)src, n, false);
}

int copy_to_user(virt_addr_t dst, const void *src, size_t n)
{
	return user_copy((void *)(uintptr_t)dst, src, n, true);
}

long strncpy_from_user(char *dst, virt_addr_t src, size_t size)
{
	/* LAB 6 BEGIN uaccess_strncpy: copy up to the NUL in chunks within a page, never past it */
	size_t copied = 0;
	virt_addr_t checked_page = 1; /* not page-aligned: no page checked yet */

	if (size == 0)
		return -ENAMETOOLONG;
	while (copied < size) {
		virt_addr_t va = src + copied;
		size_t page_left = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		size_t chunk = MIN(MIN(size - copied, page_left), STRING_CHUNK);
		if (ALIGN_DOWN(va, PAGE_SIZE) != checked_page) {
			/* USER_TOP is page-aligned: a page below it is wholly below it. */
			if (!user_range_ok(va, page_left) || !user_pages_allowed(va, page_left))
				break;
			checked_page = ALIGN_DOWN(va, PAGE_SIZE);
		}
		size_t left = copy_user(dst + copied, (const void *)(uintptr_t)va, chunk, false);
		size_t length = strnlen(dst + copied, chunk - left);
		if (length < chunk - left)
			return (long)(copied + length);
		copied += chunk - left;
		if (left)
			break;
	}
	if (copied == size) {
		dst[size - 1] = 0;
		return -ENAMETOOLONG;
	}
	dst[0] = 0;
	return -EFAULT;
	/* LAB 6 END uaccess_strncpy */
}
