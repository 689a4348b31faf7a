/*
 * fuzz_bootinfo.c - a seeded random fuzzer for bootinfo_parse() (host only).
 *
 * bootinfo_parse() reads what the boot loader left in memory, so it must
 * survive any bytes at all. This program starts from a few valid boot
 * information blocks, mutates them (random bytes, tag sizes, interesting
 * 32-bit values, truncation, inserted and deleted tags, random total_size,
 * a misaligned start) and parses each result from a heap buffer of exactly
 * `readable` bytes, with the bytes past total_size poisoned for ASan, so any
 * read outside [mbi, mbi + min(total_size, readable)) stops the program.
 * Every result must be one of:
 *   - -EINVAL with a non-empty, NUL-terminated message;
 *   - 0 with the invariants of struct boot_info (counts within the arrays,
 *     strings NUL-terminated inside the block, RSDP inside and intact).
 * Deterministic: lib/random.h, fixed seed; a failure names the
 * iteration, so it replays exactly. Output follows the selftest format.
 * Hosted code (libc); build with -fsanitize=address,undefined.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bootinfo.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "tests/host/asan_poison.h"

#define FUZZ_SEED 0x9e3779b97f4a7c15ull
#define FUZZ_ITERATIONS 200000
#define FUZZ_BUF_MAX 16384 /* largest block the fuzzer builds */

static struct boot_info fuzz_bi;

/* ---- PRNG: lib/random.h, one stream from FUZZ_SEED ------------------------ */

static uint64_t rng_state = FUZZ_SEED;

static uint64_t rng_next(void)
{
	return random_next(&rng_state);
}

/* An integer in [0, n), n > 0. */
static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)random_below(&rng_state, n);
}

/* ---- building valid seed blocks ------------------------------------------ */

struct block {
	uint8_t bytes[FUZZ_BUF_MAX] __attribute__((aligned(8))); /* the parser wants 8 */
	uint32_t len; /* bytes used (a multiple of 8 while building) */
};

/*
 * memcpy for the hot path: lib/string.c's memcpy (which replaces libc's in
 * this program) copies a byte at a time, too slow under ASan for 200k
 * iterations of multi-KiB blocks. Fixed 8-byte __builtin_memcpy is a load.
 */
static void copy_fast(void *dest, const void *src, size_t n)
{
	uint8_t *d = dest;
	const uint8_t *s = src;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		__builtin_memcpy(&v, s + i, 8);
		__builtin_memcpy(d + i, &v, 8);
	}
	for (; i < n; i++)
		d[i] = s[i];
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the host is little-endian x86-64, like the boot information */
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void block_begin(struct block *b)
{
	memset(b->bytes, 0, sizeof(b->bytes));
	b->len = 8;
}

static uint8_t *block_tag(struct block *b, uint32_t type, uint32_t size)
{
	uint8_t *t = b->bytes + b->len;

	put32(t, type);
	put32(t + 4, size);
	b->len += (size + 7) & ~7u;
	return t;
}

static void block_end(struct block *b)
{
	block_tag(b, BOOTINFO_TAG_END, 8);
	put32(b->bytes, b->len);
}

static void block_string(struct block *b, uint32_t type, const char *s)
{
	uint32_t n = (uint32_t)strlen(s) + 1;

	memcpy(block_tag(b, type, 8 + n) + 8, s, n);
}

static void block_module(struct block *b, uint32_t start, uint32_t end, const char *s)
{
	uint32_t n = (uint32_t)strlen(s) + 1;
	uint8_t *t = block_tag(b, BOOTINFO_TAG_MODULE, 16 + n);

	put32(t + 8, start);
	put32(t + 12, end);
	memcpy(t + 16, s, n);
}

static void block_mmap(struct block *b, uint32_t entry_size, uint32_t n)
{
	uint8_t *t = block_tag(b, BOOTINFO_TAG_MMAP, 16 + n * entry_size);

	put32(t + 8, entry_size);
	for (uint32_t i = 0; i < n; i++) {
		put64(t + 16 + i * entry_size, (uint64_t)i << 20);
		put64(t + 24 + i * entry_size, 0x80000);
		put32(t + 32 + i * entry_size, 1 + i % 5);
	}
}

static void block_efi_mmap(struct block *b, uint32_t desc_size, uint32_t n)
{
	uint8_t *t = block_tag(b, BOOTINFO_TAG_EFI_MMAP, 16 + n * desc_size);

	put32(t + 8, desc_size);
	put32(t + 12, 1);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *d = t + 16 + i * desc_size;
		put32(d, i % 16);
		put64(d + 8, (uint64_t)i << 16);
		put64(d + 24, 16);
		put64(d + 32, 0xf);
	}
}

static void block_rsdp(struct block *b, bool v2)
{
	uint32_t len = v2 ? 36 : 20;
	uint8_t *r = block_tag(b, v2 ? BOOTINFO_TAG_ACPI_NEW : BOOTINFO_TAG_ACPI_OLD, 8 + len) + 8;
	uint8_t sum = 0;

	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "BOCHS ", 6); /* r[8] is the checksum, set below */
	r[15] = v2 ? 2 : 0;
	put32(r + 16, 0x7fe14d2);
	if (v2) {
		put32(r + 20, 36);
		put64(r + 24, 0x7fe1500);
	}
	for (int i = 0; i < 20; i++)
		sum = (uint8_t)(sum + r[i]);
	r[8] = (uint8_t)-sum;
	if (v2) {
		sum = 0;
		for (int i = 0; i < 36; i++)
			sum = (uint8_t)(sum + r[i]);
		r[32] = (uint8_t)-sum;
	}
}

static void block_u32(struct block *b, uint32_t type, uint32_t size, uint32_t v)
{
	put32(block_tag(b, type, size) + 8, v);
}

#define SEED_COUNT 4
static struct block seeds[SEED_COUNT];

/* What GRUB gives on a BIOS PC, on a UEFI PC, the smallest block, and one with long maps. */
static void build_seeds(void)
{
	struct block *b = &seeds[0];
	block_begin(b);
	block_string(b, BOOTINFO_TAG_CMDLINE, "console=ttyS0 selftest");
	block_string(b, BOOTINFO_TAG_BOOTLOADER, "GRUB 2.12");
	block_module(b, 0x400000, 0x480000, "initrd");
	block_u32(b, BOOTINFO_TAG_BASIC_MEMINFO, 16, 639);
	block_tag(b, BOOTINFO_TAG_BOOTDEV, 20);
	block_mmap(b, 24, 7);
	uint8_t *fb = block_tag(b, BOOTINFO_TAG_FRAMEBUFFER, 32);
	put64(fb + 8, 0xb8000);
	fb[29] = BOOTINFO_FB_EGA_TEXT;
	block_tag(b, BOOTINFO_TAG_ELF_SECTIONS, 20 + 64 * 3);
	block_rsdp(b, false);
	block_u32(b, BOOTINFO_TAG_LOAD_BASE, 12, 0x200000);
	block_end(b);

	b = &seeds[1];
	block_begin(b);
	block_string(b, BOOTINFO_TAG_CMDLINE, "");
	block_string(b, BOOTINFO_TAG_BOOTLOADER, "GRUB 2.06-13");
	put64(block_tag(b, BOOTINFO_TAG_EFI64, 16) + 8, 0x7f9e018);
	block_rsdp(b, false);
	block_rsdp(b, true);
	block_mmap(b, 24, 12);
	block_efi_mmap(b, 48, 20);
	block_tag(b, BOOTINFO_TAG_EFI_BS, 8);
	block_module(b, 0x500000, 0x500010, "a module with a long command line");
	block_module(b, 0x600000, 0x600000, "");
	fb = block_tag(b, BOOTINFO_TAG_FRAMEBUFFER, 38); /* GOP: 32 bpp, x8r8g8b8 */
	put64(fb + 8, 0x80000000);
	put32(fb + 16, 4096);
	put32(fb + 20, 1024);
	put32(fb + 24, 768);
	fb[28] = 32;
	fb[29] = BOOTINFO_FB_RGB;
	memcpy(fb + 32, (const uint8_t[]){16, 8, 8, 8, 0, 8}, 6);
	block_end(b);

	b = &seeds[2];
	block_begin(b);
	block_end(b);

	b = &seeds[3];
	block_begin(b);
	block_mmap(b, 24, BOOTINFO_MMAP_MAX + 2);
	block_efi_mmap(b, 40, 24);
	block_string(b, BOOTINFO_TAG_CMDLINE, "a b c");
	block_end(b);
}

/* ---- mutations ------------------------------------------------------------ */

/* Offsets of the tag headers reachable by walking sizes (stops at anything odd). */
static uint32_t find_tags(const struct block *b, uint32_t *offsets, uint32_t max)
{
	uint32_t n = 0, off = 8;

	while (n < max && off + 8 <= b->len) {
		uint32_t size = get32(b->bytes + off + 4);
		offsets[n++] = off;
		if (size < 8 || size > b->len - off)
			break;
		off += (size + 7) & ~7u;
	}
	return n;
}

static uint32_t interesting_u32(const struct block *b)
{
	static const uint32_t values[] = {
		0, 1, 4, 7, 8, 9, 12, 15, 16, 17, 20, 23, 24, 28, 32, 36, 40, 44, 48,
		0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff,
	};

	switch (rng_below(4)) {
	case 0:
		return b->len + rng_below(17) - 8;
	case 1:
		return rng_below(4096);
	default:
		return values[rng_below(sizeof(values) / sizeof(values[0]))];
	}
}

/* Insert `n` bytes at off (shifting the rest), keeping within the buffer. */
static bool insert_gap(struct block *b, uint32_t off, uint32_t n)
{
	if (b->len + n > FUZZ_BUF_MAX || off > b->len)
		return false;
	memmove(b->bytes + off + n, b->bytes + off, b->len - off);
	b->len += n;
	return true;
}

/*
 * One random change. Most keep total_size consistent with the new length
 * so that the parser gets past the first checks and into the tags.
 */
static void mutate(struct block *b)
{
	uint32_t tags[64];
	uint32_t ntags = find_tags(b, tags, 64);
	uint32_t tag = ntags ? tags[rng_below(ntags)] : 8;
	uint32_t tag_size = 0; /* the tag's size, clipped to the block; 0 if no header */

	if (tag + 8 <= b->len) {
		tag_size = get32(b->bytes + tag + 4);
		if (tag_size > b->len - tag)
			tag_size = b->len - tag;
	}

	switch (rng_below(10)) {
	case 0: /* a few random bytes anywhere */
		for (uint32_t i = 1 + rng_below(4); i > 0 && b->len; i--)
			b->bytes[rng_below(b->len)] = (uint8_t)rng_next();
		break;
	case 1: /* a random byte inside one tag's contents */
		if (tag_size > 8)
			b->bytes[tag + 8 + rng_below(tag_size - 8)] = (uint8_t)rng_next();
		break;
	case 2: /* a tag's size */
		if (tag + 8 <= b->len)
			put32(b->bytes + tag + 4, interesting_u32(b));
		break;
	case 3: /* a tag's type */
		if (tag + 8 <= b->len)
			put32(b->bytes + tag, rng_below(4) ? rng_below(24) : (uint32_t)rng_next());
		break;
	case 4: /* an interesting value in a field (entry_size, mod_end, RSDP length, ...) */
		if (tag_size >= 12) {
			uint32_t field = 8 + 4 * rng_below((tag_size - 8) / 4);
			put32(b->bytes + tag + field, interesting_u32(b));
		}
		break;
	case 5: { /* insert a random tag at a tag boundary */
		uint32_t size = rng_below(4) ? 8 + rng_below(64) : rng_below(600);
		uint32_t room = (size + 7) & ~7u;
		if (room < 8)
			room = 8;
		if (!insert_gap(b, tag, room))
			break;
		put32(b->bytes + tag, rng_below(3) ? rng_below(24) : (uint32_t)rng_next());
		put32(b->bytes + tag + 4, size);
		for (uint32_t i = 8; i < room; i++)
			b->bytes[tag + i] = rng_below(3) ? (uint8_t)rng_next() : 0;
		put32(b->bytes, b->len);
		break;
	}
	case 6: /* delete a tag (and keep total_size right) */
		if (ntags >= 2 && tag + 8 <= b->len) {
			uint32_t size = (get32(b->bytes + tag + 4) + 7) & ~7u;
			if (size >= 8 && size <= b->len - tag) {
				memmove(b->bytes + tag, b->bytes + tag + size, b->len - tag - size);
				b->len -= size;
				put32(b->bytes, b->len);
			}
		}
		break;
	case 7: /* truncate */
		b->len = rng_below(b->len + 1);
		if (rng_below(2) && b->len >= 4)
			put32(b->bytes, b->len);
		break;
	case 8: /* random total_size */
		if (b->len >= 4)
			put32(b->bytes, interesting_u32(b));
		break;
	case 9: /* duplicate a tag in place */
		if (tag + 8 <= b->len) {
			uint32_t size = (get32(b->bytes + tag + 4) + 7) & ~7u;
			if (size >= 8 && size <= b->len - tag && insert_gap(b, tag, size)) {
				memcpy(b->bytes + tag, b->bytes + tag + size, size);
				put32(b->bytes, b->len);
			}
		}
		break;
	}
}

/* ---- checking one parse --------------------------------------------------- */

static char fail_reason[256];

static const char *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return fail_reason;
}

/* Is s a NUL-terminated string lying inside [base, base + size)? */
static bool string_inside(const char *s, const uint8_t *base, size_t size)
{
	const uint8_t *p = (const uint8_t *)s;

	if (!s || p < base || p >= base + size)
		return false;
	return memchr(p, '\0', base + size - p) != NULL;
}

/*
 * The end of the tag holding address p, found by walking the tags of a block
 * the parser accepted (so the walk is known to be sound); NULL if p is in no
 * tag. Strings and the RSDP must end inside their own tag, not merely
 * somewhere in the block.
 */
static const uint8_t *tag_end_of(const void *p, const uint8_t *mbi, uint32_t total)
{
	const uint8_t *q = p;

	for (uint32_t off = 8; off + 8 <= total;) {
		uint32_t size = get32(mbi + off + 4);
		if (get32(mbi + off) == BOOTINFO_TAG_END || size < 8 || size > total - off)
			return NULL;
		if (q >= mbi + off + 8 && q < mbi + off + size)
			return mbi + off + size;
		off += (size + 7) & ~7u;
	}
	return NULL;
}

/* A string in its own tag: the NUL comes before the tag ends. */
static bool string_in_tag(const char *s, const uint8_t *mbi, uint32_t total)
{
	const uint8_t *end = tag_end_of(s, mbi, total);

	return end && memchr(s, '\0', end - (const uint8_t *)s) != NULL;
}

static bool is_empty_literal(const char *s)
{
	return s && s[0] == '\0';
}

/* The invariants of a successful parse of the block at mbi (readable bytes). */
static const char *check_ok(const struct boot_info *bi, const uint8_t *mbi, size_t readable)
{
	size_t total = bi->mbi_size;

	if (total < 16 || total > readable || total % 8)
		return fail("accepted with mbi_size %zu (readable %zu)", total, readable);
	if (!string_in_tag(bi->cmdline, mbi, total) && !is_empty_literal(bi->cmdline))
		return fail("cmdline not a string inside its tag");
	if (!string_in_tag(bi->bootloader, mbi, total) && !is_empty_literal(bi->bootloader))
		return fail("bootloader not a string inside its tag");
	if (bi->mmap_count > BOOTINFO_MMAP_MAX || bi->efi_mmap_count > BOOTINFO_EFI_MMAP_MAX ||
	    bi->module_count > BOOTINFO_MODULES_MAX || bi->warning_count > BOOTINFO_WARNINGS_MAX)
		return fail("a count beyond its array");
	if (bi->mmap_truncated && bi->mmap_count != BOOTINFO_MMAP_MAX)
		return fail("mmap_truncated with only %zu entries", bi->mmap_count);
	if (bi->efi_mmap_truncated && bi->efi_mmap_count != BOOTINFO_EFI_MMAP_MAX)
		return fail("efi_mmap_truncated with only %zu entries", bi->efi_mmap_count);
	if (bi->mmap_count && !bi->mmap_present)
		return fail("mmap entries without the tag");
	for (size_t i = 0; i < bi->module_count; i++) {
		if (!string_inside(bi->modules[i].cmdline, mbi, total) ||
		    !string_in_tag(bi->modules[i].cmdline, mbi, total))
			return fail("module %zu cmdline not a string inside its tag", i);
		if (bi->modules[i].end < bi->modules[i].start)
			return fail("module %zu ends before it starts", i);
	}
	for (unsigned i = 0; i < bi->warning_count; i++)
		if (!memchr(bi->warnings[i], '\0', BOOTINFO_WARNING_LEN) || !bi->warnings[i][0])
			return fail("warning %u empty or unterminated", i);
	const struct boot_framebuffer *fb = &bi->framebuffer;
	if (fb->rgb_valid) {
		const struct boot_fb_field f[3] = {fb->red, fb->green, fb->blue};
		uint64_t seen = 0;
		if (!fb->present || fb->type != BOOTINFO_FB_RGB)
			return fail("rgb_valid on a framebuffer that is not RGB");
		for (int i = 0; i < 3; i++) {
			if (f[i].size < 1 || f[i].size > 16 || f[i].position + f[i].size > fb->bpp)
				return fail("rgb_valid with field %u:%u in %u bpp", f[i].position,
					    f[i].size, fb->bpp);
			uint64_t mask = ((1ull << f[i].size) - 1) << f[i].position;
			if (seen & mask)
				return fail("rgb_valid with overlapping fields");
			seen |= mask;
		}
	}
	if (bi->acpi.rsdp) {
		const uint8_t *r = bi->acpi.rsdp;
		const uint8_t *end = tag_end_of(r, mbi, total);
		if (!bi->acpi.valid || !end || r + bi->acpi.length > end)
			return fail("RSDP (%u bytes) not inside its tag, or not valid",
				    bi->acpi.length);
		if (memcmp(r, "RSD PTR ", 8) != 0)
			return fail("RSDP accepted without its signature");
		uint8_t sum20 = 0, sum = 0;
		for (uint32_t i = 0; i < bi->acpi.length; i++) {
			sum = (uint8_t)(sum + r[i]);
			if (i < 20)
				sum20 = sum;
		}
		if (bi->acpi.length < 20 || sum20 != 0 || sum != 0)
			return fail("RSDP accepted with a bad checksum");
	} else if (bi->acpi.valid) {
		return fail("acpi.valid without an RSDP");
	}
	if (!memchr(bi->acpi.oem_id, '\0', sizeof(bi->acpi.oem_id)))
		return fail("OEM id unterminated");
	return NULL;
}

struct fuzz_stats {
	unsigned long accepted, rejected;
};

/*
 * Parse b from a heap copy of exactly `readable` bytes (shifted by 4 if
 * misaligned); poison what lies past total_size. NULL or a failure reason.
 */
static const char *fuzz_one(const struct block *b, size_t readable, bool misaligned,
			    struct fuzz_stats *st)
{
	char err[160];
	size_t shift = misaligned ? 4 : 0;
	size_t alloc_size = readable + shift;
	uint8_t *alloc = malloc(alloc_size ? alloc_size : 1);
	const char *reason = NULL;

	if (!alloc)
		return fail("out of host memory");
	uint8_t *mbi = alloc + shift;
	copy_fast(mbi, b->bytes, readable);
	/* The block's own view of its size: bytes past it must not be read. */
	uint32_t total = readable >= 4 ? get32(mbi) : 0;
	size_t fence = total < 8 ? 8 : ((size_t)total + 7) & ~(size_t)7;
	if (!misaligned && fence < readable)
		POISON(mbi + fence, readable - fence);

	memset(err, 'X', sizeof(err));
	int rc = bootinfo_parse(mbi, 0x9000, readable, &fuzz_bi, err, sizeof(err));
	if (rc == -EINVAL) {
		st->rejected++;
		if (!memchr(err, '\0', sizeof(err)) || err[0] == '\0')
			reason = fail("-EINVAL without a message");
	} else if (rc == 0) {
		st->accepted++;
		if (misaligned)
			reason = fail("accepted a misaligned block");
		else if (err[0] != '\0')
			reason = fail("success with an error message: %s", err);
		else
			reason = check_ok(&fuzz_bi, mbi, readable);
		if (!reason && (st->accepted % 64) == 0) {
			/* exercise the printer and cmdline_has on accepted input (no output) */
			bootinfo_print(&fuzz_bi);
			(void)bootinfo_cmdline_has(&fuzz_bi, "selftest");
		}
	} else {
		reason = fail("unexpected return value %d", rc);
	}
	UNPOISON(alloc, alloc_size);
	free(alloc);
	return reason;
}

int main(void)
{
	static struct block work;
	struct fuzz_stats st = { 0, 0 };
	unsigned passed = 0, failed = 0;
	const char *reason = NULL;

	build_seeds();
	kprintf_set_output(NULL); /* bootinfo_print output is not wanted here */

	/* Group 1: the seeds are accepted cleanly and reach what they are meant to. */
	for (int i = 0; i < SEED_COUNT && !reason; i++) {
		char err[160];
		const struct block *b = &seeds[i];
		if (bootinfo_parse(b->bytes, 0, b->len, &fuzz_bi, err, sizeof(err)) != 0)
			reason = fail("seed %d rejected: %s", i, err);
		else if (!(reason = check_ok(&fuzz_bi, b->bytes, b->len)) &&
			 fuzz_bi.warning_count != (i == 3 ? 1u : 0u))
			reason = fail("seed %d: unexpected warnings: %s", i, fuzz_bi.warnings[0]);
	}
	if (!reason && !(fuzz_bi.mmap_truncated && fuzz_bi.efi_mmap_count == 24))
		reason = fail("seed 3 does not fill the memory map");
	if (!reason && bootinfo_parse(seeds[1].bytes, 0, seeds[1].len, &fuzz_bi, NULL, 0) == 0 &&
	    !(fuzz_bi.acpi.valid && fuzz_bi.acpi.tag == BOOTINFO_TAG_ACPI_NEW &&
	      fuzz_bi.module_count == 2 && fuzz_bi.efi_mmap_count == 20 &&
	      fuzz_bi.framebuffer.rgb_valid && fuzz_bi.framebuffer.red.position == 16))
		reason = fail("seed 1 lacks its valid ACPI 2.0 RSDP, modules, EFI map or RGB "
			      "framebuffer");
	if (reason) {
		printf("selftest: FAIL fuzz/bootinfo_seeds: %s\n", reason);
		failed++;
	} else {
		printf("selftest: PASS fuzz/bootinfo_seeds\n");
		passed++;
	}

	/* Group 2: mutated blocks. */
	reason = NULL;
	unsigned long it;
	for (it = 0; it < FUZZ_ITERATIONS && !reason; it++) {
		const struct block *seed = &seeds[rng_below(SEED_COUNT)];
		copy_fast(work.bytes, seed->bytes, seed->len);
		work.len = seed->len;
		for (uint32_t m = 1 + rng_below(3); m > 0; m--)
			mutate(&work);

		size_t readable = work.len;
		if (rng_below(8) == 0)
			readable = rng_below(work.len + 1); /* cut short of total_size */
		bool misaligned = rng_below(64) == 0;
		reason = fuzz_one(&work, readable, misaligned, &st);
		if (reason) {
			char why[200];
			snprintf(why, sizeof(why), "%s", reason); /* reason is in fail()'s buffer */
			reason = fail("iteration %lu: %s", it, why);
		}
	}
	printf("fuzz_bootinfo: %lu iterations from seed 0x%llx: %lu accepted, %lu rejected\n",
	       it, (unsigned long long)FUZZ_SEED, st.accepted, st.rejected);
	/* A fuzzer that never gets past the first checks tests nothing. */
	if (!reason && (st.accepted < FUZZ_ITERATIONS / 20 || st.rejected < FUZZ_ITERATIONS / 20))
		reason = fail("unbalanced: %lu accepted, %lu rejected", st.accepted, st.rejected);
	if (reason) {
		printf("selftest: FAIL fuzz/bootinfo: %s\n", reason);
		failed++;
	} else {
		printf("selftest: PASS fuzz/bootinfo\n");
		passed++;
	}
	printf("selftest: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
