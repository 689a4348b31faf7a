/*
 * cpu_features.h - what this CPU can do, read once from CPUID at boot.
 *
 * The memory manager asks here before using an optional feature (NX, 1 GiB
 * pages, PCID, SMEP, ...) instead of issuing CPUID itself. Filled by
 * cpu_features_init() on the boot CPU; read-only afterwards, any context.
 */
#ifndef ARCH_X86_64_CPU_FEATURES_H
#define ARCH_X86_64_CPU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_features {
	char vendor[13];     /* "GenuineIntel", "AuthenticAMD", ... */
	char brand[49];      /* CPUID 0x80000002-4, leading spaces removed */
	uint32_t family, model, stepping;
	uint32_t max_leaf, max_extended_leaf;
	bool nx;             /* no-execute page protection (EFER.NXE) */
	bool pae;            /* physical address extension */
	bool pge;            /* global pages (CR4.PGE) */
	bool page_1g;        /* 1 GiB pages in the PDPT */
	bool pcid;           /* process-context identifiers (CR4.PCIDE) */
	bool invpcid;        /* INVPCID instruction */
	bool smep;           /* supervisor-mode execution prevention */
	bool smap;           /* supervisor-mode access prevention */
	bool pat;            /* page attribute table */
	bool erms;           /* enhanced rep movsb/stosb: fast for any size */
	bool tsc;            /* time-stamp counter */
	bool invariant_tsc;  /* TSC rate independent of power states */
	bool apic;           /* on-chip local APIC */
	bool x2apic;         /* x2APIC mode available (CPUID.1:ECX[21]) */
	uint32_t initial_apic_id; /* this CPU's APIC id at reset (CPUID 0xb, else 1) */
	bool fxsr;           /* FXSAVE/FXRSTOR (CPUID.1:EDX[24]) */
	bool sse, sse2;      /* SSE, SSE2 (every x86-64 CPU has both) */
	bool xsave;          /* XSAVE/XRSTOR, XCR0 (CPUID.1:ECX[26]) */
	bool avx;            /* AVX: the YMM state component (CPUID.1:ECX[28]) */
	bool hypervisor;     /* running under a hypervisor (QEMU, KVM, ...) */
	uint8_t phys_bits;   /* physical address width */
	uint8_t virt_bits;   /* linear address width (48, or 57 with LA57) */
};

extern struct cpu_features cpu_features;

/* Fill cpu_features from CPUID. Boot CPU, once. */
void cpu_features_init(void);

#endif
