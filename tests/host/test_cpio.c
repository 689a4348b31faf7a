/*
 * test_cpio.c - suite "cpio": the newc parser (kernel/fs/cpio.c) on
 * archives built here byte by byte, as scripts/mkinitrd.py and GNU cpio
 * write them.
 *
 * Covered: a walk over files, a directory and the trailer (names, sizes,
 * modes, data offsets); names padded with extra NULs so that data starts on
 * a page boundary (the initrd's layout); a missing final padding; each
 * malformed header refused with its own reason (magic, a non-hex digit in
 * each field, namesize 0 or too big, a name without its NUL, a name or data
 * past the end, a misaligned offset, no trailer); every truncation of a
 * valid archive refused without a read past its end (ASan, exact-size
 * buffers); 20,000 seeded random mutations: every walk ends, every refusal
 * has a reason, every accepted entry lies inside the archive.
 * Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/fs/cpio.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "tests/host/cpio_build.h"

struct archive {
	uint8_t bytes[3 * 4096 + 2048];
	size_t len;
};

/* Append one member (tests/host/cpio_build.h); the buffer is big enough for every test. */
static void add(struct archive *a, const char *name, uint32_t mode, const void *data, size_t size,
		size_t data_align)
{
	if (!cpio_add(a->bytes, sizeof(a->bytes), &a->len, name, mode, data, size, data_align))
		abort();
}

static void build(struct archive *a, size_t data_align)
{
	static const char hello[] = "hello, world\n";
	static char big[4096 + 7];

	memset(big, 'b', sizeof(big));
	a->len = 0;
	add(a, "bin", CPIO_S_IFDIR | 0755, NULL, 0, 0);
	add(a, "hello", CPIO_S_IFREG | 0755, hello, sizeof(hello) - 1, data_align);
	add(a, "bin/big", CPIO_S_IFREG | 0644, big, sizeof(big), data_align);
	add(a, CPIO_TRAILER, 0, NULL, 0, 0);
}

/* Walk archive [p, p + size) to its trailer; the number of members before it, or -1 with why. */
static long walk(const void *p, uint64_t size, struct cpio_entry *entries, size_t max, char *why,
		 size_t why_size)
{
	uint64_t off = 0;
	struct cpio_entry e;

	for (long n = 0;; n++) {
		uint64_t before = off;
		if (cpio_next(p, size, &off, &e, why, why_size) != 0)
			return -1;
		if (off <= before)
			return snprintf(why, why_size, "offset did not advance"), -1;
		if (e.trailer)
			return n;
		if (entries && (size_t)n < max)
			entries[n] = e;
	}
}

static const char *test_walk(void)
{
	static struct archive a;
	struct cpio_entry e[4];
	char why[160];

	build(&a, 0);
	long n = walk(a.bytes, a.len, e, 4, why, sizeof(why));
	CHECKF(n == 3, "walk: %ld members (%s)", n, why);
	CHECK(!strcmp(e[0].name, "bin") && (e[0].mode & CPIO_S_IFMT) == CPIO_S_IFDIR && e[0].size == 0);
	CHECK(!strcmp(e[1].name, "hello") && e[1].name_len == 5 && e[1].size == 13 &&
	      e[1].mode == (CPIO_S_IFREG | 0755) && e[1].nlink == 1 && e[1].mtime == 0x5f5e100);
	CHECK(!memcmp(a.bytes + e[1].data_offset, "hello, world\n", 13));
	CHECK(!strcmp(e[2].name, "bin/big") && e[2].size == 4103 && a.bytes[e[2].data_offset] == 'b' &&
	      a.bytes[e[2].data_offset + 4102] == 'b');
	CHECK(e[1].data_offset % 4 == 0 && e[2].data_offset % 4 == 0);
	return NULL;
}

static const char *test_page_aligned(void)
{
	static struct archive a;
	struct cpio_entry e[4];
	char why[160];

	build(&a, 4096);
	long n = walk(a.bytes, a.len, e, 4, why, sizeof(why));
	CHECKF(n == 3, "walk: %ld members (%s)", n, why);
	CHECKF(e[1].data_offset % 4096 == 0 && e[2].data_offset % 4096 == 0,
	       "data at 0x%llx and 0x%llx", (unsigned long long)e[1].data_offset,
	       (unsigned long long)e[2].data_offset);
	CHECK(!strcmp(e[1].name, "hello") && e[1].name_len == 5);
	CHECK(!memcmp(a.bytes + e[1].data_offset, "hello, world\n", 13));
	return NULL;
}

/* The trailer's padding may be missing: the walk still ends cleanly at the end of the bytes. */
static const char *test_unpadded_end(void)
{
	static struct archive a;
	char why[160];

	a.len = 0;
	add(&a, "x", CPIO_S_IFREG | 0644, "x", 1, 0);
	add(&a, CPIO_TRAILER, 0, NULL, 0, 0);
	/* the trailer member is 110 + 11 bytes and 3 of padding: cut them */
	for (size_t cut = 1; cut <= 3; cut++) {
		long n = walk(a.bytes, a.len - cut, NULL, 0, why, sizeof(why));
		CHECKF(n == 1, "cut %zu: %ld (%s)", cut, n, why);
	}
	return NULL;
}

struct bad {
	const char *name;
	size_t at;         /* byte offset in the built archive (no data alignment) */
	const char *bytes; /* written there */
	const char *expect;
	size_t cut;        /* nonzero: the archive is cut to this many bytes */
};

/* Offsets in build(&a, 0): member 0 "bin" at 0 (header 110, name 4 -> 116), member 1 at 116. */
static const struct bad bads[] = {
	{"magic", 116, "070707", "bad magic", 0},
	{"crc_format", 116, "070702", "bad magic", 0},
	{"ino_digit", 116 + 6, "0000000g", "field ino", 0},
	{"mode_digit", 116 + 14, " 0000000", "field mode", 0},
	{"filesize_digit", 116 + 54, "0000000-", "field filesize", 0},
	{"check_digit", 116 + 102, "x", "field check", 0},
	{"namesize_0", 116 + 94, "00000000", "namesize 0", 0},
	{"namesize_big", 116 + 94, "00001001", "namesize 4097", 0},
	{"namesize_past", 116 + 94, "00000fff", "name (4095 bytes) runs past", 400},
	{"name_no_nul", 116 + 94, "00000005", "no NUL", 0},
	{"filesize_past", 116 + 54, "00100000", "filesize 0x100000 runs past", 0},
};

static const char *test_malformed(void)
{
	static struct archive a;
	char why[200];

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		build(&a, 0);
		CHECKF(!memcmp(a.bytes + 116, "070701", 6), "member 1 is not at 116");
		memcpy(a.bytes + bads[i].at, bads[i].bytes, strlen(bads[i].bytes));
		if (bads[i].cut)
			a.len = bads[i].cut;
		uint8_t *copy = malloc(a.len);
		CHECK(copy);
		memcpy(copy, a.bytes, a.len);
		memset(why, 'X', sizeof(why));
		long n = walk(copy, a.len, NULL, 0, why, sizeof(why));
		free(copy);
		CHECKF(n == -1, "%s: accepted (%ld members)", bads[i].name, n);
		CHECKF(memchr(why, '\0', sizeof(why)) && strstr(why, bads[i].expect),
		       "%s: \"%.150s\" lacks \"%s\"", bads[i].name, why, bads[i].expect);
		CHECKF(strstr(why, "member at 0x74"), "%s: \"%.150s\" does not name the member",
		       bads[i].name, why);
	}
	/* no trailer: the walk runs off the end */
	build(&a, 0);
	CHECK(walk(a.bytes, a.len - 124, NULL, 0, why, sizeof(why)) == -1 && strstr(why, CPIO_TRAILER));
	/* a misaligned offset */
	uint64_t off = 2;
	struct cpio_entry e;
	CHECK(cpio_next(a.bytes, a.len, &off, &e, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "multiple of 4") && off == 2);
	/* an offset past the end */
	off = a.len + 4;
	CHECK(cpio_next(a.bytes, a.len, &off, &e, NULL, 0) == -EINVAL);
	return NULL;
}

static const char *test_truncations(void)
{
	static struct archive a;
	char why[160];

	build(&a, 4096);
	for (size_t size = 0; size < a.len; size++) {
		uint8_t *copy = malloc(size ? size : 1);
		CHECK(copy);
		memcpy(copy, a.bytes, size);
		long n = walk(copy, size, NULL, 0, why, sizeof(why));
		free(copy);
		/* the last 1..3 bytes are the trailer's padding, which may be cut */
		if (size + 3 < a.len)
			CHECKF(n == -1 && why[0], "cut to %zu of %zu bytes: %ld", size, a.len, n);
	}
	return NULL;
}

static const char *test_random(void)
{
	static struct archive a;
	uint64_t rng = 0x6a09e667f3bcc909ull;
	unsigned accepted = 0, refused = 0;

	for (int it = 0; it < 20000; it++) {
		build(&a, it % 2 ? 4096 : 0);
		size_t size = a.len;
		for (int m = 1 + (int)random_below(&rng, 4); m > 0; m--) {
			size_t at = (size_t)random_below(&rng, a.len);
			if (random_below(&rng, 3) == 0)
				a.bytes[at] = "0123456789abcdefABCDEF!\0"[random_below(&rng, 24)];
			else if (random_below(&rng, 2))
				a.bytes[at] = (uint8_t)random_next(&rng);
			else
				size = (size_t)random_below(&rng, a.len + 1);
		}
		uint8_t *copy = malloc(size ? size : 1);
		CHECK(copy);
		memcpy(copy, a.bytes, size);
		uint64_t off = 0;
		struct cpio_entry e;
		char why[200];
		int rc, steps = 0;
		while ((rc = cpio_next(copy, size, &off, &e, why, sizeof(why))) == 0 && !e.trailer) {
			if (e.data_offset + e.size > size || e.name < (char *)copy ||
			    e.name + e.name_len >= (char *)copy + size || e.name[e.name_len] != '\0') {
				free(copy);
				return selftest_reason("iteration %d: entry outside the archive", it);
			}
			CHECKF(++steps < 100, "iteration %d: walk does not end", it);
		}
		free(copy);
		if (rc == 0) {
			accepted++;
		} else {
			refused++;
			CHECKF(rc == -EINVAL && why[0], "iteration %d: %d without a reason", it, rc);
		}
	}
	CHECKF(accepted > 1000 && refused > 1000, "%u accepted, %u refused", accepted, refused);
	return NULL;
}

static const struct selftest cpio_tests[] = {
	{"walk", "files, a directory, the trailer: names, sizes, modes, data", test_walk},
	{"page_aligned", "names padded with NULs: data on page boundaries", test_page_aligned},
	{"unpadded_end", "an archive ending without the trailer's padding", test_unpadded_end},
	{"malformed", "11 broken headers, no trailer, bad offsets: each its reason",
	 test_malformed},
	{"truncations", "every cut of an archive refused, nothing read past it (ASan)",
	 test_truncations},
	{"random", "20,000 mutated archives: walks end, entries inside, reasons given",
	 test_random},
};

SELFTEST_SUITE(cpio, cpio_tests);
