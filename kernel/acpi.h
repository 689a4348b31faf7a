/*
 * acpi.h - just enough ACPI to power the machine off and reset it.
 *
 * The firmware describes the platform in tables reached from the RSDP
 * (which GRUB copies into the boot information): RSDP -> RSDT/XSDT -> FADT
 * ("FACP") -> DSDT. From the FADT we need the PM1 control ports and the reset
 * register; from the DSDT's AML the \_S5 package, whose first values are the
 * SLP_TYP codes that mean "soft off". No AML interpreter: a byte search for
 * the _S5_ name, as most small kernels do. Tables must lie in the boot direct
 * map (below 4 GiB); anything that fails validation is ignored with a reason.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdbool.h>
#include <stdint.h>

struct acpi_power {
	bool have_fadt;
	uint16_t smi_command;     /* port to write acpi_enable to (0: always in ACPI mode) */
	uint8_t acpi_enable;
	uint32_t pm1a_control;    /* PM1a control block port */
	uint32_t pm1b_control;    /* 0 if absent */
	bool have_s5;
	uint8_t s5_type_a, s5_type_b; /* SLP_TYP values for soft-off */
	bool have_reset;          /* reset register supported, in I/O space */
	uint16_t reset_port;
	uint8_t reset_value;
	const char *problem;      /* why something is missing, or NULL */
};

/*
 * Find the FADT and \_S5 from the validated RSDP copy at rsdp, length bytes
 * long (20 for ACPI 1.0, 36 or more for 2.0+; rsdp NULL: none). Fills *out;
 * never fails, but leaves have_* false and out->problem set to the reason.
 */
void acpi_init(const void *rsdp, uint32_t length, struct acpi_power *out);

/* The processors the firmware lists in the MADT. */
struct acpi_cpus {
	bool have_madt;     /* a valid MADT was found; the counts below mean something */
	unsigned enabled;   /* Local APIC / x2APIC entries with the Enabled flag */
	unsigned disabled;  /* entries without it (absent, or could be brought online later) */
};

/* Filled at boot by acpi_cpus_init(); all zero before or without ACPI. */
extern struct acpi_cpus acpi_cpus;

/*
 * Count the processors in the MADT reachable from the validated RSDP copy
 * (as for acpi_init) into acpi_cpus. Boot CPU, once; never fails (no MADT:
 * have_madt stays false).
 */
void acpi_cpus_init(const void *rsdp, uint32_t length);

/*
 * Count the processor entries of the MADT at madt (length bytes, checksum
 * already verified) into *out. Entries are read only where they fit whole
 * inside length; an entry shorter than 2 bytes ends the walk. Pure.
 */
void acpi_madt_count_cpus(const uint8_t *madt, uint32_t length, struct acpi_cpus *out);

#endif
