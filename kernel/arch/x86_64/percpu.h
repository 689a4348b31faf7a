/*
 * percpu.h - each CPU's own data, reached through the GS segment base.
 *
 * Every CPU has one struct percpu in a static array (percpu.c), indexed by
 * its CPU number. The CPU's IA32_GS_BASE MSR holds that struct's address,
 * so %gs:offset reads a field of *this* CPU's struct in one instruction,
 * with no CPU number to find first: arch_cpu_id() (mm/arch.h) is one load of
 * %gs:offsetof(struct percpu, cpu). The first field points at the struct
 * itself, so this_percpu() is one load of %gs:0 as well (Linux does the
 * same). IA32_KERNEL_GS_BASE holds the user GS base (0: none yet), ready for
 * swapgs on an entry from user mode (syscall_entry.asm, isr.asm).
 *
 * The system-call entry (syscall_entry.asm) has no stack and no free
 * register when it starts: it parks the user RSP in percpu->user_rsp and
 * loads percpu->syscall_stack (the running thread's kernel stack top,
 * written at each switch by arch_switch_user_state). NASM gets their
 * offsets from the PERCPU_OFFSET_* lines below (the Makefile reads them),
 * and the _Static_asserts tie those lines to the struct.
 *
 * Invariants:
 *   [x] percpu_of(c)->self == percpu_of(c) and ->cpu == c, for every c;
 *   [x] on a running CPU, GS base == &percpu[its number] (set before any
 *       C code reads arch_cpu_id: kmain's first line, the AP's first line);
 *   [x] this header stays light (mm/arch.h includes it on every fast path):
 *       stdint, stdbool and gdt.h only.
 * Context: any; fields change only on the CPU itself, or on the boot CPU
 * before that CPU starts.
 */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86_64/gdt.h"

#define MSR_GS_BASE 0xc0000101u        /* SDM Vol. 4 2.1: GS base used now (IA32_GS_BASE) */
#define MSR_KERNEL_GS_BASE 0xc0000102u /* SDM Vol. 4 2.1: the base swapgs exchanges with it */

#define PERCPU_IST_STACKS 3 /* IST slots 1..3: #DF, NMI, #MC (gdt.h) */

struct kernel_stack;
struct thread;
struct cpu_sched;

/* One CPU's own data. The first two fields' offsets are fixed (see above). */
struct percpu {
	struct percpu *self;      /* offset 0: this struct, for this_percpu() */
	unsigned cpu;             /* 0 .. MM_MAX_CPUS-1, in bring-up order; 0 = boot CPU */
	uint32_t apic_id;         /* the local APIC's id (the MADT's and the IPIs' name) */
	uint32_t preempt_count;   /* above 0: no switch away (mm/arch.h arch_preempt_count) */
	uint64_t syscall_stack;   /* the running thread's kernel stack top (== TSS.RSP0) */
	uint64_t user_rsp;        /* syscall_entry.asm's scratch: the user RSP at entry */
	uint64_t ist_top[PERCPU_IST_STACKS];                 /* IST1..3 tops, in its TSS */
	const struct kernel_stack *ist[PERCPU_IST_STACKS];   /* APs: the guarded IST stacks */
	const struct kernel_stack *stack;                    /* APs: the first (idle) stack */
	char stack_names[PERCPU_IST_STACKS + 1][16];         /* registry names, "#DF cpu3" */
	uint64_t started_tsc;     /* TSC when the CPU reported in (boot CPU: 0) */
	struct gdt_cpu gdt;       /* its GDT and TSS (gdt.c fills and loads them) */
	void *fpu_loaded;         /* the running thread's FPU area, if the CPU's FPU
				     registers hold that thread's state (fpu.c), else NULL */
	struct thread *current;   /* the thread this CPU runs (thread_current(); switch_to sets it) */
	struct cpu_sched *sched;  /* this CPU's scheduling state (kernel/sched/switch.h) */
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct percpu, self) == 0, "percpu: self at %gs:0");

/* Offsets syscall_entry.asm uses as %gs:offset (passed to nasm by the Makefile: decimal). */
#define PERCPU_OFFSET_SYSCALL_STACK 24
#define PERCPU_OFFSET_USER_RSP 32
_Static_assert(__builtin_offsetof(struct percpu, syscall_stack) == PERCPU_OFFSET_SYSCALL_STACK,
	       "percpu.h: PERCPU_OFFSET_SYSCALL_STACK is syscall_stack's offset");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_OFFSET_USER_RSP,
	       "percpu.h: PERCPU_OFFSET_USER_RSP is user_rsp's offset");

/*
 * Make CPU 0's struct percpu current: GS base = &percpu[0], KERNEL_GS_BASE
 * = 0, self and cpu filled, the APIC id from CPUID. kmain's first line,
 * boot CPU, interrupts off; nothing may call arch_cpu_id() before it.
 */
void percpu_init_boot(void);

/*
 * Fill CPU cpu's struct (self, cpu, apic_id) before it starts. Boot CPU;
 * cpu 1 .. MM_MAX_CPUS-1, not yet online.
 */
void percpu_prepare(unsigned cpu, uint32_t apic_id);

/* Point this CPU's GS base at p (p prepared). The AP's first line. */
void percpu_enter(struct percpu *p);

/* CPU cpu's struct (cpu < MM_MAX_CPUS, else a panic naming the caller's bug). Any context. */
struct percpu *percpu_of(unsigned cpu);

/* This CPU's struct: one load of %gs:0. Any context after percpu_init_boot. */
static inline struct percpu *this_percpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/*
 * The thread this CPU runs: one load of %gs:current (thread_current(),
 * kernel/sched/schedule.h); NULL before the scheduler starts. Volatile,
 * so it is never reused across percpu_set_current_thread (a switch, or
 * become_idle's first store).
 */
static inline struct thread *percpu_current_thread(void)
{
	struct thread *t;

	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(__builtin_offsetof(struct percpu, current)));
	return t;
}

/*
 * This CPU's scheduling state: one load of %gs:sched. After sched_init.
 * Volatile: a thread that moved to another CPU (after a switch) must read
 * its new CPU's.
 */
static inline struct cpu_sched *percpu_sched(void)
{
	struct cpu_sched *c;

	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(c) : "i"(__builtin_offsetof(struct percpu, sched)));
	return c;
}

/* The switch's half of percpu_current_thread: this CPU now runs t. Interrupts off. */
static inline void percpu_set_current_thread(struct thread *t)
{
	__asm__ volatile("movq %0, %%gs:%c1" : : "r"(t), "i"(__builtin_offsetof(struct percpu, current))
			 : "memory");
}

#endif
