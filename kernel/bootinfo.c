/*
 * bootinfo.c - parsing and printing the multiboot2 boot information.
 *
 * The boot information is untrusted input: a buggy or hostile boot loader
 * could hand us any bytes, and the parser runs before anything could catch a
 * wild read. So it is written as a validator first:
 *   - every read goes through read_u32()/read_u64() on an offset that was
 *     checked against the end of the current tag, and the tags themselves
 *     are checked against total_size, which is checked against `readable`;
 *   - multi-byte fields are assembled from bytes, so no misaligned or
 *     type-punned loads happen whatever the offsets are;
 *   - the result is copied into fixed arrays (no heap at this point of boot);
 *     anything that does not fit is counted and reported, never overflowed.
 * The walk is one pass over the tags; each known tag has a minimum size in
 * tag_min_size[] and a small handler below. Also here: printing what was
 * parsed, whole or one part at a time (the `bootinfo` command,
 * kernel/commands/bootinfo_commands.c, calls these).
 */
#include "kernel/bootinfo.h"

#include <stdarg.h>

#include "lib/align.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

struct boot_info boot_info;

/* bootinfo_parse() clears everything before mmap[]: the tables must be last. */
STATIC_ASSERT(offsetof(struct boot_info, efi_mmap) > offsetof(struct boot_info, mmap) &&
	      sizeof(struct boot_info) == offsetof(struct boot_info, efi_mmap) +
	      sizeof(((struct boot_info *)0)->efi_mmap), "boot_info tables must be last");

#define TAG_HEADER_SIZE 8      /* u32 type, u32 size */
#define MBI_FIXED_SIZE 8       /* u32 total_size, u32 reserved */
#define MMAP_FIELDS_SIZE 16    /* tag header + entry_size + entry_version */
#define MMAP_ENTRY_MIN 24      /* u64 base, u64 length, u32 type, u32 reserved */
#define EFI_MMAP_FIELDS_SIZE 16 /* tag header + descriptor_size + descriptor_version */
#define EFI_DESC_MIN 40        /* the UEFI 2.x EFI_MEMORY_DESCRIPTOR */
#define RSDP_V1_SIZE 20        /* ACPI 1.0 RSDP: signature .. rsdt_address */
#define RSDP_V2_SIZE 36        /* ACPI 2.0 RSDP: adds length, xsdt, extended checksum */
/*
 * Tag 8's colour_info starts at offset 32 and, for an RGB framebuffer, is
 * six bytes: red position, red size, green ..., blue .... (GRUB's struct
 * multiboot_tag_framebuffer_common ends with a u16 reserved at 30; the
 * specification's table shows one reserved byte, but GRUB, which writes
 * the tag, puts colour_info at 32.)
 */
#define FB_COLOUR_INFO 32
#define FB_RGB_TAG_MIN (FB_COLOUR_INFO + 6)
#define FB_FIELD_MAX_BITS 16

/*
 * The smallest size of each tag the kernel reads: the header plus the fixed
 * fields we look at (strings need at least their NUL). 0: not read.
 */
static const uint32_t tag_min_size[] = {
	[BOOTINFO_TAG_CMDLINE] = TAG_HEADER_SIZE + 1,
	[BOOTINFO_TAG_BOOTLOADER] = TAG_HEADER_SIZE + 1,
	[BOOTINFO_TAG_MODULE] = TAG_HEADER_SIZE + 8 + 1,     /* mod_start, mod_end, string */
	[BOOTINFO_TAG_BASIC_MEMINFO] = TAG_HEADER_SIZE + 8,  /* mem_lower, mem_upper */
	[BOOTINFO_TAG_MMAP] = MMAP_FIELDS_SIZE,
	[BOOTINFO_TAG_FRAMEBUFFER] = TAG_HEADER_SIZE + 22,   /* addr .. framebuffer_type */
	[BOOTINFO_TAG_EFI64] = TAG_HEADER_SIZE + 8,          /* the pointer */
	[BOOTINFO_TAG_ACPI_OLD] = TAG_HEADER_SIZE + RSDP_V1_SIZE,
	[BOOTINFO_TAG_ACPI_NEW] = TAG_HEADER_SIZE + RSDP_V2_SIZE,
	[BOOTINFO_TAG_EFI_MMAP] = EFI_MMAP_FIELDS_SIZE,
	[BOOTINFO_TAG_EFI_BS] = TAG_HEADER_SIZE,
	[BOOTINFO_TAG_LOAD_BASE] = TAG_HEADER_SIZE + 4,      /* load_base_addr */
};

/* Where the parser is: the output, the error buffer and the tag being read. */
struct bootinfo_parser {
	struct boot_info *out;
	char *err;
	size_t err_size;
	uint32_t seen_mask;  /* bit t: a tag of type t was already read */
	uint32_t tag_type;   /* the current tag, for messages */
	uint32_t tag_offset;
};

/* Little-endian loads from any address (the boot information is little-endian, as is x86). */
static uint32_t read_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t read_u64(const uint8_t *p)
{
	return (uint64_t)read_u32(p) | (uint64_t)read_u32(p + 4) << 32;
}

/* Record why the parse failed ("tag T at offset 0xO: " + the reason) and return -EINVAL. */
static int __printf(2, 3) parse_fail(struct bootinfo_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (p->err_size == 0)
		return -EINVAL;
	if (p->tag_offset != 0)
		n = ksnprintf(p->err, p->err_size, "tag %u at offset 0x%x: ", p->tag_type,
			      p->tag_offset);
	if (n >= 0 && (size_t)n < p->err_size) {
		va_start(ap, fmt);
		kvsnprintf(p->err + n, p->err_size - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Add a non-fatal finding about the current tag to out->warnings (or count it as dropped). */
static void __printf(2, 3) parse_warn(struct bootinfo_parser *p, const char *fmt, ...)
{
	struct boot_info *out = p->out;
	va_list ap;

	if (out->warning_count >= BOOTINFO_WARNINGS_MAX) {
		out->warnings_dropped++;
		return;
	}
	char *w = out->warnings[out->warning_count++];
	int n = ksnprintf(w, BOOTINFO_WARNING_LEN, "tag %u at offset 0x%x: ", p->tag_type,
			  p->tag_offset);
	if (n >= 0 && n < BOOTINFO_WARNING_LEN) {
		va_start(ap, fmt);
		kvsnprintf(w + n, BOOTINFO_WARNING_LEN - n, fmt, ap);
		va_end(ap);
	}
}

/*
 * The string field of a tag: it starts at `start` (an offset inside the
 * tag) and must end with a NUL before the tag does. Returns it or NULL.
 */
static const char *tag_string(const uint8_t *tag, uint32_t size, uint32_t start)
{
	const char *s = (const char *)tag + start;

	if (strnlen(s, size - start) == size - start)
		return NULL;
	return s;
}

static int parse_string_tag(struct bootinfo_parser *p, const uint8_t *tag, uint32_t size,
			    const char **dest)
{
	const char *s = tag_string(tag, size, TAG_HEADER_SIZE);

	if (!s)
		return parse_fail(p, "string is not NUL-terminated inside the tag (size %u)", size);
	*dest = s;
	return 0;
}

static int parse_module(struct bootinfo_parser *p, const uint8_t *tag, uint32_t size)
{
	uint32_t start = read_u32(tag + 8), end = read_u32(tag + 12);
	const char *cmdline = tag_string(tag, size, 16);

	if (!cmdline)
		return parse_fail(p, "module string is not NUL-terminated inside the tag (size %u)",
				  size);
	if (end < start)
		return parse_fail(p, "module mod_end 0x%x is below its mod_start 0x%x", end, start);
	if (p->out->module_count == BOOTINFO_MODULES_MAX) {
		if (!p->out->modules_truncated)
			parse_warn(p, "more than %d modules; the rest are ignored",
				   BOOTINFO_MODULES_MAX);
		p->out->modules_truncated = true;
		return 0;
	}
	struct boot_module *m = &p->out->modules[p->out->module_count++];
	m->start = start;
	m->end = end;
	m->cmdline = cmdline;
	return 0;
}

/*
 * Memory map: entry_size and entry_version, then entries of entry_size bytes
 * (24 today; a later spec may append fields, which we skip over).
 */
static int parse_mmap(struct bootinfo_parser *p, const uint8_t *tag, uint32_t size)
{
	struct boot_info *out = p->out;
	uint32_t entry_size = read_u32(tag + 8);

	if (entry_size < MMAP_ENTRY_MIN)
		return parse_fail(p, "memory map entry_size %u is smaller than the %d-byte entry",
				  entry_size, MMAP_ENTRY_MIN);
	if (!IS_ALIGNED(entry_size, 8))
		return parse_fail(p, "memory map entry_size %u is not a multiple of 8", entry_size);

	uint32_t entries = (size - MMAP_FIELDS_SIZE) / entry_size;
	uint32_t leftover = (size - MMAP_FIELDS_SIZE) % entry_size;
	out->mmap_present = true;
	for (uint32_t i = 0; i < entries; i++) {
		const uint8_t *e = tag + MMAP_FIELDS_SIZE + (size_t)i * entry_size;
		if (out->mmap_count == BOOTINFO_MMAP_MAX) {
			out->mmap_truncated = true;
			parse_warn(p, "memory map has %u entries; only the first %d are kept",
				   entries, BOOTINFO_MMAP_MAX);
			break;
		}
		struct boot_mmap_entry *m = &out->mmap[out->mmap_count++];
		m->base = read_u64(e);
		m->length = read_u64(e + 8);
		m->type = read_u32(e + 16);
	}
	if (leftover)
		parse_warn(p, "%u bytes after the last memory map entry ignored", leftover);
	return 0;
}

/* UEFI memory map: descriptor_size (at least 40, often 48) and version, then descriptors. */
static int parse_efi_mmap(struct bootinfo_parser *p, const uint8_t *tag, uint32_t size)
{
	struct boot_info *out = p->out;
	uint32_t desc_size = read_u32(tag + 8);

	if (desc_size < EFI_DESC_MIN)
		return parse_fail(p, "EFI memory map descriptor_size %u is smaller than "
				  "the %d-byte descriptor", desc_size, EFI_DESC_MIN);

	uint32_t entries = (size - EFI_MMAP_FIELDS_SIZE) / desc_size;
	uint32_t leftover = (size - EFI_MMAP_FIELDS_SIZE) % desc_size;
	out->efi_mmap_present = true;
	out->efi_mmap_descriptor_version = read_u32(tag + 12);
	for (uint32_t i = 0; i < entries; i++) {
		/* u32 type, u32 pad, u64 physical_start, virtual_start, pages, attribute */
		const uint8_t *d = tag + EFI_MMAP_FIELDS_SIZE + (size_t)i * desc_size;
		if (out->efi_mmap_count == BOOTINFO_EFI_MMAP_MAX) {
			out->efi_mmap_truncated = true;
			parse_warn(p, "EFI memory map has %u descriptors; only the first %d "
				   "are kept", entries, BOOTINFO_EFI_MMAP_MAX);
			break;
		}
		struct boot_efi_mmap_entry *m = &out->efi_mmap[out->efi_mmap_count++];
		m->type = read_u32(d);
		m->phys_start = read_u64(d + 8);
		m->pages = read_u64(d + 24);
		m->attribute = read_u64(d + 32);
	}
	if (leftover)
		parse_warn(p, "%u bytes after the last EFI descriptor ignored", leftover);
	return 0;
}

/* Sum of n bytes modulo 256: an ACPI structure is intact when its bytes sum to 0. */
static uint8_t byte_sum(const uint8_t *b, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

/*
 * An RSDP copy of `avail` bytes (what the tag holds after its header).
 * Layout: "RSD PTR " [0..8), checksum 8, OEM id [9..15), revision 15, RSDT
 * address [16..20); from ACPI 2.0: length [20..24), XSDT address [24..32),
 * extended checksum 32. Returns NULL if it is intact, else what is wrong.
 */
static const char *rsdp_problem(const uint8_t *r, uint32_t avail, bool v2)
{
	if (memcmp(r, "RSD PTR ", 8) != 0)
		return "no \"RSD PTR \" signature";
	if (byte_sum(r, RSDP_V1_SIZE) != 0)
		return "bad checksum over its first 20 bytes";
	if (!v2)
		return NULL;
	uint32_t length = read_u32(r + 20);
	if (length < RSDP_V2_SIZE || length > avail)
		return "length field out of range";
	if (byte_sum(r, length) != 0)
		return "bad extended checksum";
	return NULL;
}

/*
 * Tags 14 and 15. A bad copy is reported and ignored rather than fatal: the
 * kernel boots without ACPI (no soft-off) instead of not booting. A valid
 * ACPI 2.0 copy (tag 15, which has the XSDT) is preferred to the 1.0 one.
 */
static void parse_acpi(struct bootinfo_parser *p, const uint8_t *tag, uint32_t size)
{
	struct boot_acpi *acpi = &p->out->acpi;
	const uint8_t *r = tag + TAG_HEADER_SIZE;
	bool v2 = p->tag_type == BOOTINFO_TAG_ACPI_NEW;
	const char *problem = rsdp_problem(r, size - TAG_HEADER_SIZE, v2);

	acpi->present = true;
	if (problem) {
		parse_warn(p, "ACPI RSDP copy ignored: %s", problem);
		return;
	}
	if (acpi->valid && acpi->tag == BOOTINFO_TAG_ACPI_NEW)
		return;
	acpi->valid = true;
	acpi->rsdp = r;
	acpi->tag = p->tag_type;
	acpi->revision = r[15];
	acpi->length = v2 ? read_u32(r + 20) : RSDP_V1_SIZE;
	acpi->rsdt_phys = read_u32(r + 16);
	acpi->xsdt_phys = v2 ? read_u64(r + 24) : 0;
	memcpy(acpi->oem_id, r + 9, 6);
	acpi->oem_id[6] = '\0';
}

/* Does an RGB colour field lie inside a pixel of bpp bits? */
static bool fb_field_ok(struct boot_fb_field f, unsigned bpp)
{
	return f.size >= 1 && f.size <= FB_FIELD_MAX_BITS && f.position + f.size <= bpp;
}

static uint32_t fb_field_mask(struct boot_fb_field f)
{
	return (uint32_t)(((1ull << f.size) - 1) << f.position);
}

/* Tag 8: u64 addr, u32 pitch, width, height, u8 bpp, u8 type, u16 reserved, colour_info. */
static int parse_framebuffer(struct bootinfo_parser *p, const uint8_t *tag, uint32_t size)
{
	struct boot_framebuffer *fb = &p->out->framebuffer;

	fb->present = true;
	fb->addr = read_u64(tag + 8);
	fb->pitch = read_u32(tag + 16);
	fb->width = read_u32(tag + 20);
	fb->height = read_u32(tag + 24);
	fb->bpp = tag[28];
	fb->type = tag[29];
	if (fb->type != BOOTINFO_FB_RGB)
		return 0;
	if (size < FB_RGB_TAG_MIN)
		return parse_fail(p, "size %u is too short for an RGB framebuffer's colour fields "
				  "(needs at least %u)", size, FB_RGB_TAG_MIN);
	const uint8_t *c = tag + FB_COLOUR_INFO;
	fb->red = (struct boot_fb_field){c[0], c[1]};
	fb->green = (struct boot_fb_field){c[2], c[3]};
	fb->blue = (struct boot_fb_field){c[4], c[5]};
	if (!fb_field_ok(fb->red, fb->bpp) || !fb_field_ok(fb->green, fb->bpp) ||
	    !fb_field_ok(fb->blue, fb->bpp)) {
		parse_warn(p, "RGB fields %u:%u %u:%u %u:%u do not fit %u bits per pixel: "
			   "framebuffer not used", fb->red.position, fb->red.size,
			   fb->green.position, fb->green.size, fb->blue.position, fb->blue.size,
			   fb->bpp);
		return 0;
	}
	uint32_t r = fb_field_mask(fb->red), g = fb_field_mask(fb->green), b = fb_field_mask(fb->blue);
	if ((r & g) || (r & b) || (g & b)) {
		parse_warn(p, "RGB fields overlap: framebuffer not used");
		return 0;
	}
	fb->rgb_valid = true;
	return 0;
}

/* One tag other than the end tag, already known to lie inside the boot information. */
static int parse_tag(struct bootinfo_parser *p, const uint8_t *tag, uint32_t size)
{
	struct boot_info *out = p->out;
	uint32_t type = p->tag_type;
	bool known = type < ARRAY_SIZE(tag_min_size) && tag_min_size[type] != 0;

	if (!known) {
		out->unknown_tags++;
		if (type < 32)
			out->unknown_type_mask |= 1u << type;
		return 0;
	}
	if (size < tag_min_size[type])
		return parse_fail(p, "size %u is too short for its fields (needs at least %u)",
				  size, tag_min_size[type]);
	if (type != BOOTINFO_TAG_MODULE) {
		if (p->seen_mask & (1u << type)) {
			out->ignored_tags++;
			parse_warn(p, "repeated tag ignored (the first one wins)");
			return 0;
		}
		p->seen_mask |= 1u << type;
	}

	switch (type) {
	case BOOTINFO_TAG_CMDLINE:
		return parse_string_tag(p, tag, size, &out->cmdline);
	case BOOTINFO_TAG_BOOTLOADER:
		return parse_string_tag(p, tag, size, &out->bootloader);
	case BOOTINFO_TAG_MODULE:
		return parse_module(p, tag, size);
	case BOOTINFO_TAG_BASIC_MEMINFO:
		out->meminfo.present = true;
		out->meminfo.mem_lower_kb = read_u32(tag + 8);
		out->meminfo.mem_upper_kb = read_u32(tag + 12);
		return 0;
	case BOOTINFO_TAG_MMAP:
		return parse_mmap(p, tag, size);
	case BOOTINFO_TAG_FRAMEBUFFER:
		return parse_framebuffer(p, tag, size);
	case BOOTINFO_TAG_EFI64:
		out->efi64_present = true;
		out->efi64_system_table = read_u64(tag + 8);
		return 0;
	case BOOTINFO_TAG_ACPI_OLD:
	case BOOTINFO_TAG_ACPI_NEW:
		parse_acpi(p, tag, size);
		return 0;
	case BOOTINFO_TAG_EFI_MMAP:
		return parse_efi_mmap(p, tag, size);
	case BOOTINFO_TAG_EFI_BS:
		out->efi_boot_services_active = true;
		return 0;
	case BOOTINFO_TAG_LOAD_BASE:
		out->load_base_present = true;
		out->load_base = read_u32(tag + 8);
		return 0;
	}
	return 0;
}

/*
 * The walk: the fixed part, then tags at 8-aligned offsets until the end tag.
 * Checked in this order so that each read is covered by an earlier check:
 * pointer alignment and `readable` before total_size is read; total_size
 * before any tag; each tag's header and size before its contents.
 */
int bootinfo_parse(const void *mbi, uint64_t mbi_phys, size_t readable, struct boot_info *out,
		   char *err, size_t err_size)
{
	struct bootinfo_parser p = { .out = out, .err = err, .err_size = err ? err_size : 0 };
	const uint8_t *base = mbi;

	memset(out, 0, offsetof(struct boot_info, mmap)); /* not the tables: see bootinfo.h */
	out->cmdline = "";
	out->bootloader = "";
	out->mbi_phys = mbi_phys;
	if (p.err_size)
		err[0] = '\0';

	if (!mbi)
		return parse_fail(&p, "no boot information (NULL pointer)");
	if (!IS_ALIGNED((uintptr_t)mbi, 8))
		return parse_fail(&p, "boot information at %p is not 8-byte aligned", mbi);
	if (readable < MBI_FIXED_SIZE + TAG_HEADER_SIZE)
		return parse_fail(&p, "only %zu bytes readable; the fixed part and end tag need 16",
				  readable);
	uint32_t total = read_u32(base);
	if (total < MBI_FIXED_SIZE + TAG_HEADER_SIZE)
		return parse_fail(&p, "total_size %u is too small (the fixed part and the end tag "
				  "need 16 bytes)", total);
	if (total > readable)
		return parse_fail(&p, "total_size %u (0x%x) is larger than the %zu readable bytes",
				  total, total, readable);
	if (!IS_ALIGNED(total, 8))
		return parse_fail(&p, "total_size %u is not a multiple of 8", total);
	out->mbi_size = total;

	uint32_t offset = MBI_FIXED_SIZE;
	for (;;) {
		if (total - offset < TAG_HEADER_SIZE) {
			p.tag_offset = 0; /* not inside a tag: plain message */
			return parse_fail(&p, "no end tag (type 0) before the end of the boot "
					  "information (0x%x bytes)", total);
		}
		const uint8_t *tag = base + offset;
		uint32_t size = read_u32(tag + 4);
		p.tag_type = read_u32(tag);
		p.tag_offset = offset;
		if (size < TAG_HEADER_SIZE)
			return parse_fail(&p, "size %u is smaller than the 8-byte tag header",
					  size);
		if (size > total - offset)
			return parse_fail(&p, "size %u runs past the end of the boot information "
					  "(0x%x bytes)", size, total);
		if (p.tag_type == BOOTINFO_TAG_END) {
			if (size != TAG_HEADER_SIZE)
				return parse_fail(&p, "end tag has size %u, not 8", size);
			if (offset + size != total)
				parse_warn(&p, "%u bytes after the end tag ignored",
					   total - offset - size);
			break;
		}
		int rc = parse_tag(&p, tag, size);
		if (rc)
			return rc;
		offset += ALIGN_UP(size, 8); /* <= total: total is a multiple of 8 */
	}
	return 0;
}

bool bootinfo_cmdline_has(const struct boot_info *bi, const char *word)
{
	size_t len = strlen(word);
	const char *s = bi->cmdline ? bi->cmdline : "";

	if (len == 0)
		return false;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		const char *start = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			s++;
		if ((size_t)(s - start) == len && memcmp(start, word, len) == 0)
			return true;
	}
	return false;
}

const char *bootinfo_mmap_type_name(uint32_t type)
{
	static const char *const names[] = {
		[BOOTINFO_MMAP_AVAILABLE] = "available",
		[BOOTINFO_MMAP_RESERVED] = "reserved",
		[BOOTINFO_MMAP_ACPI_RECLAIMABLE] = "ACPI reclaimable",
		[BOOTINFO_MMAP_ACPI_NVS] = "ACPI NVS",
		[BOOTINFO_MMAP_BAD_RAM] = "bad RAM",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}

const char *bootinfo_efi_type_name(uint32_t type)
{
	/* EFI_MEMORY_TYPE, UEFI specification 2.10 section 7.2 (without the Efi prefix) */
	static const char *const names[] = {
		"ReservedMemoryType", "LoaderCode", "LoaderData", "BootServicesCode",
		"BootServicesData", "RuntimeServicesCode", "RuntimeServicesData",
		"ConventionalMemory", "UnusableMemory", "ACPIReclaimMemory", "ACPIMemoryNVS",
		"MemoryMappedIO", "MemoryMappedIOPortSpace", "PalCode", "PersistentMemory",
		"UnacceptedMemoryType",
	};

	if (type < ARRAY_SIZE(names))
		return names[type];
	return "unknown";
}

/* ---- printing ---------------------------------------------------------- */

/*
 * One range as `[mem 0xBASE-0xLAST] name`, LAST inclusive (Linux's e820
 * style). Empty and wrapping ranges are printed as such, not "fixed".
 */
static void print_range(const char *label, uint64_t base, uint64_t length, const char *name,
			uint32_t type)
{
	uint64_t last = base + length - 1;
	const char *note = "";

	if (length == 0) {
		last = base;
		note = " (empty)";
	} else if (last < base) {
		last = UINT64_MAX;
		note = " (wraps past 2^64)";
	}
	if (strcmp(name, "unknown") == 0)
		kprintf("  [%s 0x%016lx-0x%016lx] type %u%s", label, base, last, type, note);
	else
		kprintf("  [%s 0x%016lx-0x%016lx] %s%s", label, base, last, name, note);
}

void bootinfo_print_mmap(const struct boot_info *bi)
{
	if (!bi->mmap_present) {
		kprintf("memory map: none (no tag 6)\n");
		return;
	}
	kprintf("memory map: %zu entries%s\n", bi->mmap_count,
		bi->mmap_truncated ? " (truncated)" : "");
	for (size_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		print_range("mem", e->base, e->length, bootinfo_mmap_type_name(e->type), e->type);
		kprintf("\n");
	}
	if (bi->meminfo.present)
		kprintf("basic memory: %u KiB below 640 KiB, %u KiB above 1 MiB\n",
			bi->meminfo.mem_lower_kb, bi->meminfo.mem_upper_kb);
}

void bootinfo_print_efi(const struct boot_info *bi)
{
	if (bi->efi64_present)
		kprintf("EFI system table: 0x%lx; boot services %s\n", bi->efi64_system_table,
			bi->efi_boot_services_active ? "still active (tag 18)" : "exited");
	if (!bi->efi_mmap_present) {
		kprintf("EFI memory map: none (no tag 17)\n");
		return;
	}
	kprintf("EFI memory map: %zu descriptors (version %u)%s\n", bi->efi_mmap_count,
		bi->efi_mmap_descriptor_version, bi->efi_mmap_truncated ? " (truncated)" : "");
	for (size_t i = 0; i < bi->efi_mmap_count; i++) {
		const struct boot_efi_mmap_entry *e = &bi->efi_mmap[i];
		/* pages beyond 2^52 would overflow the byte count: show it as wrapping */
		uint64_t bytes = e->pages > (UINT64_MAX >> 12) ? UINT64_MAX : e->pages << 12;
		print_range("efi", e->phys_start, bytes, bootinfo_efi_type_name(e->type), e->type);
		kprintf(" attr 0x%lx\n", e->attribute);
	}
}

void bootinfo_print_modules(const struct boot_info *bi)
{
	kprintf("modules: %zu%s\n", bi->module_count, bi->modules_truncated ? " (truncated)" : "");
	for (size_t i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];
		kprintf("  [0x%08x-0x%08x) %u bytes \"%s\"\n", m->start, m->end, m->end - m->start,
			m->cmdline);
	}
}

void bootinfo_print_cmdline(const struct boot_info *bi)
{
	kprintf("command line: \"%s\"\n", bi->cmdline);
}

static void print_framebuffer(const struct boot_framebuffer *fb)
{
	static const char *const kinds[] = {
		[BOOTINFO_FB_INDEXED] = "indexed colour",
		[BOOTINFO_FB_RGB] = "RGB",
		[BOOTINFO_FB_EGA_TEXT] = "EGA text",
	};

	if (!fb->present) {
		kprintf("framebuffer: none\n");
		return;
	}
	if (fb->type < ARRAY_SIZE(kinds))
		kprintf("framebuffer: %s", kinds[fb->type]);
	else
		kprintf("framebuffer: type %u", fb->type);
	kprintf(", %ux%u%s, %u bpp, pitch %u, at 0x%lx\n", fb->width, fb->height,
		fb->type == BOOTINFO_FB_EGA_TEXT ? " characters" : "", fb->bpp, fb->pitch,
		fb->addr);
	if (fb->type == BOOTINFO_FB_RGB)
		kprintf("  colours: red %u bits at bit %u, green %u at %u, blue %u at %u%s\n",
			fb->red.size, fb->red.position, fb->green.size, fb->green.position,
			fb->blue.size, fb->blue.position, fb->rgb_valid ? "" : " (invalid: not used)");
}

static void print_acpi(const struct boot_acpi *acpi)
{
	if (!acpi->present) {
		kprintf("ACPI: no RSDP from the boot loader\n");
		return;
	}
	if (!acpi->valid) {
		kprintf("ACPI: RSDP copy present but invalid (see warnings)\n");
		return;
	}
	kprintf("ACPI: RSDP revision %u from tag %u, valid, OEM \"%s\", RSDT 0x%x", acpi->revision,
		acpi->tag, acpi->oem_id, acpi->rsdt_phys);
	if (acpi->xsdt_phys)
		kprintf(", XSDT 0x%lx", acpi->xsdt_phys);
	kprintf("\n");
}

void bootinfo_print(const struct boot_info *bi)
{
	kprintf("boot information: %u bytes at physical 0x%lx, from \"%s\"\n", bi->mbi_size,
		bi->mbi_phys, bi->bootloader[0] ? bi->bootloader : "(unnamed boot loader)");
	bootinfo_print_cmdline(bi);
	if (bi->load_base_present)
		kprintf("kernel image loaded at physical 0x%x\n", bi->load_base);
	bootinfo_print_mmap(bi);
	bootinfo_print_efi(bi);
	bootinfo_print_modules(bi);
	print_framebuffer(&bi->framebuffer);
	print_acpi(&bi->acpi);
	if (bi->unknown_tags) {
		kprintf("skipped %u tag(s) the kernel does not read; types:", bi->unknown_tags);
		for (unsigned t = 0; t < 32; t++)
			if (bi->unknown_type_mask & (1u << t))
				kprintf(" %u", t);
		kprintf("\n");
	}
	if (bi->ignored_tags)
		kprintf("ignored %u repeated tag(s)\n", bi->ignored_tags);
	for (unsigned i = 0; i < bi->warning_count; i++)
		kprintf("warning: %s\n", bi->warnings[i]);
	if (bi->warnings_dropped)
		kprintf("(%u more warnings not kept)\n", bi->warnings_dropped);
}
