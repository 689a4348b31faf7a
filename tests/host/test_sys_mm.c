/*
 * test_sys_mm.c - suite "sys_mm": the memory system calls of
 * kernel/syscall/sys_mm.c on the host, over a real struct user_space in the
 * simulated RAM arena (tests/host/uaccess_host.h), through the same user
 * copies as in the kernel. What this layer adds to mm/user_space.c is
 * checked: Linux's order (an unaligned offset -EINVAL before a bad
 * descriptor -EBADF; the console -ENODEV), the file behind a file mapping,
 * prot bits above 31, brk's old-break answer, mincore's range and vector
 * checks and its chunked copy-out over more pages than one chunk. The
 * process, its descriptors and files are tests/host/syscall_host.h's
 * stand-ins (fd 1: the console, fd 5: a file of the simulated initrd). Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "kernel/syscall/sys_mm.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"
#include "tests/host/syscall_host.h"
#include "tests/host/uaccess_host.h"

#define P PAGE_SIZE
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define FILE_FD 5
#define CONSOLE_FD 1
#define HEAP HOST_HEAP

static virt_addr_t area; /* host_sys_begin's pages: unused here */

#define begin() host_sys_begin(&area)
#define end() host_sys_end()

static int poke(virt_addr_t va, uint8_t v)
{
	return copy_to_user(va, &v, 1);
}

/* ---- Tests. ---- */

static const char *test_mmap_order(void)
{
	CHECK_OK(begin());
	/* Linux's x86-64 sys_mmap: the offset first, then the descriptor, then the rest. */
	CHECK(sys_mmap(0, P, PROT_READ, MAP_PRIVATE, 999, 1) == -EINVAL);
	CHECK(sys_mmap(0, P, PROT_READ, MAP_PRIVATE, 999, 0) == -EBADF);
	CHECK(sys_mmap(0, 0, PROT_READ, MAP_PRIVATE, 999, 0) == -EBADF);
	CHECK(sys_mmap(0, 0, PROT_READ, ANON, -1, 0) == -EINVAL);
	CHECK(sys_mmap(0, P, PROT_READ, MAP_PRIVATE, CONSOLE_FD, 0) == -ENODEV);
	/* MAP_ANONYMOUS ignores the descriptor entirely. */
	long a = sys_mmap(0, P, RW, ANON, 999, 0);
	CHECKF(a > 0 && (a & (P - 1)) == 0, "anonymous mmap: %ld", a);
	CHECK(poke((virt_addr_t)a, 1) == 0);
	CHECK(sys_munmap((virt_addr_t)a, P) == 0);
	return end();
}

static const char *test_mmap_file(void)
{
	uint8_t got[16];

	CHECK_OK(begin());
	long a = sys_mmap(0, 2 * P, PROT_READ, MAP_PRIVATE, FILE_FD, P);
	CHECKF(a > 0, "file mmap: %ld", a);
	CHECK(copy_from_user(got, (virt_addr_t)a, sizeof(got)) == 0);
	for (unsigned i = 0; i < sizeof(got); i++)
		CHECKF(got[i] == host_initrd_byte(P + i), "byte %u of the mapping (file offset %lu)",
		       i, (unsigned long)(P + i));
	CHECK(poke((virt_addr_t)a, 0) == -EFAULT); /* read-only */
	CHECK(sys_mprotect((virt_addr_t)a, P, RW) == 0);   /* private: copy-on-write */
	CHECK(poke((virt_addr_t)a, 0x5a) == 0);
	CHECK(sys_munmap((virt_addr_t)a, 2 * P) == 0);
	return end();
}

static const char *test_mprotect_prot(void)
{
	CHECK_OK(begin());
	long a = sys_mmap(0, P, RW, ANON, -1, 0);
	CHECK(a > 0);
	CHECK(sys_mprotect((virt_addr_t)a, P, 1ull << 32 | PROT_READ) == -EINVAL);
	CHECK(sys_mprotect((virt_addr_t)a, P, 1ull << 31) == -EINVAL);
	CHECK(sys_mprotect((virt_addr_t)a, P, PROT_READ) == 0);
	CHECK(poke((virt_addr_t)a, 1) == -EFAULT);
	CHECK(sys_munmap((virt_addr_t)a, P) == 0);
	return end();
}

static const char *test_brk(void)
{
	CHECK_OK(begin());
	CHECK(sys_brk(0) == (long)HEAP);
	CHECK(sys_brk(HEAP + 3 * P + 5) == (long)(HEAP + 3 * P + 5));
	CHECK(poke(HEAP + 3 * P + 4, 7) == 0);
	CHECK(poke(HEAP + 4 * P, 7) == -EFAULT);           /* past the page of the break */
	CHECK(sys_brk(HEAP - P) == (long)(HEAP + 3 * P + 5)); /* below the start: unchanged */
	CHECK(sys_brk(HEAP) == (long)HEAP);
	CHECK(poke(HEAP, 7) == -EFAULT);
	return end();
}

static const char *test_mincore(void)
{
	enum { PAGES = 300 }; /* more than one MINCORE_CHUNK */
	uint8_t vec[PAGES];

	CHECK_OK(begin());
	long a = sys_mmap(0, (PAGES + 1) * P, RW, ANON, -1, 0);
	long v = sys_mmap(0, P, RW, ANON, -1, 0);
	CHECK(a > 0 && v > 0);
	CHECK(sys_munmap((virt_addr_t)a + PAGES * P, P) == 0); /* a hole right after */
	for (unsigned i = 0; i < PAGES; i += 7)
		CHECK(poke((virt_addr_t)a + i * P, 1) == 0);
	CHECK(sys_mincore((virt_addr_t)a, PAGES * P - 10, (virt_addr_t)v) == 0); /* rounds up */
	CHECK(copy_from_user(vec, (virt_addr_t)v, PAGES) == 0);
	for (unsigned i = 0; i < PAGES; i++)
		CHECKF((vec[i] & 1) == (i % 7 == 0), "page %u: mincore says %u", i, vec[i]);
	CHECK(sys_mincore((virt_addr_t)a + 1, P, (virt_addr_t)v) == -EINVAL);
	CHECK(sys_mincore((virt_addr_t)a, USER_TOP, (virt_addr_t)v) == -ENOMEM);
	CHECK(sys_mincore((virt_addr_t)a, P, USER_TOP) == -EFAULT);
	CHECK(sys_mincore((virt_addr_t)a, P, 0x1000) == -EFAULT);     /* vector unmapped */
	CHECK(sys_mincore((virt_addr_t)a, (PAGES + 1) * P, (virt_addr_t)v) == -ENOMEM);
	CHECK(sys_mincore((virt_addr_t)a, 0, (virt_addr_t)v) == 0);
	CHECK(sys_madvise((virt_addr_t)a, PAGES * P, MADV_DONTNEED) == 0);
	CHECK(sys_mincore((virt_addr_t)a, PAGES * P, (virt_addr_t)v) == 0);
	CHECK(copy_from_user(vec, (virt_addr_t)v, PAGES) == 0);
	for (unsigned i = 0; i < PAGES; i++)
		CHECKF(vec[i] == 0, "page %u resident after MADV_DONTNEED", i);
	CHECK(sys_munmap((virt_addr_t)a, PAGES * P) == 0 && sys_munmap((virt_addr_t)v, P) == 0);
	return end();
}

static const struct selftest sys_mm_tests[] = {
	{"mmap_order", "offset -EINVAL before -EBADF; console -ENODEV; anonymous ignores fd",
	 test_mmap_order},
	{"mmap_file", "fd 5's initrd bytes from the offset; read-only, then copy-on-write",
	 test_mmap_file},
	{"mprotect_prot", "prot bits above 30 -EINVAL, not dropped", test_mprotect_prot},
	{"brk", "grow to a byte, refuse below the start (old break), shrink", test_brk},
	{"mincore", "300 pages through 256-page chunks; -EINVAL, -ENOMEM, -EFAULT; DONTNEED",
	 test_mincore},
};

SELFTEST_SUITE(sys_mm, sys_mm_tests);
