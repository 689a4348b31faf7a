/*
 * pipe_ring.c - the byte ring of a pipe (see pipe_ring.h).
 *
 * Both directions walk the ring a page-contained chunk at a time: the
 * chunk at a count c is page (c / PIPE_RING_PAGE) % PIPE_RING_PAGES from
 * offset c % PIPE_RING_PAGE, at most to the page's end. A write advances
 * head after each chunk is copied, a read tail; so a fault in the middle
 * leaves the ring consistent with the chunks before it.
 *
 * Invariants:
 *   [x] head moves only forward, by chunks fully copied in; tail likewise;
 *   [x] a page is freed (or made the spare) only when tail has left it
 *       and head has no byte on it (a nearly full ring's head, 16 pages
 *       on, shares the tail's slot), so no unread byte is on a freed page.
 * Context: see pipe_ring.h (calls serialized by the caller).
 */
#include "kernel/fs/pipe_ring.h"

#include "lib/errno.h"

void pipe_ring_init(struct pipe_ring *r)
{
	r->head = r->tail = 0;
	for (unsigned i = 0; i < PIPE_RING_PAGES; i++)
		r->pages[i] = NULL;
	r->spare = NULL;
}

/* Page slot and offset of byte count c; the chunk from there to the page's end. */
static inline unsigned slot_of(uint32_t c)
{
	return (c / PIPE_RING_PAGE) % PIPE_RING_PAGES;
}

static inline size_t chunk(uint32_t c, size_t want, uint32_t avail)
{
	size_t n = PIPE_RING_PAGE - c % PIPE_RING_PAGE;

	if (n > want)
		n = want;
	return n < avail ? n : avail;
}

/* The page for slot s, allocated (or the spare taken) if it has none. */
static void *page_for_write(struct pipe_ring *r, unsigned s, const struct pipe_ring_ops *ops)
{
	if (!r->pages[s]) {
		r->pages[s] = r->spare ? r->spare : ops->page_alloc();
		r->spare = NULL;
	}
	return r->pages[s];
}

long pipe_ring_write(struct pipe_ring *r, uint64_t src, size_t len, const struct pipe_ring_ops *ops)
{
	uint32_t head = r->head;
	uint32_t space = PIPE_RING_SIZE - (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE));
	size_t done = 0;
	long err = 0;

	while (done < len && space > 0) {
		size_t n = chunk(head, len - done, space);
		char *page = page_for_write(r, slot_of(head), ops);
		if (!page) {
			err = -ENOMEM;
			break;
		}
		if (ops->copy_in(page + head % PIPE_RING_PAGE, src + done, n)) {
			err = -EFAULT;
			break;
		}
		head += (uint32_t)n;
		space -= (uint32_t)n;
		done += n;
		__atomic_store_n(&r->head, head, __ATOMIC_RELEASE); /* the bytes, then the count */
	}
	return done ? (long)done : err;
}

/* The tail has left slot s: keep its page as the spare, or free it. */
static void page_consumed(struct pipe_ring *r, unsigned s, const struct pipe_ring_ops *ops)
{
	void *page = r->pages[s];

	r->pages[s] = NULL;
	if (!r->spare)
		r->spare = page;
	else
		ops->page_free(page);
}

long pipe_ring_read(struct pipe_ring *r, uint64_t dst, size_t len, const struct pipe_ring_ops *ops)
{
	uint32_t tail = r->tail;
	uint32_t used = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) - tail;
	size_t done = 0;

	while (done < len && used > 0) {
		size_t n = chunk(tail, len - done, used);
		unsigned s = slot_of(tail);
		if (ops->copy_out(dst + done, (const char *)r->pages[s] + tail % PIPE_RING_PAGE, n))
			return done ? (long)done : -EFAULT;
		tail += (uint32_t)n;
		used -= (uint32_t)n;
		done += n;
		__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
		/*
		 * The page is left behind, unless the ring is so full that the
		 * head, 16 pages on, has bytes in the same slot (used > 15 pages).
		 */
		if (tail % PIPE_RING_PAGE == 0 && used <= PIPE_RING_SIZE - PIPE_RING_PAGE)
			page_consumed(r, s, ops);
	}
	return (long)done;
}

void pipe_ring_destroy(struct pipe_ring *r, const struct pipe_ring_ops *ops)
{
	for (unsigned i = 0; i < PIPE_RING_PAGES; i++) {
		if (r->pages[i])
			ops->page_free(r->pages[i]);
		r->pages[i] = NULL;
	}
	if (r->spare)
		ops->page_free(r->spare);
	r->spare = NULL;
	r->head = r->tail = 0;
}
