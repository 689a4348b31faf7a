/*
 * fpu.h - the x87/SSE (and AVX) registers of user threads.
 *
 * The kernel itself never touches them (-mno-sse -mno-80387), so only a
 * switch between threads with user state moves them: each such thread has
 * a save area (thread->fpu_state), written by XSAVE (when CPUID offers it;
 * XCR0 = x87 | SSE, | AVX when present) or FXSAVE, and read back by the
 * matching restore. A fresh area is the clean state: what `fninit` leaves
 * (FCW 0x037f, empty tags) and MXCSR 0x1f80 (every SIMD exception masked),
 * the state exec gives a program (the System V ABI's start-up state).
 *
 * Invariants:
 *   [x] CR0.MP set, CR0.EM and CR0.TS clear, CR4.OSFXSR and OSXMMEXCPT set
 *       (CR4.OSXSAVE and XCR0 when XSAVE is used) on every online CPU;
 *   [x] a save area is fpu_state_size() bytes, 64-byte aligned, and holds
 *       a state the restore instruction accepts (never a #GP on restore);
 *   [x] every CPU uses the same instruction and XCR0 (one choice at boot).
 * Context: fpu_init_cpu on each CPU at boot, interrupts off; the rest
 * process context (alloc/free may sleep), or interrupts off (save/restore).
 */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/x86_64/percpu.h"
#include "lib/compiler.h"

/* Control-register bits for the FPU (SDM Vol. 3A 2.5). */
#define CR0_MP (1ull << 1)          /* monitor coprocessor: wait/fwait honours TS */
#define CR0_EM (1ull << 2)          /* emulation: x87/SSE instructions #UD/#NM when set */
#define CR0_TS (1ull << 3)          /* task switched: the next FPU instruction #NM */
#define CR0_NE (1ull << 5)          /* x87 errors reported as #MF, not through IRQ 13 */
#define CR4_OSFXSR (1ull << 9)      /* OS supports FXSAVE/FXRSTOR (and so SSE) */
#define CR4_OSXMMEXCPT (1ull << 10) /* OS handles #XM (unmasked SIMD exceptions) */
#define CR4_OSXSAVE (1ull << 18)    /* XSAVE and XCR0 enabled (SDM Vol. 3A 13.3) */

/* XCR0 state components (SDM Vol. 1 13.1). */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)

#define FPU_MXCSR_DEFAULT 0x1f80u   /* all SIMD exceptions masked, round to nearest */
#define FPU_FCW_DEFAULT 0x037fu     /* what fninit loads: all x87 exceptions masked */
#define FPU_AREA_ALIGN 64           /* XSAVE's requirement (FXSAVE needs 16) */
#define FPU_LEGACY_SIZE 512         /* the FXSAVE area (SDM Vol. 1 10.5.1) */
#define FPU_MXCSR_OFFSET 24         /* MXCSR's offset in the FXSAVE/XSAVE legacy area */

/*
 * This CPU's FPU control bits (CR0, CR4, XCR0 as above). The boot CPU's
 * call also picks XSAVE or FXSAVE and the area size, and prepares the clean
 * image. Every CPU, at boot, after cpu_features_init; interrupts off.
 */
void fpu_init_cpu(void);

/* Bytes of one save area (512 with FXSAVE; CPUID 0xd's size for XCR0 with XSAVE). */
size_t fpu_state_size(void);

/* True when the areas are written by XSAVE (else FXSAVE). */
bool fpu_uses_xsave(void);

/* The XCR0 every CPU loads (0 without XSAVE). */
uint64_t fpu_xcr0(void);

/*
 * A new save area holding the clean state, or NULL when there is no
 * memory. Process context (allocates).
 */
void *fpu_state_alloc(void);

/*
 * fork's copy of the running thread's FPU state, whose area is state: a new
 * area holding the registers as they are now (saved from the CPU when they
 * are loaded, else copied from state), or NULL when there is no memory.
 * Process context (allocates).
 */
void *fpu_state_clone_current(const void *state);

/*
 * Free an area from fpu_state_alloc (NULL: nothing). If it is the running
 * thread's loaded area, this CPU forgets it, so no switch saves into it;
 * the caller then sets thread->fpu_state to NULL. Process context.
 */
void fpu_state_free(void *state);

/*
 * Put the clean state in an area (exec), which may be the running thread's:
 * its FPU registers are then no longer its state (the next fpu_load or
 * switch-in loads the clean one, and a switch away does not save over it).
 */
void fpu_state_reset(void *state);

/* Save this CPU's FPU registers into state. Interrupts off. */
void fpu_save(void *state);

/* Load this CPU's FPU registers from state. Interrupts off. */
void fpu_restore(const void *state);

/*
 * Load the running thread's area state into the CPU and remember that the
 * registers are now its (percpu->fpu_loaded). arch_enter_user. Interrupts off.
 */
void fpu_load(void *state);

/* XSAVE/XRSTOR (else FXSAVE/FXRSTOR): chosen once by the first fpu_init_cpu. */
extern bool fpu_use_xsave;

/* The save and restore instructions themselves (callers check interrupts). */
static __always_inline void fpu_save_area(void *state)
{
	if (fpu_use_xsave)
		__asm__ volatile("xsave64 %0" : "+m"(*(uint8_t(*)[FPU_LEGACY_SIZE])state)
				 : "a"(UINT32_MAX), "d"(UINT32_MAX) : "memory");
	else
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[FPU_LEGACY_SIZE])state) :: "memory");
}

static __always_inline void fpu_restore_area(const void *state)
{
	if (fpu_use_xsave)
		__asm__ volatile("xrstor64 %0" ::"m"(*(const uint8_t(*)[FPU_LEGACY_SIZE])state),
				 "a"(UINT32_MAX), "d"(UINT32_MAX) : "memory");
	else
		__asm__ volatile("fxrstor64 %0" ::"m"(*(const uint8_t(*)[FPU_LEGACY_SIZE])state)
				 : "memory");
}

/*
 * A thread switch (arch_switch_user_state, on this CPU's percpu p): prev's
 * registers saved into prev_state if they are loaded (prev_state ==
 * p->fpu_loaded), then next_state (if not NULL) loaded. Either may be NULL.
 * Interrupts off (the switch's contract: inline in every switch, unchecked).
 */
static __always_inline void fpu_switch(struct percpu *p, void *prev_state, void *next_state)
{
	if (prev_state && p->fpu_loaded == prev_state)
		fpu_save_area(prev_state);
	if (next_state)
		fpu_restore_area(next_state);
	p->fpu_loaded = next_state;
}

#endif
