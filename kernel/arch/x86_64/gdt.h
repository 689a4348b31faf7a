/*
 * gdt.h - segments and the task-state segment.
 *
 * In long mode segmentation is mostly gone, but the CPU still needs a GDT for
 * the code/data selectors of each privilege level and for the TSS, which
 * holds the stack pointers the CPU switches to on an interrupt: RSP0 (entry
 * from user mode) and the seven IST slots (Interrupt Stack Table, SDM Vol. 3A
 * 6.14.5). An exception whose IDT gate names an IST slot always runs on that
 * fresh stack, even when the interrupted stack is overflowed or corrupt:
 * that is why #DF, NMI and #MC use one. The CPU starts at the slot's top
 * every time, so an exception that can nest must not: #PF runs on the
 * current stack, and a kernel stack overflow (whose #PF frame cannot be
 * pushed on the full stack) arrives as #DF on slot 1 (docs/faults.md).
 *
 * Every CPU has its own GDT and TSS (struct gdt_cpu, inside its struct
 * percpu): the TSS holds per-CPU stacks, and loading a TSS marks its
 * descriptor busy, so two CPUs cannot share one. The functions below act on
 * the calling CPU's (this_percpu()). CPU 0's IST stacks start as static
 * arrays here; an AP's are guarded vmalloc stacks (smpboot.c).
 */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include <stdint.h>

#define GDT_ENTRIES 8

/* Selectors. The user ones follow the order SYSRET expects (STAR MSR). */
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA (0x20 | 3)
#define GDT_USER_CODE (0x28 | 3)
#define GDT_TSS 0x30

/* IST slots (1-based, as in the IDT gate's IST field). */
#define IST_DOUBLE_FAULT 1 /* moved to a guarded vmalloc stack by kernel_stacks_init() */
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_STACK_SIZE 8192 /* the boot-time static IST stacks (slots 1-3) */

/* The 64-bit task-state segment (SDM Vol. 3A 8.7); packed: RSP0 is misaligned. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];     /* stack for entry from ring 0..2 */
	uint64_t reserved1;
	uint64_t ist[7];     /* interrupt stack table, IST1..IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* past the limit: no I/O permission bitmap */
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "gdt.h: a 64-bit TSS is 104 bytes");

/* One CPU's descriptor tables (in its struct percpu). */
struct gdt_cpu {
	uint64_t entries[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss tss;
};

/*
 * Build this CPU's GDT and TSS in its struct percpu and load them: reload
 * CS, DS, ES, SS and the task register (FS and GS are left alone: GS's base
 * is the per-CPU pointer). The TSS's IST1..3 come from percpu->ist_top;
 * CPU 0's, when still 0, from the static boot stacks. Each CPU once, early,
 * interrupts off, after percpu_init_boot / percpu_enter.
 */
void gdt_init(void);

/* Set the stack this CPU switches to when an interrupt arrives from user mode. */
void gdt_set_kernel_stack(uint64_t rsp0);

/* The [bottom, top) range of CPU 0's boot-time IST stack `ist` (1..3), for backtrace bounds. */
void gdt_ist_stack_range(int ist, uint64_t *bottom, uint64_t *top);

/* Make this CPU's IST slot ist (1..7) switch to the stack whose top is top (16-byte aligned). */
void gdt_set_ist(int ist, uint64_t top);

#endif
