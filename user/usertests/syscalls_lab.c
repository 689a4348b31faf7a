/*
 * syscalls_lab.c - usertests of lab 6 (docs/labs/lab6-syscalls.md): what a
 * program sees of the kernel's user copies and of brk and mprotect, each
 * system call made with raw_syscall (musl's brk and sbrk refuse to run).
 *
 * copy_untouched, copy_cow_file: the kernel's copy takes the faults the
 * program itself could take (demand-zero, a private file page's copy; stack
 * growth is process.c's copy_grows_stack) and goes on. prot_none_copy: a PROT_NONE
 * page, still mapped for the kernel, is neither read nor written by a
 * system call. string_at_hole: a path whose NUL is the last byte before a
 * hole opens; one without a NUL before it is -EFAULT; one longer than
 * PATH_MAX -ENAMETOOLONG. brk_syscall and mprotect_syscall: Linux's
 * semantics, each fault checked in this process with a SIGSEGV handler
 * that jumps out (no fork: lab 7's fork may still be a stub when lab 6 is
 * graded).
 *
 * Invariants:
 *   [x] each test unmaps what it mapped, closes what it opened, puts the
 *       break back and restores SIGSEGV's action, on every way out;
 *   [x] no test forks, and none relies on IPC (labs 7 and 8 may be stubs);
 *   [x] PORTABLE tests pass on Linux too (`make usertests-linux`).
 * Context: the usertests program, single-threaded.
 */
#include <setjmp.h>

#include "usertests.h"

#define PATH_MAX_BYTES 4096 /* Linux's PATH_MAX, the NUL included */

static sigjmp_buf fault_jump;
static volatile sig_atomic_t faulted;

static void on_segv(int sig)
{
	(void)sig;
	faulted = 1;
	siglongjmp(fault_jump, 1);
}

/*
 * Does a one-byte access to p fault (SIGSEGV)? A write stores value.
 * The handler is installed around the access only.
 */
static int access_faults(volatile char *p, int write, char value)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old) != 0)
		return -1;
	faulted = 0;
	if (!sigsetjmp(fault_jump, 1)) {
		if (write)
			*p = value;
		else
			(void)*p;
	}
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

/* What a copy test works with: count fresh read-write pages, the data file open, a pipe. */
struct copy_bench {
	char *pages; /* NULL if count is 0 */
	long count;
	long fd;
	int pipe[2];
};

/* Run body on a fresh bench of count pages; release all of it afterwards, pass or fail. */
static const char *with_bench(long count, const char *(*body)(struct copy_bench *))
{
	struct copy_bench b = {count ? map_pages(count, PROT_READ | PROT_WRITE) : NULL, count,
			       sys(SYS_open, DATA_FILE, O_RDONLY), {-1, -1}};
	const char *why = NULL;
	long r = 0;

	if ((count && !b.pages) || b.fd < 0)
		why = fail("set-up: mmap %p, open %s", (void *)b.pages, ret_name(b.fd));
	else if ((r = sys(SYS_pipe2, b.pipe, 0)) != 0)
		why = fail("set-up: pipe2 = %s", ret_name(r));
	else
		why = body(&b);
	if (b.pages)
		unmap_pages(b.pages, count);
	sys(SYS_close, b.fd);
	sys(SYS_close, b.pipe[0]);
	sys(SYS_close, b.pipe[1]);
	return why;
}

/* ---- user copies: faults inside a copy ------------------------------------------------ */

/* read() into pages never touched, write() out of one: demand-zero faults in the copy. */
static const char *copy_untouched(struct copy_bench *b)
{
	char *a = b->pages;
	/* 3 pages less 200 bytes, from the middle of page 0 across pages 1 and 2. */
	long n = 3 * P - 200, r = sys(SYS_read, b->fd, a + 100, n);
	unsigned char back[64];

	CHECK(r == n, "read into untouched pages = %s, expected %ld", ret_name(r), n);
	long bad = pattern_mismatch((unsigned char *)a + 100, 0, r);
	CHECK(!bad, "read into untouched pages: byte %ld wrong", bad - 1);
	CHECK(a[0] == 0 && a[99] == 0, "the bytes before the buffer are not zero");
	/* Page 3 was never touched: write() reads zeros out of it. */
	CHECK_RET(sys(SYS_write, b->pipe[1], a + 3 * P + 10, sizeof(back)), sizeof(back));
	CHECK_RET(sys(SYS_read, b->pipe[0], back, sizeof(back)), sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		CHECK(back[i] == 0, "write() of an untouched page gave byte %u = %u", i, back[i]);
	/* A read-only page is not written (the copy stops at a violation, -EFAULT). */
	CHECK_RET(sys(SYS_mprotect, a + 4 * P, P, PROT_READ), 0);
	CHECK_RET(sys(SYS_read, b->fd, a + 4 * P, 16), -EFAULT);
	CHECK(a[4 * P] == 0, "a refused read changed a read-only page");
	return NULL;
}

static const char *test_copy_untouched(void)
{
	return with_bench(5, copy_untouched);
}

/*
 * read() into a private, writable mapping of the data file, untouched: the
 * copy must copy the file's page first (copy-on-write); the file and a
 * second mapping of it keep their bytes.
 */
static const char *copy_cow_file(struct copy_bench *bench, long a, long b)
{
	static const char text[] = "written by the kernel";
	unsigned char again[8];

	CHECK(!is_err(a) && !is_err(b), "mmap of the data file: %s, %s", ret_name(a),
	      ret_name(b));
	CHECK_RET(sys(SYS_write, bench->pipe[1], text, sizeof(text)), sizeof(text));
	/* The copy lands across the two pages' boundary, none of them touched before. */
	CHECK_RET(sys(SYS_read, bench->pipe[0], (char *)a + P - 5, sizeof(text)), sizeof(text));
	CHECK(memcmp((char *)a + P - 5, text, sizeof(text)) == 0,
	      "the private mapping does not hold what read() copied");
	CHECK(!pattern_mismatch((unsigned char *)a, 0, P - 5),
	      "the private mapping lost the file's bytes before the copy");
	CHECK(!pattern_mismatch((unsigned char *)b, 0, 2 * P),
	      "another mapping of the file sees the private copy's bytes");
	CHECK_RET(sys(SYS_lseek, bench->fd, P - 5, SEEK_SET), P - 5);
	CHECK_RET(sys(SYS_read, bench->fd, again, sizeof(again)), sizeof(again));
	CHECK(!pattern_mismatch(again, P - 5, sizeof(again)), "the file itself changed");
	return NULL;
}

static const char *copy_cow_file_mapped(struct copy_bench *bench)
{
	long a = sys(SYS_mmap, 0, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, bench->fd, 0);
	long b = sys(SYS_mmap, 0, 2 * P, PROT_READ, MAP_PRIVATE, bench->fd, 0);
	const char *why = copy_cow_file(bench, a, b);

	if (!is_err(a))
		sys(SYS_munmap, a, 2 * P);
	if (!is_err(b))
		sys(SYS_munmap, b, 2 * P);
	return why;
}

static const char *test_copy_cow_file(void)
{
	return with_bench(0, copy_cow_file_mapped);
}

/* ---- PROT_NONE: refused before the copy ----------------------------------------------- */

static const char *prot_none_copy(struct copy_bench *b)
{
	char *a = b->pages, probe;

	memcpy(a, "secret", 7);
	CHECK_RET(sys(SYS_mprotect, a, P, PROT_NONE), 0);
	/* Mapped still (its contents are kept), but no system call may touch it. */
	CHECK_RET(sys(SYS_write, b->pipe[1], a, 7), -EFAULT);
	CHECK_RET(sys(SYS_read, b->fd, a, 16), -EFAULT);
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, a), -EFAULT);
	CHECK_RET(sys(SYS_open, a, O_RDONLY), -EFAULT);
	/* Nothing reached the pipe. */
	CHECK_RET(sys(SYS_fcntl, b->pipe[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_RET(sys(SYS_read, b->pipe[0], &probe, 1), -EAGAIN);
	CHECK_RET(sys(SYS_mprotect, a, P, PROT_READ), 0);
	CHECK(memcmp(a, "secret", 7) == 0, "PROT_NONE and back lost the page's contents");
	return NULL;
}

static const char *test_prot_none_copy(void)
{
	return with_bench(1, prot_none_copy);
}

/* ---- strings: paths near a hole ------------------------------------------------------- */

static const char *strings_in(char *page, char *big)
{
	/* The NUL is the last byte before the hole: the path opens. */
	char *name = page + P - sizeof(DATA_FILE);
	memcpy(name, DATA_FILE, sizeof(DATA_FILE));
	long fd = sys(SYS_open, name, O_RDONLY);
	CHECK(fd >= 0, "a path ending on the last byte before a hole: open = %s", ret_name(fd));
	sys(SYS_close, fd);
	/* No NUL before the hole: -EFAULT. */
	page[P - 1] = 'x';
	CHECK_RET(sys(SYS_open, name, O_RDONLY), -EFAULT);
	CHECK_RET(sys(SYS_open, page + P - 1, O_RDONLY), -EFAULT);
	/* PATH_MAX bytes without a NUL: too long, whatever follows. */
	memset(big, 'a', 2 * P);
	big[2 * P - 1] = 0;
	CHECK_RET(sys(SYS_open, big, O_RDONLY), -ENAMETOOLONG);
	CHECK_RET(sys(SYS_open, big + 2 * P - PATH_MAX_BYTES, O_RDONLY), -ENAMETOOLONG);
	/* Short names right below the hole, of each length: -ENOENT, never -EFAULT. */
	for (int len = 1; len < 80; len++) {
		char *s = page + P - len - 1;
		memset(s, 'q', len);
		s[len] = 0;
		long r = sys(SYS_open, s, O_RDONLY);
		CHECK(r == -ENOENT, "a %d-byte name before a hole: open = %s", len, ret_name(r));
	}
	return NULL;
}

static const char *test_string_at_hole(void)
{
	char *tail, *page = straddle(8, &tail);
	char *big = map_pages(2, PROT_READ | PROT_WRITE);
	const char *why = page && big ? strings_in(page, big) : fail("mmap failed");

	if (page)
		unmap_pages(page, 1);
	if (big)
		unmap_pages(big, 2);
	return why;
}

/* ---- brk ------------------------------------------------------------------------------- */

static const char *brk_in(long start)
{
	long page = (start + P - 1) & -P; /* the first page wholly above the old break */
	long grown = start + 2 * P + 7, heap_end = (grown + P - 1) & -P;

	CHECK_RET(sys(SYS_brk, grown), grown);
	char *heap = (char *)start;
	CHECK(heap[2 * P + 6] == 0 && heap[P] == 0, "new heap bytes are not zero");
	memset(heap, 0x5a, 2 * P + 7);
	/* The page holding the break is the heap's, to its end; the one after is not. */
	CHECK(access_faults((char *)heap_end - 1, 1, 1) == 0,
	      "a write to the last byte of the break's page faulted");
	CHECK(access_faults((char *)heap_end, 1, 1) == 1,
	      "a write past the page of the break did not fault");
	/* Refusals answer the old break: never -errno. */
	CHECK_RET(sys(SYS_brk, start - 1), grown);
	CHECK_RET(sys(SYS_brk, 1ul << 46), grown);
	CHECK_RET(sys(SYS_brk, -4096l), grown);
	CHECK_RET(sys(SYS_brk, 0), grown);
	/* Shrinking unmaps the pages above the new break: a touch faults. */
	CHECK_RET(sys(SYS_brk, page + P), page + P);
	CHECK(access_faults((char *)page + P, 0, 0) == 1,
	      "a read of a page freed by shrinking the break did not fault");
	CHECK(access_faults((char *)page, 1, 3) == 0, "the page below the new break faulted");
	/* Grown again, the pages are fresh: zero. */
	CHECK_RET(sys(SYS_brk, page + 3 * P), page + 3 * P);
	CHECK(((char *)page)[P] == 0 && ((char *)page)[2 * P + 100] == 0,
	      "heap pages regrown after a shrink are not zero");
	CHECK(((char *)page)[0] == 3, "the page below the shrink lost its contents");
	return NULL;
}

static const char *test_brk_syscall(void)
{
	long start = sys(SYS_brk, 0);

	CHECK(start > 0, "brk(0) = %s", ret_name(start));
	const char *why = brk_in(start);
	long end = sys(SYS_brk, start);
	CHECK(why || end == start, "brk back to its start (0x%lx) = %s", start, ret_name(end));
	return why;
}

/* ---- mprotect -------------------------------------------------------------------------- */

static const char *mprotect_in(char *a)
{
	a[0] = 1;
	a[P] = 2;
	a[2 * P] = 3;
	CHECK_RET(sys(SYS_mprotect, a + P, P, PROT_READ), 0);
	CHECK(access_faults(a + P, 1, 9) == 1, "a write to the read-only middle page did not fault");
	CHECK(a[P] == 2, "the read-only page changed");
	CHECK(access_faults(a, 1, 4) == 0 && access_faults(a + 2 * P, 1, 5) == 0,
	      "a write beside the read-only page faulted");
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_NONE), 0);
	CHECK(access_faults(a + 2 * P, 0, 0) == 1, "a read of a PROT_NONE page did not fault");
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_READ | PROT_WRITE), 0);
	CHECK(a[0] == 4 && a[P] == 2 && a[2 * P] == 5, "mprotect lost the pages' contents");
	CHECK(access_faults(a + P, 1, 6) == 0, "the middle page is not writable again");
	/* A page never touched, made read-only, reads zero and refuses writes. */
	CHECK_RET(sys(SYS_mprotect, a + 3 * P, P, PROT_READ), 0);
	CHECK(a[3 * P + 7] == 0, "an untouched read-only page is not zero");
	CHECK(access_faults(a + 3 * P, 1, 1) == 1, "an untouched read-only page took a write");
	/* Errors. (Linux may change the part before a hole; Pagoda changes nothing.) */
	CHECK_RET(sys(SYS_mprotect, a + 1, P, PROT_READ), -EINVAL);
	CHECK_RET(sys(SYS_mprotect, a, P, 0x1000), -EINVAL);
	CHECK(access_faults(a, 1, 7) == 0, "a refused mprotect (-EINVAL) changed the first page");
	CHECK_RET(sys(SYS_mprotect, a, 5 * P, PROT_READ), -ENOMEM); /* runs into the hole */
	CHECK_RET(sys(SYS_mprotect, a, 4 * P, PROT_READ | PROT_WRITE), 0);
	CHECK_RET(sys(SYS_mprotect, a, 0, PROT_NONE), 0);
	CHECK(access_faults(a, 1, 8) == 0, "mprotect of 0 bytes changed a page");
	return NULL;
}

static const char *test_mprotect_syscall(void)
{
	char *a = map_pages(5, PROT_READ | PROT_WRITE);

	CHECK(a != NULL, "mmap failed");
	unmap_pages(a + 4 * P, 1); /* a hole after 4 pages */
	const char *why = mprotect_in(a);
	unmap_pages(a, 4);
	return why;
}

const struct usertest syscalls_lab_tests[] = {
	{ "copy_untouched", test_copy_untouched, PORTABLE },
	{ "copy_cow_file", test_copy_cow_file, PORTABLE },
	{ "prot_none_copy", test_prot_none_copy, PORTABLE },
	{ "string_at_hole", test_string_at_hole, PORTABLE },
	{ "brk_syscall", test_brk_syscall, PORTABLE },
	{ "mprotect_syscall", test_mprotect_syscall, PORTABLE },
	{ NULL, NULL, 0 },
};
