/*
 * pipe_ring.h - a pipe's bytes: a ring of PIPE_RING_SIZE (64 KiB, Linux's
 * default pipe capacity) over PIPE_RING_PAGES pages, each allocated when a
 * write first needs it and given back when a read has consumed it.
 *
 * head and tail count the bytes ever written and read (mod 2^32, a multiple
 * of the ring, so a count names its page and offset); used = head - tail.
 * The ring is pure arithmetic and copies: the caller (kernel/fs/pipe.c)
 * serializes calls, decides about blocking, and passes how bytes move and
 * pages come and go (struct pipe_ring_ops), so the host tests run the same
 * code with memcpy and malloc. Bytes move straight between the caller's
 * buffer and the ring's pages: no bounce buffer.
 *
 * Invariants:
 *   [x] 0 <= head - tail <= PIPE_RING_SIZE;
 *   [x] every page holding unread bytes is allocated; a page the tail has
 *       left is freed (one is kept spare, so a steady stream allocates none).
 * Context: any; calls serialized by the caller. head and tail are stored
 * atomically, so a waiter may read them without the caller's lock.
 */
#ifndef KERNEL_FS_PIPE_RING_H
#define KERNEL_FS_PIPE_RING_H

#include <stddef.h>
#include <stdint.h>

#define PIPE_RING_PAGE 4096u
#define PIPE_RING_PAGES 16u
#define PIPE_RING_SIZE (PIPE_RING_PAGES * PIPE_RING_PAGE) /* 65536 */

/* How bytes move to and from the caller's side, and where pages come from. */
struct pipe_ring_ops {
	int (*copy_in)(void *dst, uint64_t src, size_t n);        /* 0, or -EFAULT */
	int (*copy_out)(uint64_t dst, const void *src, size_t n); /* 0, or -EFAULT */
	void *(*page_alloc)(void);                                /* a page, or NULL */
	void (*page_free)(void *page);
};

struct pipe_ring {
	uint32_t head;                   /* bytes written, ever (atomic store) */
	uint32_t tail;                   /* bytes read, ever (atomic store) */
	void *pages[PIPE_RING_PAGES];    /* NULL until a write needs it */
	void *spare;                     /* a consumed page kept for the next one */
};

/* An empty ring without pages. */
void pipe_ring_init(struct pipe_ring *r);

/* Bytes waiting to be read. May be called without the caller's lock. */
static inline uint32_t pipe_ring_used(const struct pipe_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

/* Bytes a write could add now. */
static inline uint32_t pipe_ring_space(const struct pipe_ring *r)
{
	return PIPE_RING_SIZE - pipe_ring_used(r);
}

/*
 * Append up to len bytes from src (ops->copy_in's address), at most the
 * space there is. Returns the bytes appended (fewer than asked when the
 * ring fills, or when a copy faults or a page cannot be had after some
 * bytes went in), or -EFAULT / -ENOMEM when none did (len 0 or a full
 * ring: 0). A faulting copy leaves no byte of its chunk in the ring.
 */
long pipe_ring_write(struct pipe_ring *r, uint64_t src, size_t len,
		     const struct pipe_ring_ops *ops);

/*
 * Move up to len of the oldest bytes to dst (ops->copy_out's address).
 * Returns the bytes moved (0: empty ring or len 0), or -EFAULT when the
 * first chunk faulted; a faulting chunk stays in the ring.
 */
long pipe_ring_read(struct pipe_ring *r, uint64_t dst, size_t len,
		    const struct pipe_ring_ops *ops);

/* Free every page (the pipe is gone); the ring is empty and pageless after. */
void pipe_ring_destroy(struct pipe_ring *r, const struct pipe_ring_ops *ops);

#endif
