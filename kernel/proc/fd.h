/*
 * fd.h - open files and a process's file-descriptor table.
 *
 * A struct file is one open file: its operations (the console, a read-only
 * initrd file), a position and a reference count. Descriptors are small
 * integers indexing a table of PROCESS_FDS_MAX file pointers, as in Linux:
 * 0, 1 and 2 are the console when a process starts; open() takes the
 * lowest free slot. Every operation takes USER addresses (the buffer of a
 * read or write) and copies through mm/uaccess.h, so a system call hands
 * its arguments over unchanged; errors are Linux's (EBADF, EMFILE,
 * ESPIPE, ENOTTY, EFAULT).
 *
 * Invariants:
 *   [x] a file's refcount counts the table slots holding it plus the
 *       references fd_get handed out; it is released when that reaches 0;
 *   [x] a slot is NULL (free) or holds a file with refcount >= 1;
 *   [x] an initrd file never writes: its frames belong to the initrd.
 * Context: process context with interrupts on (operations may sleep: a
 * console read waits for a line; copies may fault). The table's spinlock
 * guards the slots only and is never held across an operation.
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
struct user_file;

/*
 * What a kind of file can do. A NULL operation gives Linux's error for it:
 * read/write -EBADF (not open for that), lseek -ESPIPE, ioctl -ENOTTY,
 * fstat is required. buf is a user address; results are byte counts or
 * -errno as the system call returns them.
 */
struct file_ops {
	const char *kind;                                        /* "console", "initrd" */
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
	int flags;                       /* open flags (O_RDONLY, ...) */
	spinlock_t lock;                 /* guards pos */
	uint64_t pos;                    /* the read position (initrd files) */
	const struct initrd_file *initrd; /* initrd files: the file; else NULL */
};

struct fd_table {
	spinlock_t lock;                 /* "fd table": the slots */
	struct file *files[PROCESS_FDS_MAX];
	unsigned open_count;             /* slots in use */
};

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
 * The file open on fd, with a new reference in *out (file_put it after
 * use). Returns 0, or -EBADF (fd out of range or not open; *out NULL).
 */
int fd_get(struct fd_table *t, int fd, struct file **out) __must_check;

/* Close fd. Returns 0, or -EBADF. */
int fd_close(struct fd_table *t, int fd) __must_check;

/* Take and drop references; the last file_put releases the file. */
void file_get(struct file *f);
void file_put(struct file *f);

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

/* Is f the console? (isatty-like checks, ps.) */
bool file_is_console(const struct file *f);

#endif
