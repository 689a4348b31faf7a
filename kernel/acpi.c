/*
 * acpi.c - table walk for power-off and reset (see acpi.h).
 *
 * Every table is checked before use:
 *   - it lies entirely below BOOT_DIRECT_MAP_SIZE (so reading it cannot fault);
 *   - its length is at least the header and at most ACPI_MAX_TABLE;
 *   - its bytes sum to 0 mod 256 (the checksum rule of every ACPI table).
 * Field offsets are from the ACPI specification (FADT: section 5.2.9;
 * MADT: 5.2.12). The MADT parser is pure over its byte buffer (host-tested
 * in tests/unit/test_acpi.c); acpi_madt is written once at boot, read after.
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
#define FADT_REVISION 8      /* u8, the header's revision field */
#define FADT_IAPC_BOOT_ARCH 109 /* u16, FADT revision 2+ (5.2.9.3) */
#define FADT_BOOT_ARCH_MIN_REVISION 2
#define BOOT_ARCH_8042 (1u << 1) /* IAPC_BOOT_ARCH bit 1: an 8042 or equivalent */
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
#define GAS_SPACE_IO 1        /* generic address in I/O port space */

/* MADT (ACPI 6.5 section 5.2.12): fixed fields, then entries of (type, length, ...). */
#define MADT_LAPIC_ADDRESS 36    /* u32 physical address of the local APICs */
#define MADT_FLAGS 40            /* u32 flags */
#define MADT_FLAG_PCAT_COMPAT (1u << 0) /* a dual 8259 is installed too */
#define MADT_ENTRIES 44          /* first entry */

#define MADT_LOCAL_APIC 0         /* Processor Local APIC (5.2.12.2), 8 bytes: */
#define MADT_LOCAL_APIC_SIZE 8
#define MADT_LOCAL_APIC_UID 2     /*   u8 ACPI processor UID */
#define MADT_LOCAL_APIC_ID 3      /*   u8 APIC id */
#define MADT_LOCAL_APIC_FLAGS 4   /*   u32 flags */
#define MADT_XAPIC_NO_ID 0xffu    /*   an APIC id of 0xff: no processor */
#define MADT_IO_APIC 1            /* I/O APIC (5.2.12.3), 12 bytes: */
#define MADT_IO_APIC_SIZE 12
#define MADT_IO_APIC_ID 2         /*   u8 I/O APIC id */
#define MADT_IO_APIC_ADDRESS 4    /*   u32 physical address */
#define MADT_IO_APIC_GSI_BASE 8   /*   u32 GSI of its first input */
#define MADT_OVERRIDE 2           /* Interrupt Source Override (5.2.12.5), 10 bytes: */
#define MADT_OVERRIDE_SIZE 10
#define MADT_OVERRIDE_BUS 2       /*   u8 bus: 0 = ISA */
#define MADT_OVERRIDE_SOURCE 3    /*   u8 bus-relative IRQ */
#define MADT_OVERRIDE_GSI 4       /*   u32 global system interrupt */
#define MADT_OVERRIDE_FLAGS 8     /*   u16 MPS INTI flags */
#define MADT_LAPIC_NMI 4          /* Local APIC NMI (5.2.12.7), 6 bytes: */
#define MADT_LAPIC_NMI_SIZE 6
#define MADT_LAPIC_NMI_UID 2      /*   u8 UID, 0xff = all */
#define MADT_LAPIC_NMI_FLAGS 3    /*   u16 MPS INTI flags */
#define MADT_LAPIC_NMI_LINT 5     /*   u8 LINT# */
#define MADT_LAPIC_ADDR_OVERRIDE 5 /* Local APIC Address Override (5.2.12.8), 12 bytes: */
#define MADT_LAPIC_ADDR_OVERRIDE_SIZE 12
#define MADT_LAPIC_ADDR_OVERRIDE_ADDRESS 4 /* u64 physical address */
#define MADT_LOCAL_X2APIC 9       /* Processor Local x2APIC (5.2.12.12), 16 bytes: */
#define MADT_LOCAL_X2APIC_SIZE 16
#define MADT_LOCAL_X2APIC_ID 4    /*   u32 x2APIC id */
#define MADT_LOCAL_X2APIC_FLAGS 8 /*   u32 flags */
#define MADT_LOCAL_X2APIC_UID 12  /*   u32 ACPI processor UID */
#define MADT_X2APIC_NO_ID 0xffffffffu
#define MADT_X2APIC_NMI 0xa       /* Local x2APIC NMI (5.2.12.13), 12 bytes: */
#define MADT_X2APIC_NMI_SIZE 12
#define MADT_X2APIC_NMI_FLAGS 2   /*   u16 MPS INTI flags */
#define MADT_X2APIC_NMI_UID 4     /*   u32 UID, 0xffffffff = all */
#define MADT_X2APIC_NMI_LINT 8    /*   u8 LINT# */
#define MADT_CPU_ENABLED (1u << 0) /* processor flags: usable now */
#define MADT_CPU_ONLINE_CAPABLE (1u << 1) /* processor flags: can be enabled later (6.3+) */
#define MADT_ISA_BUS 0

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

/* The table with signature sig reachable from the RSDP copy, or NULL. */
static const uint8_t *acpi_table(const void *rsdp_copy, uint32_t length, const char *sig)
{
	size_t entry_size = 4;
	const uint8_t *root = acpi_root(rsdp_copy, length, &entry_size);

	return root ? acpi_find(root, entry_size, sig) : NULL;
}

struct acpi_cpus acpi_cpus;
struct acpi_madt acpi_madt;

static uint16_t read_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* One processor entry: counted, and kept if usable, new and below the limit. */
static void madt_add_cpu(struct acpi_madt *out, uint32_t apic_id, uint32_t uid, uint32_t flags,
			 unsigned extra_flags)
{
	unsigned f = extra_flags;

	if (flags & MADT_CPU_ENABLED)
		out->listed_enabled++;
	else
		out->listed_disabled++;
	if (flags & MADT_CPU_ENABLED)
		f |= ACPI_CPU_ENABLED;
	else if (flags & MADT_CPU_ONLINE_CAPABLE)
		f |= ACPI_CPU_ONLINE_CAPABLE;
	if (!(f & (ACPI_CPU_ENABLED | ACPI_CPU_ONLINE_CAPABLE)) ||
	    apic_id == (f & ACPI_CPU_X2APIC ? MADT_X2APIC_NO_ID : MADT_XAPIC_NO_ID)) {
		out->cpus_unusable++;
		return;
	}
	for (unsigned i = 0; i < out->cpu_count; i++) {
		if (out->cpus[i].apic_id == apic_id) { /* listed twice: keep the first */
			if (out->cpus[i].flags & ACPI_CPU_BOOT) /* ... but the boot CPU's details */
				out->cpus[i] = (struct acpi_cpu){apic_id, uid,
								 f | ACPI_CPU_BOOT | ACPI_CPU_ENABLED};
			else
				out->malformed++;
			return;
		}
	}
	if (out->cpu_count == MM_MAX_CPUS) {
		out->cpus_over_limit++;
		return;
	}
	out->cpus[out->cpu_count++] = (struct acpi_cpu){apic_id, uid, f};
}

static void madt_add_ioapic(struct acpi_madt *out, const uint8_t *e)
{
	uint32_t address = read_u32(e + MADT_IO_APIC_ADDRESS);

	if (out->ioapic_count == ACPI_MAX_IOAPICS || address == 0 || (address & 0xf)) {
		out->malformed++;
		return;
	}
	out->ioapics[out->ioapic_count++] = (struct acpi_ioapic){
		e[MADT_IO_APIC_ID], address, read_u32(e + MADT_IO_APIC_GSI_BASE)};
}

static void madt_add_override(struct acpi_madt *out, const uint8_t *e)
{
	uint8_t irq = e[MADT_OVERRIDE_SOURCE];

	if (e[MADT_OVERRIDE_BUS] != MADT_ISA_BUS || irq >= ACPI_ISA_IRQS) {
		out->malformed++;
		return;
	}
	for (unsigned i = 0; i < out->override_count; i++) {
		if (out->overrides[i].irq == irq) { /* a second override of one IRQ: keep the first */
			out->malformed++;
			return;
		}
	}
	out->overrides[out->override_count++] = (struct acpi_irq_override){
		irq, read_u32(e + MADT_OVERRIDE_GSI), read_u16(e + MADT_OVERRIDE_FLAGS)};
}

static void madt_add_nmi(struct acpi_madt *out, uint32_t uid, uint8_t lint, uint16_t flags)
{
	if (out->nmi_count == ACPI_MAX_LAPIC_NMIS || lint > 1) {
		out->malformed++;
		return;
	}
	out->nmis[out->nmi_count++] = (struct acpi_lapic_nmi){uid, lint, flags};
}

/* The least length an entry of type must have to be read (0: a type we skip). */
static uint8_t madt_entry_size(uint8_t type)
{
	switch (type) {
	case MADT_LOCAL_APIC: return MADT_LOCAL_APIC_SIZE;
	case MADT_IO_APIC: return MADT_IO_APIC_SIZE;
	case MADT_OVERRIDE: return MADT_OVERRIDE_SIZE;
	case MADT_LAPIC_NMI: return MADT_LAPIC_NMI_SIZE;
	case MADT_LAPIC_ADDR_OVERRIDE: return MADT_LAPIC_ADDR_OVERRIDE_SIZE;
	case MADT_LOCAL_X2APIC: return MADT_LOCAL_X2APIC_SIZE;
	case MADT_X2APIC_NMI: return MADT_X2APIC_NMI_SIZE;
	default: return 0;
	}
}

static void madt_entry(struct acpi_madt *out, const uint8_t *e)
{
	switch (e[0]) {
	case MADT_LOCAL_APIC:
		madt_add_cpu(out, e[MADT_LOCAL_APIC_ID], e[MADT_LOCAL_APIC_UID],
				     read_u32(e + MADT_LOCAL_APIC_FLAGS), 0);
		break;
	case MADT_LOCAL_X2APIC:
		madt_add_cpu(out, read_u32(e + MADT_LOCAL_X2APIC_ID),
				     read_u32(e + MADT_LOCAL_X2APIC_UID),
				     read_u32(e + MADT_LOCAL_X2APIC_FLAGS), ACPI_CPU_X2APIC);
		break;
	case MADT_IO_APIC:
		madt_add_ioapic(out, e);
		break;
	case MADT_OVERRIDE:
		madt_add_override(out, e);
		break;
	case MADT_LAPIC_NMI:
		madt_add_nmi(out, e[MADT_LAPIC_NMI_UID] == 0xff ? ACPI_NMI_ALL_CPUS
							       : e[MADT_LAPIC_NMI_UID],
			     e[MADT_LAPIC_NMI_LINT], read_u16(e + MADT_LAPIC_NMI_FLAGS));
		break;
	case MADT_X2APIC_NMI:
		madt_add_nmi(out, read_u32(e + MADT_X2APIC_NMI_UID), e[MADT_X2APIC_NMI_LINT],
			     read_u16(e + MADT_X2APIC_NMI_FLAGS));
		break;
	case MADT_LAPIC_ADDR_OVERRIDE:
		out->lapic_address = read_u64(e + MADT_LAPIC_ADDR_OVERRIDE_ADDRESS);
		break;
	}
}

void acpi_madt_parse(const uint8_t *madt, uint32_t length, uint32_t boot_apic_id,
		     struct acpi_madt *out)
{
	memset(out, 0, sizeof(*out));
	if (length < MADT_ENTRIES)
		return;
	out->have_madt = true;
	out->lapic_address = read_u32(madt + MADT_LAPIC_ADDRESS);
	out->pcat_compat = read_u32(madt + MADT_FLAGS) & MADT_FLAG_PCAT_COMPAT;
	/* The boot CPU is CPU 0 whatever the table's order; its entry fills in uid and flags. */
	out->cpus[0] = (struct acpi_cpu){boot_apic_id, 0, ACPI_CPU_ENABLED | ACPI_CPU_BOOT};
	out->cpu_count = 1;
	for (uint32_t off = MADT_ENTRIES; off + 2 <= length;) {
		const uint8_t *e = madt + off;
		uint8_t size = e[1];
		if (size < 2 || size > length - off)
			break; /* a malformed entry: nothing after it can be trusted */
		if (size < madt_entry_size(e[0]))
			out->malformed++; /* too short for its type: skipped */
		else
			madt_entry(out, e);
		off += size;
	}
}

struct acpi_irq_override acpi_isa_irq_route(const struct acpi_madt *madt, uint8_t irq)
{
	for (unsigned i = 0; i < madt->override_count; i++)
		if (madt->overrides[i].irq == irq)
			return madt->overrides[i];
	return (struct acpi_irq_override){irq, irq, ACPI_INTI_POLARITY_BUS | ACPI_INTI_TRIGGER_BUS};
}

void acpi_madt_count_cpus(const uint8_t *madt, uint32_t length, struct acpi_cpus *out)
{
	struct acpi_madt m;

	acpi_madt_parse(madt, length, 0, &m);
	*out = (struct acpi_cpus){m.have_madt, m.listed_enabled, m.listed_disabled};
}

void acpi_cpus_init(const void *rsdp, uint32_t length, uint32_t boot_apic_id)
{
	const uint8_t *madt = acpi_table(rsdp, length, "APIC");

	if (madt) {
		acpi_madt_count_cpus(madt, read_u32(madt + 4), &acpi_cpus);
		acpi_madt_parse(madt, read_u32(madt + 4), boot_apic_id, &acpi_madt);
	}
}

struct acpi_boot_arch acpi_fadt_boot_arch(const uint8_t *fadt, uint32_t length)
{
	struct acpi_boot_arch out = {.i8042 = ACPI_8042_UNKNOWN};

	if (!fadt || length < ACPI_HEADER_SIZE)
		return out;
	out.have_fadt = true;
	out.fadt_revision = fadt[FADT_REVISION];
	if (out.fadt_revision < FADT_BOOT_ARCH_MIN_REVISION || length < FADT_IAPC_BOOT_ARCH + 2)
		return out;
	out.flags = read_u16(fadt + FADT_IAPC_BOOT_ARCH);
	out.i8042 = out.flags & BOOT_ARCH_8042 ? ACPI_8042_PRESENT : ACPI_8042_ABSENT;
	return out;
}

struct acpi_boot_arch acpi_boot_arch(const void *rsdp, uint32_t length)
{
	const uint8_t *fadt = acpi_table(rsdp, length, "FACP");

	return acpi_fadt_boot_arch(fadt, fadt ? read_u32(fadt + 4) : 0);
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
