/*
 * sys_fs.c - read, write, writev, open, openat, close, fstat, lseek, ioctl
 * (see sys_fs.h).
 *
 * The checks Linux makes before a file's own code runs are made here, in
 * Linux's order, so a program sees the same errno for the same mistake:
 * the descriptor (EBADF), the file's open mode (EBADF), the buffer's range
 * (EFAULT: access_ok, on the whole count, before any byte moves), then the
 * byte count is capped at MAX_RW_COUNT (0x7ffff000). open resolves the path
 * textually (path.h) against the initrd's names, where "dir/file" makes
 * "dir" a directory; everything that would write to the initrd is EROFS,
 * as on a file system mounted read-only.
 *
 * Invariants:
 *   [x] every fd_get is paired with a file_put on every path out (read and
 *       write take no reference: fd_get_own);
 *   [x] a file reaches fd_install only after every check passed, and is
 *       put if the table is full (EMFILE).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_fs.h"

#include "kernel/fs/initrd.h"
#include "kernel/proc/fd.h"
#include "kernel/proc/process.h"
#include "kernel/syscall/iovec.h"
#include "kernel/syscall/path.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"

#define SEEK_MAX 4             /* SEEK_HOLE: the largest whence Linux knows */
#define IOV_ON_STACK 8         /* writev: vectors up to this long need no allocation (UIO_FASTIOV) */

static struct fd_table *current_fds(void)
{
	return &process_current()->fds;
}

/* Opened for reading (O_RDONLY, O_RDWR) or writing (O_WRONLY, O_RDWR)? */
static bool file_mode_allows(const struct file *f, bool write)
{
	int mode = f->flags & O_ACCMODE;

	return write ? (mode == O_WRONLY || mode == O_RDWR) : (mode == O_RDONLY || mode == O_RDWR);
}

/*
 * read and write: Linux's vfs_read/vfs_write checks, then the file's
 * operation. The file is the caller's own slot's (fd_get_own: no reference
 * taken or put on this hottest path).
 */
static long sys_read_write(int fd, virt_addr_t buf, size_t count, bool write)
{
	struct file *f;
	long ret = fd_get_own(current_fds(), fd, &f);

	if (ret)
		return ret;
	if (!file_mode_allows(f, write))
		return -EBADF;
	if (!user_range_ok(buf, count))
		return -EFAULT;
	if (count == 0)
		return 0;
	if (count > IOVEC_MAX_RW_COUNT)
		count = IOVEC_MAX_RW_COUNT;
	return write ? file_write(f, buf, count) : file_read(f, buf, count);
}

long sys_read(int fd, virt_addr_t buf, size_t count)
{
	return sys_read_write(fd, buf, count, false);
}

long sys_write(int fd, virt_addr_t buf, size_t count)
{
	return sys_read_write(fd, buf, count, true);
}

/* Write the checked segments of iov in order; the bytes written, or the first error if none. */
static long writev_segments(struct file *f, const struct linux_iovec *iov, size_t n)
{
	long total = 0;

	for (size_t i = 0; i < n; i++) {
		if (iov[i].iov_len == 0)
			continue;
		long done = file_write(f, iov[i].iov_base, iov[i].iov_len);
		if (done < 0)
			return total > 0 ? total : done;
		total += done;
		if ((uint64_t)done < iov[i].iov_len)
			break; /* a short write ends the call, as in Linux */
	}
	return total;
}

long sys_writev(int fd, virt_addr_t uiov, uint64_t iovcnt)
{
	struct linux_iovec on_stack[IOV_ON_STACK], *iov = on_stack;
	struct file *f;
	long ret = fd_get(current_fds(), fd, &f);

	if (ret)
		return ret;
	if (!file_mode_allows(f, true)) {
		ret = -EBADF;
		goto out;
	}
	if (iovcnt > IOV_MAX) {
		ret = -EINVAL;
		goto out;
	}
	if (iovcnt == 0)
		goto out; /* ret is 0 */
	if (iovcnt > IOV_ON_STACK) {
		iov = kmalloc(iovcnt * sizeof(*iov), 0);
		if (!iov) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (copy_from_user(iov, uiov, iovcnt * sizeof(*iov)))
		ret = -EFAULT;
	else
		ret = iovec_check(iov, iovcnt, user_range_ok);
	if (ret > 0)
		ret = writev_segments(f, iov, iovcnt);
	if (iov != on_stack)
		kfree(iov);
out:
	file_put(f);
	return ret;
}

/* Is name ("" for the root) a directory of the initrd: the root, or a prefix "name/" of a file? */
static bool initrd_is_directory(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return true;
	for (size_t i = 0; i < initrd_count(); i++) {
		const char *other = initrd_at(i)->name;
		if (strncmp(other, name, len) == 0 && other[len] == '/')
			return true;
	}
	return false;
}

/*
 * name does not exist: why, for a path walk? -ENOTDIR when a leading
 * component is a file, -ENOENT when the directory it would be in does not
 * exist, 0 when that directory exists (so only the last component is missing).
 */
static long initrd_missing_reason(char *name)
{
	char *slash = NULL;

	for (char *p = name; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		bool is_file = initrd_find(name) != NULL;
		*p = '/';
		if (is_file)
			return -ENOTDIR;
		slash = p;
	}
	if (!slash)
		return 0; /* in the root, which exists */
	*slash = '\0';
	bool parent_exists = initrd_is_directory(name);
	*slash = '/';
	return parent_exists ? 0 : -ENOENT;
}

/* open(2) of a normalized initrd name: the checks of Linux's do_last on a read-only file system. */
static long open_initrd(char *name, const struct path_info *info, int flags)
{
	bool writing = (flags & O_ACCMODE) != O_RDONLY;
	const struct initrd_file *file = name[0] ? initrd_find(name) : NULL;

	if (!file) {
		long why = initrd_missing_reason(name);
		if (why)
			return why;
		if (!initrd_is_directory(name))
			return (flags & O_CREAT) ? -EROFS : -ENOENT;
		/* A directory: nothing may write or create it; there are no directory files. */
		return -EISDIR;
	}
	if (info->trailing_slash || (flags & O_DIRECTORY))
		return -ENOTDIR;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	if (writing || (flags & O_TRUNC))
		return -EROFS;

	struct file *f = file_open_initrd(file);
	if (!f)
		return -ENOMEM;
	int fd = fd_install_from(current_fds(), f, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* openat's dirfd, for a relative path: AT_FDCWD (the root), else it must be a directory. */
static long dirfd_check(int dirfd)
{
	struct file *f;
	long ret;

	if (dirfd == AT_FDCWD)
		return 0;
	ret = fd_get(current_fds(), dirfd, &f);
	if (ret)
		return ret;
	file_put(f);
	return -ENOTDIR; /* every open file is the console or a regular file */
}

long sys_openat(int dirfd, virt_addr_t upath, int flags, unsigned mode)
{
	struct path_info info;
	char *path = kmalloc(2 * PATH_MAX_BYTES, 0);
	char *name = path + PATH_MAX_BYTES;
	long ret;

	(void)mode; /* permission bits of a created file: nothing is ever created */
	if (!path)
		return -ENOMEM;
	ret = strncpy_from_user(path, upath, PATH_MAX_BYTES);
	if (ret >= 0 && path[0] != '/' && path[0] != '\0')
		ret = dirfd_check(dirfd);
	if (ret >= 0)
		ret = path_normalize(path, name, PATH_MAX_BYTES, &info);
	if (ret >= 0)
		ret = open_initrd(name, &info, flags);
	kfree(path);
	return ret;
}

long sys_open(virt_addr_t path, int flags, unsigned mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_close(int fd)
{
	return fd_close(current_fds(), fd);
}

long sys_fstat(int fd, virt_addr_t statbuf)
{
	struct linux_stat st;
	struct file *f;
	long ret = fd_get(current_fds(), fd, &f);

	if (ret)
		return ret;
	memset(&st, 0, sizeof(st));
	ret = file_fstat(f, &st);
	file_put(f);
	if (ret == 0 && copy_to_user(statbuf, &st, sizeof(st)))
		ret = -EFAULT;
	return ret;
}

long sys_lseek(int fd, int64_t offset, unsigned whence)
{
	struct file *f;
	long ret = fd_get(current_fds(), fd, &f);

	if (ret)
		return ret;
	ret = whence > SEEK_MAX ? -EINVAL : file_lseek(f, offset, (int)whence);
	file_put(f);
	return ret;
}

long sys_ioctl(int fd, unsigned cmd, uint64_t arg)
{
	struct file *f;
	long ret = fd_get(current_fds(), fd, &f);

	if (ret)
		return ret;
	ret = file_ioctl(f, cmd, arg);
	file_put(f);
	return ret;
}
