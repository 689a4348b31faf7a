/*
 * bootinfo.h - what the boot loader told us: the multiboot2 boot information.
 *
 * GRUB leaves a block of "tags" in memory and passes its physical address in
 * EBX. bootinfo_parse() checks that block from end to end before trusting any
 * of it and copies what the kernel needs into a fixed-size struct boot_info
 * (no heap exists yet when it runs). Strings and the ACPI RSDP copy are not
 * copied: they are pointers into the boot information, which therefore must
 * stay mapped and reserved ([mbi_phys, mbi_phys + mbi_size)).
 *
 * Invariants (of a struct boot_info filled by a successful parse):
 *   [x] cmdline, bootloader and every module cmdline are NUL-terminated strings
 *       inside the boot information ("" when the tag was absent);
 *   [x] every *_count is at most the size of its array; *_truncated says
 *       whether the boot loader gave more than fitted;
 *   [x] acpi.rsdp is NULL unless a copy with a good signature and checksum was
 *       found; it then has acpi.length readable bytes.
 * Context: bootinfo_parse() is pure (no globals, no output) and runs on the
 * host too; kmain calls it once, on the boot CPU, to fill `boot_info`.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"

/* The kernel never reads more than this from the boot information (GRUB's is a few KiB). */
#define BOOTINFO_MAX_SIZE (1u << 20)

#define BOOTINFO_MMAP_MAX 256     /* memory map entries kept */
#define BOOTINFO_EFI_MMAP_MAX 512 /* EFI memory descriptors kept */
#define BOOTINFO_MODULES_MAX 16   /* modules kept */
#define BOOTINFO_WARNINGS_MAX 8   /* non-fatal findings kept */
#define BOOTINFO_WARNING_LEN 112  /* bytes per warning, NUL included */

/* Tag types of the multiboot2 specification (section 3.6); the kernel reads those marked *. */
enum bootinfo_tag_type {
	BOOTINFO_TAG_END = 0,             /* * last tag, size 8 */
	BOOTINFO_TAG_CMDLINE = 1,         /* * kernel command line */
	BOOTINFO_TAG_BOOTLOADER = 2,      /* * boot loader name */
	BOOTINFO_TAG_MODULE = 3,          /* * one loaded module (may repeat) */
	BOOTINFO_TAG_BASIC_MEMINFO = 4,   /* * KiB below 640 KiB and above 1 MiB */
	BOOTINFO_TAG_BOOTDEV = 5,
	BOOTINFO_TAG_MMAP = 6,            /* * the BIOS (e820-style) memory map */
	BOOTINFO_TAG_VBE = 7,
	BOOTINFO_TAG_FRAMEBUFFER = 8,     /* * the screen GRUB left us */
	BOOTINFO_TAG_ELF_SECTIONS = 9,
	BOOTINFO_TAG_APM = 10,
	BOOTINFO_TAG_EFI32 = 11,
	BOOTINFO_TAG_EFI64 = 12,          /* * EFI system table (64-bit) */
	BOOTINFO_TAG_SMBIOS = 13,
	BOOTINFO_TAG_ACPI_OLD = 14,       /* * copy of the ACPI 1.0 RSDP (20 bytes) */
	BOOTINFO_TAG_ACPI_NEW = 15,       /* * copy of the ACPI 2.0+ RSDP (36+ bytes) */
	BOOTINFO_TAG_NETWORK = 16,
	BOOTINFO_TAG_EFI_MMAP = 17,       /* * the UEFI memory map */
	BOOTINFO_TAG_EFI_BS = 18,         /* * EFI boot services not terminated */
	BOOTINFO_TAG_EFI32_IH = 19,
	BOOTINFO_TAG_EFI64_IH = 20,
	BOOTINFO_TAG_LOAD_BASE = 21,      /* * physical address the image was loaded at */
};

/* Memory map entry types (multiboot2 3.6.8, the same numbers as the BIOS e820 call). */
#define BOOTINFO_MMAP_AVAILABLE 1        /* usable RAM */
#define BOOTINFO_MMAP_RESERVED 2         /* do not touch */
#define BOOTINFO_MMAP_ACPI_RECLAIMABLE 3 /* ACPI tables: RAM once they are read */
#define BOOTINFO_MMAP_ACPI_NVS 4         /* firmware state kept across sleep */
#define BOOTINFO_MMAP_BAD_RAM 5          /* defective memory */

/* Framebuffer types (framebuffer.type). */
#define BOOTINFO_FB_INDEXED 0  /* palette colours */
#define BOOTINFO_FB_RGB 1      /* direct colour */
#define BOOTINFO_FB_EGA_TEXT 2 /* the 80x25 text screen at 0xb8000 */

/* One memory map entry, [base, base + length). base + length may wrap past 2^64 (kept as given). */
struct boot_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type; /* BOOTINFO_MMAP_* or another number */
};

/* One UEFI memory descriptor: pages of 4 KiB from phys_start. */
struct boot_efi_mmap_entry {
	uint32_t type;       /* EfiConventionalMemory (7), ...: bootinfo_efi_type_name() */
	uint64_t phys_start;
	uint64_t pages;
	uint64_t attribute;  /* EFI_MEMORY_* bits (WB, UC, RUNTIME, ...) */
};

/* One module GRUB loaded for us ("module2 FILE ARGS" in grub.cfg): physical [start, end). */
struct boot_module {
	uint32_t start;
	uint32_t end;
	const char *cmdline; /* inside the boot information */
};

struct boot_meminfo {
	bool present;
	uint32_t mem_lower_kb; /* conventional memory below 640 KiB */
	uint32_t mem_upper_kb; /* memory from 1 MiB to the first hole */
};

/* Where one colour lies in a direct-colour pixel: its lowest bit and its width. */
struct boot_fb_field {
	uint8_t position;
	uint8_t size;
};

struct boot_framebuffer {
	bool present;
	uint64_t addr;   /* physical */
	uint32_t pitch;  /* bytes per line */
	uint32_t width;  /* pixels, or characters for EGA text */
	uint32_t height;
	uint8_t bpp;     /* bits per pixel (16 for EGA text: character + attribute) */
	uint8_t type;    /* BOOTINFO_FB_* */
	/*
	 * Type RGB only: the colour fields, and whether they make sense (each
	 * 1..16 bits wide, inside bpp, no two overlapping); a tag whose fields
	 * do not is kept with rgb_valid false and a warning: nothing draws on it.
	 */
	bool rgb_valid;
	struct boot_fb_field red, green, blue;
};

struct boot_acpi {
	bool present;       /* tag 14 or 15 was there (valid or not) */
	bool valid;         /* a copy passed the signature and checksum checks */
	const void *rsdp;   /* that copy (inside the boot information), or NULL */
	uint32_t tag;       /* which tag it came from: 14 or 15 (0 if none is valid) */
	uint8_t revision;   /* 0 = ACPI 1.0, 2 = ACPI 2.0 and later */
	uint32_t length;    /* bytes at rsdp: 20 (tag 14) or the RSDP's own length field */
	uint32_t rsdt_phys; /* physical address of the RSDT */
	uint64_t xsdt_phys; /* physical address of the XSDT, 0 before ACPI 2.0 */
	char oem_id[7];     /* the firmware vendor, NUL-terminated */
};

struct boot_info {
	uint64_t mbi_phys;  /* where the boot information is (to reserve it) */
	uint32_t mbi_size;  /* its total_size in bytes */

	const char *cmdline;    /* "" if absent */
	const char *bootloader; /* "" if absent, e.g. "GRUB 2.12" */

	struct boot_meminfo meminfo;

	bool mmap_present;
	bool mmap_truncated;    /* more than BOOTINFO_MMAP_MAX entries were given */
	size_t mmap_count;      /* entries valid in mmap[] (at the end of the struct) */

	bool efi_mmap_present;
	bool efi_mmap_truncated;
	uint32_t efi_mmap_descriptor_version;
	size_t efi_mmap_count;  /* entries valid in efi_mmap[] */

	bool modules_truncated;
	size_t module_count;
	struct boot_module modules[BOOTINFO_MODULES_MAX];

	struct boot_framebuffer framebuffer;
	struct boot_acpi acpi;

	bool load_base_present;
	uint32_t load_base;                /* physical load address of the kernel image */
	bool efi64_present;
	uint64_t efi64_system_table;       /* physical address of the EFI system table */
	bool efi_boot_services_active;     /* tag 18: ExitBootServices() was not called */

	unsigned unknown_tags;             /* tags of types this parser does not read */
	uint32_t unknown_type_mask;        /* bit t set: an unread tag of type t < 32 was seen */
	unsigned ignored_tags;             /* repeats of single-instance tags (the first wins) */

	unsigned warning_count;            /* entries used in warnings[] */
	unsigned warnings_dropped;         /* further warnings that did not fit */
	char warnings[BOOTINFO_WARNINGS_MAX][BOOTINFO_WARNING_LEN];

	/*
	 * The two big tables (22 KiB) come last: bootinfo_parse() clears the
	 * struct only up to here, since the counts above say which entries
	 * mean something. Entries past a count are left as they were.
	 */
	struct boot_mmap_entry mmap[BOOTINFO_MMAP_MAX];
	struct boot_efi_mmap_entry efi_mmap[BOOTINFO_EFI_MMAP_MAX];
};

/* The kernel's copy, filled by kmain from the boot loader's information. */
extern struct boot_info boot_info;

/*
 * Check and parse the multiboot2 boot information at mbi.
 *   mbi       virtual address of the information (must be 8-byte aligned)
 *   mbi_phys  its physical address, recorded in out->mbi_phys (not dereferenced)
 *   readable  how many bytes from mbi may be read at all: BOOTINFO_MAX_SIZE in
 *             the kernel, the buffer size in tests. Nothing outside
 *             [mbi, mbi + min(total_size, readable)) is ever read.
 *   out       filled in; cleared first (all but the entries of mmap[] and
 *             efi_mmap[] past their counts), so absent tags read as 0/""/false
 *   err       on failure, a one-line reason such as "tag 6 at offset 0x58:
 *             size 4096 runs past the end of the boot information (0x1a8
 *             bytes)"; "" on success. May be NULL when err_size is 0.
 * Rejected (-EINVAL): misaligned mbi, total_size < 16, > readable or not a
 * multiple of 8, a tag smaller than its header or running past total_size,
 * no end tag or an end tag of size != 8, a known tag too short for its fields,
 * a memory map entry_size < 24 or not a multiple of 8, an EFI descriptor size
 * < 40, an unterminated string, a module ending before it starts, an RGB
 * framebuffer tag too short for its colour fields (38 bytes).
 * Accepted with a warning in out->warnings: a bad RSDP copy (acpi.rsdp stays
 * NULL), RGB colour fields that do not fit the pixel (framebuffer.rgb_valid
 * stays false), maps longer than the arrays, a repeated single-instance tag (the
 * first one wins: it is what the kernel already trusted when the repeat is
 * seen, and a later tag should not silently change it), bytes left over after
 * the last map entry or after the end tag. Unknown tag types are skipped and
 * counted. Memory map entries are copied as given, even empty or wrapping
 * ones: sorting that out is the memory map sanitizer's job.
 * On failure *out holds what was parsed before the error and must not be used.
 * Context: any; no side effects besides *out and err.
 */
__must_check int bootinfo_parse(const void *mbi, uint64_t mbi_phys, size_t readable,
				struct boot_info *out, char *err, size_t err_size);

/*
 * True when word is one of the whitespace-separated words of bi's command
 * line: "selftest" is in "foo selftest bar" but not in "selftests". An empty
 * word is never found.
 */
bool bootinfo_cmdline_has(const struct boot_info *bi, const char *word);

/* "available", "reserved", "ACPI reclaimable", "ACPI NVS", "bad RAM"; "unknown" otherwise. */
const char *bootinfo_mmap_type_name(uint32_t type);

/* The UEFI name of a memory type ("ConventionalMemory", "LoaderCode", ...); "unknown" otherwise. */
const char *bootinfo_efi_type_name(uint32_t type);

/*
 * Print everything in bi with kprintf: boot loader, command line, memory maps
 * (one `[mem 0x...-0x...] type` line per entry, inclusive end, as Linux prints
 * the e820 map), modules, framebuffer, ACPI RSDP, EFI tags and warnings.
 */
void bootinfo_print(const struct boot_info *bi);

/*
 * The parts of bootinfo_print() on their own: the memory map (and basic
 * memory), the UEFI map and EFI tags, the modules, the command line.
 */
void bootinfo_print_mmap(const struct boot_info *bi);
void bootinfo_print_efi(const struct boot_info *bi);
void bootinfo_print_modules(const struct boot_info *bi);
void bootinfo_print_cmdline(const struct boot_info *bi);

#endif
