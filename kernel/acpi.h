/*
 * acpi.h - just enough ACPI to power the machine off and reset it, and to
 * find the CPUs and interrupt controllers (the MADT).
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

#include "mm/arch.h"

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

/*
 * Whether the machine has an 8042 keyboard controller, by the FADT's
 * IA-PC Boot Architecture Flags (IAPC_BOOT_ARCH, ACPI 6.5 section 5.2.9.3,
 * bit 1 "8042"). The field exists from FADT revision 2 on; older or
 * missing tables say nothing. Only a hint: the keyboard driver's probe
 * decides (drivers/keyboard.h).
 */
enum acpi_8042 {
	ACPI_8042_UNKNOWN, /* no FADT, revision < 2 or too short for the field */
	ACPI_8042_PRESENT, /* bit 1 set */
	ACPI_8042_ABSENT,  /* bit 1 clear */
};

/* What the FADT said, for reports (`cpuinfo`-like) and the docs. */
struct acpi_boot_arch {
	bool have_fadt;
	uint8_t fadt_revision;
	uint16_t flags;         /* IAPC_BOOT_ARCH (0 below revision 2) */
	enum acpi_8042 i8042;
};

/*
 * The hint from the FADT at fadt, length bytes long (checksum verified
 * by the caller; NULL: none). Pure, any context.
 */
struct acpi_boot_arch acpi_fadt_boot_arch(const uint8_t *fadt, uint32_t length);

/* The same from the validated RSDP copy (as for acpi_init). Boot CPU. */
struct acpi_boot_arch acpi_boot_arch(const void *rsdp, uint32_t length);

/*
 * The MADT ("APIC", ACPI 6.5 section 5.2.12): the interrupt controllers.
 * acpi_madt_parse() reads it into struct acpi_madt, pure over a byte buffer:
 * entries are read only where they lie whole inside the table and are at
 * least as long as their type's layout; a shorter entry of a known type is
 * skipped and counted as malformed; an entry shorter than 2 bytes or
 * running past the end stops the walk (nothing after it can be trusted).
 */

/* struct acpi_cpu flags. */
#define ACPI_CPU_ENABLED (1u << 0)        /* MADT flags bit 0: usable now */
#define ACPI_CPU_ONLINE_CAPABLE (1u << 1) /* MADT flags bit 1: may be enabled at run time */
#define ACPI_CPU_X2APIC (1u << 2)         /* listed by an x2APIC entry (type 9) */
#define ACPI_CPU_BOOT (1u << 3)           /* the CPU that runs this code (listed or not) */

struct acpi_cpu {
	uint32_t apic_id; /* local APIC id (x2APIC id for type 9 entries) */
	uint32_t uid;     /* ACPI processor UID (type 0: the processor id byte) */
	unsigned flags;   /* ACPI_CPU_* */
};

struct acpi_ioapic {
	uint8_t id;         /* I/O APIC id */
	uint32_t address;   /* physical address of its two registers */
	uint32_t gsi_base;  /* global system interrupt of its input 0 */
};

/* struct acpi_irq_override flags: the MPS INTI flags (ACPI 5.2.12.5, Table 5.50). */
#define ACPI_INTI_POLARITY_MASK 0x3u    /* bits 1-0: polarity */
#define ACPI_INTI_POLARITY_BUS 0x0u     /* conforms to the bus (ISA: active high) */
#define ACPI_INTI_POLARITY_HIGH 0x1u    /* active high */
#define ACPI_INTI_POLARITY_LOW 0x3u     /* active low */
#define ACPI_INTI_TRIGGER_MASK 0xcu     /* bits 3-2: trigger mode */
#define ACPI_INTI_TRIGGER_BUS 0x0u      /* conforms to the bus (ISA: edge) */
#define ACPI_INTI_TRIGGER_EDGE 0x4u     /* edge triggered */
#define ACPI_INTI_TRIGGER_LEVEL 0xcu    /* level triggered */

struct acpi_irq_override {
	uint8_t irq;     /* ISA IRQ (source; bus 0 = ISA) */
	uint32_t gsi;    /* global system interrupt it is wired to */
	uint16_t flags;  /* ACPI_INTI_* */
};

/* A local APIC NMI entry (types 4 and 0xA): which LINT pin carries NMI. */
#define ACPI_NMI_ALL_CPUS 0xffffffffu /* uid: every processor (0xff in a type 4 entry) */
struct acpi_lapic_nmi {
	uint32_t uid;    /* ACPI processor UID, or ACPI_NMI_ALL_CPUS */
	uint8_t lint;    /* 0 or 1 */
	uint16_t flags;  /* ACPI_INTI_* */
};

#define ACPI_MAX_IOAPICS 8
#define ACPI_ISA_IRQS 16
#define ACPI_MAX_LAPIC_NMIS 8

struct acpi_madt {
	bool have_madt;        /* a MADT was parsed; everything below means something */
	bool pcat_compat;      /* flags bit 0: a dual 8259 is present (mask it) */
	uint64_t lapic_address; /* local APIC registers: the header's, or the type 5 override */
	/*
	 * Usable CPUs (enabled or online-capable), at most MM_MAX_CPUS: the
	 * boot CPU first (added even if the table omits it), then the others
	 * in table order; a repeated APIC id is skipped.
	 */
	unsigned cpu_count;
	struct acpi_cpu cpus[MM_MAX_CPUS];
	unsigned cpus_over_limit; /* usable CPUs left out: more than MM_MAX_CPUS */
	unsigned cpus_unusable;   /* entries neither enabled nor online-capable (or id ~0) */
	unsigned listed_enabled;  /* processor entries with the Enabled flag, all counted */
	unsigned listed_disabled; /* processor entries without it */
	unsigned ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned override_count;  /* ISA overrides; a repeated IRQ keeps the first */
	struct acpi_irq_override overrides[ACPI_ISA_IRQS];
	unsigned nmi_count;
	struct acpi_lapic_nmi nmis[ACPI_MAX_LAPIC_NMIS];
	unsigned malformed;       /* entries skipped: too short, bad values, tables full */
};

/*
 * Parse the MADT at madt (length bytes, checksum already verified by the
 * caller) into *out, boot_apic_id being the APIC id of the CPU that runs
 * (CPUID). Never fails: a table shorter than the MADT's fixed fields leaves
 * have_madt false; see above for malformed entries. Pure, any context.
 */
void acpi_madt_parse(const uint8_t *madt, uint32_t length, uint32_t boot_apic_id,
		     struct acpi_madt *out);

/*
 * The override for ISA irq in madt: its GSI and flags, or (no override) GSI
 * irq with bus-default flags. Pure.
 */
struct acpi_irq_override acpi_isa_irq_route(const struct acpi_madt *madt, uint8_t irq);

/* The processors the firmware lists in the MADT (counts for the banner and `cpu`). */
struct acpi_cpus {
	bool have_madt;     /* a valid MADT was found; the counts below mean something */
	unsigned enabled;   /* Local APIC / x2APIC entries with the Enabled flag */
	unsigned disabled;  /* entries without it (absent, or could be brought online later) */
};

/* Filled at boot by acpi_cpus_init(); all zero before or without ACPI. */
extern struct acpi_cpus acpi_cpus;
extern struct acpi_madt acpi_madt;

/*
 * Parse the MADT reachable from the validated RSDP copy (as for acpi_init)
 * into acpi_madt and count its processors into acpi_cpus. boot_apic_id: the
 * boot CPU's APIC id (CPUID). Boot CPU, once; never fails (no MADT:
 * have_madt stays false in both).
 */
void acpi_cpus_init(const void *rsdp, uint32_t length, uint32_t boot_apic_id);

/*
 * Count the processor entries of the MADT at madt (length bytes, checksum
 * already verified) into *out. Entries are read only where they fit whole
 * inside length; an entry shorter than 2 bytes ends the walk. Pure.
 */
void acpi_madt_count_cpus(const uint8_t *madt, uint32_t length, struct acpi_cpus *out);

#endif
