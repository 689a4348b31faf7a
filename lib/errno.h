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
#define EIO 5       /* the hardware did not do what was asked */
#define ENOMEM 12   /* out of memory */
#define ENODEV 19   /* no such device (e.g. no I/O APIC) */
#define EFAULT 14   /* bad address */
#define EBUSY 16    /* resource in use */
#define EEXIST 17   /* already exists (e.g. already mapped) */
#define EINVAL 22   /* invalid argument */
#define ENOSPC 28   /* no room left in a fixed-size table */
#define ERANGE 34   /* value out of range (e.g. number overflow) */
#define EDEADLK 35  /* waiting would deadlock (a cycle of mutex owners) */
#define ENOSYS 38   /* not implemented */
#define ENOTSUP 95  /* not supported by this machine */

/* The symbolic name of an error number ("EINVAL"), either sign; "E?" if unknown. */
const char *errno_name(int err);

#endif
