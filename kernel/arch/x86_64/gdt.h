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
	uint16_t iomap_base; /* the I/O bitmap's offset; past the limit: no bitmap */
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "gdt.h: a 64-bit TSS is 104 bytes");

#define GDT_IO_BITMAP_BYTES 8192 /* one bit per port, 65536 ports (SDM Vol. 1 19.5.2) */

/*
 * A TSS followed by its I/O permission bitmap (SDM Vol. 1 19.5.2, Vol. 3A
 * 8.7): a set bit denies ring 3 the port. The CPU reads two bytes at
 * iomap_base + port / 8, so one all-ones byte ends the map. iomap_base ==
 * GDT_IOMAP_NONE (the limit + 1) denies every port without a bitmap.
 */
struct io_tss {
	struct tss tss;
	uint8_t bitmap[GDT_IO_BITMAP_BYTES];
	uint8_t end; /* 0xff */
} __attribute__((packed));
#define GDT_IOMAP_NONE ((uint16_t)sizeof(struct io_tss))
#define GDT_IOMAP_BITMAP ((uint16_t)__builtin_offsetof(struct io_tss, bitmap))

/*
 * One CPU's descriptor tables (in its struct percpu). The TSS in use is
 * *tss: boot_tss until the CPU has its io_tss (allocated, so that the
 * static struct percpu array does not grow by 8 KiB for each of
 * MM_MAX_CPUS), then io->tss.
 */
struct gdt_cpu {
	uint64_t entries[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss boot_tss;
	struct tss *tss;     /* the loaded one: &boot_tss or &io->tss */
	struct io_tss *io;   /* NULL until gdt_io_prepare */
	uint64_t io_loaded;  /* the generation in io->bitmap; 0: GDT_IOMAP_NONE */
};

/*
 * Build this CPU's GDT and TSS in its struct percpu and load them: reload
 * CS, DS, ES, SS and the task register (FS and GS are left alone: GS's base
 * is the per-CPU pointer). The TSS's IST1..3 come from percpu->ist_top;
 * CPU 0's, when still 0, from the static boot stacks. Each CPU once, early,
 * interrupts off, after percpu_init_boot / percpu_enter.
 */
void gdt_init(void);

struct percpu;

/*
 * Give p's CPU its io_tss (kmalloc; 0 or -ENOMEM). The boot CPU for an AP
 * before it starts (its gdt_init then loads the io_tss), or a CPU for
 * itself (gdt_io_enter moves its TSS). Process or boot context.
 */
int gdt_io_prepare(struct percpu *p);

/*
 * Move this CPU's live TSS into its io_tss (gdt_io_prepare done), with no
 * port allowed, and reload the task register. Interrupts off; once.
 */
void gdt_io_enter(void);

/*
 * Make this CPU's TSS allow ring 3 the ports map allows (GDT_IO_BITMAP_BYTES,
 * set bit = denied), or none (map NULL). generation names map's contents
 * (a new one for each change; never 0): the same generation as last time
 * copies nothing. Without an io_tss, every port stays denied. Interrupts off.
 */
void gdt_io_load(const uint8_t *map, uint64_t generation);

/* Set the stack this CPU switches to when an interrupt arrives from user mode. */
void gdt_set_kernel_stack(uint64_t rsp0);

/* The [bottom, top) range of CPU 0's boot-time IST stack `ist` (1..3), for backtrace bounds. */
void gdt_ist_stack_range(int ist, uint64_t *bottom, uint64_t *top);

/* Make this CPU's IST slot ist (1..7) switch to the stack whose top is top (16-byte aligned). */
void gdt_set_ist(int ist, uint64_t top);

#endif
