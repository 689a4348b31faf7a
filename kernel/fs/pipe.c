/*
 * pipe.c - pipes (see pipe.h): the two end files over a byte ring, the
 * waits of readers and writers, EOF, EPIPE and SIGPIPE.
 *
 * A small sleeping lock per pipe (pipe_lock: one compare-and-swap when
 * free) serializes readers and writers and is held across the copies, which
 * may fault and sleep, so a write of at most PIPE_BUF bytes goes in whole.
 * It is never held while waiting: a reader that finds the ring empty drops
 * it and sleeps on rd_wait until bytes or the last writer's close arrive
 * (or a signal), a writer short of space likewise on wr_wait. Wake-ups are
 * made only where a sleeper can be: a write wakes readers when the ring WAS
 * empty, a read wakes writers when less than PIPE_BUF was free; a round
 * trip wakes its one reader at once, a stream into a busy pipe wakes nobody.
 *
 * Invariants:
 *   [x] readers/writers count the open end files and change under the
 *       lock; the pipe is freed when both end files have been released
 *       (files reaches 0 after each release is done with it), and every
 *       other toucher holds a reference to an end file;
 *   [x] a sleeper's condition (bytes or no writer; space or no reader; a
 *       signal) is set before the queue is woken (wait.h's rule).
 * Context: process context, interrupts on. Lock order: the pipe's lock ->
 * a wait queue's lock; the pipe's lock -> the user space's (a copy's fault).
 */
#include "kernel/fs/pipe.h"

#include "kernel/fs/pipe_ring.h"
#include "kernel/proc/fd.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/wait.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/uaccess.h"

#define PIPE_DEV 0xc /* st_dev of every pipe: Linux's pipefs is an anonymous device too */

struct pipe {
	int busy;                     /* the pipe's lock: one reader or writer at a time */
	int lock_sleepers;            /* threads in pipe_lock's slow path (atomic) */
	struct wait_queue lock_wait;  /* ... sleeping there until busy is 0 */
	struct pipe_ring ring;        /* the bytes; head/tail read by waiters without the lock */
	int readers;                  /* open read ends (atomic stores under the lock) */
	int writers;                  /* open write ends */
	int files;                    /* end files not yet fully released (atomic): frees at 0 */
	struct wait_queue rd_wait;    /* readers waiting for bytes or the end of file */
	struct wait_queue wr_wait;    /* writers waiting for space or the last reader's close */
	uint64_t ino;                 /* fstat's st_ino */
};

static uint64_t pipe_next_ino = 1;

/*
 * The pipe's lock, a sleeping one held across the copies: one
 * compare-and-swap to take it, a store to release it. A taker that finds it
 * held counts itself in lock_sleepers (a locked add: a full barrier) before
 * it looks at busy again, and the releaser looks at lock_sleepers after a
 * fence that follows its store; so either the releaser sees the sleeper and
 * wakes lock_wait, or the sleeper sees busy 0 (Dekker's pairing). The
 * uncontended pair costs a few instructions, not a mutex's owner lists.
 */
static void pipe_lock(struct pipe *p)
{
	int free = 0;

	if (likely(__atomic_compare_exchange_n(&p->busy, &free, 1, false, __ATOMIC_ACQUIRE,
					       __ATOMIC_RELAXED)))
		return;
	__atomic_fetch_add(&p->lock_sleepers, 1, __ATOMIC_SEQ_CST);
	do {
		wait_event(&p->lock_wait, __atomic_load_n(&p->busy, __ATOMIC_ACQUIRE) == 0);
		free = 0;
	} while (!__atomic_compare_exchange_n(&p->busy, &free, 1, false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	__atomic_fetch_sub(&p->lock_sleepers, 1, __ATOMIC_RELAXED);
}

static void pipe_unlock(struct pipe *p)
{
	__atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(&p->lock_sleepers, __ATOMIC_RELAXED) != 0))
		wait_queue_wake_one(&p->lock_wait);
}

static void *pipe_page_alloc(void)
{
	struct page *page = alloc_page(0);

	return page ? page_address(page) : NULL;
}

static void pipe_page_free(void *page)
{
	MUST_SUCCEED(free_page(virt_to_page(page)), "pipe_page_free: a page of the ring");
}

static const struct pipe_ring_ops pipe_ring_user = {
	.copy_in = copy_from_user,
	.copy_out = copy_to_user,
	.page_alloc = pipe_page_alloc,
	.page_free = pipe_page_free,
};

static bool nonblocking(const struct file *f)
{
	return (file_status_flags(f) & O_NONBLOCK) != 0;
}

static bool readable(struct pipe *p)
{
	return pipe_ring_used(&p->ring) > 0 || __atomic_load_n(&p->writers, __ATOMIC_ACQUIRE) == 0;
}

static bool writable(struct pipe *p, uint32_t need)
{
	return pipe_ring_space(&p->ring) >= need ||
	       __atomic_load_n(&p->readers, __ATOMIC_ACQUIRE) == 0;
}

static long pipe_read(struct file *f, virt_addr_t buf, size_t len)
{
	struct pipe *p = f->pipe;

	if (len == 0)
		return 0;
	for (;;) {
		/* Empty with a writer: wait first, without the lock (a round trip's usual case). */
		if (!readable(p)) {
			if (nonblocking(f))
				return -EAGAIN;
			int err = wait_event_interruptible(&p->rd_wait, readable(p));
			if (err)
				return err;
		}
		pipe_lock(p);
		uint32_t space_before = pipe_ring_space(&p->ring);
		long n = pipe_ring_read(&p->ring, buf, len, &pipe_ring_user);
		bool eof = p->writers == 0;
		pipe_unlock(p);
		if (n > 0 && space_before < PIPE_BUF)
			wait_queue_wake_all(&p->wr_wait); /* a writer may wait for this space */
		if (n != 0 || eof)
			return n; /* bytes, -EFAULT, or 0: no writer left */
		/* Another reader took the bytes first: wait again. */
	}
}

static long pipe_write(struct file *f, virt_addr_t buf, size_t len)
{
	struct pipe *p = f->pipe;
	/* Up to PIPE_BUF bytes go in whole: wait for room for all; more, for any. */
	uint32_t need = len <= PIPE_BUF ? (uint32_t)len : 1;
	size_t done = 0;

	if (len == 0)
		return 0;
	for (;;) {
		pipe_lock(p);
		if (p->readers == 0) {
			pipe_unlock(p);
			signal_send(process_current(), SIGPIPE);
			return done ? (long)done : -EPIPE;
		}
		uint32_t used_before = pipe_ring_used(&p->ring);
		long n = 0;
		if (PIPE_RING_SIZE - used_before >= need)
			n = pipe_ring_write(&p->ring, buf + done, len - done, &pipe_ring_user);
		pipe_unlock(p);
		if (n > 0 && used_before == 0)
			wait_queue_wake_all(&p->rd_wait); /* readers sleep only on an empty ring */
		if (n < 0)
			return done ? (long)done : n; /* -EFAULT, -ENOMEM */
		done += (size_t)n;
		if (done == len)
			return (long)done;
		if (nonblocking(f))
			return done ? (long)done : -EAGAIN;
		int err = wait_event_interruptible(&p->wr_wait, writable(p, need));
		if (err)
			return done ? (long)done : err;
	}
}

static int pipe_fstat(struct file *f, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = PIPE_DEV;
	st->st_ino = f->pipe->ino;
	st->st_mode = S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_blksize = PIPE_RING_PAGE;
	return 0;
}

static long pipe_ioctl(struct file *f, unsigned long cmd, virt_addr_t arg)
{
	if (cmd != FIONREAD)
		return -ENOTTY;
	int n = (int)pipe_ring_used(&f->pipe->ring);
	return copy_to_user(arg, &n, sizeof(n)) ? -EFAULT : 0;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->pipe;
	bool reader = (f->flags & O_ACCMODE) == O_RDONLY;

	pipe_lock(p);
	int *ends = reader ? &p->readers : &p->writers;
	__atomic_store_n(ends, *ends - 1, __ATOMIC_RELEASE);
	/* The other side's sleepers see end of file or EPIPE. */
	wait_queue_wake_all(reader ? &p->wr_wait : &p->rd_wait);
	pipe_unlock(p);
	/* Freed by whichever of the two releases finishes touching it last. */
	if (__atomic_sub_fetch(&p->files, 1, __ATOMIC_ACQ_REL) == 0) {
		ASSERT(p->readers == 0 && p->writers == 0 && wait_queue_count(&p->rd_wait) == 0 &&
			       wait_queue_count(&p->wr_wait) == 0,
		       "pipe_release: a waiter or an end left on a pipe being freed");
		pipe_ring_destroy(&p->ring, &pipe_ring_user);
		kfree(p);
	}
}

static const struct file_ops pipe_read_ops = {
	.kind = "pipe",
	.read = pipe_read,
	.fstat = pipe_fstat,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
};

static const struct file_ops pipe_write_ops = {
	.kind = "pipe",
	.write = pipe_write,
	.fstat = pipe_fstat,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
};

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe *p = kmalloc(sizeof(*p), KM_ZERO);
	int status = flags & O_NONBLOCK;

	*rd = p ? file_alloc(&pipe_read_ops, O_RDONLY | status) : NULL;
	*wr = *rd ? file_alloc(&pipe_write_ops, O_WRONLY | status) : NULL;
	if (!*wr) {
		if (*rd)
			kfree(*rd); /* never installed, no release to run */
		kfree(p);
		*rd = NULL;
		return -ENOMEM;
	}
	wait_queue_init(&p->lock_wait, "pipe lock");
	pipe_ring_init(&p->ring);
	wait_queue_init(&p->rd_wait, "pipe readers");
	wait_queue_init(&p->wr_wait, "pipe writers");
	p->readers = p->writers = 1;
	p->files = 2;
	p->ino = __atomic_fetch_add(&pipe_next_ino, 1, __ATOMIC_RELAXED);
	(*rd)->pipe = (*wr)->pipe = p;
	return 0;
}

bool file_is_pipe(const struct file *f)
{
	return f && f->pipe != NULL;
}
