/*
 * test_bootinfo.c - suite "bootinfo": the multiboot2 boot-information parser.
 *
 * Each test builds a boot information block in a static, 8-byte aligned
 * buffer with the small mb_*() writers below (one per tag kind), parses it
 * with bootinfo_parse() and checks the result:
 *   - a block with every tag the kernel reads gives exactly the values put in;
 *   - unknown tags are skipped and counted, repeats ignored (first wins);
 *   - each kind of malformed block is rejected with -EINVAL and a message
 *     naming the tag, its offset and what is wrong;
 *   - non-fatal findings (bad RSDP copy, maps longer than the arrays, bytes
 *     after the end tag) give warnings and still return 0;
 *   - bootinfo_cmdline_has() matches whole words only;
 *   - bootinfo_print() output has the Linux e820 look.
 * Freestanding (built into the kernel too): lib/ functions only; the buffer
 * and the parse result are static because struct boot_info is ~24 KiB.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/bootinfo.h"
#include "kernel/selftest.h"
#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

/* ---- fixtures --------------------------------------------------------- */

#define TEST_MBI_PHYS 0x10000ull /* any value: the parser only records it */

static uint64_t test_mbi_words[2048]; /* 16 KiB; uint64_t for 8-byte alignment */
static uint64_t test_shifted_words[256]; /* 2 KiB, for the misaligned-pointer test */
static struct boot_info test_bi;
static char test_err[192];

/* Writes tags one after another; remembers the last tag for error messages. */
struct mbi_builder {
	uint8_t *buf;
	uint32_t len;      /* bytes written so far, a multiple of 8 */
	bool overflow;     /* a tag did not fit in the buffer (a test bug) */
	uint32_t last_type;
	uint32_t last_offset;
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static struct mbi_builder mb_begin(void)
{
	memset(test_mbi_words, 0, sizeof(test_mbi_words));
	return (struct mbi_builder){ .buf = (uint8_t *)test_mbi_words, .len = 8 };
}

/* A tag header of the given type and size (payload zeroed); NULL if it does not fit. */
static uint8_t *mb_tag(struct mbi_builder *b, uint32_t type, uint32_t size)
{
	uint32_t room = ALIGN_UP(size, 8u);

	if (b->overflow || room > sizeof(test_mbi_words) - 8 - b->len) {
		b->overflow = true;
		return NULL;
	}
	uint8_t *t = b->buf + b->len;
	put32(t, type);
	put32(t + 4, size);
	b->last_type = type;
	b->last_offset = b->len;
	b->len += room;
	return t;
}

/* Finish: the end tag and total_size. Returns total_size (0 if something overflowed). */
static uint32_t mb_end(struct mbi_builder *b)
{
	if (b->overflow)
		return 0;
	put32(b->buf + b->len, BOOTINFO_TAG_END);
	put32(b->buf + b->len + 4, 8);
	b->len += 8;
	put32(b->buf, b->len);
	return b->len;
}

static uint8_t *mb_string(struct mbi_builder *b, uint32_t type, const char *s)
{
	uint32_t n = (uint32_t)strlen(s) + 1;
	uint8_t *t = mb_tag(b, type, 8 + n);

	if (t)
		memcpy(t + 8, s, n);
	return t;
}

static uint8_t *mb_module(struct mbi_builder *b, uint32_t start, uint32_t end, const char *s)
{
	uint32_t n = (uint32_t)strlen(s) + 1;
	uint8_t *t = mb_tag(b, BOOTINFO_TAG_MODULE, 16 + n);

	if (t) {
		put32(t + 8, start);
		put32(t + 12, end);
		memcpy(t + 16, s, n);
	}
	return t;
}

static uint8_t *mb_meminfo(struct mbi_builder *b, uint32_t lower_kb, uint32_t upper_kb)
{
	uint8_t *t = mb_tag(b, BOOTINFO_TAG_BASIC_MEMINFO, 16);

	if (t) {
		put32(t + 8, lower_kb);
		put32(t + 12, upper_kb);
	}
	return t;
}

/* A memory map tag with entries e[0..n) written with the given stride. */
static uint8_t *mb_mmap(struct mbi_builder *b, uint32_t entry_size,
			const struct boot_mmap_entry *e, uint32_t n)
{
	uint8_t *t = mb_tag(b, BOOTINFO_TAG_MMAP, 16 + n * entry_size);

	if (!t)
		return NULL;
	put32(t + 8, entry_size);
	put32(t + 12, 0); /* entry_version */
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = t + 16 + i * entry_size;
		put64(p, e[i].base);
		put64(p + 8, e[i].length);
		put32(p + 16, e[i].type);
	}
	return t;
}

/* A memory map of n entries: entry i is [i * 4 KiB, +4 KiB), type 1 + i % 5. */
static uint8_t *mb_mmap_seq(struct mbi_builder *b, uint32_t n)
{
	uint8_t *t = mb_tag(b, BOOTINFO_TAG_MMAP, 16 + n * 24);

	if (!t)
		return NULL;
	put32(t + 8, 24);
	for (uint32_t i = 0; i < n; i++) {
		put64(t + 16 + i * 24, (uint64_t)i << 12);
		put64(t + 16 + i * 24 + 8, 0x1000);
		put32(t + 16 + i * 24 + 16, 1 + i % 5);
	}
	return t;
}

/* n EFI descriptors of desc_size bytes: i-th has type i % 16, start i MiB, i + 1 pages. */
static uint8_t *mb_efi_mmap(struct mbi_builder *b, uint32_t desc_size, uint32_t n)
{
	uint8_t *t = mb_tag(b, BOOTINFO_TAG_EFI_MMAP, 16 + n * desc_size);

	if (!t)
		return NULL;
	put32(t + 8, desc_size);
	put32(t + 12, 1); /* descriptor_version */
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *d = t + 16 + i * desc_size;
		put32(d, i % 16);
		put64(d + 8, (uint64_t)i << 20);
		put64(d + 16, 0xdead0000);        /* virtual_start: must be ignored */
		put64(d + 24, i + 1);
		put64(d + 32, 0x8000000000000000ull | i); /* EFI_MEMORY_RUNTIME | i */
		if (desc_size > 40)
			memset(d + 40, 0xee, desc_size - 40); /* future fields: skipped */
	}
	return t;
}

static uint8_t *mb_framebuffer(struct mbi_builder *b, uint64_t addr, uint32_t pitch,
			       uint32_t width, uint32_t height, uint8_t bpp, uint8_t type)
{
	uint8_t *t = mb_tag(b, BOOTINFO_TAG_FRAMEBUFFER, 32); /* GRUB's size for EGA text */

	if (t) {
		put64(t + 8, addr);
		put32(t + 16, pitch);
		put32(t + 20, width);
		put32(t + 24, height);
		t[28] = bpp;
		t[29] = type;
	}
	return t;
}

static uint8_t *mb_u32_tag(struct mbi_builder *b, uint32_t type, uint32_t v)
{
	uint8_t *t = mb_tag(b, type, 12);

	if (t)
		put32(t + 8, v);
	return t;
}

static uint8_t *mb_u64_tag(struct mbi_builder *b, uint32_t type, uint64_t v)
{
	uint8_t *t = mb_tag(b, type, 16);

	if (t)
		put64(t + 8, v);
	return t;
}

/* Make the n bytes at p sum to 0 by adjusting the byte at p[at]. */
static void fix_checksum(uint8_t *p, size_t n, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

/*
 * An ACPI RSDP copy: tag 14 (v1, 20 bytes) or tag 15 (v2, 36 bytes), with
 * correct checksums. Returns the RSDP inside the tag (for corrupting).
 */
static uint8_t *mb_rsdp(struct mbi_builder *b, bool v2, uint32_t rsdt, uint64_t xsdt)
{
	uint32_t len = v2 ? 36 : 20;
	uint8_t *t = mb_tag(b, v2 ? BOOTINFO_TAG_ACPI_NEW : BOOTINFO_TAG_ACPI_OLD, 8 + len);

	if (!t)
		return NULL;
	uint8_t *r = t + 8;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "PAGODA", 6);
	r[15] = v2 ? 2 : 0;
	put32(r + 16, rsdt);
	if (v2) {
		put32(r + 20, 36);
		put64(r + 24, xsdt);
	}
	fix_checksum(r, 20, 8);
	if (v2)
		fix_checksum(r, 36, 32);
	return r;
}

static int test_parse_at(const void *mbi, size_t readable)
{
	memset(test_err, 'X', sizeof(test_err) - 1);
	test_err[sizeof(test_err) - 1] = '\0';
	return bootinfo_parse(mbi, TEST_MBI_PHYS, readable, &test_bi, test_err, sizeof(test_err));
}

static int test_parse(size_t readable)
{
	return test_parse_at(test_mbi_words, readable);
}

/* Is warning text `needle` among the parse result's warnings? */
static bool has_warning(const char *needle)
{
	for (unsigned i = 0; i < test_bi.warning_count; i++)
		if (strstr(test_bi.warnings[i], needle) != NULL)
			return true;
	return false;
}

/* Is p inside the test buffer's first `total` bytes? */
static bool in_mbi(const void *p, uint32_t total)
{
	const uint8_t *base = (const uint8_t *)test_mbi_words;

	return (const uint8_t *)p >= base && (const uint8_t *)p < base + total;
}

/* The memory map used by the complete block (the last entry wraps past 2^64). */
static const struct boot_mmap_entry test_map[] = {
	{ 0x0, 0x9fc00, BOOTINFO_MMAP_AVAILABLE },
	{ 0x9fc00, 0x400, BOOTINFO_MMAP_RESERVED },
	{ 0x100000, 0x7ee0000, BOOTINFO_MMAP_AVAILABLE },
	{ 0x7fe0000, 0x20000, BOOTINFO_MMAP_ACPI_RECLAIMABLE },
	{ 0xfffffffffffff000ull, 0x2000, 7 },
};

/* Build a block with every tag the kernel reads (plus a 48-byte EFI descriptor map). */
static uint32_t build_complete(struct mbi_builder *b)
{
	*b = mb_begin();
	mb_string(b, BOOTINFO_TAG_CMDLINE, "console=ttyS0 selftest");
	mb_string(b, BOOTINFO_TAG_BOOTLOADER, "GRUB 2.12");
	mb_module(b, 0x400000, 0x401000, "initrd one");
	mb_module(b, 0x401000, 0x401000, "");
	mb_meminfo(b, 639, 261120);
	mb_mmap(b, 24, test_map, ARRAY_SIZE(test_map));
	mb_framebuffer(b, 0xb8000, 160, 80, 25, 16, BOOTINFO_FB_EGA_TEXT);
	mb_u64_tag(b, BOOTINFO_TAG_EFI64, 0x7f9e018ull);
	mb_rsdp(b, false, 0x7fe1000, 0);
	mb_rsdp(b, true, 0x7fe1000, 0x7fe2000);
	mb_efi_mmap(b, 48, 3);
	mb_tag(b, BOOTINFO_TAG_EFI_BS, 8);
	mb_u32_tag(b, BOOTINFO_TAG_LOAD_BASE, 0x200000);
	return mb_end(b);
}

/* ---- tests ------------------------------------------------------------ */

static const char *test_complete_block(void)
{
	struct mbi_builder b;
	uint32_t total = build_complete(&b);

	CHECK(total != 0);
	int rc = test_parse(total);
	CHECKF(rc == 0, "parse failed: %d %s", rc, test_err);
	CHECKF(test_err[0] == '\0', "error text on success: %s", test_err);
	CHECK(test_bi.mbi_phys == TEST_MBI_PHYS && test_bi.mbi_size == total);
	CHECK(strcmp(test_bi.cmdline, "console=ttyS0 selftest") == 0);
	CHECK(in_mbi(test_bi.cmdline, total));
	CHECK(strcmp(test_bi.bootloader, "GRUB 2.12") == 0);
	CHECK(test_bi.module_count == 2 && !test_bi.modules_truncated);
	CHECK(test_bi.modules[0].start == 0x400000 && test_bi.modules[0].end == 0x401000);
	CHECK(strcmp(test_bi.modules[0].cmdline, "initrd one") == 0);
	CHECK(test_bi.modules[1].cmdline[0] == '\0' && in_mbi(test_bi.modules[1].cmdline, total));
	CHECK(test_bi.meminfo.present && test_bi.meminfo.mem_lower_kb == 639 &&
	      test_bi.meminfo.mem_upper_kb == 261120);

	CHECK(test_bi.mmap_present && !test_bi.mmap_truncated);
	CHECKF(test_bi.mmap_count == ARRAY_SIZE(test_map), "mmap_count %zu", test_bi.mmap_count);
	for (size_t i = 0; i < ARRAY_SIZE(test_map); i++)
		CHECKF(test_bi.mmap[i].base == test_map[i].base &&
		       test_bi.mmap[i].length == test_map[i].length &&
		       test_bi.mmap[i].type == test_map[i].type, "mmap entry %zu differs", i);

	const struct boot_framebuffer *fb = &test_bi.framebuffer;
	CHECK(fb->present && fb->addr == 0xb8000 && fb->pitch == 160 && fb->width == 80 &&
	      fb->height == 25 && fb->bpp == 16 && fb->type == BOOTINFO_FB_EGA_TEXT);
	CHECK(test_bi.efi64_present && test_bi.efi64_system_table == 0x7f9e018ull);
	CHECK(test_bi.efi_boot_services_active);
	CHECK(test_bi.load_base_present && test_bi.load_base == 0x200000);

	/* both RSDP copies valid: the ACPI 2.0 one (tag 15) is chosen */
	const struct boot_acpi *acpi = &test_bi.acpi;
	CHECK(acpi->present && acpi->valid && acpi->tag == BOOTINFO_TAG_ACPI_NEW);
	CHECK(acpi->rsdp && in_mbi(acpi->rsdp, total));
	CHECK(memcmp(acpi->rsdp, "RSD PTR ", 8) == 0);
	CHECK(acpi->revision == 2 && acpi->length == 36);
	CHECK(acpi->rsdt_phys == 0x7fe1000 && acpi->xsdt_phys == 0x7fe2000);
	CHECK(strcmp(acpi->oem_id, "PAGODA") == 0);

	/* 48-byte descriptors: the stride is descriptor_size, not sizeof anything */
	CHECK(test_bi.efi_mmap_present && !test_bi.efi_mmap_truncated);
	CHECK(test_bi.efi_mmap_count == 3 && test_bi.efi_mmap_descriptor_version == 1);
	for (uint32_t i = 0; i < 3; i++) {
		const struct boot_efi_mmap_entry *e = &test_bi.efi_mmap[i];
		CHECKF(e->type == i && e->phys_start == (uint64_t)i << 20 && e->pages == i + 1 &&
		       e->attribute == (0x8000000000000000ull | i), "EFI descriptor %u differs", i);
	}
	CHECK(test_bi.unknown_tags == 0 && test_bi.ignored_tags == 0);
	CHECKF(test_bi.warning_count == 0, "unexpected warning: %s", test_bi.warnings[0]);
	return NULL;
}

static const char *test_empty_block(void)
{
	struct mbi_builder b = mb_begin();
	uint32_t total = mb_end(&b);

	CHECK(total == 16);
	CHECKF(test_parse(total) == 0, "minimal block rejected: %s", test_err);
	CHECK(test_bi.cmdline && test_bi.cmdline[0] == '\0');
	CHECK(test_bi.bootloader && test_bi.bootloader[0] == '\0');
	CHECK(!test_bi.mmap_present && test_bi.mmap_count == 0 && !test_bi.framebuffer.present);
	CHECK(!test_bi.acpi.present && test_bi.acpi.rsdp == NULL);
	return NULL;
}

static const char *test_unknown_tags(void)
{
	struct mbi_builder b = mb_begin();

	mb_tag(&b, BOOTINFO_TAG_ELF_SECTIONS, 20);
	mb_string(&b, BOOTINFO_TAG_CMDLINE, "quiet");
	mb_tag(&b, BOOTINFO_TAG_SMBIOS, 8);
	mb_tag(&b, 99, 13);
	mb_meminfo(&b, 1, 2);
	uint32_t total = mb_end(&b);

	CHECKF(test_parse(total) == 0, "parse failed: %s", test_err);
	CHECKF(test_bi.unknown_tags == 3, "unknown_tags %u", test_bi.unknown_tags);
	CHECK(test_bi.unknown_type_mask == ((1u << 9) | (1u << 13)));
	CHECK(strcmp(test_bi.cmdline, "quiet") == 0);
	CHECK(test_bi.meminfo.present && test_bi.meminfo.mem_upper_kb == 2);
	return NULL;
}

static const char *test_repeated_tag(void)
{
	struct mbi_builder b = mb_begin();

	mb_string(&b, BOOTINFO_TAG_CMDLINE, "first");
	mb_string(&b, BOOTINFO_TAG_CMDLINE, "second");
	mb_meminfo(&b, 10, 20);
	mb_meminfo(&b, 30, 40);
	uint32_t total = mb_end(&b);

	CHECKF(test_parse(total) == 0, "parse failed: %s", test_err);
	CHECK(strcmp(test_bi.cmdline, "first") == 0);
	CHECK(test_bi.meminfo.mem_lower_kb == 10);
	CHECK(test_bi.ignored_tags == 2);
	CHECK(test_bi.warning_count == 2 && has_warning("repeated"));
	return NULL;
}

static const char *test_warnings_overflow(void)
{
	struct mbi_builder b = mb_begin();

	for (int i = 0; i < BOOTINFO_WARNINGS_MAX + 4; i++)
		mb_string(&b, BOOTINFO_TAG_CMDLINE, "again");
	uint32_t total = mb_end(&b);

	CHECKF(test_parse(total) == 0, "parse failed: %s", test_err);
	CHECK(test_bi.ignored_tags == BOOTINFO_WARNINGS_MAX + 3);
	CHECK(test_bi.warning_count == BOOTINFO_WARNINGS_MAX);
	CHECK(test_bi.warnings_dropped == 3);
	for (unsigned i = 0; i < test_bi.warning_count; i++)
		CHECK(strnlen(test_bi.warnings[i], BOOTINFO_WARNING_LEN) < BOOTINFO_WARNING_LEN);
	return NULL;
}

/*
 * One malformed block: build() writes it (the offending tag last, so that
 * b->last_* name it) and may lower *readable; the error must contain `what`,
 * and "tag T at offset 0xO" of the last tag when at_tag is set.
 */
struct malformed_case {
	const char *name;
	void (*build)(struct mbi_builder *b, size_t *readable);
	bool at_tag;
	const char *what;
};

static void bad_total_small(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf, 8);
}

static void bad_total_unaligned(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf, b->len - 4);
}

static void bad_total_past_readable(struct mbi_builder *b, size_t *readable)
{
	(void)b;
	*readable -= 8; /* the block was cut short: total_size claims more than there is */
}

static void bad_readable_tiny(struct mbi_builder *b, size_t *readable)
{
	(void)b;
	*readable = 12;
}

static void bad_no_end_tag(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	/* replace the end tag by an unknown 8-byte tag */
	put32(b->buf + b->len - 8, 77);
}

static void bad_end_tag_size(struct mbi_builder *b, size_t *readable)
{
	/* a 16-byte end tag that still fits: total_size grows by 8 (zero) bytes */
	put32(b->buf + b->len - 4, 16);
	put32(b->buf, b->len + 8);
	*readable += 8;
	b->last_type = 0;
	b->last_offset = b->len - 8;
}

static void bad_zero_size(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset + 4, 0);
}

static void bad_runs_past(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset + 4, 4096);
}

static void bad_meminfo_short(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset, BOOTINFO_TAG_BASIC_MEMINFO); /* the 12-byte tag below */
	b->last_type = BOOTINFO_TAG_BASIC_MEMINFO;
}

static void bad_mmap_entry_20(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset + 8, 20);
}

static void bad_mmap_entry_28(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset + 8, 28);
}

static void bad_cmdline_unterminated(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	uint8_t *t = b->buf + b->last_offset;
	uint32_t size = t[4] | t[5] << 8;
	t[size - 1] = '!'; /* overwrite the NUL; the padding after it is not part of the tag */
}

static void bad_module_unterminated(struct mbi_builder *b, size_t *readable)
{
	bad_cmdline_unterminated(b, readable);
}

static void bad_module_backwards(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset + 12, 0x3ff000); /* mod_end below mod_start */
}

static void bad_efi_desc_size(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset + 8, 32);
}

static void bad_acpi_short(struct mbi_builder *b, size_t *readable)
{
	(void)readable;
	put32(b->buf + b->last_offset + 4, 8 + 30); /* tag 15 must hold 36 bytes */
}

/* The tag each case corrupts, written last before the end tag. */
static void build_for_case(struct mbi_builder *b, const struct malformed_case *c)
{
	*b = mb_begin();
	mb_string(b, BOOTINFO_TAG_CMDLINE, "ok");
	if (c->build == bad_cmdline_unterminated)
		mb_string(b, BOOTINFO_TAG_BOOTLOADER, "GRUB");
	else if (c->build == bad_module_unterminated || c->build == bad_module_backwards)
		mb_module(b, 0x400000, 0x401000, "mod");
	else if (c->build == bad_mmap_entry_20 || c->build == bad_mmap_entry_28)
		mb_mmap(b, 24, test_map, 2);
	else if (c->build == bad_efi_desc_size)
		mb_efi_mmap(b, 40, 2);
	else if (c->build == bad_acpi_short)
		mb_rsdp(b, true, 1, 2);
	else if (c->build == bad_meminfo_short)
		mb_u32_tag(b, 200, 0); /* 12 bytes; retyped to meminfo by the case */
	else
		mb_meminfo(b, 1, 2);
	mb_end(b);
}

static const struct malformed_case malformed_cases[] = {
	{ "total_size < 16", bad_total_small, false, "total_size 8 is too small" },
	{ "total_size not a multiple of 8", bad_total_unaligned, false, "not a multiple of 8" },
	{ "total_size beyond readable", bad_total_past_readable, false, "readable" },
	{ "fewer than 16 readable bytes", bad_readable_tiny, false, "only 12 bytes readable" },
	{ "no end tag", bad_no_end_tag, false, "no end tag" },
	{ "end tag of size 16", bad_end_tag_size, true, "end tag has size 16" },
	{ "zero-size tag", bad_zero_size, true, "smaller than the 8-byte tag header" },
	{ "tag runs past total_size", bad_runs_past, true, "size 4096 runs past the end" },
	{ "meminfo too short", bad_meminfo_short, true, "too short" },
	{ "mmap entry_size 20", bad_mmap_entry_20, true, "entry_size 20 is smaller" },
	{ "mmap entry_size 28", bad_mmap_entry_28, true, "entry_size 28 is not a multiple of 8" },
	{ "unterminated bootloader name", bad_cmdline_unterminated, true, "NUL-terminated" },
	{ "unterminated module string", bad_module_unterminated, true, "NUL-terminated" },
	{ "module ends before it starts", bad_module_backwards, true, "mod_end" },
	{ "EFI descriptor_size 32", bad_efi_desc_size, true, "descriptor_size 32" },
	{ "ACPI 2.0 tag too short", bad_acpi_short, true, "too short" },
};

static const char *test_malformed(void)
{
	char where[48];

	for (size_t i = 0; i < ARRAY_SIZE(malformed_cases); i++) {
		const struct malformed_case *c = &malformed_cases[i];
		struct mbi_builder b;
		build_for_case(&b, c);
		size_t readable = b.len;
		c->build(&b, &readable);

		int rc = test_parse(readable);
		CHECKF(rc == -EINVAL, "%s: got %d, expected -EINVAL", c->name, rc);
		CHECKF(strstr(test_err, c->what) != NULL, "%s: message \"%s\" lacks \"%s\"",
		       c->name, test_err, c->what);
		if (c->at_tag) {
			ksnprintf(where, sizeof(where), "tag %u at offset 0x%x: ", b.last_type,
				  b.last_offset);
			CHECKF(strstr(test_err, where) != NULL, "%s: message \"%s\" lacks \"%s\"",
			       c->name, test_err, where);
		}
	}
	return NULL;
}

static const char *test_cmdline_unterminated(void)
{
	struct mbi_builder b = mb_begin();
	uint8_t *t = mb_tag(&b, BOOTINFO_TAG_CMDLINE, 8 + 8);
	uint32_t total;

	CHECK(t != NULL);
	memcpy(t + 8, "selftest", 8); /* exactly fills the tag: no room for the NUL */
	total = mb_end(&b);
	CHECK(test_parse(total) == -EINVAL);
	CHECKF(strstr(test_err, "tag 1 at offset 0x8: string is not NUL-terminated") != NULL,
	       "message: %s", test_err);
	return NULL;
}

static const char *test_misaligned_pointer(void)
{
	struct mbi_builder b;
	uint32_t total = build_complete(&b);

	CHECK(total != 0 && total + 4 <= sizeof(test_shifted_words));
	uint8_t *shifted = (uint8_t *)test_shifted_words + 4;
	memcpy(shifted, test_mbi_words, total);
	CHECK(test_parse_at(shifted, total) == -EINVAL);
	CHECKF(strstr(test_err, "not 8-byte aligned") != NULL, "message: %s", test_err);
	CHECK(test_parse_at(NULL, total) == -EINVAL);
	CHECKF(strstr(test_err, "NULL") != NULL, "message: %s", test_err);
	return NULL;
}

static const char *test_truncated_readable(void)
{
	struct mbi_builder b;
	uint32_t total = build_complete(&b);

	/* every cut short of the full block must be refused, never read past */
	for (uint32_t readable = 0; readable < total; readable += 4)
		CHECKF(test_parse(readable) == -EINVAL, "accepted with readable %u of %u", readable,
		       total);
	CHECK(test_parse(total) == 0);
	CHECK(test_parse(total + 64) == 0); /* more readable than needed is fine */
	return NULL;
}

static const char *test_err_buffer(void)
{
	struct mbi_builder b = mb_begin();
	char small[8];

	mb_meminfo(&b, 1, 2);
	uint32_t total = mb_end(&b);
	put32(b.buf + 8 + 4, 0); /* zero-size tag */
	memset(small, 'X', sizeof(small));
	CHECK(bootinfo_parse(test_mbi_words, 0, total, &test_bi, small, sizeof(small)) == -EINVAL);
	CHECK(strnlen(small, sizeof(small)) == sizeof(small) - 1); /* truncated, terminated */
	CHECK(bootinfo_parse(test_mbi_words, 0, total, &test_bi, NULL, 0) == -EINVAL);
	return NULL;
}

static const char *test_bytes_after_end(void)
{
	struct mbi_builder b = mb_begin();
	uint32_t total = mb_end(&b);

	put32(b.buf, total + 16); /* total_size covers 16 bytes beyond the end tag */
	CHECKF(test_parse(total + 16) == 0, "parse failed: %s", test_err);
	CHECK(test_bi.mbi_size == total + 16);
	CHECK(has_warning("16 bytes after the end tag"));
	return NULL;
}

static const char *test_rsdp_bad_checksum(void)
{
	struct mbi_builder b = mb_begin();
	uint8_t *r = mb_rsdp(&b, false, 0x1000, 0);
	uint32_t total = mb_end(&b);

	CHECK(r != NULL);
	r[8] ^= 1; /* break the checksum */
	CHECKF(test_parse(total) == 0, "bad RSDP was fatal: %s", test_err);
	CHECK(test_bi.acpi.present && !test_bi.acpi.valid && test_bi.acpi.rsdp == NULL);
	CHECK(has_warning("checksum"));

	r[8] ^= 1;
	r[0] = 'X'; /* checksum right again, signature wrong */
	fix_checksum(r, 20, 8);
	CHECK(test_parse(total) == 0 && !test_bi.acpi.valid && has_warning("signature"));
	return NULL;
}

static const char *test_rsdp_choice(void)
{
	struct mbi_builder b = mb_begin();
	uint8_t *v2 = mb_rsdp(&b, true, 0x2000, 0x3000);
	mb_rsdp(&b, false, 0x1000, 0);
	uint32_t total = mb_end(&b);

	CHECK(v2 != NULL);
	/* both valid, the 1.0 copy last: the 2.0 copy (with the XSDT) still wins */
	CHECKF(test_parse(total) == 0, "parse failed: %s", test_err);
	CHECK(test_bi.acpi.valid && test_bi.acpi.tag == BOOTINFO_TAG_ACPI_NEW);
	CHECK(test_bi.acpi.xsdt_phys == 0x3000);

	v2[32] ^= 0x55; /* extended checksum wrong, first 20 bytes still fine */
	CHECKF(test_parse(total) == 0, "parse failed: %s", test_err);
	CHECK(test_bi.acpi.valid && test_bi.acpi.tag == BOOTINFO_TAG_ACPI_OLD);
	CHECK(test_bi.acpi.length == 20 && test_bi.acpi.rsdt_phys == 0x1000);
	CHECK(test_bi.acpi.xsdt_phys == 0);
	CHECK(has_warning("extended checksum"));

	v2[32] ^= 0x55;
	put32(v2 + 20, 1000); /* length beyond the tag: must not be summed */
	fix_checksum(v2, 20, 8);
	CHECK(test_parse(total) == 0 && test_bi.acpi.tag == BOOTINFO_TAG_ACPI_OLD);
	CHECK(has_warning("length"));
	return NULL;
}

static const char *test_cmdline_has(void)
{
	static const struct {
		const char *cmdline, *word;
		bool expected;
	} cases[] = {
		{ "foo selftest bar", "selftest", true },
		{ "selftest", "selftest", true },
		{ "  \tselftest  ", "selftest", true },
		{ "foo\tselftest", "selftest", true },
		{ "selftests", "selftest", false },
		{ "myselftest", "selftest", false },
		{ "self test", "selftest", false },
		{ "", "selftest", false },
		{ "foo bar", "", false },
		{ "a b", "b", true },
	};
	struct boot_info *bi = &test_bi;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bi->cmdline = cases[i].cmdline;
		CHECKF(bootinfo_cmdline_has(bi, cases[i].word) == cases[i].expected,
		       "cmdline \"%s\", word \"%s\": expected %d", cases[i].cmdline, cases[i].word,
		       cases[i].expected);
	}
	return NULL;
}

static const char *test_mmap_truncated(void)
{
	struct mbi_builder b = mb_begin();

	mb_mmap_seq(&b, BOOTINFO_MMAP_MAX + 44);
	uint32_t total = mb_end(&b);
	CHECK(total != 0);
	CHECKF(test_parse(total) == 0, "parse failed: %s", test_err);
	CHECK(test_bi.mmap_count == BOOTINFO_MMAP_MAX && test_bi.mmap_truncated);
	const struct boot_mmap_entry *last = &test_bi.mmap[BOOTINFO_MMAP_MAX - 1];
	CHECK(last->base == (uint64_t)(BOOTINFO_MMAP_MAX - 1) << 12 && last->length == 0x1000);
	CHECK(last->type == 1 + (BOOTINFO_MMAP_MAX - 1) % 5);
	CHECK(has_warning("300 entries"));

	b = mb_begin(); /* exactly full: not truncated */
	mb_mmap_seq(&b, BOOTINFO_MMAP_MAX);
	total = mb_end(&b);
	CHECK(test_parse(total) == 0 && test_bi.mmap_count == BOOTINFO_MMAP_MAX);
	CHECK(!test_bi.mmap_truncated && test_bi.warning_count == 0);
	return NULL;
}

static const char *test_mmap_wide_entries(void)
{
	struct mbi_builder b = mb_begin();

	mb_mmap(&b, 32, test_map, ARRAY_SIZE(test_map)); /* a future spec's larger entries */
	uint32_t total = mb_end(&b);
	CHECKF(test_parse(total) == 0, "parse failed: %s", test_err);
	CHECK(test_bi.mmap_count == ARRAY_SIZE(test_map));
	CHECK(test_bi.mmap[2].base == 0x100000 && test_bi.mmap[2].length == 0x7ee0000);
	CHECK(test_bi.mmap[4].type == 7);
	return NULL;
}

static const char *test_type_names(void)
{
	CHECK(strcmp(bootinfo_mmap_type_name(1), "available") == 0);
	CHECK(strcmp(bootinfo_mmap_type_name(3), "ACPI reclaimable") == 0);
	CHECK(strcmp(bootinfo_mmap_type_name(5), "bad RAM") == 0);
	CHECK(strcmp(bootinfo_mmap_type_name(0), "unknown") == 0);
	CHECK(strcmp(bootinfo_mmap_type_name(12345), "unknown") == 0);
	CHECK(strcmp(bootinfo_efi_type_name(7), "ConventionalMemory") == 0);
	CHECK(strcmp(bootinfo_efi_type_name(4), "BootServicesData") == 0);
	CHECK(strcmp(bootinfo_efi_type_name(0x80000000u), "unknown") == 0);
	return NULL;
}

/* An RGB framebuffer tag as GRUB writes it (38 bytes), colour fields c[6]. */
static void mb_framebuffer_rgb(struct mbi_builder *b, uint32_t size, uint8_t bpp,
			       const uint8_t c[6])
{
	uint8_t *t = mb_tag(b, BOOTINFO_TAG_FRAMEBUFFER, size);

	if (t) {
		put64(t + 8, 0xfd000000);
		put32(t + 16, 4096);
		put32(t + 20, 1024);
		put32(t + 24, 768);
		t[28] = bpp;
		t[29] = BOOTINFO_FB_RGB;
		if (size >= 38)
			memcpy(t + 32, c, 6);
	}
}

static const char *test_framebuffer_rgb(void)
{
	static const uint8_t x8r8g8b8[6] = {16, 8, 8, 8, 0, 8}, r5g6b5[6] = {11, 5, 5, 6, 0, 5};
	struct mbi_builder b = mb_begin();

	mb_framebuffer_rgb(&b, 38, 32, x8r8g8b8);
	mb_end(&b);
	CHECK(test_parse(b.len) == 0);
	const struct boot_framebuffer *fb = &test_bi.framebuffer;
	CHECK(fb->present && fb->type == BOOTINFO_FB_RGB && fb->rgb_valid);
	CHECK(fb->addr == 0xfd000000 && fb->pitch == 4096 && fb->width == 1024 &&
	      fb->height == 768 && fb->bpp == 32);
	CHECK(fb->red.position == 16 && fb->red.size == 8 && fb->green.position == 8 &&
	      fb->green.size == 8 && fb->blue.position == 0 && fb->blue.size == 8);
	selftest_capture_begin();
	bootinfo_print(&test_bi);
	const char *out = selftest_capture_end();
	CHECKF(strstr(out, "red 8 bits at bit 16, green 8 at 8, blue 8 at 0") != NULL,
	       "print lacks the colour fields: %s", out);

	b = mb_begin();
	mb_framebuffer_rgb(&b, 40, 16, r5g6b5); /* longer than 38: fine */
	mb_end(&b);
	CHECK(test_parse(b.len) == 0 && test_bi.framebuffer.rgb_valid);
	CHECK(test_bi.framebuffer.green.size == 6 && test_bi.framebuffer.red.position == 11);
	return NULL;
}

static const char *test_framebuffer_bad_fields(void)
{
	static const struct {
		uint8_t bpp;
		uint8_t c[6];
		const char *what;
	} cases[] = {
		{32, {24, 9, 8, 8, 0, 8}, "do not fit"},  /* red past bit 32 */
		{16, {11, 5, 5, 6, 0, 0}, "do not fit"},  /* blue 0 bits */
		{32, {16, 8, 8, 8, 0, 17}, "do not fit"}, /* blue 17 bits */
		{24, {16, 8, 12, 8, 0, 8}, "overlap"},    /* green into red */
		{32, {0, 8, 8, 8, 0, 8}, "overlap"},      /* blue on red */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mbi_builder b = mb_begin();
		mb_framebuffer_rgb(&b, 38, cases[i].bpp, cases[i].c);
		mb_end(&b);
		CHECKF(test_parse(b.len) == 0, "case %zu: rejected: %s", i, test_err);
		CHECKF(test_bi.framebuffer.present && !test_bi.framebuffer.rgb_valid,
		       "case %zu: fields accepted", i);
		CHECKF(test_bi.warning_count == 1 && strstr(test_bi.warnings[0], cases[i].what),
		       "case %zu: warning \"%s\" lacks \"%s\"", i,
		       test_bi.warning_count ? test_bi.warnings[0] : "", cases[i].what);
	}
	struct mbi_builder b = mb_begin(); /* 32 bytes: no room for the colour fields */
	mb_framebuffer_rgb(&b, 32, 32, NULL);
	mb_end(&b);
	CHECK(test_parse(b.len) == -EINVAL);
	CHECKF(strstr(test_err, "too short for an RGB framebuffer") != NULL, "message: %s",
	       test_err);
	return NULL;
}

static const char *test_print_format(void)
{
	struct mbi_builder b;
	uint32_t total = build_complete(&b);

	CHECK(test_parse(total) == 0);
	selftest_capture_begin();
	bootinfo_print(&test_bi);
	const char *out = selftest_capture_end();

	static const char *const expected[] = {
		"[mem 0x0000000000000000-0x000000000009fbff] available\n",
		"[mem 0x000000000009fc00-0x000000000009ffff] reserved\n",
		"[mem 0x0000000007fe0000-0x0000000007ffffff] ACPI reclaimable\n",
		"[mem 0xfffffffffffff000-0xffffffffffffffff] type 7 (wraps past 2^64)\n",
		"[efi 0x0000000000100000-0x0000000000101fff] LoaderCode",
		"GRUB 2.12", "console=ttyS0 selftest", "EGA text", "80x25",
		"RSDP revision 2", "initrd one",
	};
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		CHECKF(strstr(out, expected[i]) != NULL, "output lacks \"%s\"", expected[i]);
	return NULL;
}

static const struct selftest bootinfo_tests[] = {
	{ "complete", "a block with every tag parses to exactly its values", test_complete_block },
	{ "empty", "fixed part + end tag only: defaults, no error", test_empty_block },
	{ "unknown_tags", "unknown tag types are skipped and counted", test_unknown_tags },
	{ "repeated", "a repeated single-instance tag: first wins, warned", test_repeated_tag },
	{ "warnings_overflow", "warnings beyond the array are counted", test_warnings_overflow },
	{ "malformed", "each malformed block: -EINVAL naming tag, offset, problem",
	  test_malformed },
	{ "cmdline_unterminated", "cmdline without NUL inside its tag is refused",
	  test_cmdline_unterminated },
	{ "misaligned", "misaligned or NULL pointer refused", test_misaligned_pointer },
	{ "truncated", "every readable < total_size refused", test_truncated_readable },
	{ "err_buffer", "tiny or absent error buffer is safe", test_err_buffer },
	{ "after_end", "bytes after the end tag: warning, not error", test_bytes_after_end },
	{ "rsdp_bad", "bad RSDP checksum/signature: warning, rsdp NULL, parse ok",
	  test_rsdp_bad_checksum },
	{ "rsdp_choice", "the ACPI 2.0 copy wins; a bad one falls back to 1.0",
	  test_rsdp_choice },
	{ "cmdline_has", "cmdline_has matches whole words only", test_cmdline_has },
	{ "mmap_truncated", ">256 mmap entries: first 256 kept, flag set", test_mmap_truncated },
	{ "mmap_wide", "mmap entry_size 32 is stepped over correctly", test_mmap_wide_entries },
	{ "type_names", "memory type names (multiboot and UEFI)", test_type_names },
	{ "print", "bootinfo_print: Linux-style [mem ...] lines and all parts",
	  test_print_format },
	{ "framebuffer_rgb", "tag 8's RGB colour fields are parsed and printed",
	  test_framebuffer_rgb },
	{ "framebuffer_bad", "RGB fields outside the pixel or overlapping: warned, not used; "
	  "a short RGB tag is rejected", test_framebuffer_bad_fields },
};

SELFTEST_SUITE(bootinfo, bootinfo_tests);
