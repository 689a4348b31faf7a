/*
 * test_acpi.c - suite "acpi": counting processors in an ACPI MADT
 * (acpi_madt_count_cpus, defect 1.9 of issue 12: say how many CPUs there are
 * and that only one runs) and parsing it whole (acpi_madt_parse, issue 14:
 * the CPUs to start, the I/O APICs, the ISA overrides, the NMI pins).
 *
 * Each test writes a MADT into a static buffer with the small madt_*()
 * writers below (the header's fields other than the length do not matter to
 * the counter: the checksum was verified before it is called) and checks
 * the counts:
 *   - Local APIC and x2APIC entries count as enabled or not by their flag;
 *   - other entry types (I/O APIC, overrides) are skipped;
 *   - an entry of length < 2, one running past the table, or one too short
 *     for its flags is never read past, and the walk stays in bounds;
 *   - a table shorter than the fixed MADT fields has no counts;
 *   - the parser: every entry type's fields; the boot CPU first wherever it
 *     is listed (or not); more usable CPUs than MM_MAX_CPUS; neither enabled
 *     nor online-capable is unusable; malformed values refused one by one;
 *     thousands of random tables never break the table's bounds;
 *   - the FADT's "8042" flag (IAPC_BOOT_ARCH bit 1, issue 17): read from
 *     revision 2 on and only when the table is long enough for it.
 * Freestanding (built into the kernel too): lib/ functions only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/acpi.h"
#include "kernel/selftest.h"
#include "lib/random.h"
#include "lib/string.h"

#define TEST_MADT_FIXED 44 /* header (36) + local APIC address + flags */

static uint8_t test_madt[2048];
static uint32_t test_madt_length;

static void madt_begin(void)
{
	memset(test_madt, 0xee, sizeof(test_madt)); /* junk past the end must not count */
	memcpy(test_madt, "APIC", 4);
	test_madt_length = TEST_MADT_FIXED;
}

static void madt_put_u32(uint32_t at, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		test_madt[at + i] = (uint8_t)(value >> (8 * i));
}

/* One entry of type and size bytes; flags at flags_at when it fits (0: none). */
static void madt_entry(uint8_t type, uint8_t size, uint32_t flags_at, uint32_t flags)
{
	uint32_t at = test_madt_length;

	memset(test_madt + at, 0, size < 2 ? 2 : size);
	test_madt[at] = type;
	test_madt[at + 1] = size;
	if (flags_at && flags_at + 4 <= size)
		madt_put_u32(at + flags_at, flags);
	test_madt_length += size < 2 ? 2 : size; /* a bad length still takes its 2 bytes */
}

static void madt_local_apic(bool enabled)
{
	madt_entry(0, 8, 4, enabled ? 1 : 0);
}

static void madt_x2apic(bool enabled)
{
	madt_entry(9, 16, 8, enabled ? 1 : 0);
}

static struct acpi_cpus test_count(void)
{
	struct acpi_cpus c;

	madt_put_u32(4, test_madt_length);
	acpi_madt_count_cpus(test_madt, test_madt_length, &c);
	return c;
}

static const char *test_counts_enabled_and_disabled(void)
{
	madt_begin();
	madt_local_apic(true);
	madt_entry(1, 12, 0, 0); /* I/O APIC: not a processor */
	madt_local_apic(true);
	madt_local_apic(false);  /* present but not enabled */
	madt_entry(2, 10, 0, 0); /* interrupt source override */
	madt_x2apic(true);
	struct acpi_cpus c = test_count();
	CHECK(c.have_madt);
	CHECKF(c.enabled == 3 && c.disabled == 1, "counted %u enabled, %u disabled", c.enabled,
	       c.disabled);
	return NULL;
}

static const char *test_one_cpu(void)
{
	madt_begin();
	madt_local_apic(true);
	struct acpi_cpus c = test_count();
	CHECK(c.have_madt && c.enabled == 1 && c.disabled == 0);
	madt_begin();
	c = test_count(); /* a MADT without processors */
	CHECK(c.have_madt && c.enabled == 0);
	return NULL;
}

static const char *test_malformed_entries_stop_the_walk(void)
{
	madt_begin();
	madt_local_apic(true);
	madt_entry(0, 0, 0, 0); /* length 0 would loop forever: the walk stops here */
	madt_local_apic(true);
	struct acpi_cpus c = test_count();
	CHECKF(c.enabled == 1, "counted %u past a zero-length entry", c.enabled);

	madt_begin();
	madt_local_apic(true);
	madt_local_apic(true);
	test_madt_length -= 4; /* the last entry runs past the table */
	c = test_count();
	CHECKF(c.enabled == 1, "counted %u with an entry past the end", c.enabled);

	madt_begin();
	madt_entry(0, 6, 4, 1); /* a Local APIC entry too short for its flags */
	madt_local_apic(true);
	c = test_count();
	CHECKF(c.enabled == 1 && c.disabled == 0, "counted %u/%u with a short entry", c.enabled,
	       c.disabled);
	return NULL;
}

static const char *test_short_table_has_no_counts(void)
{
	struct acpi_cpus c;

	madt_begin();
	madt_local_apic(true);
	acpi_madt_count_cpus(test_madt, TEST_MADT_FIXED - 1, &c);
	CHECK(!c.have_madt && c.enabled == 0 && c.disabled == 0);
	return NULL;
}

static void madt_put(uint32_t at, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		test_madt[at + i] = (uint8_t)(value >> (8 * i));
}

/* Entry writers for the parser: the layouts of ACPI 6.5 5.2.12.x. */
static uint32_t madt_new_entry(uint8_t type, uint8_t size)
{
	uint32_t at = test_madt_length;

	memset(test_madt + at, 0, size);
	test_madt[at] = type;
	test_madt[at + 1] = size;
	test_madt_length += size;
	return at;
}

static void madt_lapic(uint8_t uid, uint8_t apic_id, uint32_t flags)
{
	uint32_t at = madt_new_entry(0, 8);
	test_madt[at + 2] = uid;
	test_madt[at + 3] = apic_id;
	madt_put(at + 4, flags, 4);
}

static void madt_x2apic_entry(uint32_t apic_id, uint32_t flags, uint32_t uid)
{
	uint32_t at = madt_new_entry(9, 16);
	madt_put(at + 4, apic_id, 4);
	madt_put(at + 8, flags, 4);
	madt_put(at + 12, uid, 4);
}

static void madt_ioapic(uint8_t id, uint32_t address, uint32_t gsi_base)
{
	uint32_t at = madt_new_entry(1, 12);
	test_madt[at + 2] = id;
	madt_put(at + 4, address, 4);
	madt_put(at + 8, gsi_base, 4);
}

static void madt_override(uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint32_t at = madt_new_entry(2, 10);
	test_madt[at + 2] = bus;
	test_madt[at + 3] = irq;
	madt_put(at + 4, gsi, 4);
	madt_put(at + 8, flags, 2);
}

static void madt_nmi(uint8_t uid, uint16_t flags, uint8_t lint)
{
	uint32_t at = madt_new_entry(4, 6);
	test_madt[at + 2] = uid;
	madt_put(at + 3, flags, 2);
	test_madt[at + 5] = lint;
}

static struct acpi_madt parsed;

static const struct acpi_madt *test_parse(uint32_t boot_apic_id)
{
	madt_put_u32(4, test_madt_length);
	acpi_madt_parse(test_madt, test_madt_length, boot_apic_id, &parsed);
	return &parsed;
}

/* A table as QEMU's pc machine writes it, plus the entry types QEMU leaves out. */
static const char *test_parse_every_type(void)
{
	madt_begin();
	madt_put_u32(36, 0xfee00000);
	madt_put_u32(40, 1); /* PCAT_COMPAT */
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 1);
	madt_lapic(2, 2, 2);          /* online-capable only: usable */
	madt_lapic(3, 3, 0);          /* neither: not usable */
	madt_ioapic(0, 0xfec00000, 0);
	madt_override(0, 0, 2, 0);
	madt_override(0, 9, 9, 0xd);  /* level, active high (the SCI) */
	madt_nmi(0xff, 0, 1);
	madt_x2apic_entry(300, 1, 7);
	const struct acpi_madt *m = test_parse(0);
	CHECK(m->have_madt && m->pcat_compat && m->lapic_address == 0xfee00000);
	CHECKF(m->cpu_count == 4, "%u usable CPUs, expected 4", m->cpu_count);
	CHECK(m->cpus[0].apic_id == 0 && (m->cpus[0].flags & ACPI_CPU_BOOT) &&
	      (m->cpus[0].flags & ACPI_CPU_ENABLED));
	CHECK(m->cpus[1].apic_id == 1 && m->cpus[1].uid == 1 &&
	      m->cpus[1].flags == ACPI_CPU_ENABLED);
	CHECK(m->cpus[2].apic_id == 2 && m->cpus[2].flags == ACPI_CPU_ONLINE_CAPABLE);
	CHECK(m->cpus[3].apic_id == 300 && m->cpus[3].uid == 7 &&
	      m->cpus[3].flags == (ACPI_CPU_ENABLED | ACPI_CPU_X2APIC));
	CHECK(m->cpus_unusable == 1 && m->cpus_over_limit == 0 && m->malformed == 0);
	CHECK(m->listed_enabled == 3 && m->listed_disabled == 2);
	CHECK(m->ioapic_count == 1 && m->ioapics[0].address == 0xfec00000 &&
	      m->ioapics[0].gsi_base == 0);
	CHECK(m->override_count == 2 && m->overrides[1].irq == 9 && m->overrides[1].flags == 0xd);
	CHECK(m->nmi_count == 1 && m->nmis[0].uid == ACPI_NMI_ALL_CPUS && m->nmis[0].lint == 1);

	struct acpi_irq_override r = acpi_isa_irq_route(m, 0);
	CHECK(r.gsi == 2 && r.flags == 0);
	r = acpi_isa_irq_route(m, 9);
	CHECK(r.gsi == 9 && (r.flags & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL);
	r = acpi_isa_irq_route(m, 4); /* no override: identity, bus defaults */
	CHECK(r.gsi == 4 && r.flags == 0);

	madt_new_entry(5, 12); /* the LAPIC address override wins over the header */
	madt_put(test_madt_length - 8, 0x1234567000ull, 8);
	CHECK(test_parse(0)->lapic_address == 0x1234567000ull);
	return NULL;
}

static const char *test_parse_boot_cpu_first(void)
{
	madt_begin();
	madt_lapic(10, 0, 1);
	madt_lapic(11, 1, 1);
	madt_lapic(12, 2, 1);
	const struct acpi_madt *m = test_parse(2);
	CHECK(m->cpu_count == 3);
	CHECKF(m->cpus[0].apic_id == 2 && m->cpus[0].uid == 12, "CPU 0 is APIC id %u",
	       m->cpus[0].apic_id);
	CHECK(m->cpus[1].apic_id == 0 && m->cpus[2].apic_id == 1);
	CHECK(!(m->cpus[1].flags & ACPI_CPU_BOOT));

	madt_begin(); /* the table forgot the boot CPU: it is CPU 0 all the same */
	madt_lapic(0, 0, 1);
	m = test_parse(5);
	CHECK(m->cpu_count == 2 && m->cpus[0].apic_id == 5 && m->cpus[1].apic_id == 0);

	madt_begin(); /* listed twice (xAPIC and x2APIC entry): once */
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 1);
	madt_x2apic_entry(1, 1, 1);
	m = test_parse(0);
	CHECK(m->cpu_count == 2 && m->malformed == 1);
	return NULL;
}

static const char *test_parse_over_the_limit(void)
{
	unsigned listed = MM_MAX_CPUS + 6;

	madt_begin();
	for (unsigned i = 0; i < listed; i++)
		madt_x2apic_entry(i, 1, i);
	const struct acpi_madt *m = test_parse(listed - 1); /* the boot CPU is listed last */
	CHECKF(m->cpu_count == MM_MAX_CPUS && m->cpus_over_limit == listed - MM_MAX_CPUS,
	       "kept %u, over the limit %u", m->cpu_count, m->cpus_over_limit);
	CHECK(m->cpus[0].apic_id == listed - 1 && (m->cpus[0].flags & ACPI_CPU_BOOT));
	for (unsigned i = 1; i < MM_MAX_CPUS; i++)
		CHECKF(m->cpus[i].apic_id == i - 1, "CPU %u is APIC id %u", i, m->cpus[i].apic_id);
	return NULL;
}

static const char *test_parse_refuses_bad_values(void)
{
	madt_begin();
	madt_lapic(0, 0, 1);
	madt_lapic(1, 0xff, 1);          /* APIC id 0xff: no processor */
	madt_x2apic_entry(0xffffffff, 1, 1);
	madt_ioapic(0, 0, 0);            /* address 0 */
	madt_ioapic(1, 0xfec00004, 0);   /* not 16-byte aligned */
	madt_override(1, 0, 2, 0);       /* not the ISA bus */
	madt_override(0, 16, 16, 0);     /* not an ISA IRQ */
	madt_override(0, 0, 2, 0);
	madt_override(0, 0, 5, 0);       /* IRQ 0 again: the first stays */
	madt_nmi(0xff, 0, 2);            /* no LINT2 */
	uint32_t at = madt_new_entry(1, 8); /* an I/O APIC entry too short for its fields */
	(void)at;
	const struct acpi_madt *m = test_parse(0);
	CHECK(m->cpu_count == 1 && m->cpus_unusable == 2);
	CHECK(m->ioapic_count == 0);
	CHECK(m->override_count == 1 && m->overrides[0].gsi == 2);
	CHECK(m->nmi_count == 0);
	CHECKF(m->malformed == 7, "%u malformed entries, expected 7", m->malformed);

	madt_begin(); /* more I/O APICs than the table holds */
	for (unsigned i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
		madt_ioapic((uint8_t)i, 0xfec00000 + 0x1000 * i, 24 * i);
	m = test_parse(0);
	CHECK(m->ioapic_count == ACPI_MAX_IOAPICS && m->malformed == 2);

	madt_begin(); /* an entry running past the table ends the walk */
	madt_ioapic(0, 0xfec00000, 0);
	madt_lapic(1, 1, 1);
	test_madt_length -= 2;
	m = test_parse(0);
	CHECK(m->ioapic_count == 1 && m->cpu_count == 1);
	return NULL;
}

/* Random tables: whatever the bytes, the results stay inside their arrays. */
static const char *test_parse_random_tables(void)
{
	uint64_t seed = 14;

	for (int round = 0; round < 3000; round++) {
		madt_begin();
		uint32_t length = TEST_MADT_FIXED + (uint32_t)(random_next(&seed) % 600);
		for (uint32_t i = TEST_MADT_FIXED; i < length; i++) {
			uint64_t r = random_next(&seed);
			/* Mostly plausible types and sizes, so that the walk goes far. */
			test_madt[i] = (uint8_t)(r % 4 == 0 ? r >> 8 : (r >> 8) % 11);
			if (r % 3 == 0 && i + 1 < length) {
				test_madt[++i] = (uint8_t)(2 + (r >> 16) % 16);
			}
		}
		test_madt_length = length;
		const struct acpi_madt *m = test_parse((uint32_t)random_next(&seed) % 300);
		CHECK(m->have_madt && m->cpu_count >= 1 && m->cpu_count <= MM_MAX_CPUS);
		CHECK(m->cpus[0].flags & ACPI_CPU_BOOT);
		CHECK(m->ioapic_count <= ACPI_MAX_IOAPICS && m->override_count <= ACPI_ISA_IRQS);
		CHECK(m->nmi_count <= ACPI_MAX_LAPIC_NMIS);
		for (unsigned i = 0; i < m->override_count; i++)
			CHECK(m->overrides[i].irq < ACPI_ISA_IRQS);
		for (unsigned i = 0; i < m->nmi_count; i++)
			CHECK(m->nmis[i].lint <= 1);
	}
	return NULL;
}

/* ---- the FADT's IAPC_BOOT_ARCH "8042" flag (acpi_fadt_boot_arch) ---- */

#define TEST_FADT_REVISION 8       /* header revision byte */
#define TEST_FADT_BOOT_ARCH 109    /* u16 IAPC_BOOT_ARCH (ACPI 5.2.9) */
#define TEST_FADT_V1_LENGTH 116    /* an ACPI 1.0 FADT */

static uint8_t test_fadt[276];

static struct acpi_boot_arch test_fadt_with(uint8_t revision, uint16_t flags, uint32_t length)
{
	memset(test_fadt, 0, sizeof(test_fadt));
	memcpy(test_fadt, "FACP", 4);
	test_fadt[TEST_FADT_REVISION] = revision;
	test_fadt[TEST_FADT_BOOT_ARCH] = (uint8_t)flags;
	test_fadt[TEST_FADT_BOOT_ARCH + 1] = (uint8_t)(flags >> 8);
	return acpi_fadt_boot_arch(test_fadt, length);
}

static const char *test_fadt_8042(void)
{
	struct acpi_boot_arch a;

	/* QEMU 7.2: pc has a revision 1 FADT (no field), q35 revision 3 with 0x2 or 0x0 */
	a = test_fadt_with(1, 0x0002, TEST_FADT_V1_LENGTH);
	CHECK(a.have_fadt && a.fadt_revision == 1 && a.i8042 == ACPI_8042_UNKNOWN && a.flags == 0);
	a = test_fadt_with(3, 0x0002, sizeof(test_fadt));
	CHECK(a.fadt_revision == 3 && a.flags == 0x2 && a.i8042 == ACPI_8042_PRESENT);
	a = test_fadt_with(3, 0x0000, sizeof(test_fadt));
	CHECK(a.i8042 == ACPI_8042_ABSENT);
	a = test_fadt_with(2, 0x0003, sizeof(test_fadt)); /* legacy devices + 8042 */
	CHECK(a.i8042 == ACPI_8042_PRESENT && a.flags == 0x3);
	a = test_fadt_with(6, 0x0001, sizeof(test_fadt)); /* legacy devices, no 8042 */
	CHECK(a.i8042 == ACPI_8042_ABSENT);
	/* too short to hold the field: no hint, whatever the revision says */
	a = test_fadt_with(6, 0x0002, TEST_FADT_BOOT_ARCH + 1);
	CHECK(a.have_fadt && a.i8042 == ACPI_8042_UNKNOWN);
	a = acpi_fadt_boot_arch(NULL, 0);
	CHECK(!a.have_fadt && a.i8042 == ACPI_8042_UNKNOWN);
	a = acpi_fadt_boot_arch(test_fadt, 20); /* shorter than a table header */
	CHECK(!a.have_fadt);
	return NULL;
}

static const struct selftest acpi_tests[] = {
	{"madt_counts", "Local APIC and x2APIC entries, enabled or not; others skipped",
	 test_counts_enabled_and_disabled},
	{"madt_one_cpu", "one enabled entry counts 1; no entries count 0", test_one_cpu},
	{"madt_malformed", "zero-length, overlong and short entries never read past",
	 test_malformed_entries_stop_the_walk},
	{"madt_short_table", "a table shorter than the MADT's fixed fields has no counts",
	 test_short_table_has_no_counts},
	{"madt_parse_types", "CPUs, I/O APIC, overrides, NMI, LAPIC address override, flags",
	 test_parse_every_type},
	{"madt_parse_boot_first", "the boot CPU is CPU 0 wherever (or whether) it is listed",
	 test_parse_boot_cpu_first},
	{"madt_parse_limit", "more usable CPUs than MM_MAX_CPUS: the rest counted over the limit",
	 test_parse_over_the_limit},
	{"madt_parse_bad_values", "bad ids, addresses, buses, IRQs, LINTs, short entries refused",
	 test_parse_refuses_bad_values},
	{"madt_parse_random", "3000 random tables: results stay in bounds",
	 test_parse_random_tables},
	{"fadt_8042", "IAPC_BOOT_ARCH bit 1 from FADT revision 2 on; else no hint",
	 test_fadt_8042},
};

SELFTEST_SUITE(acpi, acpi_tests);
