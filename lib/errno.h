/*
 * errno.h - the kernel's error numbers.
 *
 * Actions return 0 on success or a negative error number (-ENOMEM, ...),
 * as Linux does; predicates return bool and allocators return NULL. The
 * values match Linux/POSIX so that a student who knows one knows the other.
 * errno_name() turns a (negative or positive) number into its name for
 * messages such as "map: -EEXIST (already mapped)".
 */
#ifndef LIB_ERRNO_H
#define LIB_ERRNO_H

#define EPERM 1     /* not allowed (e.g. the wrong kind of region) */
#define ENOENT 2    /* no such thing (command, entry, allocation) */
#define ESRCH 3     /* no such process */
#define EINTR 4     /* interrupted (a signal arrived while waiting) */
#define EIO 5       /* the hardware did not do what was asked */
#define E2BIG 7     /* argument list too long (execve, a user stack) */
#define ENOEXEC 8   /* not an executable this kernel runs (the ELF loader says why) */
#define EBADF 9     /* not an open file descriptor */
#define ECHILD 10   /* no child to wait for */
#define EAGAIN 11   /* try again (non-blocking, or a limit reached for now) */
#define ENOMEM 12   /* out of memory */
#define EACCES 13   /* permission denied (e.g. writing a read-only file) */
#define EFAULT 14   /* bad address */
#define EBUSY 16    /* resource in use */
#define EEXIST 17   /* already exists (e.g. already mapped) */
#define ENODEV 19   /* no such device (e.g. no I/O APIC) */
#define ENOTDIR 20  /* a path component is not a directory */
#define EISDIR 21   /* is a directory */
#define EINVAL 22   /* invalid argument */
#define EMFILE 24   /* too many open files in this process */
#define ENOTTY 25   /* not a terminal (ioctl on a file) */
#define ENOSPC 28   /* no room left in a fixed-size table */
#define ESPIPE 29   /* illegal seek (the console) */
#define EROFS 30    /* read-only file system (the initrd) */
#define EPIPE 32    /* broken pipe: nobody reads */
#define ERANGE 34   /* value out of range (e.g. number overflow) */
#define EDEADLK 35  /* waiting would deadlock (a cycle of mutex owners) */
#define ENAMETOOLONG 36 /* a name or path too long */
#define ENOSYS 38   /* not implemented */
#define EOVERFLOW 75 /* value too large for the type */
#define ENOTSUP 95  /* not supported by this machine */
#define ETIMEDOUT 110 /* the time limit passed first (IPC with a timeout) */

/*
 * Kernel-internal: never seen by a program. A blocking call that a signal
 * interrupts returns -ERESTARTSYS; on the way back to ring 3 the signal
 * code (kernel/proc/signal.c) turns it into a restart of the call (no
 * handler ran, or the handler has SA_RESTART) or into -EINTR, as Linux.
 */
#define ERESTARTSYS 512 /* interrupted: restart the call, or -EINTR */

/* The symbolic name of an error number ("EINVAL"), either sign; "E?" if unknown. */
const char *errno_name(int err);

#endif
