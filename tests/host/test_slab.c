/*
 * test_slab.c - suites "slab" and "kmalloc": the slab allocator and the
 * kernel heap on the host, each test on a fresh page allocator built over
 * the simulated RAM arena (tests/host/arena.h) with a fresh slab allocator
 * and kmalloc caches on top.
 *
 * Covered: cache layout (order, waste, colours, alignment), objects that
 * never overlap and keep their contents, a new slab handing out every one
 * of its objects before the cache grows, magazines, destroy with live
 * objects, shrinking back to the buddy allocator's starting free count,
 * every debug check firing exactly once for its corruption (red zones,
 * write after free, corrupted free pointer, double and invalid frees),
 * leak reports, every kmalloc class and boundary size, krealloc, kcalloc,
 * ksize, bad kfree, the internal fragmentation of the classes on a size
 * mix, and 10^6 seeded random operations against a shadow model. The tests
 * of lab 3's parts (docs/labs/lab3-slab.md: carve, classes, red_zones,
 * write_after_free) say in their failure what the part should have done.
 * Hosted code: may use libc, but the allocators are reached only through mm/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"
#include "mm/slab.h"
#include "tests/host/arena.h"
#include "tests/host/heap_setup.h"

extern unsigned host_cpus_online; /* tests/host/mm_arch_host.c */

/* A fresh page allocator, slab allocator (debug off) and kmalloc caches. */
#define FRESH() CHECKF(heap_fresh(), "cannot build the arena allocator and heap")

#define CHECK_INVARIANTS()                                                                 \
	do {                                                                                \
		const char *violation_ = buddy_check_invariants();                           \
		CHECKF(!violation_, "invariant: %s", violation_);                            \
	} while (0)

/* How many times needle occurs in text. */
static unsigned occurrences(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static bool all_bytes(const void *p, uint8_t value, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != value)
			return false;
	return true;
}

/* ---- slab ---------------------------------------------------------------- */

static const char *test_layout(void)
{
	FRESH();
	static const size_t sizes[] = {1, 8, 24, 40, 100, 500, 700, 1000, 3000, 4096, 5000,
				       8192, 12000, 16384};
	for (int debug = 0; debug < 2; debug++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t align = sizes[i] >= 64 && (sizes[i] & (sizes[i] - 1)) == 0 ? 64 : 8;
			struct slab_cache *c = slab_cache_create("t", sizes[i], align, NULL,
								 debug ? SLAB_CACHE_DEBUG : 0);
			CHECKF(c, "size %zu not created", sizes[i]);
			size_t bytes = PAGE_SIZE << c->order;
			size_t used = c->lead + c->objects_per_slab * c->stride;
			CHECK(c->objects_per_slab >= 1 && used <= bytes && c->stride >= sizes[i]);
			CHECK(c->pages_per_slab == 1u << c->order && c->order <= SLAB_MAX_ORDER);
			/* Waste <= 1/8, unless no order up to the maximum manages that. */
			if ((bytes - used) * 8 > bytes)
				for (unsigned o = 0; o <= SLAB_MAX_ORDER; o++) {
					size_t b = PAGE_SIZE << o;
					if (b < c->lead + c->stride)
						continue;
					size_t w = (b - c->lead) % c->stride + c->lead;
					CHECKF(w * 8 > b, "size %zu debug %d: order %u wastes %zu of "
					       "%zu, order %u would do", sizes[i], debug, c->order,
					       bytes - used, bytes, o);
				}
			size_t fit = (bytes - used) / c->colour_step + 1; /* colour offsets that fit */
			CHECKF((c->colours & (c->colours - 1)) == 0 && c->colours <= fit &&
			       c->colours * 2 > fit, "size %zu: %u colours, %zu fit", sizes[i],
			       c->colours, fit);
			void *p = slab_alloc(c, 0);
			CHECK(p && (uintptr_t)p % c->align == 0);
			CHECK(slab_free(c, p) == 0 && slab_cache_destroy(c) == 0);
		}
	}
	return NULL;
}

static const char *test_bad_create(void)
{
	FRESH();
	CHECK(!slab_cache_create("z", 0, 8, NULL, 0));
	CHECK(!slab_cache_create("z", SLAB_MAX_OBJECT_SIZE + 1, 8, NULL, 0));
	CHECK(!slab_cache_create("z", 64, 24, NULL, 0));
	CHECK(!slab_cache_create("z", 64, 2 * SLAB_MAX_OBJECT_SIZE, NULL, 0));
	CHECK(!slab_cache_create(NULL, 64, 8, NULL, 0));
	CHECK(!slab_cache_create("z", 64, 8, NULL, 0x80));
	struct slab_cache *made[SLAB_CACHES_MAX];
	unsigned n = 0;
	while (n < SLAB_CACHES_MAX && (made[n] = slab_cache_create("many", 32, 0, NULL, 0)))
		n++;
	CHECKF(n < SLAB_CACHES_MAX && n > 0, "%u caches before the table was full", n);
	for (unsigned i = 0; i < n; i++)
		CHECK(slab_cache_destroy(made[i]) == 0);
	return NULL;
}

/* Allocate count objects from c, fill each with its own byte, check them all, free. */
static const char *fill_and_check(struct slab_cache *c, unsigned count)
{
	static uint8_t *objs[4096];
	for (unsigned i = 0; i < count; i++) {
		objs[i] = slab_alloc(c, 0);
		CHECKF(objs[i], "object %u of %s: out of memory", i, c->name);
		CHECKF((uintptr_t)objs[i] % c->align == 0, "object %p misaligned", (void *)objs[i]);
		memset(objs[i], (uint8_t)(i * 7 + 1), c->object_size);
	}
	CHECK(c->active_objects == count && c->total_objects >= count);
	for (unsigned i = 0; i < count; i++)
		CHECKF(all_bytes(objs[i], (uint8_t)(i * 7 + 1), c->object_size),
		       "object %u of %s was overwritten (overlap)", i, c->name);
	for (unsigned i = 0; i < count; i++)
		CHECK(slab_free(c, objs[i]) == 0);
	CHECK(c->active_objects == 0);
	return NULL;
}

static const char *test_fill_no_overlap(void)
{
	FRESH();
	static const size_t sizes[] = {8, 24, 64, 200, 1000, 4096, 9000};
	const char *bad;
	for (int debug = 0; debug < 2; debug++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct slab_cache *c = slab_cache_create("fill", sizes[i], 0, NULL,
								 debug ? SLAB_CACHE_DEBUG : 0);
			CHECK(c);
			if ((bad = fill_and_check(c, sizes[i] > 4000 ? 100 : 2000)))
				return bad;
			CHECK(slab_cache_destroy(c) == 0);
		}
	CHECK_INVARIANTS();
	return NULL;
}

/*
 * A new slab hands out every one of its objects before the cache grows:
 * objects_per_slab allocations take one slab, and they are exactly its
 * object slots, stride bytes apart (debug mode off and on).
 */
static const char *test_carve(void)
{
	static uint8_t *objs[512];
	static bool seen[512];

	FRESH();
	for (int debug = 0; debug < 2; debug++) {
		const char *mode = debug ? "debug" : "no debug";
		struct slab_cache *c = slab_cache_create("carve-100", 100, 0, NULL,
							 debug ? SLAB_CACHE_DEBUG : 0);
		CHECK(c);
		unsigned n = c->objects_per_slab;
		CHECKF(n >= 2 && n <= 512, "setup: %u objects per slab", n);
		uint8_t *lowest = NULL;
		for (unsigned i = 0; i < n; i++) {
			objs[i] = slab_alloc(c, 0);
			CHECKF(objs[i], "%s: allocation %u of %u returned NULL", mode, i + 1, n);
			if (!lowest || objs[i] < lowest)
				lowest = objs[i];
		}
		CHECKF(c->slabs == 1, "cache %s (%s): a slab holds %u objects, so %u allocations "
		       "should all come from one slab; they took %lu slabs (does a new slab's free "
		       "list link all of its objects?)", c->name, mode, n, n, c->slabs);
		memset(seen, 0, sizeof(seen));
		for (unsigned i = 0; i < n; i++) {
			size_t off = (size_t)(objs[i] - lowest);
			size_t slot = off / c->stride;
			CHECKF(off % c->stride == 0 && slot < n && !seen[slot], "%s: object 0x%lx is "
			       "not a distinct object slot: it is %zu bytes after the first object, "
			       "stride %zu, %u slots", mode, (uint64_t)(uintptr_t)objs[i], off,
			       c->stride, n);
			seen[slot] = true;
		}
		void *more = slab_alloc(c, 0);
		CHECKF(more && c->slabs == 2, "%s: allocation %u, past a full slab, should add a "
		       "second slab; %lu slabs", mode, n + 1, c->slabs);
		CHECK(slab_free(c, more) == 0);
		for (unsigned i = 0; i < n; i++)
			CHECKF(slab_free(c, objs[i]) == 0, "%s: free of object %u refused", mode, i);
		CHECK(c->active_objects == 0 && slab_cache_destroy(c) == 0);
	}
	CHECK_INVARIANTS();
	return NULL;
}

static unsigned ctor_calls;

static void ctor_set(void *obj)
{
	ctor_calls++;
	((uint32_t *)obj)[1] = 0xc0ffee;
}

static const char *test_zero_ctor_magazine(void)
{
	FRESH();
	struct slab_cache *c = slab_cache_create("ctor", 48, 16, ctor_set, 0);
	ctor_calls = 0;
	uint32_t *p = slab_alloc(c, SLAB_ZERO);
	CHECK(p && p[1] == 0xc0ffee && p[0] == 0 && all_bytes(p + 2, 0, 40) && ctor_calls == 1);
	memset(p, 0x55, 48);
	CHECK(slab_free(c, p) == 0);
	/* The magazine is a stack: the object just freed comes back first. */
	uint32_t *q = slab_alloc(c, 0);
	CHECK(q == p && ctor_calls == 2);
	CHECK(slab_free(c, q) == 0);
	CHECK(c->slabs == 1 && c->active_objects == 0);
	return NULL;
}

static const char *test_destroy_busy(void)
{
	FRESH();
	struct slab_cache *c = slab_cache_create("busy", 100, 0, NULL, 0);
	void *p = slab_alloc(c, 0);
	CHECK(p);
	selftest_capture_begin();
	int err = slab_cache_destroy(c);
	const char *out = selftest_capture_end();
	CHECKF(err == -EBUSY && strstr(out, "busy") && strstr(out, "1 live"),
	       "destroy with a live object: %d, '%s'", err, out);
	CHECK(c->in_use && slab_alloc(c, 0) != NULL); /* still a working cache */
	CHECK(slab_cache_destroy(NULL) == -EINVAL);
	return NULL;
}

static const char *test_shrink(void)
{
	FRESH();
	uint64_t start = buddy_free_pages();
	static void *objs[3000];
	for (unsigned i = 0; i < 3000; i++)
		CHECK((objs[i] = kmalloc(1 + (i * 37) % 3000, 0)));
	CHECK(buddy_free_pages() < start && slab_total_bytes() > 0);
	uint64_t held = slab_total_bytes() / PAGE_SIZE;
	for (unsigned i = 0; i < 3000; i++)
		kfree(objs[i]);
	uint64_t freed = slab_shrink();
	CHECKF(freed > 0 && freed <= held, "shrink freed %lu of %lu", freed, held);
	CHECK(slab_total_bytes() == 0);
	CHECKF(buddy_free_pages() == start, "free pages %lu, started with %lu",
	       buddy_free_pages(), start);
	CHECK(slab_shrink() == 0);
	CHECK_INVARIANTS();
	/* Registered as a shrinker: memory pressure alone gives empty slabs back. */
	struct slab_cache *c = slab_cache_create("pressure", 2000, 0, NULL, 0);
	void *p = slab_alloc(c, 0);
	CHECK(p && slab_free(c, p) == 0 && c->slabs == 1);
	struct list_node all;
	struct page *page;
	list_init(&all);
	while ((page = alloc_page(0)))
		list_add(&all, &page->list);
	CHECKF(c->slabs == 0, "the empty slab survived memory pressure");
	struct page *next;
	list_for_each_entry_safe(page, next, &all, list) {
		list_remove(&page->list);
		CHECK(free_page(page) == 0);
	}
	return NULL;
}

/*
 * Flushing every magazine reaches every CPU: four simulated CPUs each
 * allocate and free objects of one cache, so each CPU's magazine holds
 * some; one slab_shrink() from CPU 0 (arch_on_each_cpu runs the flush on
 * each) leaves no object in any magazine, so every slab is empty and goes
 * back to the buddy allocator.
 */
static const char *test_shrink_every_cpu(void)
{
	FRESH();
	enum { CPUS = 4, OBJECTS = 5 };
	uint64_t start = buddy_free_pages();
	struct slab_cache *c = slab_cache_create("every-cpu", 64, 0, NULL, 0);
	void *objs[CPUS][OBJECTS];

	CHECK(c != NULL);
	host_cpus_online = CPUS;
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		host_cpu_id = cpu;
		for (int i = 0; i < OBJECTS; i++)
			CHECK((objs[cpu][i] = slab_alloc(c, 0)) != NULL);
	}
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		host_cpu_id = cpu;
		for (int i = 0; i < OBJECTS; i++)
			CHECK(slab_free(c, objs[cpu][i]) == 0);
	}
	host_cpu_id = 0;
	CHECKF(c->active_objects == 0 && c->slabs > 0, "%lu active, %lu slabs",
	       c->active_objects, c->slabs);
	slab_shrink();
	host_cpus_online = 1;
	CHECKF(c->slabs == 0, "%lu slab(s) still hold objects of other CPUs' magazines", c->slabs);
	CHECK(slab_cache_destroy(c) == 0);
	CHECK(buddy_free_pages() == start);
	return NULL;
}

static const char *test_bad_frees(void)
{
	FRESH();
	struct slab_cache *a = slab_cache_create("cache-a", 64, 0, NULL, 0);
	struct slab_cache *b = slab_cache_create("cache-b", 64, 0, NULL, 0);
	uint8_t *p = slab_alloc(a, 0), *q = slab_alloc(b, 0);
	uint64_t local;
	CHECK(p && q);
	selftest_capture_begin();
	int e1 = slab_free(a, p + 1), e2 = slab_free(a, q), e3 = slab_free(a, &local);
	int e4 = slab_free(a, p), e5 = slab_free(a, p), e6 = slab_free(a, NULL);
	const char *out = selftest_capture_end();
	CHECKF(e1 == -EFAULT && e2 == -EINVAL && e3 == -EINVAL && e4 == 0 && e5 == -EBUSY &&
	       e6 == -EINVAL, "%d %d %d %d %d %d", e1, e2, e3, e4, e5, e6);
	CHECKF(occurrences(out, "slab_free:") == 4 && occurrences(out, "not an object start") == 1 &&
	       occurrences(out, "belongs to cache cache-b") == 1 &&
	       occurrences(out, "not slab memory") == 1 && occurrences(out, "double free") == 1,
	       "reports: %s", out);
	CHECK(a->active_objects == 0 && b->active_objects == 1);
	return NULL;
}

/*
 * The free fast path's object-start test (a multiply instead of a division,
 * colour from the address): over slabs of every colour and strides that
 * are not powers of two, every byte offset inside an object but its first
 * is refused with -EFAULT, and every object start is accepted. (A fast
 * path that rejects wrongly is hidden by the slow path, which accepts
 * again; one that accepts an inner pointer is what this catches.)
 */
static const char *test_free_object_starts(void)
{
	static const size_t sizes[][2] = {{96, 32}, {192, 64}, {64, 64}, {24, 8}, {1000, 8}};

	FRESH();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct slab_cache *c = slab_cache_create("starts", sizes[i][0], sizes[i][1], NULL, 0);
		CHECK(c);
		/* Enough objects for 2 * colours + 1 slabs: every colour, twice. */
		size_t n = (2 * c->colours + 1) * c->objects_per_slab;
		CHECKF(n <= 4096, "size %zu: %zu objects is too many for this test", sizes[i][0], n);
		static uint8_t *objects[4096];
		for (size_t k = 0; k < n; k++)
			CHECK((objects[k] = slab_alloc(c, 0)));
		unsigned tried = 0, refused = 0;
		selftest_capture_begin();
		for (size_t k = 0; k < n; k += 1 + k % 7) {
			for (size_t off = 1; off < c->object_size; off++) {
				tried++;
				refused += slab_free(c, objects[k] + off) == -EFAULT;
			}
		}
		const char *out = selftest_capture_end(); /* the capture keeps the first reports */
		CHECKF(refused == tried && occurrences(out, "not an object start") > 0,
		       "size %zu: %u of %u inner pointers refused", sizes[i][0], refused, tried);
		CHECK(c->active_objects == n);
		for (size_t k = 0; k < n; k++)
			CHECKF(slab_free(c, objects[k]) == 0, "size %zu: object %zu refused",
			       sizes[i][0], k);
		CHECK(c->active_objects == 0 && slab_cache_destroy(c) == 0);
	}
	CHECK_INVARIANTS();
	return NULL;
}

/*
 * Regression: without debug mode, a double free of an object that is not
 * the magazine's top passes the fast path; the magazine flush must catch
 * it (its slab empty, or the object already heading the free list) instead
 * of putting the object on a free list twice or touching a released slab.
 */
static const char *test_double_free_found_at_flush(void)
{
	FRESH();
	struct slab_cache *c = slab_cache_create("twice", 128, 0, NULL, 0);
	uint8_t *a = slab_alloc(c, 0), *b = slab_alloc(c, 0);
	CHECK(a && b);
	CHECK(slab_free(c, a) == 0 && slab_free(c, b) == 0);
	selftest_capture_begin();
	int again = slab_free(c, a); /* b is the top: this passes the fast path */
	slab_shrink();               /* flushes the magazine */
	const char *out = selftest_capture_end();
	CHECKF(again == 0 && occurrences(out, "found when flushing the magazine") == 1,
	       "free again: %d, reports: %s", again, out);
	CHECKF(c->active_objects == 0, "%lu active after the flush", c->active_objects);
	uint8_t *x = slab_alloc(c, 0), *y = slab_alloc(c, 0);
	CHECK(x && y && x != y);
	CHECK(slab_free(c, x) == 0 && slab_free(c, y) == 0);
	CHECK(slab_cache_destroy(c) == 0);
	CHECK_INVARIANTS();
	return NULL;
}

/* A debug cache of 64-byte objects and one object from it. */
static struct slab_cache *debug_cache(void)
{
	return slab_cache_create("dbg-64", 64, 0, NULL, SLAB_CACHE_DEBUG);
}

/* After a report: 200 more alloc/free pairs produce no report at all. */
static const char *quiet_afterwards(struct slab_cache *c)
{
	static void *objs[200];
	selftest_capture_begin();
	for (unsigned i = 0; i < 200; i++)
		objs[i] = slab_alloc(c, 0);
	unsigned refused = 0;
	for (unsigned i = 0; i < 200; i++)
		refused += slab_free(c, objs[i]) != 0;
	const char *out = selftest_capture_end();
	CHECKF(out[0] == 0, "reports after the first: %s", out);
	CHECKF(refused == 0, "%u of 200 good frees refused", refused);
	return NULL;
}

static const char *test_debug_red_zones(void)
{
	FRESH();
	struct slab_cache *c = debug_cache();
	uint8_t *p = slab_alloc(c, 0), *q = slab_alloc(c, 0);
	CHECK(p && q && c->debug);
	p[64] = 0x41;
	q[-3] = 0x42;
	selftest_capture_begin();
	int e1 = slab_free(c, p), e2 = slab_free(c, q);
	const char *out = selftest_capture_end();
	CHECKF(e1 == -EIO, "slab_free of a 64-byte debug object whose byte +64 (the first byte "
	       "of its right red zone) was overwritten with 0x41 returned %d; expected -EIO (%d) "
	       "with a report", e1, -EIO);
	CHECKF(e2 == -EIO, "slab_free of a debug object whose byte -3 (in its left red zone) was "
	       "overwritten with 0x42 returned %d; expected -EIO (%d) with a report", e2, -EIO);
	CHECKF(occurrences(out, "red zone overwritten after object") == 1 &&
	       occurrences(out, "in cache dbg-64 (byte +64 = 0x41), freed by") == 1 &&
	       occurrences(out, "red zone overwritten before object") == 1 &&
	       occurrences(out, "(byte -3 = 0x42)") == 1 && occurrences(out, "\n") == 2,
	       "expected one report each, 'slab_free: red zone overwritten after object 0x... in "
	       "cache dbg-64 (byte +64 = 0x41), freed by ...' and '... before object 0x... in cache "
	       "dbg-64 (byte -3 = 0x42) ...'; got: %s", out);
	CHECK(c->quarantined == 2 && c->active_objects == 0);
	/* Quarantined: a second free is refused, without touching anything. */
	selftest_capture_begin();
	int e3 = slab_free(c, p);
	out = selftest_capture_end();
	CHECK(e3 == -EBUSY && occurrences(out, "quarantined") == 1);
	const char *bad = quiet_afterwards(c);
	if (bad)
		return bad;

	/* 36-byte objects: the right zone is bytes +36 .. +47 (stride 64 - 16 - 36 = 12). */
	struct slab_cache *odd = slab_cache_create("dbg-36", 36, 0, NULL, SLAB_CACHE_DEBUG);
	CHECK(odd && odd->stride == 64);
	uint8_t *r = slab_alloc(odd, 0), *t = slab_alloc(odd, 0);
	CHECK(r && t);
	r[47] = 0x43;
	t[36] = 0x44;
	selftest_capture_begin();
	e1 = slab_free(odd, r);
	e2 = slab_free(odd, t);
	out = selftest_capture_end();
	CHECKF(e1 == -EIO && e2 == -EIO && occurrences(out, "(byte +47 = 0x43)") == 1 &&
	       occurrences(out, "(byte +36 = 0x44)") == 1, "36-byte objects (stride 64): the right "
	       "red zone runs from byte +36 to +47, just before the caller word; damage at +47 and "
	       "at +36 should each give -EIO and one report; got %d and %d, reports: %s", e1, e2,
	       out);
	return quiet_afterwards(odd);
}

static const char *test_debug_write_after_free(void)
{
	FRESH();
	struct slab_cache *c = debug_cache();
	uint8_t *p = slab_alloc(c, 0);
	CHECK(p && slab_free(c, p) == 0);
	CHECKF(all_bytes(p + 8, SLAB_POISON_BYTE, 56), "setup: a freed debug object should hold "
	       "0x6b after its free pointer");
	p[20] = 0x99;
	selftest_capture_begin();
	uint8_t *q = slab_alloc(c, 0);
	const char *out = selftest_capture_end();
	CHECKF(occurrences(out, "write after free") == 1 &&
	       occurrences(out, "(byte +20 = 0x99)") == 1 && occurrences(out, "\n") == 1,
	       "byte +20 of a freed 64-byte debug object was overwritten with 0x99: the next "
	       "slab_alloc should report it once, as 'slab_alloc: write after free in object 0x... "
	       "of cache dbg-64 (byte +20 = 0x99), found when allocating for ...'; got: '%s'", out);
	CHECKF(q && q != p, "the damaged object must be quarantined, not handed out again; "
	       "slab_alloc returned it (0x%lx)", (uint64_t)(uintptr_t)q);
	CHECK(c->quarantined == 1 && slab_free(c, q) == 0);

	/* The last byte of the object is checked too. */
	uint8_t *r = slab_alloc(c, 0);
	CHECK(r && slab_free(c, r) == 0);
	r[63] = 0x01;
	selftest_capture_begin();
	q = slab_alloc(c, 0);
	out = selftest_capture_end();
	CHECKF(q && q != r && occurrences(out, "(byte +63 = 0x01)") == 1 && c->quarantined == 2,
	       "byte +63, the last of the object, was overwritten after free: expected one report "
	       "'(byte +63 = 0x01)' and the object quarantined; got: '%s'", out);
	CHECK(slab_free(c, q) == 0);
	return quiet_afterwards(c);
}

static const char *test_debug_free_pointer(void)
{
	FRESH();
	for (int debug = 0; debug < 2; debug++) {
		struct slab_cache *c = debug ? debug_cache()
					     : slab_cache_create("nodbg", 64, 0, NULL, 0);
		/* Without debug the object must reach the free list: flush the magazine. */
		uint8_t *p = slab_alloc(c, 0), *keep = slab_alloc(c, 0);
		CHECK(p && keep && slab_free(c, p) == 0);
		if (!debug)
			slab_shrink();
		*(uint64_t *)p = 0x4141414141414141ull; /* free object's next pointer */
		selftest_capture_begin();
		static void *objs[300];
		for (unsigned i = 0; i < 300; i++)
			objs[i] = slab_alloc(c, 0);
		const char *out = selftest_capture_end();
		CHECKF(occurrences(out, "corrupted free pointer 0x4141414141414141") == 1 &&
		       occurrences(out, "\n") == 1, "debug %d: reports: %s", debug, out);
		for (unsigned i = 0; i < 300; i++) {
			CHECK(objs[i] && objs[i] != p);
			memset(objs[i], 0x11, 64);
		}
		selftest_capture_begin();
		for (unsigned i = 0; i < 300; i++)
			CHECK(slab_free(c, objs[i]) == 0);
		CHECK(slab_free(c, keep) == 0);
		out = selftest_capture_end();
		CHECKF(out[0] == 0, "reports: %s", out);
		selftest_capture_begin();
		int err = slab_cache_destroy(c); /* the broken slab stays withdrawn */
		selftest_capture_end();
		/* All of the broken slab's objects, `keep` included once freed into it. */
		CHECKF(err == -EBUSY && c->quarantined == c->objects_per_slab &&
		       c->active_objects == 0, "debug %d: destroy %d, %lu quarantined of %u", debug,
		       err, c->quarantined, c->objects_per_slab);
	}
	return NULL;
}

static const char *test_debug_double_and_inner_free(void)
{
	FRESH();
	struct slab_cache *c = debug_cache();
	uint8_t *p = slab_alloc(c, 0), *q = slab_alloc(c, 0);
	CHECK(p && q && slab_free(c, p) == 0);
	selftest_capture_begin();
	int e1 = slab_free(c, p), e2 = slab_free(c, q + 1), e3 = slab_free(c, q + 64);
	const char *out = selftest_capture_end();
	CHECKF(e1 == -EBUSY && e2 == -EFAULT && e3 == -EFAULT, "%d %d %d", e1, e2, e3);
	CHECKF(occurrences(out, "double free of object") == 1 &&
	       occurrences(out, "is not an object start") == 1 &&
	       occurrences(out, "is not inside any object") == 1 && occurrences(out, "\n") == 3,
	       "reports: %s", out);
	CHECK(c->quarantined == 0 && c->active_objects == 1 && slab_free(c, q) == 0);
	CHECK(slab_cache_destroy(c) == 0);
	return NULL;
}

static void *__attribute__((noinline)) leak_site_a(void)
{
	return kmalloc(100, 0);
}

static void *__attribute__((noinline)) leak_site_b(void)
{
	return kmalloc(3000, 0);
}

static const char *test_leaks_and_debug_switch(void)
{
	FRESH();
	void *keep = kmalloc(64, 0);
	CHECK(keep);
	int err = slab_set_debug(true);
	CHECKF(err == -EBUSY && slab_debug_enabled(), "switch with a live object: %d", err);
	struct slab_cache *c64 = slab_cache_of(keep), *c128 = slab_cache_of(kmalloc(1, 0));
	CHECK(!c64->debug && c128 && c128->debug);
	kfree(keep);
	slab_shrink(); /* kmalloc-64 is now empty: switches */
	CHECK(c64->debug);
	void *a[3], *b[2];
	for (int i = 0; i < 3; i++)
		CHECK((a[i] = leak_site_a()));
	for (int i = 0; i < 2; i++)
		CHECK((b[i] = leak_site_b()));
	selftest_capture_begin();
	slab_report_leaks();
	const char *out = selftest_capture_end();
	CHECKF(occurrences(out, "3 object(s)        384 bytes") == 1 &&
	       occurrences(out, "2 object(s)       8192 bytes") == 1 &&
	       strstr(out, "8192 bytes") < strstr(out, "384 bytes"), "report: %s", out);
	for (int i = 0; i < 3; i++)
		kfree(a[i]);
	for (int i = 0; i < 2; i++)
		kfree(b[i]);
	/* the kmalloc(1, 0) above is deliberately left: one 8-byte object */
	selftest_capture_begin();
	slab_report_leaks();
	out = selftest_capture_end();
	CHECKF(strstr(out, "1 live object(s), 8 bytes"), "report: %s", out);
	return NULL;
}

static void count_cache(const struct slab_cache *c, void *arg)
{
	uint64_t *sum = arg;
	sum[0]++;
	sum[1] += c->slab_pages_total * PAGE_SIZE;
}

static const char *test_for_each_and_total(void)
{
	FRESH();
	void *p = kmalloc(300, 0), *q = kmalloc(30, 0);
	uint64_t sum[2] = {0, 0};
	slab_for_each_cache(count_cache, sum);
	CHECKF(sum[0] == 13, "%lu kmalloc caches", sum[0]);
	CHECK(sum[1] == slab_total_bytes() && sum[1] > 0);
	kfree(p);
	kfree(q);
	return NULL;
}

static const struct selftest slab_tests[] = {
	{"layout", "order with waste <= 1/8, colours from the slack, alignment", test_layout},
	{"bad_create", "bad arguments and a full cache table give NULL", test_bad_create},
	{"fill", "objects never overlap and keep their bytes (debug on and off)",
	 test_fill_no_overlap},
	{"carve", "a new slab hands out all of its object slots before the cache grows",
	 test_carve},
	{"zero_ctor", "SLAB_ZERO, constructor, magazine LIFO", test_zero_ctor_magazine},
	{"destroy_busy", "destroy with a live object is refused with a report",
	 test_destroy_busy},
	{"shrink", "free all + shrink gives back every page; shrinker on pressure", test_shrink},
	{"shrink_every_cpu", "4 simulated CPUs fill their own magazines; one shrink flushes all",
	 test_shrink_every_cpu},
	{"bad_frees", "inner pointer, other cache, not slab, double free: reported, refused",
	 test_bad_frees},
	{"object_starts", "free fast path: every inner offset refused, every start accepted, "
	 "all colours", test_free_object_starts},
	{"double_free_found_at_flush", "an older double free is caught when the magazine "
	 "flushes", test_double_free_found_at_flush},
	{"red_zones", "overwrite after and before an object, at both ends of the right zone: one "
	 "report each, quarantine",
	 test_debug_red_zones},
	{"write_after_free", "poison change (byte +20, last byte) reported once when reallocating",
	 test_debug_write_after_free},
	{"free_pointer", "a corrupted free pointer is reported once, slab withdrawn",
	 test_debug_free_pointer},
	{"double_free", "debug double free and inner pointers: one report each",
	 test_debug_double_and_inner_free},
	{"leaks", "slab_set_debug switches empty caches; leaks grouped by caller",
	 test_leaks_and_debug_switch},
	{"for_each", "slab_for_each_cache and slab_total_bytes agree", test_for_each_and_total},
};

SELFTEST_SUITE(slab, slab_tests);

/* ---- kmalloc --------------------------------------------------------------- */

static const size_t class_sizes[] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192};
#define CLASSES (sizeof(class_sizes) / sizeof(class_sizes[0]))

/* The smallest class that holds size, or 0 beyond the classes. */
static size_t expected_class(size_t size)
{
	for (size_t i = 0; i < CLASSES; i++)
		if (size <= class_sizes[i])
			return class_sizes[i];
	return 0;
}

/* The alignment kmalloc.h promises for a block of usable size `usable`. */
static size_t promised_align(size_t usable)
{
	return usable == 96 ? 32 : usable == 192 ? 64 : usable;
}

static const char *test_every_class(void)
{
	FRESH();
	for (size_t i = 0; i < CLASSES; i++) {
		uint8_t *p = kmalloc(class_sizes[i], 0);
		struct slab_cache *c = slab_cache_of(p);
		char name[32];
		ksnprintf(name, sizeof(name), "kmalloc-%zu", class_sizes[i]);
		CHECKF(p && c && strcmp(c->name, name) == 0 && ksize(p) == class_sizes[i],
		       "kmalloc(%zu) should come from %s, the smallest class that holds it; it came "
		       "from %s (ksize %zu)", class_sizes[i], name, c ? c->name : "nowhere",
		       ksize(p));
		/* One more than the class below: the same class. */
		size_t just_above = i == 0 ? 1 : class_sizes[i - 1] + 1;
		void *q = kmalloc(just_above, 0);
		struct slab_cache *cq = slab_cache_of(q);
		CHECKF(cq == c, "kmalloc(%zu) should come from %s; it came from %s", just_above, name,
		       cq ? cq->name : "nowhere");
		kfree(q);
		CHECKF((uintptr_t)p % promised_align(class_sizes[i]) == 0, "%s block %p misaligned",
		       name, (void *)p);
		CHECK(c->active_objects == 1);
		kfree(p);
		CHECK(c->active_objects == 0);
	}
	return NULL;
}

static const char *test_boundaries(void)
{
	FRESH();
	uint64_t start = buddy_free_pages();
	for (unsigned k = 0; k <= 14; k++) {
		size_t pow = (size_t)1 << k;
		for (size_t size = pow - 1; size <= pow + 1; size++) {
			if (size == 0)
				continue;
			uint8_t *p = kmalloc(size, 0);
			size_t usable = ksize(p), want = expected_class(size);
			CHECKF(p && usable >= size, "kmalloc(%zu): %p, ksize %zu", size, (void *)p,
			       usable);
			CHECKF(want ? usable == want : usable == PAGE_SIZE << (size > 4 * PAGE_SIZE ? 3 : 2),
			       "kmalloc(%zu): usable %zu, expected %zu", size, usable, want);
			CHECKF((uintptr_t)p % 8 == 0, "kmalloc(%zu) = %p", size, (void *)p);
			if ((size & (size - 1)) == 0)
				CHECKF((uintptr_t)p % (size < 8 ? 8 : size) == 0,
				       "kmalloc(%zu) = %p is not naturally aligned", size, (void *)p);
			memset(p, 0x5a, usable);
			uint8_t *q = kmalloc(size, KM_ZERO);
			CHECK(q && all_bytes(q, 0, size) && all_bytes(p, 0x5a, usable));
			kfree(q);
			kfree(p);
		}
	}
	slab_shrink();
	CHECK(buddy_free_pages() == start);
	return NULL;
}

static const char *test_krealloc(void)
{
	FRESH();
	static const size_t steps[] = {10, 100, 150, 200, 5000, 20000, 70000, 300, 8, 9000, 1};
	size_t prev = 0;
	uint8_t *p = NULL;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint8_t *q = krealloc(p, steps[i], 0);
		CHECKF(q && ksize(q) >= steps[i], "krealloc to %zu failed", steps[i]);
		size_t keep = prev < steps[i] ? prev : steps[i];
		for (size_t j = 0; j < keep; j++)
			CHECKF(q[j] == (uint8_t)(j * 13 + i), "krealloc %zu -> %zu lost byte %zu",
			       prev, steps[i], j);
		for (size_t j = 0; j < steps[i]; j++)
			q[j] = (uint8_t)(j * 13 + i + 1);
		/* the next step compares with (j * 13 + (i + 1)) */
		p = q;
		prev = steps[i];
	}
	/* Same class: in place. */
	uint8_t *r = kmalloc(70, 0), *s = krealloc(r, 90, 0);
	CHECK(r && s == r && krealloc(s, 65, 0) == r);
	CHECK(krealloc(r, 0, 0) == NULL && krealloc(p, 0, 0) == NULL);
	CHECK(slab_shrink() > 0);
	uint8_t *z = krealloc(NULL, 50, KM_ZERO);
	CHECK(z && all_bytes(z, 0, 50));
	kfree(z);
	return NULL;
}

static const char *test_kcalloc_ksize_kfree(void)
{
	FRESH();
	CHECK(kcalloc(SIZE_MAX / 2, 3, 0) == NULL && kcalloc((size_t)1 << 33, (size_t)1 << 32, 0) == NULL);
	uint64_t *a = kcalloc(30, 8, 0);
	CHECK(a && all_bytes(a, 0, 240) && ksize(a) == 256);
	CHECK(kmalloc(0, 0) == NULL && kmalloc((PAGE_SIZE << MAX_ORDER) + 1, 0) == NULL);
	CHECK(ksize(NULL) == 0);
	uint8_t *big = kmalloc(3 * PAGE_SIZE, 0);
	CHECK(big && ksize(big) == 4 * PAGE_SIZE && (uintptr_t)big % (4 * PAGE_SIZE) == 0);
	uint64_t local;
	selftest_capture_begin();
	kfree(NULL);
	const char *out = selftest_capture_end();
	CHECK(out[0] == 0);
	selftest_capture_begin();
	kfree(&local);
	kfree(big + PAGE_SIZE);
	kfree(big + 8);
	kfree((uint8_t *)a + 4);
	CHECK(ksize(big + 8) == 0);
	kfree(big);
	kfree(big);
	kfree(a);
	kfree(a);
	out = selftest_capture_end();
	CHECKF(occurrences(out, "kfree: ") == 4 && occurrences(out, "not an object start") == 1 &&
	       occurrences(out, "double free of object") == 1 && occurrences(out, "\n") == 6,
	       "reports: %s", out);
	CHECK_INVARIANTS();
	return NULL;
}

/*
 * Internal fragmentation on a size mix: sizes log-uniform over 8 B..8 KiB
 * (as many 20-40 byte objects as 2-4 KiB ones), plus a spike of typical
 * kernel structures. Waste = (usable - requested) / usable, summed.
 */
static const char *test_fragmentation(void)
{
	FRESH();
	static const size_t typical[] = {24, 40, 56, 72, 88, 104, 136, 168, 184, 200, 264, 320,
					 576, 1500, 1800};
	uint64_t state = 0xf00d, requested = 0, usable = 0, pow2_usable = 0;
	for (unsigned i = 0; i < 100000; i++) {
		size_t size;
		if (i % 4 == 0) {
			size = typical[random_below(&state, sizeof(typical) / sizeof(typical[0]))];
		} else {
			unsigned bits = 3 + (unsigned)random_below(&state, 10);
			size = ((size_t)1 << bits) + random_below(&state, (size_t)1 << bits);
			if (size > KMALLOC_MAX_CACHE_SIZE)
				size = KMALLOC_MAX_CACHE_SIZE;
		}
		void *p = kmalloc(size, 0);
		CHECK(p);
		requested += size;
		usable += ksize(p);
		size_t pow2 = 8;
		while (pow2 < size)
			pow2 <<= 1;
		pow2_usable += pow2;
		kfree(p);
	}
	uint64_t waste = (usable - requested) * 1000 / usable;
	uint64_t pow2_waste = (pow2_usable - requested) * 1000 / pow2_usable;
	kprintf("kmalloc: internal fragmentation on the size mix: %lu.%lu%% (powers of two "
		"only: %lu.%lu%%)\n", waste / 10, waste % 10, pow2_waste / 10, pow2_waste % 10);
	CHECKF(waste < pow2_waste && waste < 300, "the size classes waste %lu.%lu%% of the usable "
	       "bytes on this size mix, more than powers of two alone (%lu.%lu%%): each request "
	       "should get the smallest class that holds it", waste / 10, waste % 10,
	       pow2_waste / 10, pow2_waste % 10);
	return NULL;
}

#define RANDOM_STEPS 1000000
#define RANDOM_SLOTS 1024
#define RANDOM_SEED 0x51ab51ab51abull

struct live_block {
	uint8_t *p;
	size_t size;
	uint8_t fill;
};

static struct live_block live[RANDOM_SLOTS];

/* Spot-check a block's fill: the ends and a stride through the middle. */
static bool fill_intact(const struct live_block *b)
{
	size_t n = b->size < 64 ? b->size : 64;
	if (!all_bytes(b->p, b->fill, n) || !all_bytes(b->p + b->size - n, b->fill, n))
		return false;
	for (size_t i = 0; i < b->size; i += 97)
		if (b->p[i] != b->fill)
			return false;
	return true;
}

static size_t random_size(uint64_t *state)
{
	uint64_t r = random_below(state, 100);
	if (r < 70)
		return 1 + random_below(state, 256);
	if (r < 97)
		return 1 + random_below(state, 8192);
	return 1 + random_below(state, 40000);
}

static void sum_active(const struct slab_cache *c, void *arg)
{
	*(uint64_t *)arg += c->active_objects;
}

static const char *test_random(void)
{
	FRESH();
	uint64_t state = RANDOM_SEED, start = buddy_free_pages(), slab_live = 0;
	memset(live, 0, sizeof(live));
	for (unsigned long step = 0; step < RANDOM_STEPS; step++) {
		struct live_block *b = &live[random_below(&state, RANDOM_SLOTS)];
		unsigned what = (unsigned)random_below(&state, 10);
		if (b->p) {
			CHECKF(fill_intact(b), "step %lu: block %p (%zu bytes) overwritten", step,
			       (void *)b->p, b->size);
		}
		if (b->p && what < 4) {
			slab_live -= b->size <= KMALLOC_MAX_CACHE_SIZE;
			kfree(b->p);
			b->p = NULL;
			continue;
		}
		size_t size = random_size(&state);
		uint8_t *q;
		if (b->p && what < 7) {
			q = krealloc(b->p, size, 0);
			CHECKF(q, "step %lu: krealloc(%zu) failed", step, size);
			size_t keep = size < b->size ? size : b->size;
			struct live_block kept = {q, keep, b->fill};
			CHECKF(fill_intact(&kept), "step %lu: krealloc %zu -> %zu lost contents", step,
			       b->size, size);
			slab_live -= b->size <= KMALLOC_MAX_CACHE_SIZE;
		} else {
			if (b->p) {
				slab_live -= b->size <= KMALLOC_MAX_CACHE_SIZE;
				kfree(b->p);
			}
			q = kmalloc(size, 0);
			CHECKF(q, "step %lu: kmalloc(%zu) failed", step, size);
		}
		CHECKF(ksize(q) >= size && (uintptr_t)q % 8 == 0, "step %lu: %p ksize %zu < %zu",
		       step, (void *)q, ksize(q), size);
		slab_live += size <= KMALLOC_MAX_CACHE_SIZE;
		*b = (struct live_block){q, size, (uint8_t)random_next(&state)};
		memset(q, b->fill, size);
		if (step % 65536 == 0) {
			uint64_t active = 0;
			slab_for_each_cache(sum_active, &active);
			CHECKF(active == slab_live, "step %lu: %lu active objects, model has %lu",
			       step, active, slab_live);
		}
	}
	for (size_t i = 0; i < RANDOM_SLOTS; i++) {
		if (live[i].p)
			CHECK(fill_intact(&live[i]));
		kfree(live[i].p);
	}
	slab_shrink();
	CHECKF(buddy_free_pages() == start, "free pages %lu, started with %lu", buddy_free_pages(),
	       start);
	CHECK_INVARIANTS();
	return NULL;
}

static const struct selftest kmalloc_tests[] = {
	{"classes", "every size class: its cache, ksize, alignment", test_every_class},
	{"boundaries", "2^k-1, 2^k, 2^k+1 up to 16 KiB: class, alignment, KM_ZERO",
	 test_boundaries},
	{"krealloc", "contents kept across classes and into pages; in place within a class",
	 test_krealloc},
	{"kcalloc_kfree", "kcalloc overflow, ksize, kfree(NULL), bad kfree reported once each",
	 test_kcalloc_ksize_kfree},
	{"fragmentation", "internal fragmentation on a size mix beats powers of two",
	 test_fragmentation},
	{"random", "10^6 seeded kmalloc/krealloc/kfree against a shadow model", test_random},
};

SELFTEST_SUITE(kmalloc, kmalloc_tests);
