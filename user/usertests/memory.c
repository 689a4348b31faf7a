/*
 * memory.c - usertests: mmap, munmap, mprotect, brk, madvise and mincore with Linux's
 * semantics and edge cases.
 *
 * Invariants:
 *   [x] each test releases what it mapped or opened before it passes.
 * Context: the usertests program (usertests.h).
 */
#include "usertests.h"

static const char *test_mmap_anon(void)
{
	char *a = map_pages(16, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap 16 pages failed");
	CHECK(((uintptr_t)a & (P - 1)) == 0, "mmap returned unaligned %p", (void *)a);
	CHECK((uintptr_t)a >= 0x10000 && (uintptr_t)a + 16 * P <= 0x7ffffffff000ul,
	      "mmap returned %p, outside the user half", (void *)a);
	for (long i = 0; i < 16 * P; i += 512)
		CHECK(a[i] == 0, "fresh anonymous memory is not zero at +%ld", i);
	for (long i = 0; i < 16; i++)
		a[i * P + 7] = (char)i;
	for (long i = 0; i < 16; i++)
		CHECK(a[i * P + 7] == (char)i, "page %ld lost its byte", i);
	/* A length that is not a multiple of the page size is rounded up. */
	char *b = (char *)sys(SYS_mmap, 0, 100, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(!is_err((long)b), "mmap of 100 bytes = %s", ret_name((long)b));
	b[P - 1] = 1;  /* the rest of the page is mapped */
	CHECK_RET(sys(SYS_munmap, b, 100), 0);
	CHECK_RET(sys(SYS_munmap, a, 16 * P), 0);
	return NULL;
}

static const char *test_mmap_errors(void)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *a = map_pages(1, rw);

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_mmap, 0, 0, rw, anon, -1, 0), -EINVAL);
	CHECK_RET(sys(SYS_mmap, 0, P, rw, MAP_ANONYMOUS, -1, 0), -EINVAL);  /* neither private nor shared */
	CHECK_RET(sys(SYS_mmap, a + 1, P, rw, anon | MAP_FIXED, -1, 0), -EINVAL);
	CHECK_RET(sys(SYS_mmap, 0, 1ul << 47, rw, anon, -1, 0), -ENOMEM);
	CHECK_RET(sys(SYS_mmap, 0, -P, rw, anon, -1, 0), -ENOMEM);  /* rounds past the top */
	CHECK_RET(sys(SYS_mmap, 0x7ffffffff000ul, P, rw, anon | MAP_FIXED, -1, 0), -ENOMEM);
	CHECK_RET(sys(SYS_mmap, 0x7fffffffe000ul, 2 * P, rw, anon | MAP_FIXED, -1, 0), -ENOMEM);
	CHECK_RET(sys(SYS_mmap, 0, P, rw, MAP_PRIVATE, 9999, 0), -EBADF);
	unmap_pages(a, 1);
	return NULL;
}

static const char *test_mmap_fixed(void)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *a = map_pages(4, rw);

	CHECK(a, "mmap failed");
	memset(a, 0x55, 4 * P);
	/* MAP_FIXED replaces what was there: the page comes back zero, its neighbours stay. */
	CHECK_RET(sys(SYS_mmap, a + P, P, rw, anon | MAP_FIXED, -1, 0), a + P);
	CHECK(a[P] == 0 && a[2 * P - 1] == 0, "MAP_FIXED page not zero");
	CHECK(a[P - 1] == 0x55 && a[2 * P] == 0x55, "MAP_FIXED disturbed the neighbours");
	/* MAP_FIXED_NOREPLACE refuses an occupied range, even partly occupied. */
	CHECK_RET(sys(SYS_mmap, a + 2 * P, P, rw, anon | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
	CHECK_RET(sys(SYS_mmap, a + 3 * P, 2 * P, rw, anon | MAP_FIXED_NOREPLACE, -1, 0),
		  -EEXIST);
	CHECK(a[2 * P] == 0x55, "a refused MAP_FIXED_NOREPLACE changed the page");
	CHECK_RET(sys(SYS_munmap, a, 4 * P), 0);
	/* ... and takes a free one, at exactly that address. */
	CHECK_RET(sys(SYS_mmap, a + P, P, rw, anon | MAP_FIXED_NOREPLACE, -1, 0), a + P);
	CHECK(a[P] == 0, "MAP_FIXED_NOREPLACE page not zero");
	CHECK_RET(sys(SYS_munmap, a + P, P), 0);
	/* A hint without MAP_FIXED is only a hint, but the result is a usable mapping. */
	long h = sys(SYS_mmap, a, P, rw, anon, -1, 0);

	CHECK(!is_err(h) && (h & (P - 1)) == 0, "mmap with a hint = %s", ret_name(h));
	((char *)h)[0] = 1;
	CHECK_RET(sys(SYS_munmap, h, P), 0);
	return NULL;
}

static const char *test_mmap_prot_none(void)
{
	char *a = map_pages(2, PROT_NONE);
	unsigned char vec[2] = { 9, 9 };

	CHECK(a, "mmap PROT_NONE failed");
	CHECK_RET(sys(SYS_mincore, a, 2 * P, vec), 0);
	CHECK(vec[0] == 0 && vec[1] == 0, "PROT_NONE pages resident");
	CHECK_RET(sys(SYS_mprotect, a, 2 * P, PROT_READ | PROT_WRITE), 0);
	a[P] = 3;
	CHECK(a[0] == 0 && a[P] == 3, "after mprotect: wrong contents");
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	return NULL;
}

static const char *test_mmap_file(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY), m;

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	/* Two pages from offset 4096. */
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, 2 * P, PROT_READ, MAP_PRIVATE, fd, P);

	CHECK(!is_err((long)a), "mmap of the file = %s", ret_name((long)a));
	CHECK(!(m = pattern_mismatch(a, P, 2 * P)), "mapped bytes wrong at +%ld", m - 1);
	/* Not writable: the kernel cannot store into it either. */
	CHECK_RET(sys(SYS_read, fd, a, 1), -EFAULT);
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	/* The whole file: the last page's bytes past the end of the file read as zero. */
	a = (unsigned char *)sys(SYS_mmap, 0, DATA_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(!is_err((long)a), "mmap of the whole file = %s", ret_name((long)a));
	CHECK(!(m = pattern_mismatch(a, 0, DATA_SIZE)), "whole file wrong at +%ld", m - 1);
	for (long i = DATA_SIZE; i < 4 * P; i++)
		CHECK(a[i] == 0, "byte %ld past the end of the file is %d", i, a[i]);
	/* The mapping outlives the descriptor. */
	CHECK_RET(sys(SYS_close, fd), 0);
	CHECK(a[5000] == expected_byte(5000), "after close: wrong byte");
	CHECK_RET(sys(SYS_munmap, a, DATA_SIZE), 0);
	return NULL;
}

static const char *test_mmap_file_private_write(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY), m;
	unsigned char buf[8];

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, DATA_SIZE, PROT_READ | PROT_WRITE,
						MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)a), "mmap private writable = %s", ret_name((long)a));
	a[3 * P + 5] = 0xee;   /* the last page: part file, part zero */
	a[3 * P + 200] = 0xdd;
	a[10] = 0xcc;
	CHECK(a[3 * P + 4] == expected_byte(3 * P + 4), "copy lost the file's bytes");
	CHECK(a[3 * P + 199] == 0, "copy's tail is not zero");
	CHECK(!(m = pattern_mismatch(a + P, P, P)), "untouched page wrong at +%ld", m - 1);
	/* The kernel's store into an untouched page of it: a copy-on-write fault during
	 * the copy, resolved as for the process's own store. */
	CHECK_RET(sys(SYS_lseek, fd, 2 * P, SEEK_SET), 2 * P);
	CHECK_RET(sys(SYS_read, fd, a + 2 * P + 64, 8), 8);
	CHECK(!pattern_mismatch(a + 2 * P + 64, 2 * P, 8), "read into the copy: wrong bytes");
	CHECK(a[2 * P + 63] == expected_byte(2 * P + 63), "the copy lost its neighbour byte");
	CHECK_RET(sys(SYS_lseek, fd, 0, SEEK_SET), 0);
	/* The file itself is unchanged, and so is a second mapping of it. */
	CHECK_RET(sys(SYS_read, fd, buf, 8), 8);
	CHECK(!pattern_mismatch(buf, 0, 8), "a private write reached the file");
	unsigned char *b = (unsigned char *)sys(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)b), "second mmap = %s", ret_name((long)b));
	CHECK(b[10] == expected_byte(10), "a private write reached another mapping");
	CHECK_RET(sys(SYS_munmap, b, P), 0);
	CHECK_RET(sys(SYS_munmap, a, DATA_SIZE), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

static const char *test_mmap_file_errors(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, fd, 100), -EINVAL);
	CHECK_RET(sys(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE, fd, 0), -EINVAL);
	/* A shared writable mapping would write to a file opened read-only. */
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), -EACCES);
	CHECK_RET(sys(SYS_close, fd), 0);
	CHECK_RET(sys(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, fd, 0), -EBADF);
	return NULL;
}

/* Splitting a file mapping (munmap, mprotect) before any page is touched: every
 * piece still maps the right part of the file. */
static const char *test_mmap_file_split(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY), m;

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, 4 * P, PROT_READ, MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)a), "mmap = %s", ret_name((long)a));
	CHECK_RET(sys(SYS_munmap, a + P, P), 0);
	CHECK_RET(sys(SYS_mprotect, a + 2 * P, P, PROT_NONE), 0);
	CHECK(!(m = pattern_mismatch(a + 3 * P, 3 * P, DATA_SIZE - 3 * P)),
	      "page 3 after the splits: byte %ld wrong", m - 1);
	CHECK(a[4 * P - 1] == 0, "page 3's tail past the file is not zero");
	CHECK_RET(sys(SYS_mprotect, a + 2 * P, P, PROT_READ), 0);
	CHECK(!(m = pattern_mismatch(a + 2 * P, 2 * P, P)), "page 2: byte %ld wrong", m - 1);
	CHECK(!(m = pattern_mismatch(a, 0, P)), "page 0: byte %ld wrong", m - 1);
	CHECK_RET(sys(SYS_write, 1, a + P, 1), -EFAULT);
	/* MAP_FIXED of the file's page 1 into the hole, at its own offset. */
	CHECK_RET(sys(SYS_mmap, a + P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, P), a + P);
	CHECK(!(m = pattern_mismatch(a, 0, DATA_SIZE)), "whole file again: byte %ld wrong", m - 1);
	CHECK_RET(sys(SYS_munmap, a, 4 * P), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* MADV_DONTNEED on a private file mapping drops the private copy: the file's bytes return. */
static const char *test_madvise_file(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	unsigned char *a = (unsigned char *)sys(SYS_mmap, 0, 2 * P, PROT_READ | PROT_WRITE,
						MAP_PRIVATE, fd, 0);

	CHECK(!is_err((long)a), "mmap = %s", ret_name((long)a));
	a[100] = 0xab;
	a[P + 100] = 0xcd;
	CHECK_RET(sys(SYS_madvise, a, P, MADV_DONTNEED), 0);
	CHECK(a[100] == expected_byte(100), "after DONTNEED: byte %d, not the file's %d", a[100],
	      expected_byte(100));
	CHECK(a[P + 100] == 0xcd, "DONTNEED of page 0 dropped page 1's copy");
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* Many small mappings that cannot merge (alternating protections), then all gone. */
static const char *test_mmap_many(void)
{
	enum { N = 300 };
	static char *maps[N];
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK(fd >= 0, "open = %s", ret_name(fd));
	for (int i = 0; i < N; i++) {
		maps[i] = map_pages(1, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE);
		CHECK(maps[i], "mapping %d of %d failed", i + 1, N);
		if (i % 2 == 0)
			maps[i][0] = (char)i;
	}
	for (int i = 0; i < N; i++) {
		CHECK(maps[i][0] == (i % 2 ? 0 : (char)i), "mapping %d lost its byte", i);
		if (i % 2)
			CHECK_RET(sys(SYS_read, fd, maps[i], 1), -EFAULT);
	}
	for (int i = 0; i < N; i++)
		CHECK_RET(sys(SYS_munmap, maps[i], P), 0);
	unsigned char vec;

	CHECK_RET(sys(SYS_mincore, maps[N / 2], P, &vec), -ENOMEM);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

/* ---- munmap ------------------------------------------------------------------------- */

static const char *test_munmap_split(void)
{
	char *a = map_pages(3, PROT_READ | PROT_WRITE);
	unsigned char vec[3];

	CHECK(a, "mmap failed");
	for (int i = 0; i < 3; i++)
		memset(a + i * P, 'a' + i, P);
	/* The middle page goes: one mapping becomes two. */
	CHECK_RET(sys(SYS_munmap, a + P, P), 0);
	CHECK(a[0] == 'a' && a[P - 1] == 'a' && a[2 * P] == 'c' && a[3 * P - 1] == 'c',
	      "the pieces lost their contents");
	CHECK_RET(sys(SYS_mincore, a + P, P, vec), -ENOMEM);
	CHECK_RET(sys(SYS_mincore, a, P, vec), 0);
	CHECK_RET(sys(SYS_mincore, a + 2 * P, P, vec), 0);
	CHECK_RET(sys(SYS_write, 1, a + P, 1), -EFAULT);
	/* The hole is free again. */
	CHECK_RET(sys(SYS_mmap, a + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		      MAP_FIXED_NOREPLACE, -1, 0), a + P);
	CHECK(a[P] == 0, "the remapped hole is not zero");
	/* Unmapping across all three (different protections) and the edges. */
	CHECK_RET(sys(SYS_munmap, a, 3 * P), 0);
	CHECK_RET(sys(SYS_mincore, a, 3 * P, vec), -ENOMEM);
	return NULL;
}

static const char *test_munmap_edges(void)
{
	char *a = map_pages(4, PROT_READ | PROT_WRITE);
	unsigned char vec[4];

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_munmap, a, 0), -EINVAL);
	CHECK_RET(sys(SYS_munmap, a + 1, P), -EINVAL);
	CHECK_RET(sys(SYS_munmap, NONCANONICAL, P), -EINVAL);
	CHECK_RET(sys(SYS_munmap, KERNEL_ADDR, P), -EINVAL);
	CHECK_RET(sys(SYS_munmap, a, -P), -EINVAL);        /* wraps around */
	/* A length that is not a multiple of the page size covers the whole last page. */
	CHECK_RET(sys(SYS_munmap, a + 3 * P, 1), 0);
	CHECK_RET(sys(SYS_mincore, a + 3 * P, P, vec), -ENOMEM);
	CHECK_RET(sys(SYS_mincore, a, 3 * P, vec), 0);
	/* Unmapping nothing, or a range with holes, succeeds. */
	CHECK_RET(sys(SYS_munmap, a + 3 * P, P), 0);
	CHECK_RET(sys(SYS_munmap, a, 8 * P), 0);
	CHECK_RET(sys(SYS_mincore, a, P, vec), -ENOMEM);
	return NULL;
}

/* ---- mprotect ----------------------------------------------------------------------- */

static const char *test_mprotect(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);
	char *a = map_pages(3, PROT_READ | PROT_WRITE);

	CHECK(fd >= 0 && a, "set-up failed");
	memset(a, 0x77, 3 * P);
	/* Read-only: the data stays readable; stores (here the kernel's) are refused. */
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_READ), 0);
	CHECK(a[0] == 0x77 && a[3 * P - 1] == 0x77, "read-only pages lost their data");
	CHECK_RET(sys(SYS_read, fd, a + P, 4), -EFAULT);
	/* The middle page made writable again splits the region in three. */
	CHECK_RET(sys(SYS_mprotect, a + P, P, PROT_READ | PROT_WRITE), 0);
	CHECK_RET(sys(SYS_read, fd, a + P, 4), 4);
	CHECK_RET(sys(SYS_read, fd, a, 4), -EFAULT);
	CHECK_RET(sys(SYS_read, fd, a + 2 * P, 4), -EFAULT);
	CHECK(!pattern_mismatch((unsigned char *)a + P, 0, 4), "read into the middle: wrong");
	/* PROT_NONE: not even the kernel can read it; the data survives. */
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_NONE), 0);
	CHECK_RET(sys(SYS_write, 1, a + 2 * P, 1), -EFAULT);
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_READ | PROT_WRITE), 0);
	CHECK(a[0] == 0x77 && a[2 * P] == 0x77, "PROT_NONE lost the data");
	a[2 * P] = 1;
	CHECK_RET(sys(SYS_munmap, a, 3 * P), 0);
	CHECK_RET(sys(SYS_close, fd), 0);
	return NULL;
}

static const char *test_mprotect_errors(void)
{
	char *a = map_pages(3, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_munmap, a + 2 * P, P), 0);   /* a hole after two pages */
	CHECK_RET(sys(SYS_mprotect, a + 1, P, PROT_READ), -EINVAL);
	CHECK_RET(sys(SYS_mprotect, a, 0, PROT_READ), 0);
	CHECK_RET(sys(SYS_mprotect, a, P, 0x100), -EINVAL);            /* no such bit */
	CHECK_RET(sys(SYS_mprotect, a, 3 * P, PROT_READ), -ENOMEM);    /* runs into the hole */
	CHECK_RET(sys(SYS_mprotect, a + 2 * P, P, PROT_READ), -ENOMEM);
	CHECK_RET(sys(SYS_mprotect, KERNEL_ADDR, P, PROT_READ), -ENOMEM);
	/* A length that is not a multiple of the page size covers the last page. */
	CHECK_RET(sys(SYS_mprotect, a, P + 10, PROT_READ), 0);
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY);

	CHECK_RET(sys(SYS_read, fd, a + P, 1), -EFAULT);
	sys(SYS_close, fd);
	CHECK_RET(sys(SYS_munmap, a, 2 * P), 0);
	return NULL;
}

/* ---- brk ---------------------------------------------------------------------------- */

static const char *test_brk(void)
{
	long start = sys(SYS_brk, 0);

	CHECK(start > 0 && !is_err(start), "brk(0) = %s", ret_name(start));
	CHECK_RET(sys(SYS_brk, 0), start);
	/* Byte-precise: the new break is what was asked. */
	CHECK_RET(sys(SYS_brk, start + 100), start + 100);
	CHECK_RET(sys(SYS_brk, start + 3 * P + 5), start + 3 * P + 5);
	char *heap = (char *)start;

	for (long i = 0; i < 3 * P + 5; i += 256)
		CHECK(heap[i] == 0, "new heap not zero at +%ld", i);
	memset(heap, 0x42, 3 * P + 5);
	/* Refusals return the old break. */
	CHECK_RET(sys(SYS_brk, 1), start + 3 * P + 5);
	CHECK_RET(sys(SYS_brk, 1ul << 46), start + 3 * P + 5);
	CHECK_RET(sys(SYS_brk, KERNEL_ADDR), start + 3 * P + 5);
	/* Shrinking gives the pages back: grown again, they are zero. */
	CHECK_RET(sys(SYS_brk, start), start);
	CHECK_RET(sys(SYS_brk, start + 3 * P), start + 3 * P);
	long page = (start + P - 1) & -P;   /* the first page wholly above the old break */

	CHECK(((char *)page)[0] == 0 && ((char *)page)[P] == 0,
	      "heap pages not zero after shrink and grow");
	CHECK_RET(sys(SYS_brk, start), start);
	/* The heap does not grow into a mapping above it. */
	long above = sys(SYS_mmap, page + 4 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED_NOREPLACE, -1, 0);

	if (!is_err(above)) {
		CHECK_RET(sys(SYS_brk, page + 8 * P), start);
		sys(SYS_munmap, above, P);
	}
	return NULL;
}

/* ---- madvise, mincore ---------------------------------------------------------------- */

static const char *test_madvise_mincore(void)
{
	char *a = map_pages(8, PROT_READ | PROT_WRITE);
	unsigned char vec[8];

	CHECK(a, "mmap failed");
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), 0);
	for (int i = 0; i < 8; i++)
		CHECK(!(vec[i] & 1), "page %d resident before any touch", i);
	a[3 * P] = 1;
	a[5 * P + 100] = 2;
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), 0);
	for (int i = 0; i < 8; i++)
		CHECK((vec[i] & 1) == (i == 3 || i == 5), "after touching 3 and 5: page %d is %d",
		      i, vec[i]);
	/* A length that is not a multiple of the page size: the last page counts. */
	CHECK_RET(sys(SYS_mincore, a + 3 * P, 1, vec), 0);
	CHECK(vec[0] & 1, "mincore of 1 byte of page 3");
	/* DONTNEED drops the page: it reads back zero, and nothing is resident. */
	CHECK_RET(sys(SYS_madvise, a + 3 * P, 2 * P, MADV_DONTNEED), 0);
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), 0);
	CHECK(!(vec[3] & 1) && (vec[5] & 1), "after DONTNEED of 3-4: 3 is %d, 5 is %d", vec[3],
	      vec[5]);
	CHECK(a[3 * P] == 0, "after DONTNEED the page is not zero");
	CHECK(a[5 * P + 100] == 2, "DONTNEED reached past its range");
	/* Errors. */
	CHECK_RET(sys(SYS_madvise, a + 1, P, MADV_DONTNEED), -EINVAL);
	CHECK_RET(sys(SYS_madvise, a, P, 12345), -EINVAL);
	CHECK_RET(sys(SYS_madvise, a, 0, MADV_DONTNEED), 0);
	CHECK_RET(sys(SYS_mincore, a + 1, P, vec), -EINVAL);
	CHECK_RET(sys(SYS_mincore, a, P, KERNEL_ADDR), -EFAULT);
	CHECK_RET(sys(SYS_munmap, a + 4 * P, 4 * P), 0);
	CHECK_RET(sys(SYS_mincore, a, 8 * P, vec), -ENOMEM);
	CHECK_RET(sys(SYS_madvise, a, 8 * P, MADV_DONTNEED), -ENOMEM);
	CHECK_RET(sys(SYS_munmap, a, 4 * P), 0);
	return NULL;
}


const struct usertest memory_tests[] = {
	{ "mmap_anon", test_mmap_anon, PORTABLE },
	{ "mmap_errors", test_mmap_errors, PORTABLE },
	{ "mmap_fixed", test_mmap_fixed, PORTABLE },
	{ "mmap_prot_none", test_mmap_prot_none, PORTABLE },
	{ "mmap_file", test_mmap_file, PORTABLE },
	{ "mmap_file_private_write", test_mmap_file_private_write, PORTABLE },
	{ "mmap_file_errors", test_mmap_file_errors, PORTABLE },
	{ "mmap_file_split", test_mmap_file_split, PORTABLE },
	{ "madvise_file", test_madvise_file, PORTABLE },
	{ "mmap_many", test_mmap_many, PORTABLE },
	{ "munmap_split", test_munmap_split, PORTABLE },
	{ "munmap_edges", test_munmap_edges, PORTABLE },
	{ "mprotect", test_mprotect, PORTABLE },
	{ "mprotect_errors", test_mprotect_errors, PORTABLE },
	{ "brk", test_brk, PORTABLE },
	{ "madvise_mincore", test_madvise_mincore, PORTABLE },
	{ NULL, NULL, 0 },
};
