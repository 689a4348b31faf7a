/*
 * fd.c - open files (the console, read-only initrd files) and the
 * per-process descriptor table (see fd.h).
 *
 * A read or write moves bytes between the user buffer and the file
 * through a small kernel bounce buffer on the stack (copy_to_user /
 * copy_from_user: faults during the copy are the process's own, resolved
 * or -EFAULT), never holding a spinlock across the copy; each chunk goes to
 * the console under the console lock, so a process's line and a kernel
 * line printed on another CPU never mix mid-line. An initrd file's
 * bytes are read through the direct map (initrd_bytes); its position is
 * the only state and lives under the file's lock. The console's read is
 * the terminal's canonical read (drivers/tty.h) for the calling process,
 * interrupted by a kill (signal_sleep_begin: -EINTR, then the kill).
 *
 * Invariants:
 *   [x] a table slot holds one reference; fd_get hands out another;
 *   [x] a file's release runs once, after its last file_put;
 *   [x] an initrd file's pos <= INT64_MAX (lseek refuses larger).
 * Context: process context, interrupts on (see fd.h). Lock order: fd
 * table -> nothing (the slot change only); a file's lock -> nothing.
 */
#include "kernel/proc/fd.h"

#include "drivers/console.h"
#include "drivers/console_lock.h"
#include "drivers/tty.h"
#include "kernel/fs/initrd.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"

#define FD_BOUNCE 256                /* bytes copied per step of a read or write */
#define CONSOLE_RDEV ((5u << 8) | 1) /* st_rdev of /dev/console: major 5, minor 1 */
#define CONSOLE_INO 1

/* ---- The table. ---- */

void fd_table_init(struct fd_table *t)
{
	spin_lock_init(&t->lock, "fd table");
	memset(t->files, 0, sizeof(t->files));
	t->open_count = 0;
	t->cloexec = 0;
}

int fd_table_open_console(struct fd_table *t)
{
	for (int fd = 0; fd < 3; fd++) {
		struct file *f = file_open_console(O_RDWR) /* one terminal open read-write, as a login gives */;
		int got = f ? fd_install(t, f) : -ENOMEM;
		if (got < 0) {
			if (f)
				file_put(f);
			fd_table_release(t);
			return -ENOMEM;
		}
		ASSERT(got == fd, "fd_table_open_console: the table was not empty");
	}
	return 0;
}

/* The lowest free slot >= min_fd, or -1. t's lock held. */
static int lowest_free_locked(const struct fd_table *t, int min_fd)
{
	for (int fd = min_fd; fd < PROCESS_FDS_MAX; fd++)
		if (!t->files[fd])
			return fd;
	return -1;
}

/* Slot fd's close-on-exec bit from fd_flags. t's lock held. */
static void set_cloexec_locked(struct fd_table *t, int fd, int fd_flags)
{
	uint64_t bit = 1ull << fd;

	t->cloexec = (fd_flags & FD_CLOEXEC) ? t->cloexec | bit : t->cloexec & ~bit;
}

int fd_install_from(struct fd_table *t, struct file *f, int min_fd, int fd_flags)
{
	ASSERT(f && f->refcount > 0, "fd_install_from: not a live file");
	if (min_fd < 0 || min_fd >= PROCESS_FDS_MAX)
		return -EINVAL;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int fd = lowest_free_locked(t, min_fd);
	if (fd >= 0) {
		t->files[fd] = f;
		t->open_count++;
		set_cloexec_locked(t, fd, fd_flags);
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return fd >= 0 ? fd : -EMFILE;
}

int fd_install(struct fd_table *t, struct file *f)
{
	return fd_install_from(t, f, 0, 0);
}

int fd_get(struct fd_table *t, int fd, struct file **out)
{
	*out = NULL;
	if (fd < 0 || fd >= PROCESS_FDS_MAX)
		return -EBADF;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct file *f = t->files[fd];
	if (f)
		file_get(f);
	spin_unlock_irqrestore(&t->lock, flags);
	*out = f;
	return f ? 0 : -EBADF;
}

int fd_get_own(struct fd_table *t, int fd, struct file **out)
{
	struct file *f = NULL;

	if (likely(fd >= 0 && fd < PROCESS_FDS_MAX))
		f = __atomic_load_n(&t->files[fd], __ATOMIC_RELAXED); /* the caller's own store */
	*out = f;
	return f ? 0 : -EBADF;
}

/* Empty slot fd; returns the file it held (the caller puts it), or NULL. t's lock held. */
static struct file *take_slot_locked(struct fd_table *t, int fd)
{
	struct file *f = t->files[fd];

	if (f) {
		t->files[fd] = NULL;
		t->open_count--;
		t->cloexec &= ~(1ull << fd);
	}
	return f;
}

void fd_table_release(struct fd_table *t)
{
	struct file *files[PROCESS_FDS_MAX];
	unsigned n = 0;
	/* One hold of the lock empties every slot (not one per slot, free ones too). */
	unsigned long flags = spin_lock_irqsave(&t->lock);

	for (int fd = 0; fd < PROCESS_FDS_MAX && t->open_count; fd++) {
		struct file *f = take_slot_locked(t, fd);
		if (f)
			files[n++] = f;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	for (unsigned i = 0; i < n; i++)
		file_put(files[i]); /* outside the table's lock: release may sleep */
}

int fd_close(struct fd_table *t, int fd)
{
	if (fd < 0 || fd >= PROCESS_FDS_MAX)
		return -EBADF;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct file *f = take_slot_locked(t, fd);
	spin_unlock_irqrestore(&t->lock, flags);
	if (!f)
		return -EBADF;
	file_put(f); /* outside the table's lock: release may sleep */
	return 0;
}

int fd_dup_to(struct fd_table *t, int oldfd, int newfd, int fd_flags)
{
	if (oldfd < 0 || oldfd >= PROCESS_FDS_MAX || newfd < 0 || newfd >= PROCESS_FDS_MAX)
		return -EBADF;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct file *f = t->files[oldfd], *old = NULL;
	if (f && oldfd != newfd) {
		file_get(f);
		old = take_slot_locked(t, newfd);
		t->files[newfd] = f;
		t->open_count++;
		set_cloexec_locked(t, newfd, fd_flags);
	}
	spin_unlock_irqrestore(&t->lock, flags);
	if (old)
		file_put(old); /* Linux closes newfd silently: its errors are lost */
	return f ? newfd : -EBADF;
}

int fd_get_flags(struct fd_table *t, int fd)
{
	if (fd < 0 || fd >= PROCESS_FDS_MAX)
		return -EBADF;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int ret = !t->files[fd] ? -EBADF : (t->cloexec >> fd) & 1 ? FD_CLOEXEC : 0;
	spin_unlock_irqrestore(&t->lock, flags);
	return ret;
}

int fd_set_flags(struct fd_table *t, int fd, int fd_flags)
{
	if (fd < 0 || fd >= PROCESS_FDS_MAX)
		return -EBADF;
	unsigned long flags = spin_lock_irqsave(&t->lock);
	bool open = t->files[fd] != NULL;
	if (open)
		set_cloexec_locked(t, fd, fd_flags);
	spin_unlock_irqrestore(&t->lock, flags);
	return open ? 0 : -EBADF;
}

int fd_table_clone(struct fd_table *dst, struct fd_table *src)
{
	ASSERT(dst->open_count == 0 && dst != src, "fd_table_clone: dst is not a new, empty table");
	/* dst is the new process's, seen by no other thread yet: only src's lock is needed. */
	unsigned long flags = spin_lock_irqsave(&src->lock);
	for (int fd = 0; fd < PROCESS_FDS_MAX; fd++) {
		struct file *f = src->files[fd];
		if (f)
			file_get(f);
		dst->files[fd] = f;
	}
	dst->open_count = src->open_count;
	dst->cloexec = src->cloexec;
	spin_unlock_irqrestore(&src->lock, flags);
	return 0; /* nothing to allocate: the table is part of struct process */
}

void fd_table_close_on_exec(struct fd_table *t)
{
	struct file *closing[PROCESS_FDS_MAX];
	int n = 0;

	unsigned long flags = spin_lock_irqsave(&t->lock);
	uint64_t marked = t->cloexec;
	while (marked) {
		int fd = __builtin_ctzll(marked);
		marked &= marked - 1;
		closing[n] = take_slot_locked(t, fd);
		n += closing[n] != NULL;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	while (n > 0)
		file_put(closing[--n]); /* outside the lock: a pipe end's release wakes the other end */
}

/* ---- References. ---- */

void file_get(struct file *f)
{
	int old = __atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
	ASSERT(old > 0, "file_get: the file was already released");
}

void file_put(struct file *f)
{
	int old = __atomic_fetch_sub(&f->refcount, 1, __ATOMIC_ACQ_REL);
	ASSERT(old > 0, "file_put: more puts than references");
	if (old == 1) {
		if (f->ops->release)
			f->ops->release(f);
		kfree(f);
	}
}

struct file *file_alloc(const struct file_ops *ops, int flags)
{
	struct file *f = kmalloc(sizeof(*f), KM_ZERO);
	if (!f)
		return NULL;
	f->ops = ops;
	f->refcount = 1;
	f->flags = flags;
	spin_lock_init(&f->lock, "file");
	return f;
}

/* ---- The console. ---- */

static long console_read(struct file *f, virt_addr_t buf, size_t len)
{
	(void)f;
	char line[TTY_LINE_MAX];
	struct process *p = process_current();

	if (len == 0)
		return 0;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	if (len > sizeof(line))
		len = sizeof(line); /* one line at most, as a canonical read */
	signal_sleep_begin(tty_read_queue());
	long n = tty_read(p, line, len, signal_pending);
	signal_sleep_end();
	if (n > 0 && copy_to_user(buf, line, (size_t)n))
		return -EFAULT;
	return n;
}

static long console_write_user(struct file *f, virt_addr_t buf, size_t len)
{
	(void)f;
	char chunk[FD_BOUNCE];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		if (copy_from_user(chunk, buf + done, n))
			return done ? (long)done : -EFAULT;
		console_lock(); /* whole against kprintf on other CPUs, as a line of the kernel's */
		console_write(chunk, n);
		console_unlock();
		done += n;
	}
	return (long)done;
}

static int console_fstat(struct file *f, struct linux_stat *st)
{
	(void)f;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0620;
	st->st_rdev = CONSOLE_RDEV;
	st->st_ino = CONSOLE_INO;
	st->st_nlink = 1;
	st->st_blksize = 1024;
	return 0;
}

static long console_ioctl(struct file *f, unsigned long cmd, virt_addr_t arg)
{
	(void)f;
	if (cmd != TIOCGWINSZ)
		return -ENOTTY; /* what n_tty says for a request it does not know */
	struct linux_winsize ws;
	tty_winsize(&ws);
	return copy_to_user(arg, &ws, sizeof(ws)) ? -EFAULT : 0;
}

static const struct file_ops console_ops = {
	.kind = "console",
	.read = console_read,
	.write = console_write_user,
	.fstat = console_fstat,
	.ioctl = console_ioctl,
};

struct file *file_open_console(int flags)
{
	return file_alloc(&console_ops, flags);
}

#define FILE_SETFL_MASK (O_APPEND | O_NONBLOCK) /* what F_SETFL changes here */

int file_set_status_flags(struct file *f, int flags)
{
	int old = __atomic_load_n(&f->flags, __ATOMIC_RELAXED), new;

	do
		new = (old & ~FILE_SETFL_MASK) | (flags & FILE_SETFL_MASK);
	while (!__atomic_compare_exchange_n(&f->flags, &old, new, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED));
	return 0;
}

int file_status_flags(const struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
}

bool file_is_console(const struct file *f)
{
	return f && f->ops == &console_ops;
}

/* ---- Read-only initrd files. ---- */

static long initrd_read(struct file *f, virt_addr_t buf, size_t len)
{
	const char *data = initrd_bytes(f->initrd);
	uint64_t size = f->initrd->size;
	size_t done = 0;

	if (len == 0)
		return 0;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	unsigned long flags = spin_lock_irqsave(&f->lock);
	uint64_t pos = f->pos;
	spin_unlock_irqrestore(&f->lock, flags);
	if (pos >= size)
		return 0;
	if (len > size - pos)
		len = (size_t)(size - pos);
	/* Straight from the direct map: the initrd is immutable, no lock needed. */
	while (done < len) {
		size_t n = len - done < FD_BOUNCE * 16 ? len - done : FD_BOUNCE * 16;
		if (copy_to_user(buf + done, data + pos + done, n))
			break;
		done += n;
	}
	if (done == 0)
		return -EFAULT;
	flags = spin_lock_irqsave(&f->lock);
	f->pos = pos + done;
	spin_unlock_irqrestore(&f->lock, flags);
	return (long)done;
}

static int64_t initrd_lseek(struct file *f, int64_t offset, int whence)
{
	unsigned long flags = spin_lock_irqsave(&f->lock);
	int64_t base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
		base = (int64_t)f->initrd->size;
		break;
	default:
		spin_unlock_irqrestore(&f->lock, flags);
		return -EINVAL;
	}
	int64_t target;
	int err = 0;
	if (__builtin_add_overflow(base, offset, &target))
		err = -EOVERFLOW;
	else if (target < 0)
		err = -EINVAL;
	else
		f->pos = (uint64_t)target; /* past the end is allowed: reads return 0 */
	spin_unlock_irqrestore(&f->lock, flags);
	return err ? err : target;
}

static int initrd_fstat(struct file *f, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 1;
	st->st_ino = f->initrd->ino;
	st->st_mode = S_IFREG | (f->initrd->mode & 07777);
	st->st_nlink = 1;
	st->st_size = (int64_t)f->initrd->size;
	st->st_blksize = 4096;
	st->st_blocks = (int64_t)((f->initrd->size + 511) / 512);
	return 0;
}

static const struct file_ops initrd_ops = {
	.kind = "initrd",
	.read = initrd_read,
	.lseek = initrd_lseek,
	.fstat = initrd_fstat,
};

struct file *file_open_initrd(const struct initrd_file *file)
{
	struct file *f = file_alloc(&initrd_ops, O_RDONLY);
	if (f)
		f->initrd = file;
	return f;
}

int file_mmap_source(struct file *f, struct user_file *out)
{
	if (f->ops != &initrd_ops)
		return -ENODEV;
	out->phys = f->initrd->data;
	out->size = f->initrd->size;
	out->name = f->initrd->name;
	return 0;
}

/* ---- The operations with Linux's errors. ---- */

long file_read(struct file *f, virt_addr_t buf, size_t len)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY || !f->ops->read)
		return -EBADF;
	return f->ops->read(f, buf, len);
}

long file_write(struct file *f, virt_addr_t buf, size_t len)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY || !f->ops->write)
		return -EBADF;
	return f->ops->write(f, buf, len);
}

int64_t file_lseek(struct file *f, int64_t offset, int whence)
{
	return f->ops->lseek ? f->ops->lseek(f, offset, whence) : -ESPIPE;
}

int file_fstat(struct file *f, struct linux_stat *st)
{
	return f->ops->fstat(f, st);
}

long file_ioctl(struct file *f, unsigned long cmd, virt_addr_t arg)
{
	return f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
}
