/*
 * errno.c - errno_name(): the symbolic name of an error number.
 *
 * Messages print "-ENOMEM" rather than "-12" so that a student need not look
 * numbers up. The table is a switch over the values in lib/errno.h; add a
 * case here whenever a number is added there. Context: any; no state.
 */
#include "lib/errno.h"

const char *errno_name(int err)
{
	/* Accept -ENOMEM as well as ENOMEM; long so that -INT_MIN cannot overflow. */
	long e = err < 0 ? -(long)err : err;

	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EDEADLK: return "EDEADLK";
	case ENOSYS: return "ENOSYS";
	case ENOTSUP: return "ENOTSUP";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ERESTARTSYS: return "ERESTARTSYS";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EPIPE: return "EPIPE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EOVERFLOW: return "EOVERFLOW";
	default: return "E?";
	}
}
