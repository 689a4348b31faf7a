/*
 * fpu.c - user threads' x87/SSE/AVX state: the CPU's control bits, the
 * save areas, and moving the registers at a switch (fpu.h).
 *
 * Eager switching: a switch to a thread with an area loads it, a switch
 * away from one whose registers are loaded saves them. No lazy #NM trick:
 * musl's memcpy and printf use SSE in nearly every program, so the trap
 * would fire on almost every switch anyway, and eager is simpler to reason
 * about. percpu->fpu_loaded says whether the CPU's registers are the
 * running thread's: an area allocated or reset while its thread runs is not
 * loaded yet, and must not be saved over (it would catch another thread's
 * registers, or lose the clean state).
 *
 * The clean state is built, not captured: zero bytes with FCW = 0x037f
 * (fninit's control word), the abridged tag word 0 (every register empty)
 * and MXCSR = 0x1f80; with XSAVE the header's XSTATE_BV = 0 makes XRSTOR
 * load every component's initial configuration (SDM Vol. 1 13.8.1), MXCSR
 * from the area. So no register of another thread can leak into it.
 *
 * Invariants:
 *   [x] percpu->fpu_loaded is NULL or the running thread's fpu_state, and
 *       then the CPU's FPU registers are that thread's state;
 *   [x] every area is fpu_area_bytes long and FPU_AREA_ALIGN-aligned (a
 *       power-of-two kmalloc block, naturally aligned);
 *   [x] fpu_use_xsave and xcr0 are chosen once, on the first CPU, before any
 *       area exists; every later CPU loads the same XCR0.
 * Context: fpu_init_cpu at boot per CPU (interrupts off); alloc/free in
 * process context; save/restore/switch with interrupts off.
 */
#include "kernel/arch/x86_64/fpu.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/percpu.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/kmalloc.h"

#define FPU_FCW_OFFSET 0           /* x87 control word in the legacy area */
#define XSAVE_HEADER_OFFSET 512    /* XSTATE_BV, XCOMP_BV, reserved: 64 bytes */
#define XSAVE_HEADER_SIZE 64
#define CPUID_XSAVE_LEAF 0xd       /* EAX: XCR0 bits supported; EBX: size for current XCR0 */

static bool decided;
bool fpu_use_xsave;
static uint64_t xcr0;
static size_t area_bytes = FPU_LEGACY_SIZE;  /* what the save instruction writes */
static size_t alloc_bytes = FPU_LEGACY_SIZE; /* area_bytes rounded up to a power of two */

static inline void xsetbv(uint32_t index, uint64_t value)
{
	__asm__ volatile("xsetbv" ::"c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

/* Pick the save instruction and XCR0 (the first CPU's call). */
static void decide(void)
{
	ASSERT(cpu_features.fxsr, "fpu_init_cpu: no FXSAVE: not an x86-64 CPU");
	fpu_use_xsave = cpu_features.xsave && cpu_features.max_leaf >= CPUID_XSAVE_LEAF;
	if (fpu_use_xsave) {
		uint64_t supported = cpuid(CPUID_XSAVE_LEAF, 0).eax;
		xcr0 = XCR0_X87 | XCR0_SSE;
		if (cpu_features.avx && (supported & XCR0_AVX))
			xcr0 |= XCR0_AVX;
	}
	decided = true;
}

void fpu_init_cpu(void)
{
	ASSERT_IRQS_OFF();
	if (!decided)
		decide();
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (fpu_use_xsave)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	if (fpu_use_xsave) {
		xsetbv(0, xcr0);
		size_t size = cpuid(CPUID_XSAVE_LEAF, 0).ebx; /* for the XCR0 just set */
		if (size > area_bytes)
			area_bytes = size; /* the same on every CPU; max keeps it safe */
	}
	alloc_bytes = FPU_AREA_ALIGN;
	while (alloc_bytes < area_bytes)
		alloc_bytes <<= 1;
	/* This CPU's own registers start clean too. */
	uint32_t mxcsr = FPU_MXCSR_DEFAULT;
	__asm__ volatile("fninit\n\tldmxcsr %0" ::"m"(mxcsr));
	this_percpu()->fpu_loaded = NULL;
}

size_t fpu_state_size(void)
{
	return area_bytes;
}

bool fpu_uses_xsave(void)
{
	return fpu_use_xsave;
}

uint64_t fpu_xcr0(void)
{
	return xcr0;
}

void fpu_state_reset(void *state)
{
	unsigned long flags = arch_irq_save();
	struct percpu *p = this_percpu();
	uint8_t *a = state;

	if (p->fpu_loaded == state)
		p->fpu_loaded = NULL; /* the registers are no longer this state */
	memset(a, 0, area_bytes);
	uint16_t fcw = FPU_FCW_DEFAULT;
	uint32_t mxcsr = FPU_MXCSR_DEFAULT;
	memcpy(a + FPU_FCW_OFFSET, &fcw, sizeof(fcw));
	memcpy(a + FPU_MXCSR_OFFSET, &mxcsr, sizeof(mxcsr));
	arch_irq_restore(flags);
}

void *fpu_state_alloc(void)
{
	void *state = kmalloc(alloc_bytes, 0);

	if (!state)
		return NULL;
	ASSERT(((uintptr_t)state & (FPU_AREA_ALIGN - 1)) == 0,
	       "fpu_state_alloc: kmalloc's power-of-two blocks are naturally aligned");
	fpu_state_reset(state);
	return state;
}

void *fpu_state_clone_current(const void *state)
{
	uint8_t *copy = kmalloc(alloc_bytes, 0);

	if (!copy)
		return NULL;
	unsigned long flags = arch_irq_save();
	if (this_percpu()->fpu_loaded == state) {
		/* XSAVE writes the header's XSTATE_BV only: the rest must be zero for XRSTOR. */
		if (fpu_use_xsave)
			memset(copy + XSAVE_HEADER_OFFSET, 0, XSAVE_HEADER_SIZE);
		fpu_save(copy);
	} else {
		memcpy(copy, state, area_bytes);
	}
	arch_irq_restore(flags);
	return copy;
}

void fpu_state_free(void *state)
{
	if (!state)
		return;
	unsigned long flags = arch_irq_save();
	struct percpu *p = this_percpu();

	if (p->fpu_loaded == state)
		p->fpu_loaded = NULL;
	arch_irq_restore(flags);
	kfree(state);
}

void fpu_save(void *state)
{
	ASSERT_IRQS_OFF();
	fpu_save_area(state);
}

void fpu_restore(const void *state)
{
	ASSERT_IRQS_OFF();
	fpu_restore_area(state);
}

void fpu_load(void *state)
{
	ASSERT_IRQS_OFF();
	fpu_restore(state);
	this_percpu()->fpu_loaded = state;
}
