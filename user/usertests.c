/*
 * usertests.c - self-checking tests of every system call Pagoda implements,
 * run from user mode: the same static binary on Pagoda and on Linux.
 *
 * Each test is a function returning NULL (pass) or a reason (fail), in the
 * table at the end, as the kernel's own test tables are. System calls go
 * through raw_syscall() (inline `syscall`, no libc wrapper, errno untouched),
 * so every result is the kernel's own: a value or -errno. Expected values
 * are Linux's; the few places where Pagoda may differ by design (it never
 * overcommits memory, the console is always a terminal) are tests tagged
 * PAGODA_ONLY, skipped where uname() says Linux. Violations that must kill
 * the process (write to text, execute the stack, ...) are separate programs
 * (fault_*.c) run by tests/integration/test_user.py; here, bad pointers are
 * checked through the kernel's user copies, which must answer -EFAULT.
 *
 * Invariants:
 *   [x] a test releases what it mapped or opened when it passes, and never
 *       depends on another test having run;
 *   [x] prints `PASS name` or `FAIL name: reason` per test, then
 *       `usertests: N passed, M failed` (and `, K skipped`); exit status 0
 *       only when nothing failed.
 * Context: `run usertests [NAME...]` in the Pagoda shell (the working
 * directory is the initrd), or `make usertests-linux` on the host, which
 * runs it in a directory holding the initrd's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "userlib.h"

#define P 4096l
#define KERNEL_ADDR 0xffffffff80000000ul      /* the kernel image: never user-accessible */
#define NONCANONICAL 0x0000800000000000ul     /* first address past the user half */
#define DATA_FILE "usertests.dat"             /* byte i is i % 251 (Makefile) */
#define DATA_SIZE (3 * 4096 + 123)
#define ARCH_SET_FS 0x1002
#define SIGSET_SIZE 8                         /* the kernel's sigset_t: 64 bits */

enum { PAGODA_ONLY = 1 };

struct usertest {
	const char *name;
	const char *(*fn)(void);
	unsigned flags;
};

/* ---- helpers ------------------------------------------------------------------------ */

static long raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define SYS_ARGS(nr, a, b, c, d, e, f, ...)                                              \
	raw_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* sys(SYS_x, args...): the raw result, a value or -errno. */
#define sys(...) SYS_ARGS(__VA_ARGS__, 0, 0, 0, 0, 0, 0)

static char reason[512];

static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return reason;
}

static const struct { int err; const char *name; } errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
	{ E2BIG, "E2BIG" }, { ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
	{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { ESPIPE, "ESPIPE" }, { EROFS, "EROFS" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
};

/* A result for a message: "-EFAULT", "4096", "0x7f0000000000". Four rotating buffers. */
static const char *ret_name(long v)
{
	static char bufs[4][32];
	static int next;
	char *b = bufs[next++ % 4];

	if (v < 0 && v >= -4095) {
		for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
			if (errno_names[i].err == -v) {
				snprintf(b, 32, "-%s", errno_names[i].name);
				return b;
			}
		snprintf(b, 32, "-errno %ld", -v);
	} else if (v > 0xffff || v < 0) {
		snprintf(b, 32, "0x%lx", (unsigned long)v);
	} else {
		snprintf(b, 32, "%ld", v);
	}
	return b;
}

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (!(cond))                                                             \
			return fail(__VA_ARGS__);                                        \
	} while (0)
/* expr must equal want; the message names the call and both values. */
#define CHECK_RET(expr, want)                                                            \
	do {                                                                             \
		long got_ = (long)(expr), want_ = (long)(want);                          \
		if (got_ != want_)                                                       \
			return fail("line %d: %s = %s, expected %s", __LINE__, #expr,    \
				    ret_name(got_), ret_name(want_));                    \
	} while (0)

static int is_err(long v)
{
	return v < 0 && v >= -4095;
}

/* n fresh anonymous private pages with protection prot, or NULL. */
static char *map_pages(long n, int prot)
{
	long a = sys(SYS_mmap, 0, n * P, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return is_err(a) ? NULL : (char *)a;
}

static void unmap_pages(void *a, long n)
{
	sys(SYS_munmap, a, n * P);
}

/* A page that was mapped and no longer is (nothing maps in between). */
static char *unmapped_page(void)
{
	char *a = map_pages(1, PROT_READ | PROT_WRITE);

	if (a)
		unmap_pages(a, 1);
	return a;
}

/*
 * A readable, writable page followed by an unmapped one: *tail points `bytes`
 * bytes before the hole, so an object of more than `bytes` bytes there
 * straddles the end of the mapping. Returns the page (unmap 1 page) or NULL.
 */
static char *straddle(long bytes, char **tail)
{
	char *a = map_pages(2, PROT_READ | PROT_WRITE);

	*tail = NULL;
	if (!a)
		return NULL;
	unmap_pages(a + P, 1);
	*tail = a + P - bytes;
	return a;
}

static int expected_byte(long offset)
{
	return (int)(offset % 251);
}

/* 0 if buf holds the data file's bytes [offset, offset + n), else the first bad index + 1. */
static long pattern_mismatch(const unsigned char *buf, long offset, long n)
{
	for (long i = 0; i < n; i++)
		if (buf[i] != expected_byte(offset + i))
			return i + 1;
	return 0;
}

static int console_is_tty(void)
{
	struct winsize ws;

	return on_pagoda() || sys(SYS_ioctl, 1, TIOCGWINSZ, &ws) == 0;
}

/* ---- write, writev ------------------------------------------------------------------ */

static const char *test_write_console(void)
{
	static const char msg[] = "usertests: write to the console\n";

	CHECK_RET(sys(SYS_write, 1, msg, sizeof(msg) - 1), sizeof(msg) - 1);
	CHECK_RET(sys(SYS_write, 1, msg, 0), 0);
	CHECK_RET(sys(SYS_write, 1, NULL, 0), 0);
	CHECK_RET(sys(SYS_write, -1, msg, 1), -EBADF);
	CHECK_RET(sys(SYS_write, 63, msg, 1), -EBADF);
	CHECK_RET(sys(SYS_write, 1000000, msg, 1), -EBADF);
	return NULL;
}

static const char *test_writev(void)
{
	struct iovec iov[3] = {
		{ .iov_base = "usertests: ", .iov_len = 11 },
		{ .iov_base = NULL, .iov_len = 0 },
		{ .iov_base = "writev of three pieces\n", .iov_len = 23 },
	};

	CHECK_RET(sys(SYS_writev, 1, iov, 3), 34);
	CHECK_RET(sys(SYS_writev, 1, iov, 0), 0);
	CHECK_RET(sys(SYS_writev, 1, iov, -1), -EINVAL);
	CHECK_RET(sys(SYS_writev, 1, iov, 1025), -EINVAL);   /* IOV_MAX is 1024 */
	CHECK_RET(sys(SYS_writev, 9999, iov, 3), -EBADF);
	CHECK_RET(sys(SYS_writev, 1, KERNEL_ADDR, 1), -EFAULT);
	struct iovec bad = { .iov_base = (void *)KERNEL_ADDR, .iov_len = 8 };

	CHECK_RET(sys(SYS_writev, 1, &bad, 1), -EFAULT);
	return NULL;
}

/* ---- open, openat, read, lseek, fstat, close --------------------------------------- */

static const char *test_open_close(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 3, "open(%s) = %s", DATA_FILE, ret_name(fd));
	long fd2 = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd2 == fd + 1, "a second open gave %s, not the lowest free fd %ld", ret_name(fd2),
	      fd + 1);
	CHECK_RET(sys(SYS_close, fd), 0);
	CHECK_RET(sys(SYS_close, fd), -EBADF);
	char c;

	CHECK_RET(sys(SYS_read, fd, &c, 1), -EBADF);
	long fd3 = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd3 == fd, "after close(%ld), open gave %s: the lowest free fd is reused", fd,
	      ret_name(fd3));
	CHECK_RET(sys(SYS_close, fd3), 0);
	CHECK_RET(sys(SYS_close, fd2), 0);
	CHECK_RET(sys(SYS_close, -1), -EBADF);
	CHECK_RET(sys(SYS_close, 4000), -EBADF);
	return NULL;
}

static const char *test_open_errors(void)
{
	static char longname[5000];
	char *page, *tail;

	CHECK_RET(sys(SYS_open, "no-such-file", O_RDONLY), -ENOENT);
	CHECK_RET(sys(SYS_open, "", O_RDONLY), -ENOENT);
	CHECK_RET(sys(SYS_open, NULL, O_RDONLY), -EFAULT);
	CHECK_RET(sys(SYS_open, KERNEL_ADDR, O_RDONLY), -EFAULT);
	CHECK_RET(sys(SYS_open, NONCANONICAL, O_RDONLY), -EFAULT);
	memset(longname, 'a', sizeof(longname) - 1);
	CHECK_RET(sys(SYS_open, longname, O_RDONLY), -ENAMETOOLONG);
	/* A name running into unmapped memory before its NUL. */
	page = straddle(8, &tail);
	CHECK(page, "mmap failed");
	memset(tail, 'b', 8);
	long r = sys(SYS_open, tail, O_RDONLY);

	unmap_pages(page, 1);
	CHECK_RET(r, -EFAULT);
	return NULL;
}

static const char *test_openat(void)
{
	long fd = sys(SYS_openat, AT_FDCWD, DATA_FILE, O_RDONLY);
	unsigned char buf[16];

	CHECK(fd >= 0, "openat(AT_FDCWD, %s) = %s", DATA_FILE, ret_name(fd));
	CHECK_RET(sys(SYS_read, fd, buf, sizeof(buf)), sizeof(buf));
	CHECK(!pattern_mismatch(buf, 0, sizeof(buf)), "openat: wrong bytes");
	CHECK_RET(sys(SYS_close, fd), 0);
	CHECK_RET(sys(SYS_openat, AT_FDCWD, "no-such-file", O_RDONLY), -ENOENT);
	CHECK_RET(sys(SYS_openat, AT_FDCWD, KERNEL_ADDR, O_RDONLY), -EFAULT);
	return NULL;
}

static const char *test_read_lseek(void)
{
	static unsigned char buf[DATA_SIZE + 100];
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	long m;

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	CHECK_RET(sys(SYS_read, fd, buf, 100), 100);
	CHECK(!(m = pattern_mismatch(buf, 0, 100)), "read at 0: byte %ld wrong", m - 1);
	CHECK_RET(sys(SYS_read, fd, buf, 0), 0);
	CHECK_RET(sys(SYS_lseek, fd, 0, SEEK_CUR), 100);
	CHECK_RET(sys(SYS_lseek, fd, 4096, SEEK_SET), 4096);
	CHECK_RET(sys(SYS_read, fd, buf, 10), 10);
	CHECK(!(m = pattern_mismatch(buf, 4096, 10)), "read at 4096: byte %ld wrong", m - 1);
	CHECK_RET(sys(SYS_lseek, fd, -6, SEEK_CUR), 4100);
	CHECK_RET(sys(SYS_read, fd, buf, 1), 1);
	CHECK(buf[0] == expected_byte(4100), "byte at 4100 is %d", buf[0]);
	CHECK_RET(sys(SYS_lseek, fd, 0, SEEK_END), DATA_SIZE);
	CHECK_RET(sys(SYS_read, fd, buf, 100), 0);
	CHECK_RET(sys(SYS_lseek, fd, -23, SEEK_END), DATA_SIZE - 23);
	CHECK_RET(sys(SYS_read, fd, buf, 100), 23);
	CHECK(!(m = pattern_mismatch(buf, DATA_SIZE - 23, 23)), "tail: byte %ld wrong", m - 1);
	/* The whole file in one read, across page boundaries. */
	CHECK_RET(sys(SYS_lseek, fd, 0, SEEK_SET), 0);
	CHECK_RET(sys(SYS_read, fd, buf, sizeof(buf)), DATA_SIZE);
	CHECK(!(m = pattern_mismatch(buf, 0, DATA_SIZE)), "whole file: byte %ld wrong", m - 1);
	/* Past the end is a valid offset; reading there finds nothing. */
	CHECK_RET(sys(SYS_lseek, fd, DATA_SIZE + 5000, SEEK_SET), DATA_SIZE + 5000);
	CHECK_RET(sys(SYS_read, fd, buf, 10), 0);
	CHECK_RET(sys(SYS_lseek, fd, -1, SEEK_SET), -EINVAL);
	CHECK_RET(sys(SYS_lseek, fd, -DATA_SIZE - 1, SEEK_END), -EINVAL);
	CHECK_RET(sys(SYS_lseek, fd, 0, 77), -EINVAL);
	CHECK_RET(sys(SYS_lseek, 9999, 0, SEEK_SET), -EBADF);
	/* Read-only: writing to it is refused. */
	CHECK_RET(sys(SYS_write, fd, buf, 1), -EBADF);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

static const char *test_fstat(void)
{
	struct stat st;
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	memset(&st, 0xff, sizeof(st));
	CHECK_RET(sys(SYS_fstat, fd, &st), 0);
	CHECK(S_ISREG(st.st_mode), "st_mode 0%o is not a regular file", st.st_mode);
	CHECK_RET(st.st_size, DATA_SIZE);
	CHECK(st.st_nlink >= 1, "st_nlink %ld", (long)st.st_nlink);
	long other = sys(SYS_open, "hello", O_RDONLY);

	if (other >= 0) {   /* another file: another inode number */
		struct stat st2;

		CHECK_RET(sys(SYS_fstat, other, &st2), 0);
		CHECK(st2.st_ino != st.st_ino, "two files share inode %lu", (long)st.st_ino);
		CHECK(st2.st_mode & S_IXUSR, "hello is not executable: mode 0%o", st2.st_mode);
		sys(SYS_close, other);
	}
	CHECK_RET(sys(SYS_fstat, fd, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_fstat, 9999, &st), -EBADF);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* The console: a character device, a terminal with a size, not seekable, not mappable. */
static const char *test_console(void)
{
	struct stat st;
	struct winsize ws = { 0 };

	if (!console_is_tty())
		return NULL;  /* Linux with output redirected: nothing to check */
	CHECK_RET(sys(SYS_fstat, 1, &st), 0);
	CHECK(S_ISCHR(st.st_mode), "fstat(1): st_mode 0%o is not a character device", st.st_mode);
	CHECK_RET(sys(SYS_ioctl, 1, TIOCGWINSZ, &ws), 0);
	CHECK(ws.ws_row > 0 && ws.ws_col > 0, "TIOCGWINSZ: %u rows %u columns", ws.ws_row,
	      ws.ws_col);
	CHECK_RET(sys(SYS_ioctl, 1, TIOCGWINSZ, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_ioctl, 1, 0x5499, &ws), -ENOTTY);  /* no such request */
	CHECK_RET(sys(SYS_lseek, 1, 0, SEEK_SET), -ESPIPE);
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, 1, 0), -ENODEV);
	return NULL;
}

static const char *test_ioctl_file(void)
{
	struct winsize ws;
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	CHECK_RET(sys(SYS_ioctl, fd, TIOCGWINSZ, &ws), -ENOTTY);
	CHECK_RET(sys(SYS_ioctl, 9999, TIOCGWINSZ, &ws), -EBADF);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* Pagoda's initrd is read-only and a process has 64 descriptors. */
static const char *test_open_limits(void)
{
	long fds[80], n = 0, r = 0;

	r = sys(SYS_open, DATA_FILE, O_WRONLY);
	CHECK(r == -EROFS || r == -EACCES, "open(O_WRONLY) = %s, expected -EROFS or -EACCES",
	      ret_name(r));
	while (n < 80 && (r = sys(SYS_open, DATA_FILE, O_RDONLY)) >= 0)
		fds[n++] = r;
	for (long i = 0; i < n; i++)
		sys(SYS_close, fds[i]);
	CHECK(r == -EMFILE, "open number %ld = %s, expected -EMFILE", n + 1, ret_name(r));
	CHECK(n + 3 == 64, "%ld files opened beside fds 0-2, expected 61", n);
	return NULL;
}

/* ---- bad pointers: -EFAULT, never a crash ------------------------------------------- */

static const char *test_efault_kernel(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	struct timespec ts = { 0, 1000 };

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	/* Kernel memory is neither readable nor writable through a system call. */
	CHECK_RET(sys(SYS_write, 1, KERNEL_ADDR, 16), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, 0xffff800000000000ul, 16), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, NONCANONICAL, 16), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, NONCANONICAL - 8, 16), -EFAULT);  /* crosses into the hole */
	CHECK_RET(sys(SYS_read, fd, KERNEL_ADDR, 16), -EFAULT);
	CHECK_RET(sys(SYS_uname, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_nanosleep, KERNEL_ADDR, NULL), -EFAULT);
	CHECK_RET(sys(SYS_nanosleep, &ts, KERNEL_ADDR), 0);  /* rem is written only if interrupted */
	CHECK_RET(sys(SYS_getrandom, KERNEL_ADDR, 16, 0), -EFAULT);
	CHECK_RET(sys(SYS_getrusage, RUSAGE_SELF, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, KERNEL_ADDR, NULL, SIGSET_SIZE), -EFAULT);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, KERNEL_ADDR, NULL, SIGSET_SIZE), -EFAULT);
	/* The top page of the user half is never mapped. */
	CHECK_RET(sys(SYS_write, 1, 0x7ffffffff000ul, 16), -EFAULT);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

static const char *test_efault_unmapped(void)
{
	char *hole = unmapped_page();
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(hole && fd >= 0, "set-up failed");
	CHECK_RET(sys(SYS_write, 1, hole, 16), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, NULL, 16), -EFAULT);
	CHECK_RET(sys(SYS_read, fd, hole, 16), -EFAULT);
	CHECK_RET(sys(SYS_fstat, fd, hole), -EFAULT);
	CHECK_RET(sys(SYS_uname, hole), -EFAULT);
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_REALTIME, hole), -EFAULT);
	CHECK_RET(sys(SYS_getrandom, hole, 8, 0), -EFAULT);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* Objects that begin in a mapping and end past it: all-or-nothing copies fail whole. */
static const char *test_efault_straddle(void)
{
	char *tail, *page = straddle(8, &tail);
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(page && fd >= 0, "set-up failed");
	CHECK_RET(sys(SYS_fstat, fd, tail), -EFAULT);
	CHECK_RET(sys(SYS_uname, tail), -EFAULT);
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, tail), -EFAULT);
	CHECK_RET(sys(SYS_getrusage, RUSAGE_SELF, tail), -EFAULT);
	struct iovec *iov = (struct iovec *)tail;   /* the iovec array itself straddles */

	iov->iov_base = page;
	CHECK_RET(sys(SYS_writev, 1, iov, 1), -EFAULT);
	/* A timespec whose tv_nsec lies past the end. */
	CHECK_RET(sys(SYS_nanosleep, tail, NULL), -EFAULT);
	/* read() into a buffer crossing the end: Linux copies what fits and says so
	 * (a short read), or fails whole; either way the bytes that fit are right. */
	long r = sys(SYS_read, fd, tail, 100);

	CHECK(r == -EFAULT || (r > 0 && r <= 8), "read across the end = %s", ret_name(r));
	if (r > 0)
		CHECK(!pattern_mismatch((unsigned char *)tail, 0, r), "short read: wrong bytes");
	unmap_pages(page, 1);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* The kernel writes into user memory only where the process could write. */
static const char *test_efault_readonly(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	char *ro = map_pages(1, PROT_READ);
	char *none = map_pages(1, PROT_NONE);

	CHECK(fd >= 0 && ro && none, "set-up failed");
	/* The program's own text: read-only, executable. */
	CHECK_RET(sys(SYS_read, fd, (void *)(uintptr_t)&test_efault_readonly, 16), -EFAULT);
	CHECK_RET(sys(SYS_read, fd, ro, 16), -EFAULT);
	CHECK(ro[0] == 0, "a refused read changed a read-only page");
	CHECK_RET(sys(SYS_read, fd, none, 16), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, none, 16), -EFAULT);   /* PROT_NONE: not readable either */
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, ro), -EFAULT);
	unmap_pages(ro, 1);
	unmap_pages(none, 1);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* ---- mmap ---------------------------------------------------------------------------- */

static const char *test_mmap_anon(void)
{
	char *a = map_pages(16, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap 16 pages failed");
	CHECK(((uintptr_t)a & (P - 1)) == 0, "mmap returned unaligned %p", (void *)a);
	CHECK((uintptr_t)a >= 0x10000 && (uintptr_t)a + 16 * P <= 0x7ffffffff000ul,
	      "mmap returned %p, outside the user half", (void *)a);
	for (long i = 0; i < 16 * P; i += 512)
		CHECK(a[i] == 0, "fresh anonymous memory is not zero at +%ld", i);
	for (long i = 0; i < 16; i++)
		a[i * P + 7] = (char)i;
	for (long i = 0; i < 16; i++)
		CHECK(a[i * P + 7] == (char)i, "page %ld lost its byte", i);
	/* A length that is not a multiple of the page size is rounded up. */
	char *b = (char *)sys(SYS_mmap, 0, 100, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(!is_err((long)b), "mmap of 100 bytes = %s", ret_name((long)b));
	b[P - 1] = 1;  /* the rest of the page is mapped */
	CHECK_RET(sys(SYS_munmap, b, 100), 0);
	CHECK_RET(sys(SYS_munmap, a, 16 * P), 0);
	return NULL;
}

static const char *test_mmap_errors(void)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *a = map_pages(1, rw);

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_mmap, 0, 0, rw, anon, -1, 0), -EINVAL);
	CHECK_RET(sys(SYS_mmap, 0, P, rw, MAP_ANONYMOUS, -1, 0), -EINVAL);  /* neither private nor shared */
	CHECK_RET(sys(SYS_mmap, a + 1, P, rw, anon | MAP_FIXED, -1, 0), -EINVAL);
	CHECK_RET(sys(SYS_mmap, 0, 1ul << 47, rw, anon, -1, 0), -ENOMEM);
	CHECK_RET(sys(SYS_mmap, 0, -P, rw, anon, -1, 0), -ENOMEM);  /* rounds past the top */
	CHECK_RET(sys(SYS_mmap, 0x7ffffffff000ul, P, rw, anon | MAP_FIXED, -1, 0), -ENOMEM);
	CHECK_RET(sys(SYS_mmap, 0x7fffffffe000ul, 2 * P, rw, anon | MAP_FIXED, -1, 0), -ENOMEM);
	CHECK_RET(sys(SYS_mmap, 0, P, rw, MAP_PRIVATE, 9999, 0), -EBADF);
	unmap_pages(a, 1);
	return NULL;
}

static const char *test_mmap_fixed(void)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *a = map_pages(4, rw);

	CHECK(a, "mmap failed");
	memset(a, 0x55, 4 * P);
	/* MAP_FIXED replaces what was there: the page comes back zero, its neighbours stay. */
	CHECK_RET(sys(SYS_mmap, a + P, P, rw, anon | MAP_FIXED, -1, 0), a + P);
	CHECK(a[P] == 0 && a[2 * P - 1] == 0, "MAP_FIXED page not zero");
	CHECK(a[P - 1] == 0x55 && a[2 * P] == 0x55, "MAP_FIXED disturbed the neighbours");
	/* MAP_FIXED_NOREPLACE refuses an occupied range, even partly occupied. */
	CHECK_RET(sys(SYS_mmap, a + 2 * P, P, rw, anon | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
	CHECK_RET(sys(SYS_mmap, a + 3 * P, 2 * P, rw, anon | MAP_FIXED_NOREPLACE, -1, 0),
		  -EEXIST);
	CHECK(a[2 * P] == 0x55, "a refused MAP_FIXED_NOREPLACE changed the page");
	CHECK_RET(sys(SYS_munmap, a, 4 * P), 0);
	/* ... and takes a free one, at exactly that address. */
	CHECK_RET(sys(SYS_mmap, a + P, P, rw, anon | MAP_FIXED_NOREPLACE, -1, 0), a + P);
	CHECK(a[P] == 0, "MAP_FIXED_NOREPLACE page not zero");
	CHECK_RET(sys(SYS_munmap, a + P, P), 0);
	/* A hint without MAP_FIXED is only a hint, but the result is a usable mapping. */
	long h = sys(SYS_mmap, a, P, rw, anon, -1, 0);

	CHECK(!is_err(h) && (h & (P - 1)) == 0, "mmap with a hint = %s", ret_name(h));
	((char *)h)[0] = 1;
	CHECK_RET(sys(SYS_munmap, h, P), 0);
	return NULL;
}

static const char *test_mmap_prot_none(void)
{
	char *a = map_pages(2, PROT_NONE);
	unsigned char vec[2] = { 9, 9 };

	CHECK(a, "mmap PROT_NONE failed");
	CHECK_RET(sys(SYS_mincore, a, 2 * P, vec), 0);
	CHECK(vec[0] == 0 && vec[1] == 0, "PROT_NONE pages resident");
	CHECK_RET(sys(SYS_mprotect, a, 2 * P, PROT_READ | PROT_WRITE), 0);
	a[P] = 3;
	CHECK(a[0] == 0 && a[P] == 3, "after mprotect: wrong contents");
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	return NULL;
}

static const char *test_mmap_file(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY), m;

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	/* Two pages from offset 4096. */
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, 2 * P, PROT_READ, MAP_PRIVATE, fd, P);

	CHECK(!is_err((long)a), "mmap of the file = %s", ret_name((long)a));
	CHECK(!(m = pattern_mismatch(a, P, 2 * P)), "mapped bytes wrong at +%ld", m - 1);
	/* Not writable: the kernel cannot store into it either. */
	CHECK_RET(sys(SYS_read, fd, a, 1), -EFAULT);
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	/* The whole file: the last page's bytes past the end of the file read as zero. */
	a = (unsigned char *)sys(SYS_mmap, 0, DATA_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(!is_err((long)a), "mmap of the whole file = %s", ret_name((long)a));
	CHECK(!(m = pattern_mismatch(a, 0, DATA_SIZE)), "whole file wrong at +%ld", m - 1);
	for (long i = DATA_SIZE; i < 4 * P; i++)
		CHECK(a[i] == 0, "byte %ld past the end of the file is %d", i, a[i]);
	/* The mapping outlives the descriptor. */
	CHECK_RET(sys(SYS_close, fd), 0);
	CHECK(a[5000] == expected_byte(5000), "after close: wrong byte");
	CHECK_RET(sys(SYS_munmap, a, DATA_SIZE), 0);
	return NULL;
}

static const char *test_mmap_file_private_write(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY), m;
	unsigned char buf[8];

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, DATA_SIZE, PROT_READ | PROT_WRITE,
						MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)a), "mmap private writable = %s", ret_name((long)a));
	a[3 * P + 5] = 0xee;   /* the last page: part file, part zero */
	a[3 * P + 200] = 0xdd;
	a[10] = 0xcc;
	CHECK(a[3 * P + 4] == expected_byte(3 * P + 4), "copy lost the file's bytes");
	CHECK(a[3 * P + 199] == 0, "copy's tail is not zero");
	CHECK(!(m = pattern_mismatch(a + P, P, P)), "untouched page wrong at +%ld", m - 1);
	/* The kernel's store into an untouched page of it: a copy-on-write fault during
	 * the copy, resolved as for the process's own store. */
	CHECK_RET(sys(SYS_lseek, fd, 2 * P, SEEK_SET), 2 * P);
	CHECK_RET(sys(SYS_read, fd, a + 2 * P + 64, 8), 8);
	CHECK(!pattern_mismatch(a + 2 * P + 64, 2 * P, 8), "read into the copy: wrong bytes");
	CHECK(a[2 * P + 63] == expected_byte(2 * P + 63), "the copy lost its neighbour byte");
	CHECK_RET(sys(SYS_lseek, fd, 0, SEEK_SET), 0);
	/* The file itself is unchanged, and so is a second mapping of it. */
	CHECK_RET(sys(SYS_read, fd, buf, 8), 8);
	CHECK(!pattern_mismatch(buf, 0, 8), "a private write reached the file");
	unsigned char *b = (unsigned char *)sys(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)b), "second mmap = %s", ret_name((long)b));
	CHECK(b[10] == expected_byte(10), "a private write reached another mapping");
	CHECK_RET(sys(SYS_munmap, b, P), 0);
	CHECK_RET(sys(SYS_munmap, a, DATA_SIZE), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

static const char *test_mmap_file_errors(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, fd, 100), -EINVAL);
	CHECK_RET(sys(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE, fd, 0), -EINVAL);
	/* A shared writable mapping would write to a file opened read-only. */
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), -EACCES);
	CHECK_RET(sys(SYS_close, fd), 0);
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, fd, 0), -EBADF);
	return NULL;
}

/* Splitting a file mapping (munmap, mprotect) before any page is touched: every
 * piece still maps the right part of the file. */
static const char *test_mmap_file_split(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY), m;

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, 4 * P, PROT_READ, MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)a), "mmap = %s", ret_name((long)a));
	CHECK_RET(sys(SYS_munmap, a + P, P), 0);
	CHECK_RET(sys(SYS_mprotect, a + 2 * P, P, PROT_NONE), 0);
	CHECK(!(m = pattern_mismatch(a + 3 * P, 3 * P, DATA_SIZE - 3 * P)),
	      "page 3 after the splits: byte %ld wrong", m - 1);
	CHECK(a[4 * P - 1] == 0, "page 3's tail past the file is not zero");
	CHECK_RET(sys(SYS_mprotect, a + 2 * P, P, PROT_READ), 0);
	CHECK(!(m = pattern_mismatch(a + 2 * P, 2 * P, P)), "page 2: byte %ld wrong", m - 1);
	CHECK(!(m = pattern_mismatch(a, 0, P)), "page 0: byte %ld wrong", m - 1);
	CHECK_RET(sys(SYS_write, 1, a + P, 1), -EFAULT);
	/* MAP_FIXED of the file's page 1 into the hole, at its own offset. */
	CHECK_RET(sys(SYS_mmap, a + P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, P), a + P);
	CHECK(!(m = pattern_mismatch(a, 0, DATA_SIZE)), "whole file again: byte %ld wrong", m - 1);
	CHECK_RET(sys(SYS_munmap, a, 4 * P), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* MADV_DONTNEED on a private file mapping drops the private copy: the file's bytes return. */
static const char *test_madvise_file(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, 2 * P, PROT_READ | PROT_WRITE,
						MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)a), "mmap = %s", ret_name((long)a));
	a[100] = 0xab;
	a[P + 100] = 0xcd;
	CHECK_RET(sys(SYS_madvise, a, P, MADV_DONTNEED), 0);
	CHECK(a[100] == expected_byte(100), "after DONTNEED: byte %d, not the file's %d", a[100],
	      expected_byte(100));
	CHECK(a[P + 100] == 0xcd, "DONTNEED of page 0 dropped page 1's copy");
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* Many small mappings that cannot merge (alternating protections), then all gone. */
static const char *test_mmap_many(void)
{
	enum { N = 300 };
	static char *maps[N];
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	for (int i = 0; i < N; i++) {
		maps[i] = map_pages(1, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE);
		CHECK(maps[i], "mapping %d of %d failed", i + 1, N);
		if (i % 2 == 0)
			maps[i][0] = (char)i;
	}
	for (int i = 0; i < N; i++) {
		CHECK(maps[i][0] == (i % 2 ? 0 : (char)i), "mapping %d lost its byte", i);
		if (i % 2)
			CHECK_RET(sys(SYS_read, fd, maps[i], 1), -EFAULT);
	}
	for (int i = 0; i < N; i++)
		CHECK_RET(sys(SYS_munmap, maps[i], P), 0);
	unsigned char vec;

	CHECK_RET(sys(SYS_mincore, maps[N / 2], P, &vec), -ENOMEM);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* ---- munmap ------------------------------------------------------------------------- */

static const char *test_munmap_split(void)
{
	char *a = map_pages(3, PROT_READ | PROT_WRITE);
	unsigned char vec[3];

	CHECK(a, "mmap failed");
	for (int i = 0; i < 3; i++)
		memset(a + i * P, 'a' + i, P);
	/* The middle page goes: one mapping becomes two. */
	CHECK_RET(sys(SYS_munmap, a + P, P), 0);
	CHECK(a[0] == 'a' && a[P - 1] == 'a' && a[2 * P] == 'c' && a[3 * P - 1] == 'c',
	      "the pieces lost their contents");
	CHECK_RET(sys(SYS_mincore, a + P, P, vec), -ENOMEM);
	CHECK_RET(sys(SYS_mincore, a, P, vec), 0);
	CHECK_RET(sys(SYS_mincore, a + 2 * P, P, vec), 0);
	CHECK_RET(sys(SYS_write, 1, a + P, 1), -EFAULT);
	/* The hole is free again. */
	CHECK_RET(sys(SYS_mmap, a + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		      MAP_FIXED_NOREPLACE, -1, 0), a + P);
	CHECK(a[P] == 0, "the remapped hole is not zero");
	/* Unmapping across all three (different protections) and the edges. */
	CHECK_RET(sys(SYS_munmap, a, 3 * P), 0);
	CHECK_RET(sys(SYS_mincore, a, 3 * P, vec), -ENOMEM);
	return NULL;
}

static const char *test_munmap_edges(void)
{
	char *a = map_pages(4, PROT_READ | PROT_WRITE);
	unsigned char vec[4];

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_munmap, a, 0), -EINVAL);
	CHECK_RET(sys(SYS_munmap, a + 1, P), -EINVAL);
	CHECK_RET(sys(SYS_munmap, NONCANONICAL, P), -EINVAL);
	CHECK_RET(sys(SYS_munmap, KERNEL_ADDR, P), -EINVAL);
	CHECK_RET(sys(SYS_munmap, a, -P), -EINVAL);        /* wraps around */
	/* A length that is not a multiple of the page size covers the whole last page. */
	CHECK_RET(sys(SYS_munmap, a + 3 * P, 1), 0);
	CHECK_RET(sys(SYS_mincore, a + 3 * P, P, vec), -ENOMEM);
	CHECK_RET(sys(SYS_mincore, a, 3 * P, vec), 0);
	/* Unmapping nothing, or a range with holes, succeeds. */
	CHECK_RET(sys(SYS_munmap, a + 3 * P, P), 0);
	CHECK_RET(sys(SYS_munmap, a, 8 * P), 0);
	CHECK_RET(sys(SYS_mincore, a, P, vec), -ENOMEM);
	return NULL;
}

/* ---- mprotect ----------------------------------------------------------------------- */

static const char *test_mprotect(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	char *a = map_pages(3, PROT_READ | PROT_WRITE);

	CHECK(fd >= 0 && a, "set-up failed");
	memset(a, 0x77, 3 * P);
	/* Read-only: the data stays readable; stores (here the kernel's) are refused. */
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_READ), 0);
	CHECK(a[0] == 0x77 && a[3 * P - 1] == 0x77, "read-only pages lost their data");
	CHECK_RET(sys(SYS_read, fd, a + P, 4), -EFAULT);
	/* The middle page made writable again splits the region in three. */
	CHECK_RET(sys(SYS_mprotect, a + P, P, PROT_READ | PROT_WRITE), 0);
	CHECK_RET(sys(SYS_read, fd, a + P, 4), 4);
	CHECK_RET(sys(SYS_read, fd, a, 4), -EFAULT);
	CHECK_RET(sys(SYS_read, fd, a + 2 * P, 4), -EFAULT);
	CHECK(!pattern_mismatch((unsigned char *)a + P, 0, 4), "read into the middle: wrong");
	/* PROT_NONE: not even the kernel can read it; the data survives. */
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_NONE), 0);
	CHECK_RET(sys(SYS_write, 1, a + 2 * P, 1), -EFAULT);
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_READ | PROT_WRITE), 0);
	CHECK(a[0] == 0x77 && a[2 * P] == 0x77, "PROT_NONE lost the data");
	a[2 * P] = 1;
	CHECK_RET(sys(SYS_munmap, a, 3 * P), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

static const char *test_mprotect_errors(void)
{
	char *a = map_pages(3, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_munmap, a + 2 * P, P), 0);   /* a hole after two pages */
	CHECK_RET(sys(SYS_mprotect, a + 1, P, PROT_READ), -EINVAL);
	CHECK_RET(sys(SYS_mprotect, a, 0, PROT_READ), 0);
	CHECK_RET(sys(SYS_mprotect, a, P, 0x100), -EINVAL);            /* no such bit */
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_READ), -ENOMEM);    /* runs into the hole */
	CHECK_RET(sys(SYS_mprotect, a + 2 * P, P, PROT_READ), -ENOMEM);
	CHECK_RET(sys(SYS_mprotect, KERNEL_ADDR, P, PROT_READ), -ENOMEM);
	/* A length that is not a multiple of the page size covers the last page. */
	CHECK_RET(sys(SYS_mprotect, a, P + 10, PROT_READ), 0);
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK_RET(sys(SYS_read, fd, a + P, 1), -EFAULT);
	sys(SYS_close, fd);
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	return NULL;
}

/* ---- brk ---------------------------------------------------------------------------- */

static const char *test_brk(void)
{
	long start = sys(SYS_brk, 0);

	CHECK(start > 0 && !is_err(start), "brk(0) = %s", ret_name(start));
	CHECK_RET(sys(SYS_brk, 0), start);
	/* Byte-precise: the new break is what was asked. */
	CHECK_RET(sys(SYS_brk, start + 100), start + 100);
	CHECK_RET(sys(SYS_brk, start + 3 * P + 5), start + 3 * P + 5);
	char *heap = (char *)start;

	for (long i = 0; i < 3 * P + 5; i += 256)
		CHECK(heap[i] == 0, "new heap not zero at +%ld", i);
	memset(heap, 0x42, 3 * P + 5);
	/* Refusals return the old break. */
	CHECK_RET(sys(SYS_brk, 1), start + 3 * P + 5);
	CHECK_RET(sys(SYS_brk, 1ul << 46), start + 3 * P + 5);
	CHECK_RET(sys(SYS_brk, KERNEL_ADDR), start + 3 * P + 5);
	/* Shrinking gives the pages back: grown again, they are zero. */
	CHECK_RET(sys(SYS_brk, start), start);
	CHECK_RET(sys(SYS_brk, start + 3 * P), start + 3 * P);
	long page = (start + P - 1) & -P;   /* the first page wholly above the old break */

	CHECK(((char *)page)[0] == 0 && ((char *)page)[P] == 0,
	      "heap pages not zero after shrink and grow");
	CHECK_RET(sys(SYS_brk, start), start);
	/* The heap does not grow into a mapping above it. */
	long above = sys(SYS_mmap, page + 4 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED_NOREPLACE, -1, 0);

	if (!is_err(above)) {
		CHECK_RET(sys(SYS_brk, page + 8 * P), start);
		sys(SYS_munmap, above, P);
	}
	return NULL;
}

/* ---- madvise, mincore ---------------------------------------------------------------- */

static const char *test_madvise_mincore(void)
{
	char *a = map_pages(8, PROT_READ | PROT_WRITE);
	unsigned char vec[8];

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), 0);
	for (int i = 0; i < 8; i++)
		CHECK(!(vec[i] & 1), "page %d resident before any touch", i);
	a[3 * P] = 1;
	a[5 * P + 100] = 2;
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), 0);
	for (int i = 0; i < 8; i++)
		CHECK((vec[i] & 1) == (i == 3 || i == 5), "after touching 3 and 5: page %d is %d",
		      i, vec[i]);
	/* A length that is not a multiple of the page size: the last page counts. */
	CHECK_RET(sys(SYS_mincore, a + 3 * P, 1, vec), 0);
	CHECK(vec[0] & 1, "mincore of 1 byte of page 3");
	/* DONTNEED drops the page: it reads back zero, and nothing is resident. */
	CHECK_RET(sys(SYS_madvise, a + 3 * P, 2 * P, MADV_DONTNEED), 0);
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), 0);
	CHECK(!(vec[3] & 1) && (vec[5] & 1), "after DONTNEED of 3-4: 3 is %d, 5 is %d", vec[3],
	      vec[5]);
	CHECK(a[3 * P] == 0, "after DONTNEED the page is not zero");
	CHECK(a[5 * P + 100] == 2, "DONTNEED reached past its range");
	/* Errors. */
	CHECK_RET(sys(SYS_madvise, a + 1, P, MADV_DONTNEED), -EINVAL);
	CHECK_RET(sys(SYS_madvise, a, P, 12345), -EINVAL);
	CHECK_RET(sys(SYS_madvise, a, 0, MADV_DONTNEED), 0);
	CHECK_RET(sys(SYS_mincore, a + 1, P, vec), -EINVAL);
	CHECK_RET(sys(SYS_mincore, a, P, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_munmap, a + 4 * P, 4 * P), 0);
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), -ENOMEM);
	CHECK_RET(sys(SYS_madvise, a, 8 * P, MADV_DONTNEED), -ENOMEM);
	CHECK_RET(sys(SYS_munmap, a, 4 * P), 0);
	return NULL;
}

/* ---- processes, time, identity -------------------------------------------------------- */

static const char *test_ids(void)
{
	long pid = sys(SYS_getpid), tid = sys(SYS_gettid), ppid = sys(SYS_getppid);
	int word;

	CHECK(pid > 0, "getpid = %s", ret_name(pid));
	CHECK_RET(tid, pid);   /* one thread: its id is the process's */
	CHECK(ppid >= 0 && ppid != pid, "getppid = %s (pid %ld)", ret_name(ppid), pid);
	CHECK_RET(sys(SYS_getpid), pid);
	CHECK_RET(sys(SYS_set_tid_address, &word), tid);
	CHECK_RET(sys(SYS_sched_yield), 0);
	CHECK_RET(sys(SYS_getpid), pid);
	return NULL;
}

static long ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000l + t->tv_nsec;
}

static const char *test_clock_gettime(void)
{
	struct timespec a, b;

	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0);
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000, "tv_nsec %ld", a.tv_nsec);
	for (int i = 0; i < 1000; i++) {
		CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &b), 0);
		CHECK(ns_of(&b) >= ns_of(&a), "CLOCK_MONOTONIC went back: %ld then %ld", ns_of(&a),
		      ns_of(&b));
		a = b;
	}
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_REALTIME, &a), 0);
	CHECK(a.tv_sec > 1577836800l, "CLOCK_REALTIME %ld s is before 2020", (long)a.tv_sec);
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000, "realtime tv_nsec %ld", a.tv_nsec);
	CHECK_RET(sys(SYS_clock_gettime, 12345, &a), -EINVAL);
	return NULL;
}

static const char *test_nanosleep(void)
{
	struct timespec before, after, req = { .tv_sec = 0, .tv_nsec = 30 * 1000000 }, rem;

	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &before), 0);
	CHECK_RET(sys(SYS_nanosleep, &req, &rem), 0);
	CHECK_RET(sys(SYS_clock_gettime, CLOCK_MONOTONIC, &after), 0);
	long slept = ns_of(&after) - ns_of(&before);

	CHECK(slept >= 30 * 1000000, "nanosleep(30 ms) slept %ld ns", slept);
	req.tv_nsec = 1000000000;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), -EINVAL);
	req.tv_nsec = -1;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), -EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), -EINVAL);
	req.tv_sec = 0;
	CHECK_RET(sys(SYS_nanosleep, &req, NULL), 0);
	return NULL;
}

static const char *test_uname(void)
{
	struct utsname u;

	memset(&u, 0xff, sizeof(u));
	CHECK_RET(sys(SYS_uname, &u), 0);
	CHECK(memchr(u.sysname, 0, sizeof(u.sysname)) && u.sysname[0], "sysname not a string");
	CHECK(memchr(u.release, 0, sizeof(u.release)) && u.release[0], "release not a string");
	CHECK(memchr(u.nodename, 0, sizeof(u.nodename)), "nodename not NUL-terminated");
	CHECK(memchr(u.version, 0, sizeof(u.version)), "version not NUL-terminated");
	CHECK(strcmp(u.machine, "x86_64") == 0, "machine is \"%.20s\"", u.machine);
	return NULL;
}

static uint64_t read_fs0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

static const char *test_arch_prctl(void)
{
	/* musl keeps the thread pointer at %fs:0 (x86-64 TLS ABI): save it, point FS at a
	 * block of our own that holds its own address, read it back, restore. No libc
	 * call in between: errno lives behind FS. */
	static uint64_t block[8] __attribute__((aligned(64)));
	uint64_t saved = read_fs0();

	block[0] = (uint64_t)(uintptr_t)block;
	long r1 = sys(SYS_arch_prctl, ARCH_SET_FS, block);
	uint64_t seen = read_fs0();
	long r2 = sys(SYS_arch_prctl, ARCH_SET_FS, saved);
	uint64_t back = read_fs0();

	CHECK_RET(r1, 0);
	CHECK_RET(r2, 0);
	CHECK(seen == (uint64_t)(uintptr_t)block, "after ARCH_SET_FS, %%fs:0 = 0x%llx",
	      (unsigned long long)seen);
	CHECK(back == saved, "FS not restored");
	/* FS survives a trip through the scheduler. */
	CHECK_RET(sys(SYS_sched_yield), 0);
	CHECK(read_fs0() == saved, "FS changed across sched_yield");
	CHECK_RET(sys(SYS_arch_prctl, 0x9999, 0), -EINVAL);
	CHECK_RET(sys(SYS_arch_prctl, ARCH_SET_FS, KERNEL_ADDR), -EPERM);
	CHECK(read_fs0() == saved, "a refused ARCH_SET_FS changed FS");
	return NULL;
}

struct kernel_sigaction {
	unsigned long handler, flags, restorer, mask;
};

static const char *test_signals(void)
{
	struct kernel_sigaction act = { .handler = (unsigned long)SIG_IGN }, old, now;
	uint64_t set = 1ull << (SIGUSR1 - 1), oldset, cur;

	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, &act, &old, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, NULL, &now, SIGSET_SIZE), 0);
	CHECK(now.handler == (unsigned long)SIG_IGN, "handler read back 0x%lx", now.handler);
	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, &old, NULL, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigaction, SIGUSR1, &act, NULL, 4), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, SIGKILL, &act, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, SIGSTOP, &act, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, 0, &act, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigaction, 65, &act, NULL, SIGSET_SIZE), -EINVAL);

	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, &set, &oldset, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, SIGSET_SIZE), 0);
	CHECK(cur & set, "SIGUSR1 not blocked: mask 0x%llx", (unsigned long long)cur);
	/* SIGKILL and SIGSTOP cannot be blocked: asking is silently ignored. */
	set = 1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, SIGSET_SIZE), 0);
	CHECK(!(cur & set), "SIGKILL/SIGSTOP blocked: mask 0x%llx", (unsigned long long)cur);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_SETMASK, &oldset, NULL, SIGSET_SIZE), 0);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, SIGSET_SIZE), 0);
	CHECK(cur == oldset, "mask not restored");
	CHECK_RET(sys(SYS_rt_sigprocmask, 7, &set, NULL, SIGSET_SIZE), -EINVAL);
	CHECK_RET(sys(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), -EINVAL);
	return NULL;
}

static const char *test_getrandom(void)
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	CHECK_RET(sys(SYS_getrandom, a, sizeof(a), 0), sizeof(a));
	CHECK_RET(sys(SYS_getrandom, b, sizeof(b), GRND_NONBLOCK), sizeof(b));
	CHECK(memcmp(a, zero, sizeof(a)) != 0, "64 random bytes all zero");
	CHECK(memcmp(a, b, sizeof(a)) != 0, "two calls returned the same bytes");
	CHECK_RET(sys(SYS_getrandom, a, 0, 0), 0);
	CHECK_RET(sys(SYS_getrandom, a, 8, 0x100), -EINVAL);
	return NULL;
}

static const char *test_getrusage(void)
{
	struct rusage before, after;
	char *a = map_pages(32, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_getrusage, RUSAGE_SELF, &before), 0);
	for (int i = 0; i < 32; i++)
		a[i * P] = 1;
	CHECK_RET(sys(SYS_getrusage, RUSAGE_SELF, &after), 0);
	CHECK(after.ru_minflt >= before.ru_minflt + 32,
	      "32 demand-zero faults counted as %ld minor faults",
	      after.ru_minflt - before.ru_minflt);
	CHECK(after.ru_majflt >= before.ru_majflt, "ru_majflt went back");
	CHECK_RET(sys(SYS_getrusage, 5, &after), -EINVAL);
	CHECK_RET(sys(SYS_munmap, a, 32 * P), 0);
	return NULL;
}

static const char *test_enosys(void)
{
	CHECK_RET(sys(1000), -ENOSYS);
	CHECK_RET(sys(-1), -ENOSYS);
	CHECK_RET(sys(SYS_getpid) > 0, 1);   /* and the next call works */
	return NULL;
}

/* ---- the CPU state a process owns --------------------------------------------------------- */

static const char *test_fpu(void)
{
	uint32_t mxcsr;
	uint16_t fcw;
	volatile double x = 1.0;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	CHECK((mxcsr & 0xffc0) == 0x1f80, "initial MXCSR 0x%x, expected 0x1f80", mxcsr);
	CHECK(fcw == 0x37f, "initial x87 control word 0x%x, expected 0x37f", fcw);
	/* SSE state kept across system calls and sleeps (another thread may run). */
	for (int i = 0; i < 50; i++) {
		x = x * 1.5 + 0.25;
		if (i % 10 == 0) {
			struct timespec t = { 0, 1000000 };

			sys(SYS_nanosleep, &t, NULL);
		}
		sys(SYS_sched_yield);
	}
	double expect = 1.0;

	for (int i = 0; i < 50; i++)
		expect = expect * 1.5 + 0.25;
	CHECK(x == expect, "floating point drifted across system calls");
	long double e = 1.0L;

	for (int i = 0; i < 20; i++)
		e = e / 3.0L * 3.0L;
	CHECK(e > 0.999L && e < 1.001L, "x87 arithmetic wrong");
	return NULL;
}

static __attribute__((noinline)) long recurse(int depth)
{
	volatile char frame[4096];

	frame[0] = (char)depth;
	frame[4095] = (char)depth;
	if (depth == 0)
		return frame[0];
	return recurse(depth - 1) + frame[4095];
}

static const char *test_stack_growth(void)
{
	/* 2 MiB of stack below main's: 512 frames of 4 KiB, each page touched. */
	long want = 0;

	for (int d = 1; d <= 512; d++)
		want += (char)d;
	CHECK_RET(recurse(512), want);
	return NULL;
}

/* A copy into the stack's growth area, below what the stack has used so far, grows
 * the stack as the process's own store would (a fault resolved during the copy). */
static const char *test_copy_grows_stack(void)
{
	char here;
	char *deep = (char *)(((uintptr_t)&here - (7ul << 20)) & ~(P - 1));   /* 7 MiB down */
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	unsigned char vec;

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	long before = sys(SYS_mincore, deep, P, &vec);

	CHECK(before == -ENOMEM || (before == 0 && !(vec & 1)),
	      "7 MiB below the stack pointer is already in use: mincore = %s", ret_name(before));
	CHECK_RET(sys(SYS_read, fd, deep + 100, 16), 16);
	CHECK(!pattern_mismatch((unsigned char *)deep + 100, 0, 16), "wrong bytes in the stack");
	CHECK_RET(sys(SYS_mincore, deep, P, &vec), 0);
	CHECK(vec & 1, "the page the copy wrote is not resident");
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* The guard page below the stack's limit: no copy reaches it, no mapping replaces it
 * quietly (Linux keeps a gap, not a mapping, so this is Pagoda's). */
static const char *test_stack_guard(void)
{
	const unsigned long guard = 0x7ffffffff000ul - (8ul << 20) - P;   /* mm/layout.h */
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	CHECK_RET(sys(SYS_read, fd, guard + 8, 8), -EFAULT);
	CHECK_RET(sys(SYS_write, 1, guard, 8), -EFAULT);
	CHECK_RET(sys(SYS_mmap, guard, P, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* Pagoda never overcommits: a mapping larger than memory is refused at once. */
static const char *test_no_overcommit(void)
{
	CHECK_RET(sys(SYS_mmap, 0, 64ul << 30, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -ENOMEM);
	long start = sys(SYS_brk, 0);

	CHECK_RET(sys(SYS_brk, start + (64l << 30)), start);
	/* A PROT_NONE reservation costs no memory. */
	long r = sys(SYS_mmap, 0, 64ul << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!is_err(r))
		sys(SYS_munmap, r, 64ul << 30);
	return NULL;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const struct usertest tests[] = {
	{ "write_console", test_write_console, 0 },
	{ "writev", test_writev, 0 },
	{ "open_close", test_open_close, 0 },
	{ "open_errors", test_open_errors, 0 },
	{ "openat", test_openat, 0 },
	{ "read_lseek", test_read_lseek, 0 },
	{ "fstat", test_fstat, 0 },
	{ "console", test_console, 0 },
	{ "ioctl_file", test_ioctl_file, 0 },
	{ "open_limits", test_open_limits, PAGODA_ONLY },
	{ "efault_kernel", test_efault_kernel, 0 },
	{ "efault_unmapped", test_efault_unmapped, 0 },
	{ "efault_straddle", test_efault_straddle, 0 },
	{ "efault_readonly", test_efault_readonly, 0 },
	{ "mmap_anon", test_mmap_anon, 0 },
	{ "mmap_errors", test_mmap_errors, 0 },
	{ "mmap_fixed", test_mmap_fixed, 0 },
	{ "mmap_prot_none", test_mmap_prot_none, 0 },
	{ "mmap_file", test_mmap_file, 0 },
	{ "mmap_file_private_write", test_mmap_file_private_write, 0 },
	{ "mmap_file_errors", test_mmap_file_errors, 0 },
	{ "mmap_file_split", test_mmap_file_split, 0 },
	{ "madvise_file", test_madvise_file, 0 },
	{ "mmap_many", test_mmap_many, 0 },
	{ "munmap_split", test_munmap_split, 0 },
	{ "munmap_edges", test_munmap_edges, 0 },
	{ "mprotect", test_mprotect, 0 },
	{ "mprotect_errors", test_mprotect_errors, 0 },
	{ "brk", test_brk, 0 },
	{ "madvise_mincore", test_madvise_mincore, 0 },
	{ "ids", test_ids, 0 },
	{ "clock_gettime", test_clock_gettime, 0 },
	{ "nanosleep", test_nanosleep, 0 },
	{ "uname", test_uname, 0 },
	{ "arch_prctl", test_arch_prctl, 0 },
	{ "signals", test_signals, 0 },
	{ "getrandom", test_getrandom, 0 },
	{ "getrusage", test_getrusage, 0 },
	{ "enosys", test_enosys, 0 },
	{ "fpu", test_fpu, 0 },
	{ "stack_growth", test_stack_growth, 0 },
	{ "copy_grows_stack", test_copy_grows_stack, 0 },
	{ "stack_guard", test_stack_guard, PAGODA_ONLY },
	{ "no_overcommit", test_no_overcommit, PAGODA_ONLY },
};

#define NTESTS (sizeof(tests) / sizeof(tests[0]))

int main(int argc, char **argv)
{
	int pagoda = on_pagoda(), passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		size_t t = 0;

		while (t < NTESTS && strcmp(tests[t].name, argv[i]) != 0)
			t++;
		if (t == NTESTS) {
			printf("usertests: no test named %s; the tests:", argv[i]);
			for (t = 0; t < NTESTS; t++)
				printf(" %s", tests[t].name);
			printf("\n");
			return 2;
		}
	}
	for (size_t t = 0; t < NTESTS; t++) {
		int wanted = argc == 1;

		for (int i = 1; i < argc; i++)
			wanted |= strcmp(tests[t].name, argv[i]) == 0;
		if (!wanted)
			continue;
		if ((tests[t].flags & PAGODA_ONLY) && !pagoda) {
			printf("SKIP %s: Pagoda only\n", tests[t].name);
			skipped++;
			continue;
		}
		const char *why = tests[t].fn();

		if (why) {
			printf("FAIL %s: %s\n", tests[t].name, why);
			failed++;
		} else {
			printf("PASS %s\n", tests[t].name);
			passed++;
		}
	}
	if (skipped)
		printf("usertests: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("usertests: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
