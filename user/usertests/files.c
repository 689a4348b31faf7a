/*
 * files.c - usertests: console writes, open/openat/read/lseek/fstat/close, and bad pointers
 * handed to the kernel's user copies (-EFAULT, never a crash).
 *
 * Invariants:
 *   [x] each test releases what it mapped or opened before it passes.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

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
	/* Pagoda's console has a size; a Linux tty reports 0 x 0 until someone sets one
	 * (a serial console, as in the Linux run of `make test`). */
	CHECK(!on_pagoda() || (ws.ws_row > 0 && ws.ws_col > 0), "TIOCGWINSZ: %u rows %u columns",
	      ws.ws_row, ws.ws_col);
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


const struct usertest files_tests[] = {
	{ "write_console", test_write_console, PORTABLE },
	{ "writev", test_writev, PORTABLE },
	{ "open_close", test_open_close, PORTABLE },
	{ "open_errors", test_open_errors, PORTABLE },
	{ "openat", test_openat, PORTABLE },
	{ "read_lseek", test_read_lseek, PORTABLE },
	{ "fstat", test_fstat, PORTABLE },
	{ "console", test_console, PORTABLE },
	{ "ioctl_file", test_ioctl_file, PORTABLE },
	{ "open_limits", test_open_limits, PAGODA_ONLY },
	{ "efault_kernel", test_efault_kernel, PORTABLE },
	{ "efault_unmapped", test_efault_unmapped, PORTABLE },
	{ "efault_straddle", test_efault_straddle, PORTABLE },
	{ "efault_readonly", test_efault_readonly, PORTABLE },
	{ NULL, NULL, 0 },
};
