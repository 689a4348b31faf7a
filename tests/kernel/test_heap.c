/*
 * test_heap.c - kernel-only checks of the heap on real memory (suite
 * `heap`): kmalloc across every size class, krealloc, a private slab
 * cache's life, and vmalloc areas touched through their real virtual
 * addresses (which the host tests cannot do). Each test frees what it
 * allocated and checks that the page allocator's free count returns after
 * a shrink.
 */
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "mm/kernel_space.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

static const size_t sizes[] = {1, 7, 8, 9, 63, 64, 65, 96, 100, 192, 200, 255, 256, 1000,
			       2048, 4095, 4096, 4097, 8192, 8193, 20000, 65536};

static const char *test_kmalloc_sizes(void)
{
	static uint8_t *blocks[sizeof(sizes) / sizeof(sizes[0])];

	slab_shrink(); /* empty slabs kept from earlier work would come back below */
	uint64_t free_before = buddy_free_pages();

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		blocks[i] = kmalloc(sizes[i], 0);
		CHECKF(blocks[i] != NULL, "kmalloc(%zu) failed", sizes[i]);
		CHECKF(ksize(blocks[i]) >= sizes[i], "ksize %zu < %zu", ksize(blocks[i]), sizes[i]);
		CHECKF(((uintptr_t)blocks[i] & 7) == 0, "kmalloc(%zu) = %p not 8-aligned", sizes[i],
		       (void *)blocks[i]);
		memset(blocks[i], (int)i + 1, sizes[i]);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t b = 0; b < sizes[i]; b++)
			CHECKF(blocks[i][b] == (uint8_t)(i + 1), "block %zu byte %zu overwritten", i,
			       b);
		kfree(blocks[i]);
	}
	slab_shrink();
	CHECKF(buddy_free_pages() == free_before, "free pages %lu -> %lu", free_before,
	       buddy_free_pages());
	return NULL;
}

static const char *test_krealloc_keeps_contents(void)
{
	uint8_t *p = kmalloc(24, 0);

	CHECK(p != NULL);
	for (int i = 0; i < 24; i++)
		p[i] = (uint8_t)(0xa0 + i);
	static const size_t steps[] = {100, 5000, 40000, 50, 16};
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		uint8_t *q = krealloc(p, steps[s], 0);
		CHECKF(q != NULL, "krealloc to %zu failed", steps[s]);
		p = q;
		size_t keep = steps[s] < 24 ? steps[s] : 24;
		for (size_t i = 0; i < keep; i++)
			CHECKF(p[i] == (uint8_t)(0xa0 + i), "byte %zu lost at size %zu", i, steps[s]);
	}
	kfree(p);
	CHECK(kcalloc((size_t)1 << 40, (size_t)1 << 40, 0) == NULL); /* overflow */
	kfree(NULL);
	return NULL;
}

static const char *test_private_cache(void)
{
	struct slab_cache *c = slab_cache_create("selftest-48", 48, 16, NULL, 0);

	CHECK(c != NULL);
	void *a = slab_alloc(c, SLAB_ZERO), *b = slab_alloc(c, 0);
	CHECK(a && b && a != b);
	CHECK(((uintptr_t)a & 15) == 0 && ((uintptr_t)b & 15) == 0);
	selftest_expect_begin();
	int busy = slab_cache_destroy(c); /* objects are live: refused, with a message */
	selftest_expect_end();
	CHECK(busy == -EBUSY);
	CHECK(slab_free(c, a) == 0 && slab_free(c, b) == 0);
	CHECK(slab_cache_destroy(c) == 0);
	return NULL;
}

static const char *test_vmalloc_real(void)
{
	uint64_t free_before = buddy_free_pages();
	uint64_t *p = vmalloc(3 * PAGE_SIZE + 1);
	struct paging_translation t;

	CHECK(p != NULL);
	virt_addr_t va = (virt_addr_t)(uintptr_t)p;
	for (size_t i = 0; i < (3 * PAGE_SIZE + 1) / 8; i++)
		CHECKF(p[i] == 0, "vmalloc memory not zero at word %zu", i);
	for (size_t i = 0; i < 4 * PAGE_SIZE / 8; i++)
		p[i] = va + i; /* all four pages are mapped and writable */
	for (size_t i = 0; i < 4 * PAGE_SIZE / 8; i++)
		CHECK(p[i] == va + i);
	CHECK(paging_translate(current_space(), va + 4 * PAGE_SIZE, &t) == -ENOENT); /* guard */
	CHECK(vmalloc_is_guard(va + 4 * PAGE_SIZE));
	CHECK(vmalloc_find(va + 100) != NULL);
	CHECK(vfree(p) == 0);
	selftest_expect_begin();
	int twice = vfree(p); /* double free: reported, refused */
	selftest_expect_end();
	CHECK(twice == -EINVAL);
	CHECK(paging_translate(current_space(), va, &t) == -ENOENT);
	CHECKF(buddy_free_pages() == free_before, "free pages %lu -> %lu", free_before,
	       buddy_free_pages());
	return NULL;
}

static const struct selftest heap_tests[] = {
	{"kmalloc_sizes", "every size class and past it: aligned, big enough, contents kept",
	 test_kmalloc_sizes},
	{"krealloc", "krealloc through classes and pages keeps contents; kcalloc overflow",
	 test_krealloc_keeps_contents},
	{"private_cache", "create a cache, destroy refused while objects live, then allowed",
	 test_private_cache},
	{"vmalloc", "vmalloc memory is zeroed, writable through its address, guarded, freed",
	 test_vmalloc_real},
};

SELFTEST_SUITE(heap, heap_tests);
