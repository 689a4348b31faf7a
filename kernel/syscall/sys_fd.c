/*
 * sys_fd.c - pipe, pipe2, dup, dup2, dup3, fcntl (see sys_fd.h).
 *
 * The checks come in Linux's order so a mistake gets the same errno: flags
 * first (EINVAL), then the descriptor (EBADF), then the table (EMFILE);
 * pipe2 installs both ends before it copies the pair out, and closes them
 * again if the copy faults (EFAULT), as Linux's do_pipe2 puts its files.
 *
 * Invariants:
 *   [x] a descriptor made here carries FD_CLOEXEC exactly when O_CLOEXEC
 *       (pipe2, dup3) or F_DUPFD_CLOEXEC asked for it; dup and dup2 clear it;
 *   [x] no path returns with a reference of its own still held.
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_fd.h"

#include "kernel/fs/pipe.h"
#include "kernel/fs/pipe_ring.h"
#include "kernel/proc/fd.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/uapi.h"
#include "mm/uaccess.h"

static struct fd_table *current_fds(void)
{
	return &process_current()->fds;
}

/* The descriptor flag O_CLOEXEC asks for (pipe2, dup3, open). */
static int cloexec_flag(int flags)
{
	return (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
}

long sys_pipe2(virt_addr_t ufds, int flags)
{
	struct fd_table *t = current_fds();
	struct file *rd, *wr;
	int fds[2];

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL; /* O_DIRECT (packet mode) and notification pipes are not here */
	long ret = pipe_create(flags, &rd, &wr);
	if (ret)
		return ret;
	/* Linux's order: descriptors first, then the copy (EMFILE before EFAULT). */
	fds[0] = fd_install_from(t, rd, 0, cloexec_flag(flags));
	if (fds[0] < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install_from(t, wr, 0, cloexec_flag(flags));
	if (fds[1] < 0) {
		file_put(wr);
		ret = fds[1];
	} else if (copy_to_user(ufds, fds, sizeof(fds))) {
		MUST_SUCCEED(fd_close(t, fds[1]), "sys_pipe2: the write end just installed");
		ret = -EFAULT;
	}
	if (ret)
		MUST_SUCCEED(fd_close(t, fds[0]), "sys_pipe2: the read end just installed");
	return ret;
}

long sys_pipe(virt_addr_t ufds)
{
	return sys_pipe2(ufds, 0);
}

/* F_DUPFD and dup: oldfd's file on the lowest free descriptor >= min_fd. */
static long dup_from(int oldfd, int min_fd, int fd_flags)
{
	struct file *f;
	long ret = fd_get(current_fds(), oldfd, &f);

	if (ret)
		return ret;
	ret = fd_install_from(current_fds(), f, min_fd, fd_flags);
	if (ret < 0)
		file_put(f); /* the reference fd_get gave stays ours */
	return ret;
}

long sys_dup(int oldfd)
{
	return dup_from(oldfd, 0, 0);
}

long sys_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) /* nothing to do if oldfd is open; EBADF if not */
		return fd_get_flags(current_fds(), oldfd) < 0 ? -EBADF : newfd;
	return fd_dup_to(current_fds(), oldfd, newfd, 0);
}

long sys_dup3(int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return fd_dup_to(current_fds(), oldfd, newfd, cloexec_flag(flags));
}

/* fcntl's commands on the open file f (fd's): Linux's do_fcntl for those known here. */
static long fcntl_file(int fd, struct file *f, unsigned cmd, uint64_t arg)
{
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((unsigned)arg >= PROCESS_FDS_MAX) /* an unsigned int, as Linux reads it */
			return -EINVAL;                /* at or past RLIMIT_NOFILE */
		return dup_from(fd, (int)(unsigned)arg, cmd == F_DUPFD_CLOEXEC ? FD_CLOEXEC : 0);
	case F_GETFD:
		return fd_get_flags(current_fds(), fd);
	case F_SETFD:
		return fd_set_flags(current_fds(), fd, (int)(arg & FD_CLOEXEC));
	case F_GETFL:
		return file_status_flags(f);
	case F_SETFL:
		return file_set_status_flags(f, (int)arg);
	case F_GETPIPE_SZ:
		return file_is_pipe(f) ? (long)PIPE_RING_SIZE : -EBADF;
	default:
		return -EINVAL;
	}
}

long sys_fcntl(int fd, unsigned cmd, uint64_t arg)
{
	struct file *f;
	long ret = fd_get(current_fds(), fd, &f);

	if (ret)
		return ret;
	ret = fcntl_file(fd, f, cmd, arg);
	file_put(f);
	return ret;
}
