/*
 * fd.h - open files and a process's file-descriptor table.
 *
 * A struct file is one open file: its operations (the console, a read-only
 * initrd file, an end of a pipe), a position and a reference count.
 * Descriptors are small integers indexing a table of PROCESS_FDS_MAX file
 * pointers, as in Linux: 0, 1 and 2 are the console when a process starts;
 * open() takes the lowest free slot. Each slot also has its own
 * close-on-exec flag (FD_CLOEXEC: per descriptor, not per file, so a dup
 * starts without it). Every operation takes USER addresses and copies
 * through mm/uaccess.h; errors are Linux's (EBADF, EMFILE, ESPIPE, ENOTTY).
 *
 * Invariants:
 *   [x] a file's refcount counts the table slots holding it plus the
 *       references fd_get handed out; it is released when that reaches 0;
 *   [x] a table is changed only by its process's one thread (or before
 *       that thread first runs), which is what lets fd_get_own go unlocked;
 *   [x] a slot is NULL (free) or holds a file with refcount >= 1; a free
 *       slot's close-on-exec bit is clear;
 *   [x] an initrd file never writes: its frames belong to the initrd.
 * Context: process context with interrupts on (operations may sleep). The
 * table's spinlock guards the slots only and is never held across an
 * operation or a release (lock order: fd table -> nothing).
 */
#ifndef KERNEL_PROC_FD_H
#define KERNEL_PROC_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "lib/uapi.h"
#include "mm/layout.h"
#include "mm/spinlock.h"

#define PROCESS_FDS_MAX 64          /* descriptors per process (Linux's RLIMIT_NOFILE is 1024) */

struct file;
struct initrd_file;
struct pipe;
struct user_file;

/*
 * What a kind of file can do. A NULL operation gives Linux's error for it:
 * read/write -EBADF (not open for that), lseek -ESPIPE, ioctl -ENOTTY,
 * fstat is required. buf is a user address; results are byte counts or
 * -errno as the system call returns them.
 */
struct file_ops {
	const char *kind;                                        /* "console", "initrd", "pipe" */
	long (*read)(struct file *f, virt_addr_t buf, size_t len);
	long (*write)(struct file *f, virt_addr_t buf, size_t len);
	int64_t (*lseek)(struct file *f, int64_t offset, int whence);
	int (*fstat)(struct file *f, struct linux_stat *st);     /* st: a kernel buffer */
	long (*ioctl)(struct file *f, unsigned long cmd, virt_addr_t arg);
	void (*release)(struct file *f);                         /* last reference gone */
};

struct file {
	const struct file_ops *ops;
	int refcount;                    /* atomic */
	int flags;                       /* open flags (O_RDONLY, ...); O_NONBLOCK changes (F_SETFL) */
	spinlock_t lock;                 /* guards pos */
	uint64_t pos;                    /* the read position (initrd files) */
	const struct initrd_file *initrd; /* initrd files: the file; else NULL */
	struct pipe *pipe;               /* the ends of a pipe: the pipe; else NULL */
};

struct fd_table {
	spinlock_t lock;                 /* "fd table": the slots */
	struct file *files[PROCESS_FDS_MAX];
	unsigned open_count;             /* slots in use */
	uint64_t cloexec;                /* bit fd set: FD_CLOEXEC on slot fd */
};
STATIC_ASSERT(PROCESS_FDS_MAX <= 64, "fd.h: one close-on-exec bit per slot in a uint64_t");

/* An empty table. */
void fd_table_init(struct fd_table *t);

/*
 * Install the console on 0, 1 and 2 of an empty table. Returns 0, or
 * -ENOMEM (the table is left empty).
 */
int fd_table_open_console(struct fd_table *t) __must_check;

/*
 * fork's copy of a table: dst (empty) gets every open descriptor of src,
 * the same files (each gaining a reference), at the same numbers, with the
 * same close-on-exec flags. Returns 0, or -ENOMEM (dst left empty).
 */
int fd_table_clone(struct fd_table *dst, struct fd_table *src) __must_check;

/* execve: close every descriptor marked close-on-exec (FD_CLOEXEC). */
void fd_table_close_on_exec(struct fd_table *t);

/* Close every descriptor (a process exits). The table is empty after. */
void fd_table_release(struct fd_table *t);

/*
 * Put f in the lowest free slot; the table takes over the caller's
 * reference. Returns the descriptor, or -EMFILE (the caller keeps its
 * reference and must file_put it).
 */
int fd_install(struct fd_table *t, struct file *f) __must_check;

/*
 * fd_install into the lowest free slot >= min_fd (F_DUPFD), with fd_flags
 * (0 or FD_CLOEXEC) on it. Returns the descriptor; -EINVAL if min_fd is
 * negative or >= PROCESS_FDS_MAX (F_DUPFD past RLIMIT_NOFILE); -EMFILE if
 * no slot from min_fd on is free (the caller keeps its reference).
 */
int fd_install_from(struct fd_table *t, struct file *f, int min_fd, int fd_flags) __must_check;

/*
 * dup2/dup3: make newfd refer to oldfd's file, closing what newfd held
 * (its last reference released after the table's lock is dropped), with
 * fd_flags (0 or FD_CLOEXEC) on newfd. oldfd == newfd changes nothing
 * (the callers decide what that means). Returns newfd, or -EBADF (oldfd
 * not open, or either out of range).
 */
int fd_dup_to(struct fd_table *t, int oldfd, int newfd, int fd_flags) __must_check;

/* F_GETFD: FD_CLOEXEC or 0 for an open fd, or -EBADF. */
int fd_get_flags(struct fd_table *t, int fd) __must_check;

/* F_SETFD: set fd's flags (only FD_CLOEXEC is kept). Returns 0, or -EBADF. */
int fd_set_flags(struct fd_table *t, int fd, int fd_flags) __must_check;

/*
 * The file open on fd, with a new reference in *out (file_put it after
 * use). Returns 0, or -EBADF (fd out of range or not open; *out NULL).
 */
int fd_get(struct fd_table *t, int fd, struct file **out) __must_check;

/*
 * The system calls' fast path: the file open on fd in the CALLING process's
 * own table t, in *out, WITHOUT a new reference (nothing to put). Valid
 * because a process has one thread and only that thread changes its table
 * (open, close, dup, exec, exit): the slot's reference keeps the file until
 * the caller itself changes the slot, which it does not do in the middle of
 * a read or write. Returns 0, or -EBADF (*out NULL).
 */
int fd_get_own(struct fd_table *t, int fd, struct file **out) __must_check;

/* Close fd. Returns 0, or -EBADF. */
int fd_close(struct fd_table *t, int fd) __must_check;

/* Take and drop references; the last file_put releases the file. */
void file_get(struct file *f);
void file_put(struct file *f);

/*
 * A new file of a kind defined elsewhere (kernel/fs/pipe.c's ends): ops,
 * open flags, one reference, position 0, no initrd file or pipe. NULL: no
 * memory.
 */
struct file *file_alloc(const struct file_ops *ops, int flags) __must_check;

/* A new console file (read: drivers/tty.h canonical mode). NULL: no memory. */
struct file *file_open_console(int flags) __must_check;

/* A new read-only file on an initrd file, position 0. NULL: no memory. */
struct file *file_open_initrd(const struct initrd_file *f) __must_check;

/*
 * The operations with Linux's errors for what a file cannot do (see
 * struct file_ops): what sys_read, sys_write, sys_lseek, sys_fstat and
 * sys_ioctl call on the file fd_get gave them. file_read checks that the
 * file was opened for reading (else -EBADF), file_write for writing.
 */
long file_read(struct file *f, virt_addr_t buf, size_t len);
long file_write(struct file *f, virt_addr_t buf, size_t len);
int64_t file_lseek(struct file *f, int64_t offset, int whence);
int file_fstat(struct file *f, struct linux_stat *st);
long file_ioctl(struct file *f, unsigned long cmd, virt_addr_t arg);

/*
 * What mmap maps for a file: fills *out (physical address, size, name of
 * the initrd file). Returns 0, or -ENODEV (the file cannot be mapped: the
 * console, as Linux says for a terminal).
 */
int file_mmap_source(struct file *f, struct user_file *out) __must_check;

/*
 * F_SETFL: the flags a running file may change (O_NONBLOCK, O_APPEND) take
 * their values from flags; the rest (access mode, creation flags) are
 * ignored, as Linux does. Returns 0.
 */
int file_set_status_flags(struct file *f, int flags);

/* F_GETFL: the access mode and status flags. */
int file_status_flags(const struct file *f);

/* Is f the console? (isatty-like checks, ps.) */
bool file_is_console(const struct file *f);

#endif
