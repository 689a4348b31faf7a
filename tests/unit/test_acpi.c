/*
 * test_acpi.c - suite "acpi": counting processors in an ACPI MADT
 * (acpi_madt_count_cpus, defect 1.9 of issue 12: say how many CPUs there are
 * and that only one runs).
 *
 * Each test writes a MADT into a static buffer with the small madt_*()
 * writers below (the header's fields other than the length do not matter to
 * the counter: the checksum was verified before it is called) and checks
 * the counts:
 *   - Local APIC and x2APIC entries count as enabled or not by their flag;
 *   - other entry types (I/O APIC, overrides) are skipped;
 *   - an entry of length < 2, one running past the table, or one too short
 *     for its flags is never read past, and the walk stays in bounds;
 *   - a table shorter than the fixed MADT fields has no counts.
 * Freestanding (built into the kernel too): lib/ functions only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/acpi.h"
#include "kernel/selftest.h"
#include "lib/string.h"

#define TEST_MADT_FIXED 44 /* header (36) + local APIC address + flags */

static uint8_t test_madt[256];
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

static const struct selftest acpi_tests[] = {
	{"madt_counts", "Local APIC and x2APIC entries, enabled or not; others skipped",
	 test_counts_enabled_and_disabled},
	{"madt_one_cpu", "one enabled entry counts 1; no entries count 0", test_one_cpu},
	{"madt_malformed", "zero-length, overlong and short entries never read past",
	 test_malformed_entries_stop_the_walk},
	{"madt_short_table", "a table shorter than the MADT's fixed fields has no counts",
	 test_short_table_has_no_counts},
};

SELFTEST_SUITE(acpi, acpi_tests);
