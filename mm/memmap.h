/*
 * memmap.h - the physical memory map: what the firmware says, made safe.
 *
 * The firmware's map (multiboot2 tag 6, or the EFI map of tag 17) may be
 * unsorted, overlapping, unaligned, contain zero-length or wrapping entries,
 * or describe addresses the CPU cannot even reach. memmap_sanitize() turns
 * it into a map the rest of mm/ can trust.
 * Invariants (of its output):
 *   [x] ranges are sorted by start and pairwise disjoint;
 *   [x] adjacent ranges of the same type are merged;
 *   [x] every range is non-empty and ends at or below 2^phys_bits;
 *   [x] MEMMAP_USABLE ranges start and end on page boundaries (shrunk
 *       inward), and every usable byte was usable in some input entry and
 *       in no more restrictive one;
 *   [x] where inputs overlap, the more restrictive type wins:
 *       usable < ACPI reclaimable < ACPI NVS < reserved < bad RAM.
 * Pure computation on caller-provided storage: no allocation, any context,
 * host-compilable.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

/* Range types, in increasing order of restrictiveness (values match multiboot2). */
#define MEMMAP_USABLE 1          /* RAM free for the kernel */
#define MEMMAP_ACPI_RECLAIMABLE 3 /* ACPI tables; RAM once they are read */
#define MEMMAP_ACPI_NVS 4        /* firmware state kept across sleep */
#define MEMMAP_RESERVED 2        /* anything else the firmware keeps */
#define MEMMAP_BAD 5             /* defective RAM */

#define MEMMAP_MAX 256           /* ranges a sanitized map holds */
#define MEMMAP_DROPPED_MAX 16    /* dropped entries remembered for the report */

/* One input entry, as the firmware describes it: base and length. */
struct memmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;  /* MEMMAP_*; unknown values are treated as reserved */
};

/* One output range, [start, end). */
struct memmap_range {
	phys_addr_t start;
	phys_addr_t end;
	uint32_t type;
};

/* Why an input entry was dropped or cut. */
enum memmap_drop_reason {
	MEMMAP_DROP_EMPTY,       /* length 0 */
	MEMMAP_DROP_WRAPS,       /* base + length overflows 2^64 (cut at 2^64 if usable part remains) */
	MEMMAP_DROP_UNREACHABLE, /* at or beyond 2^phys_bits (cut there if part is reachable) */
	MEMMAP_DROP_TOO_SMALL,   /* usable, but no whole page after shrinking inward */
	MEMMAP_DROP_OVERFLOW,    /* more ranges than MEMMAP_MAX: the rest is lost */
};

struct memmap_dropped {
	struct memmap_entry entry;
	enum memmap_drop_reason reason;
};

struct memmap {
	struct memmap_range ranges[MEMMAP_MAX];
	size_t count;
	struct memmap_dropped dropped[MEMMAP_DROPPED_MAX]; /* the first ones */
	size_t dropped_count;                            /* all of them */
};

/*
 * Build the sanitized map of in[0..n) into *out (overwritten).
 *   phys_bits  the CPU's physical address width (CPUID 0x80000008), 1..64.
 * Entries that are dropped or cut are recorded in out->dropped with a reason;
 * the caller prints them as warnings (memmap_drop_reason_text()).
 * Returns 0, or -EINVAL if phys_bits is out of range or in is NULL with n > 0.
 */
__must_check int memmap_sanitize(const struct memmap_entry *in, size_t n, unsigned phys_bits,
				 struct memmap *out);

/* Total bytes of ranges of the given type. */
uint64_t memmap_total(const struct memmap *map, uint32_t type);

/* "usable", "reserved", "ACPI reclaimable", "ACPI NVS", "bad RAM". */
const char *memmap_type_name(uint32_t type);

/* A phrase for a drop reason, e.g. "zero length". */
const char *memmap_drop_reason_text(enum memmap_drop_reason reason);

/* The memory map of the EFI type t: MEMMAP_USABLE for memory free after boot. */
uint32_t memmap_type_from_efi(uint32_t efi_type);

#endif
