/*
 * test_sys_fs.c - suite "sys_fs": the file system calls of
 * kernel/syscall/sys_fs.c on the host, with user memory in a real struct
 * user_space of the simulated arena (strings, iovec arrays and buffers go
 * through the same user copies as in the kernel). The initrd and the
 * descriptor table are tests/host/syscall_host.h's stand-ins: files "hello",
 * "data", "dir/file", "dir/sub/deep"; fd 1 the console, fd 5 "data".
 * Checked: open's answers on a read-only tree (EROFS, EEXIST, ENOTDIR,
 * EISDIR, ENOENT, ENAMETOOLONG, EFAULT, dirfd), read/write's order (EBADF,
 * then EFAULT on the whole range, then the cap), writev's order and its
 * partial writes. Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "kernel/syscall/sys_fs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"
#include "tests/host/syscall_host.h"

#define P PAGE_SIZE
#define FIRST_FD HOST_FIRST_FD

static virt_addr_t page; /* two mapped pages; the third unmapped */

#define begin() host_sys_begin(&page)
#define end() host_sys_end()

/* A user copy of s at the start of the first page. */
static virt_addr_t ustr(const char *s)
{
	if (copy_to_user(page, s, strlen(s) + 1))
		return 0;
	return page;
}

static long open_path(const char *path, int flags)
{
	long fd = sys_open(ustr(path), flags, 0644);

	if (fd >= 0)
		host_sys_close_last();
	return fd;
}

/* ---- Tests. ---- */

static const char *test_open_paths(void)
{
	CHECK_OK(begin());
	CHECK(open_path("hello", O_RDONLY) == FIRST_FD);
	CHECK(open_path("/hello", O_RDONLY) == FIRST_FD + 1);
	CHECK(open_path("./dir/../hello", O_RDONLY) == FIRST_FD + 2);
	CHECK(open_path("//dir/sub/./deep", O_RDONLY | O_CLOEXEC | O_NOCTTY) == FIRST_FD + 3);
	CHECK(open_path("nothing", O_RDONLY) == -ENOENT);
	CHECK(open_path("", O_RDONLY) == -ENOENT);
	CHECK(open_path("nodir/file", O_RDONLY) == -ENOENT);
	CHECK(open_path("dir/nothing/x", O_RDONLY) == -ENOENT);
	CHECK(open_path("hello/", O_RDONLY) == -ENOTDIR);
	CHECK(open_path("hello/x", O_RDONLY) == -ENOTDIR);
	CHECK(open_path("dir/file/x/y", O_RDONLY) == -ENOTDIR);
	CHECK(open_path("hello", O_RDONLY | O_DIRECTORY) == -ENOTDIR);
	CHECK(open_path("dir", O_RDONLY) == -EISDIR);
	CHECK(open_path("/", O_RDONLY) == -EISDIR);
	CHECK(open_path("dir/sub", O_WRONLY) == -EISDIR);
	CHECK(sys_open(0, O_RDONLY, 0) == -EFAULT);
	CHECK(sys_open(page + 2 * P, O_RDONLY, 0) == -EFAULT);
	return end();
}

static const char *test_open_read_only(void)
{
	CHECK_OK(begin());
	CHECK(open_path("hello", O_WRONLY) == -EROFS);
	CHECK(open_path("hello", O_RDWR) == -EROFS);
	CHECK(open_path("hello", O_RDONLY | O_TRUNC) == -EROFS);
	CHECK(open_path("hello", O_RDONLY | O_CREAT) == FIRST_FD); /* exists: O_CREAT is moot */
	CHECK(open_path("hello", O_RDONLY | O_CREAT | O_EXCL) == -EEXIST);
	CHECK(open_path("new", O_RDONLY | O_CREAT) == -EROFS);
	CHECK(open_path("dir/new", O_WRONLY | O_CREAT) == -EROFS);
	CHECK(open_path("nodir/new", O_WRONLY | O_CREAT) == -ENOENT);
	CHECK(open_path("dir", O_RDONLY | O_CREAT) == -EISDIR);
	host_table_full = true;
	CHECK(open_path("hello", O_RDONLY) == -EMFILE);
	return end();
}

static const char *test_open_names(void)
{
	char name[300];

	CHECK_OK(begin());
	memset(name, 'n', sizeof(name));
	name[256] = '\0';
	CHECK(open_path(name, O_RDONLY) == -ENAMETOOLONG); /* a 256-byte component */
	name[255] = '\0';
	CHECK(open_path(name, O_RDONLY) == -ENOENT);
	/* "a/a/a/...": short components, but no NUL in the first 4096 bytes: ENAMETOOLONG. */
	static char path[2 * P];
	for (size_t i = 0; i < sizeof(path); i++)
		path[i] = i % 2 ? '/' : 'a';
	CHECK(copy_to_user(page, path, sizeof(path)) == 0);
	CHECK(sys_open(page, O_RDONLY, 0) == -ENAMETOOLONG);
	path[P - 1] = '\0'; /* 4095 bytes and the NUL: long, but allowed */
	CHECK(copy_to_user(page, path, P) == 0);
	CHECK(sys_open(page, O_RDONLY, 0) == -ENOENT);
	/* A string running into the unmapped page before its NUL: EFAULT. */
	CHECK(copy_to_user(page + 2 * P - 4, "abcd", 4) == 0);
	CHECK(sys_open(page + 2 * P - 4, O_RDONLY, 0) == -EFAULT);
	return end();
}

static const char *test_openat_dirfd(void)
{
	CHECK_OK(begin());
	CHECK(sys_openat(AT_FDCWD, ustr("hello"), O_RDONLY, 0) == FIRST_FD);
	CHECK(host_last_fd_flags == 0);
	host_sys_close_last();
	CHECK(sys_openat(AT_FDCWD, ustr("hello"), O_RDONLY | O_CLOEXEC, 0) == FIRST_FD + 1);
	CHECK(host_last_fd_flags == FD_CLOEXEC); /* O_CLOEXEC becomes the descriptor's flag */
	host_sys_close_last();
	CHECK(sys_openat(5, ustr("hello"), O_RDONLY, 0) == -ENOTDIR);  /* a file is no directory */
	CHECK(sys_openat(99, ustr("hello"), O_RDONLY, 0) == -EBADF);
	CHECK(sys_openat(99, ustr("/hello"), O_RDONLY, 0) == FIRST_FD + 2); /* absolute: ignored */
	host_sys_close_last();
	CHECK(sys_openat(99, ustr(""), O_RDONLY, 0) == -ENOENT);
	return end();
}

static const char *test_read_write_order(void)
{
	CHECK_OK(begin());
	CHECK(sys_write(5, USER_TOP, 1) == -EBADF);     /* the mode before the range */
	CHECK(sys_read(5, USER_TOP, 1) == -EFAULT);
	CHECK(sys_read(5, page, 0) == 0);
	CHECK(sys_read(5, 0, 0) == 0);
	CHECK(sys_read(7, page, 1) == -EBADF);
	CHECK(sys_read(5, page, 1ull << 40) == 0x7ffff000); /* the cap (the range is fine) */
	CHECK(sys_read(5, page + P, USER_TOP) == -EFAULT);
	CHECK(sys_write(1, ustr("hi"), 2) == 2);
	CHECK(host_written_len == 2 && memcmp(host_written, "hi", 2) == 0);
	CHECK(sys_lseek(1, 0, 5) == -EINVAL);             /* whence before ESPIPE */
	CHECK(sys_lseek(1, 0, SEEK_SET) == -ESPIPE);
	CHECK(sys_lseek(5, 42, SEEK_SET) == 42);
	CHECK(sys_ioctl(5, TIOCGWINSZ, 0) == -ENOTTY && sys_ioctl(1, TIOCGWINSZ, 0) == 0);
	CHECK(sys_ioctl(8, TIOCGWINSZ, 0) == -EBADF);
	CHECK(sys_fstat(1, page) == 0);
	struct linux_stat st;
	CHECK(copy_from_user(&st, page, sizeof(st)) == 0 && st.st_mode == S_IFCHR);
	CHECK(sys_fstat(1, USER_TOP) == -EFAULT);
	CHECK(sys_close(1) == 0 && sys_close(3) == -EBADF);
	return end();
}

static const char *test_writev(void)
{
	struct linux_iovec iov[20];
	virt_addr_t uiov = page + P, text = page;

	CHECK_OK(begin());
	CHECK(copy_to_user(text, "abcdef", 6) == 0);
	iov[0] = (struct linux_iovec){text, 2};
	iov[1] = (struct linux_iovec){0, 0};
	iov[2] = (struct linux_iovec){text + 2, 4};
	CHECK(copy_to_user(uiov, iov, 3 * sizeof(iov[0])) == 0);
	CHECK(sys_writev(1, uiov, 3) == 6 && memcmp(host_written, "abcdef", 6) == 0);
	CHECK(sys_writev(1, uiov, 0) == 0);
	CHECK(sys_writev(5, uiov, 3) == -EBADF);
	CHECK(sys_writev(9, uiov, 3) == -EBADF);
	CHECK(sys_writev(1, uiov, 1025) == -EINVAL);
	CHECK(sys_writev(1, uiov, (uint64_t)-1) == -EINVAL);
	CHECK(sys_writev(1, USER_TOP, 1) == -EFAULT);
	CHECK(sys_writev(1, page + 2 * P - sizeof(iov[0]), 2) == -EFAULT); /* array straddles */
	/* Linux's order: a negative length anywhere before a bad range anywhere. */
	iov[0] = (struct linux_iovec){USER_TOP, 1};
	iov[1] = (struct linux_iovec){text, (uint64_t)-1};
	CHECK(copy_to_user(uiov, iov, 2 * sizeof(iov[0])) == 0);
	CHECK(sys_writev(1, uiov, 2) == -EINVAL);
	CHECK(sys_writev(1, uiov, 1) == -EFAULT);
	/* More vectors than fit on the stack, each one byte. */
	host_written_len = 0;
	for (int i = 0; i < 20; i++)
		iov[i] = (struct linux_iovec){text + (uint64_t)(i % 6), 1};
	CHECK(copy_to_user(uiov, iov, sizeof(iov)) == 0);
	CHECK(sys_writev(1, uiov, 20) == 20 && memcmp(host_written, "abcdefabcdefabcdefab", 20) == 0);
	/* An unmapped segment after a good one: the bytes before it. */
	host_written_len = 0;
	iov[0] = (struct linux_iovec){text, 3};
	iov[1] = (struct linux_iovec){page + 2 * P, 3};
	CHECK(copy_to_user(uiov, iov, 2 * sizeof(iov[0])) == 0);
	CHECK(sys_writev(1, uiov, 2) == 3);
	CHECK(sys_writev(1, uiov + sizeof(iov[0]), 1) == -EFAULT);
	/* A short write ends the call. */
	host_written_len = 0;
	host_short_write_at = 4;
	iov[1] = (struct linux_iovec){text, 3};
	CHECK(copy_to_user(uiov, iov, 3 * sizeof(iov[0])) == 0);
	CHECK(sys_writev(1, uiov, 3) == 4);
	return end();
}

static const struct selftest sys_fs_tests[] = {
	{"open_paths", "path forms, ENOENT, ENOTDIR, EISDIR, EFAULT on a read-only tree",
	 test_open_paths},
	{"open_read_only", "EROFS for writing, creating, truncating; EEXIST; EMFILE",
	 test_open_read_only},
	{"open_names", "255-byte names, 256 ENAMETOOLONG, 4096-byte paths, strings into a hole",
	 test_open_names},
	{"openat_dirfd", "AT_FDCWD, a file dirfd ENOTDIR, a bad one EBADF, absolute paths",
	 test_openat_dirfd},
	{"read_write_order", "EBADF before EFAULT on the whole range; the cap; lseek, ioctl, fstat",
	 test_read_write_order},
	{"writev", "vectors in order: EBADF, EINVAL, EFAULT, negative length first, partial, short",
	 test_writev},
};

SELFTEST_SUITE(sys_fs, sys_fs_tests);
