/*
 * test_pipe_ring.c - suite "pipe_ring": a pipe's byte ring (kernel/fs/pipe_ring.c)
 * with malloc'ed pages and a fake user memory (a byte array whose addresses are
 * indexes; a copy touching an index at or past `fault_at` faults).
 *
 * Covered: exact capacity (65536 bytes, then 0 from a full ring); bytes in order
 * across page boundaries and the wrap, for 60,000 seeded random write/read sizes
 * checked against a model queue (also kept nearly full); the counts wrapping past 2^32; a nearly full
 * ring whose head and tail share a page's frame (the page stays while the
 * head's bytes are on it); a fault in the
 * first chunk (-EFAULT, nothing added or consumed) and in a later one (the bytes
 * before it); no page (-ENOMEM, or the bytes before); pages: a steady 1-byte
 * stream allocates one page in all (a consumed page turns spare and is taken
 * for the next), a drained ring holds one, destroy frees every page (counted;
 * ASan sees the rest).
 * Hosted code: may use libc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/fs/pipe_ring.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/random.h"

#define USER_BYTES (3 * PIPE_RING_SIZE)

static unsigned char user_mem[USER_BYTES]; /* "user" address a is user_mem[a] */
static uint64_t fault_at = USER_BYTES;     /* a copy touching [fault_at, ...) faults */
static int pages_out, allocs, alloc_fail_after = -1;

static int fake_copy_in(void *dst, uint64_t src, size_t n)
{
	if (src + n > fault_at)
		return -EFAULT;
	memcpy(dst, user_mem + src, n);
	return 0;
}

static int fake_copy_out(uint64_t dst, const void *src, size_t n)
{
	if (dst + n > fault_at)
		return -EFAULT;
	memcpy(user_mem + dst, src, n);
	return 0;
}

static void *fake_page_alloc(void)
{
	if (alloc_fail_after == 0)
		return NULL;
	if (alloc_fail_after > 0)
		alloc_fail_after--;
	pages_out++;
	allocs++;
	return malloc(PIPE_RING_PAGE);
}

static void fake_page_free(void *page)
{
	pages_out--;
	free(page);
}

static const struct pipe_ring_ops ops = {
	.copy_in = fake_copy_in,
	.copy_out = fake_copy_out,
	.page_alloc = fake_page_alloc,
	.page_free = fake_page_free,
};

static void reset(struct pipe_ring *r)
{
	pipe_ring_init(r);
	fault_at = USER_BYTES;
	pages_out = allocs = 0;
	alloc_fail_after = -1;
}

static int pages_held(const struct pipe_ring *r)
{
	int n = r->spare != NULL;

	for (unsigned i = 0; i < PIPE_RING_PAGES; i++)
		n += r->pages[i] != NULL;
	return n;
}

static const char *test_capacity(void)
{
	struct pipe_ring r;

	reset(&r);
	for (long i = 0; i < USER_BYTES; i++)
		user_mem[i] = (unsigned char)(i * 13);
	CHECK(pipe_ring_used(&r) == 0 && pipe_ring_space(&r) == PIPE_RING_SIZE);
	CHECK(pipe_ring_write(&r, 0, 70000, &ops) == PIPE_RING_SIZE);
	CHECK(pipe_ring_space(&r) == 0 && pipe_ring_write(&r, 0, 1, &ops) == 0);
	CHECKF(pages_out == (int)PIPE_RING_PAGES, "%d pages for a full ring", pages_out);
	CHECK(pipe_ring_read(&r, PIPE_RING_SIZE, 0, &ops) == 0);
	CHECK(pipe_ring_read(&r, PIPE_RING_SIZE, 100000, &ops) == PIPE_RING_SIZE);
	CHECK(memcmp(user_mem, user_mem + PIPE_RING_SIZE, PIPE_RING_SIZE) == 0);
	CHECK(pipe_ring_read(&r, 0, 10, &ops) == 0); /* empty */
	CHECKF(pages_held(&r) == 1 && pages_out == 1, "drained: %d held, %d out", pages_held(&r),
	       pages_out);
	pipe_ring_destroy(&r, &ops);
	CHECK(pages_out == 0 && pages_held(&r) == 0);
	return NULL;
}

/* Random sizes against a model: the bytes come out in order, whatever the chunking. */
static const char *run_model(uint32_t start, uint64_t seed, int rounds, size_t read_max)
{
	struct pipe_ring r;
	uint64_t rng = seed;
	uint64_t written = 0, read = 0;

	reset(&r);
	r.head = r.tail = start;
	for (int round = 0; round < rounds; round++) {
		size_t w = random_below(&rng, 9000);
		for (size_t i = 0; i < w; i++)
			user_mem[i] = (unsigned char)((written + i) % 253);
		uint64_t space = pipe_ring_space(&r);
		long got = pipe_ring_write(&r, 0, w, &ops);
		CHECKF(got == (long)(w < space ? w : space), "write %zu with %lu free: %ld", w,
		       (unsigned long)space, got);
		written += (uint64_t)got;
		size_t n = random_below(&rng, read_max);
		uint64_t used = pipe_ring_used(&r);
		long out = pipe_ring_read(&r, PIPE_RING_SIZE, n, &ops);
		CHECKF(out == (long)(n < used ? n : used), "read %zu of %lu: %ld", n,
		       (unsigned long)used, out);
		for (long i = 0; i < out; i++)
			CHECKF(user_mem[PIPE_RING_SIZE + i] == (read + i) % 253,
			       "byte %lu wrong (round %d)", (unsigned long)(read + i), round);
		read += (uint64_t)out;
		CHECK(pipe_ring_used(&r) == written - read);
		CHECK(pages_held(&r) <= (int)PIPE_RING_PAGES + 1);
	}
	pipe_ring_destroy(&r, &ops);
	CHECK(pages_out == 0);
	return NULL;
}

static const char *test_model(void)
{
	CHECK_OK(run_model(0, 1, 20000, 9000));
	CHECK_OK(run_model(0, 3, 20000, 5000)); /* mostly nearly full: head and tail share slots */
	return run_model(0xffffffffu - 3 * PIPE_RING_PAGE - 17, 2, 20000, 9000); /* counts wrap */
}

static const char *test_faults(void)
{
	struct pipe_ring r;

	reset(&r);
	fault_at = 100;
	CHECK(pipe_ring_write(&r, 50, 200, &ops) == -EFAULT); /* one chunk, faulting */
	CHECK(pipe_ring_used(&r) == 0);
	fault_at = 5000;
	/* Chunks 0..4095 (page 0) and 4096..8191 (page 1): the second faults. */
	CHECK(pipe_ring_write(&r, 0, 8000, &ops) == (long)PIPE_RING_PAGE);
	CHECK(pipe_ring_used(&r) == PIPE_RING_PAGE);
	CHECK(pipe_ring_write(&r, 0, 100, &ops) == 100);
	CHECK(pipe_ring_read(&r, 4990, 200, &ops) == -EFAULT); /* nothing consumed */
	CHECK(pipe_ring_used(&r) == PIPE_RING_PAGE + 100);
	/* Read: the first chunk (to the page's end) lands, the second faults. */
	CHECK(pipe_ring_read(&r, 900, 5000, &ops) == (long)PIPE_RING_PAGE);
	CHECK(pipe_ring_used(&r) == 100);
	pipe_ring_destroy(&r, &ops);
	CHECK(pages_out == 0);
	return NULL;
}

static const char *test_no_page(void)
{
	struct pipe_ring r;

	reset(&r);
	alloc_fail_after = 0;
	CHECK(pipe_ring_write(&r, 0, 10, &ops) == -ENOMEM);
	CHECK(pipe_ring_used(&r) == 0);
	alloc_fail_after = 1;
	CHECK(pipe_ring_write(&r, 0, 3 * PIPE_RING_PAGE, &ops) == (long)PIPE_RING_PAGE);
	alloc_fail_after = -1;
	CHECK(pipe_ring_write(&r, 0, PIPE_RING_PAGE, &ops) == (long)PIPE_RING_PAGE);
	CHECK(pipe_ring_used(&r) == 2 * PIPE_RING_PAGE);
	pipe_ring_destroy(&r, &ops);
	CHECK(pages_out == 0);
	return NULL;
}

/* A ping-pong of single bytes, 200,000 of them: one page ever allocated (it turns spare). */
static const char *test_steady_stream(void)
{
	struct pipe_ring r;

	reset(&r);
	for (int i = 0; i < 200000; i++) {
		user_mem[0] = (unsigned char)i;
		CHECK(pipe_ring_write(&r, 0, 1, &ops) == 1);
		CHECK(pipe_ring_read(&r, 1, 1, &ops) == 1);
		CHECK(user_mem[1] == (unsigned char)i);
	}
	CHECKF(allocs == 1 && pages_held(&r) == 1, "%d allocations, %d pages held", allocs,
	       pages_held(&r));
	pipe_ring_destroy(&r, &ops);
	CHECK(pages_out == 0);
	return NULL;
}

/*
 * Nearly full: the head's page and the tail's page are the same slot (head
 * is 16 pages on, at a lower offset). The reader leaving that page must not
 * give it back: the head's bytes are on it.
 */
static const char *test_shared_slot(void)
{
	struct pipe_ring r;

	reset(&r);
	for (long i = 0; i < PIPE_RING_SIZE + 200; i++)
		user_mem[i] = (unsigned char)(i % 241);
	CHECK(pipe_ring_write(&r, 0, 200, &ops) == 200);
	CHECK(pipe_ring_read(&r, 2 * PIPE_RING_SIZE, 100, &ops) == 100); /* tail: page 0, 100 */
	CHECK(pipe_ring_write(&r, 200, PIPE_RING_SIZE, &ops) == PIPE_RING_SIZE - 100);
	CHECK(pipe_ring_space(&r) == 0 && r.head % PIPE_RING_PAGE == 100);
	/* To the end of page 0 (the head's bytes 65536..65635 share its frame), then on. */
	CHECK(pipe_ring_read(&r, PIPE_RING_SIZE, PIPE_RING_PAGE - 100, &ops) ==
	      (long)PIPE_RING_PAGE - 100);
	CHECK(r.pages[0] != NULL);
	long got = pipe_ring_read(&r, PIPE_RING_SIZE + PIPE_RING_PAGE - 100, PIPE_RING_SIZE, &ops);
	CHECKF(got == PIPE_RING_SIZE - PIPE_RING_PAGE + 100, "the rest: %ld bytes", got);
	for (long i = 100; i < PIPE_RING_SIZE + 100; i++)
		CHECKF(user_mem[PIPE_RING_SIZE + i - 100] == i % 241, "byte %ld", i);
	CHECK(pipe_ring_used(&r) == 0);
	pipe_ring_destroy(&r, &ops);
	CHECK(pages_out == 0);
	return NULL;
}

static const struct selftest pipe_ring_tests[] = {
	{"shared_slot", "a nearly full ring's head and tail share a page: kept", test_shared_slot},
	{"capacity", "65536 bytes, then a full ring takes 0; drained keeps one page",
	 test_capacity},
	{"model", "60,000 random writes and reads in order, nearly full, counts wrapping 2^32",
	 test_model},
	{"faults", "a faulting chunk adds or takes nothing; the bytes before it count",
	 test_faults},
	{"no_page", "no page: -ENOMEM, or the bytes before", test_no_page},
	{"steady_stream", "200,000 one-byte round trips allocate one page", test_steady_stream},
};

SELFTEST_SUITE(pipe_ring, pipe_ring_tests);
