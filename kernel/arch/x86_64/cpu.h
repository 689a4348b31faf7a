/*
 * cpu.h - the instructions C cannot express: port I/O, control registers,
 * MSRs, CPUID, the TSC, interrupt flag and halting.
 *
 * Each is a one-line inline wrapper so that callers read as plain C and the
 * few places that touch the hardware stand out by name. x86-64 only; code
 * that must also build on the host (mm/ core) never includes this file but
 * goes through a small arch interface instead.
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdbool.h>
#include <stdint.h>

/* Control-register bits (SDM Vol. 3A 2.5). */
#define CR0_PE (1ull << 0)   /* protected mode */
#define CR0_WP (1ull << 16)  /* ring 0 honours read-only pages */
#define CR0_PG (1ull << 31)  /* paging */
#define CR4_PAE (1ull << 5)  /* physical address extension */
#define CR4_PGE (1ull << 7)  /* global pages survive CR3 reloads */
#define CR4_PCIDE (1ull << 17) /* process-context identifiers */
#define CR4_SMEP (1ull << 20) /* no kernel execution of user pages */
#define CR4_SMAP (1ull << 21) /* no kernel access to user pages unless EFLAGS.AC */

/* Model-specific registers (SDM Vol. 4). */
#define MSR_EFER 0xc0000080u /* extended feature enables */
#define EFER_NXE (1ull << 11) /* no-execute bit in page tables */

#define RFLAGS_IF (1ull << 9) /* interrupts enabled */
#define RFLAGS_AC (1ull << 18) /* SDM 3A 2.3: alignment check / SMAP override (stac) */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* A short delay for old devices (a write to the unused POST port 0x80). */
static inline void io_wait(void) { outb(0x80, 0); }

#define DEFINE_CR_ACCESSORS(n)                                                     \
	static inline uint64_t read_cr##n(void)                                        \
	{                                                                              \
		uint64_t v;                                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                         \
		return v;                                                                  \
	}                                                                              \
	static inline void write_cr##n(uint64_t v)                                     \
	{                                                                              \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                  \
	}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* Time-stamp counter: cycles at a constant rate since reset. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Tries per rdtsc_bracketed read; the one with the narrowest bracket is kept. */
#define TSC_BRACKET_READS 5

/*
 * read() paired with the TSC at the moment it ran (calibration): of
 * TSC_BRACKET_READS tries, the value whose two surrounding TSC readings lie
 * closest together, and in *tsc the middle of them. A virtual CPU the host
 * stalls between a try's readings widens that try's bracket, so the try
 * kept is one without a stall.
 */
static inline uint32_t rdtsc_bracketed(uint32_t (*read)(void), uint64_t *tsc)
{
	uint64_t best_width = UINT64_MAX;
	uint32_t value = 0;

	*tsc = 0;
	for (unsigned i = 0; i < TSC_BRACKET_READS; i++) {
		uint64_t before = rdtsc();
		uint32_t v = read();
		uint64_t after = rdtsc();
		if (after - before < best_width) {
			best_width = after - before;
			*tsc = before + (after - before) / 2;
			value = v;
		}
	}
	return value;
}

static inline void cpu_relax(void) { __asm__ volatile("pause"); }
/* Write back and invalidate every cache line (SDM Vol. 2B WBINVD): before a memory type changes. */
static inline void cpu_wbinvd(void) { __asm__ volatile("wbinvd" ::: "memory"); }
static inline void interrupts_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void interrupts_enable(void) { __asm__ volatile("sti" ::: "memory"); }

/*
 * Enable interrupts and sleep until the next one, atomically: STI takes
 * effect after the following instruction, so an interrupt arriving between
 * the two still wakes the HLT instead of being missed.
 */
static inline void interrupts_enable_and_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

static inline uint64_t read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline bool interrupts_enabled(void) { return read_rflags() & RFLAGS_IF; }

/* Stop this CPU for good. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
