/*
 * acpi.c - table walk for power-off and reset (see acpi.h).
 *
 * Every table is checked before use:
 *   - it lies entirely below BOOT_DIRECT_MAP_SIZE (so reading it cannot fault);
 *   - its length is at least the header and at most ACPI_MAX_TABLE;
 *   - its bytes sum to 0 mod 256 (the checksum rule of every ACPI table).
 * Field offsets are from the ACPI specification (FADT: section 5.2.9).
 */
#include "kernel/acpi.h"

#include <stddef.h>

#include "lib/string.h"
#include "mm/layout.h"

#define ACPI_HEADER_SIZE 36
#define ACPI_MAX_TABLE (1u << 20)

#define FADT_DSDT 40          /* u32 physical address of the DSDT */
#define FADT_SMI_COMMAND 48   /* u32 */
#define FADT_ACPI_ENABLE 52   /* u8 */
#define FADT_PM1A_CONTROL 64  /* u32 */
#define FADT_PM1B_CONTROL 68  /* u32 */
#define FADT_FLAGS 112        /* u32 */
#define FADT_RESET_REG 116    /* generic address structure, 12 bytes */
#define FADT_RESET_VALUE 128  /* u8 */
#define FADT_X_DSDT 140       /* u64, ACPI 2.0+ */
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
#define GAS_SPACE_IO 1        /* generic address in I/O port space */

#define MADT_ENTRIES 44          /* after the header, u32 LAPIC address and u32 flags */
#define MADT_LOCAL_APIC 0         /* Processor Local APIC entry (5.2.12.2), 8 bytes */
#define MADT_LOCAL_APIC_FLAGS 4   /* its u32 flags */
#define MADT_LOCAL_X2APIC 9       /* Processor Local x2APIC entry (5.2.12.12), 16 bytes */
#define MADT_LOCAL_X2APIC_FLAGS 8 /* its u32 flags */
#define MADT_CPU_ENABLED (1u << 0) /* Local APIC flags: the processor is usable */

#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01

static uint32_t read_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t read_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The table at physical address pa, if it passes the checks above; else NULL. */
static const uint8_t *acpi_map_table(uint64_t pa)
{
	if (pa == 0 || pa + ACPI_HEADER_SIZE > BOOT_DIRECT_MAP_SIZE)
		return NULL;
	const uint8_t *t = phys_to_virt(pa);
	uint32_t length = read_u32(t + 4);
	if (length < ACPI_HEADER_SIZE || length > ACPI_MAX_TABLE ||
	    pa + length > BOOT_DIRECT_MAP_SIZE)
		return NULL;
	uint8_t sum = 0;
	for (uint32_t i = 0; i < length; i++)
		sum += t[i];
	return sum == 0 ? t : NULL;
}

/* Find the table with signature sig through the RSDT (4-byte entries) or XSDT (8). */
static const uint8_t *acpi_find(const uint8_t *root, size_t entry_size, const char *sig)
{
	uint32_t length = read_u32(root + 4);
	for (uint32_t off = ACPI_HEADER_SIZE; off + entry_size <= length; off += entry_size) {
		uint64_t pa = entry_size == 8 ? read_u64(root + off) : read_u32(root + off);
		const uint8_t *t = acpi_map_table(pa);
		if (t && memcmp(t, sig, 4) == 0)
			return t;
	}
	return NULL;
}

/* One AML integer constant at *p (ZeroOp, OneOp or BytePrefix n); false if other. */
static bool aml_small_integer(const uint8_t **p, const uint8_t *end, uint8_t *value)
{
	if (*p >= end)
		return false;
	if (**p == AML_ZERO_OP || **p == AML_ONE_OP) {
		*value = **p;
		(*p)++;
		return true;
	}
	if (**p == AML_BYTE_PREFIX && *p + 1 < end) {
		*value = (*p)[1];
		*p += 2;
		return true;
	}
	return false;
}

/* Search the DSDT's AML for Name(_S5_, Package() {a, b, ...}). */
static bool acpi_find_s5(const uint8_t *dsdt, struct acpi_power *out)
{
	const uint8_t *end = dsdt + read_u32(dsdt + 4);

	for (const uint8_t *p = dsdt + ACPI_HEADER_SIZE; p + 4 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0)
			continue;
		/* Preceded by NameOp, directly or through a root prefix '\'. */
		if (!(p[-1] == AML_NAME_OP || (p[-1] == '\\' && p[-2] == AML_NAME_OP)))
			continue;
		const uint8_t *q = p + 4;
		if (q >= end || *q++ != AML_PACKAGE_OP || q >= end)
			continue;
		q += 1 + (*q >> 6);   /* PkgLength: lead byte + (bits 7-6) more bytes */
		q++;                  /* NumElements */
		if (aml_small_integer(&q, end, &out->s5_type_a) &&
		    aml_small_integer(&q, end, &out->s5_type_b))
			return true;
	}
	return false;
}

#define RSDP_V1_LENGTH 20
#define RSDP_V2_LENGTH 36

/* The XSDT (8-byte entries) or else the RSDT (4) of the RSDP copy, or NULL. */
static const uint8_t *acpi_root(const void *rsdp_copy, uint32_t length, size_t *entry_size)
{
	const uint8_t *rsdp = rsdp_copy;
	const uint8_t *root = NULL;

	if (!rsdp)
		return NULL;
	if (length >= RSDP_V2_LENGTH && rsdp[15] >= 2 && read_u64(rsdp + 24) != 0) {
		root = acpi_map_table(read_u64(rsdp + 24));
		*entry_size = 8;
	}
	if (!root && length >= RSDP_V1_LENGTH) {
		root = acpi_map_table(read_u32(rsdp + 16));
		*entry_size = 4;
	}
	return root;
}

struct acpi_cpus acpi_cpus;

void acpi_madt_count_cpus(const uint8_t *madt, uint32_t length, struct acpi_cpus *out)
{
	memset(out, 0, sizeof(*out));
	if (length < MADT_ENTRIES)
		return;
	out->have_madt = true;
	for (uint32_t off = MADT_ENTRIES; off + 2 <= length;) {
		uint8_t type = madt[off], size = madt[off + 1];
		if (size < 2 || off + size > length)
			break; /* a malformed entry: nothing after it can be trusted */
		uint32_t flags_at = type == MADT_LOCAL_APIC ? MADT_LOCAL_APIC_FLAGS
				    : type == MADT_LOCAL_X2APIC ? MADT_LOCAL_X2APIC_FLAGS : 0;
		if (flags_at && flags_at + 4 <= size) {
			if (read_u32(madt + off + flags_at) & MADT_CPU_ENABLED)
				out->enabled++;
			else
				out->disabled++;
		}
		off += size;
	}
}

void acpi_cpus_init(const void *rsdp, uint32_t length)
{
	size_t entry_size = 4;
	const uint8_t *root = acpi_root(rsdp, length, &entry_size);
	const uint8_t *madt = root ? acpi_find(root, entry_size, "APIC") : NULL;

	if (madt)
		acpi_madt_count_cpus(madt, read_u32(madt + 4), &acpi_cpus);
}

void acpi_init(const void *rsdp_copy, uint32_t length, struct acpi_power *out)
{
	memset(out, 0, sizeof(*out));
	if (!rsdp_copy) {
		out->problem = "the boot loader passed no ACPI RSDP";
		return;
	}
	size_t entry_size = 4;
	const uint8_t *root = acpi_root(rsdp_copy, length, &entry_size);
	if (!root) {
		out->problem = "the RSDT/XSDT is missing, above 4 GiB or has a bad checksum";
		return;
	}
	const uint8_t *fadt = acpi_find(root, entry_size, "FACP");
	if (!fadt) {
		out->problem = "no valid FADT (FACP) table";
		return;
	}
	uint32_t fadt_length = read_u32(fadt + 4);
	out->have_fadt = true;
	out->smi_command = (uint16_t)read_u32(fadt + FADT_SMI_COMMAND);
	out->acpi_enable = fadt[FADT_ACPI_ENABLE];
	out->pm1a_control = read_u32(fadt + FADT_PM1A_CONTROL);
	out->pm1b_control = read_u32(fadt + FADT_PM1B_CONTROL);
	if (fadt_length >= FADT_RESET_VALUE + 1 &&
	    (read_u32(fadt + FADT_FLAGS) & FADT_FLAG_RESET_REG_SUP) &&
	    fadt[FADT_RESET_REG] == GAS_SPACE_IO) {
		out->have_reset = true;
		out->reset_port = (uint16_t)read_u64(fadt + FADT_RESET_REG + 4);
		out->reset_value = fadt[FADT_RESET_VALUE];
	}

	uint64_t dsdt_pa = read_u32(fadt + FADT_DSDT);
	if (fadt_length >= FADT_X_DSDT + 8 && read_u64(fadt + FADT_X_DSDT))
		dsdt_pa = read_u64(fadt + FADT_X_DSDT);
	const uint8_t *dsdt = acpi_map_table(dsdt_pa);
	if (!dsdt) {
		out->problem = "the DSDT is missing, above 4 GiB or has a bad checksum";
		return;
	}
	out->have_s5 = acpi_find_s5(dsdt, out);
	if (!out->have_s5)
		out->problem = "the DSDT has no \\_S5 (soft-off) package";
	if (out->pm1a_control == 0) {
		out->have_s5 = false;
		out->problem = "the FADT has no PM1a control block";
	}
}
