/*
 * gdt.c - our own GDT and TSS, replacing the boot GDT from boot.asm.
 *
 * Layout (8-byte descriptors, the TSS takes two):
 *   0x00 null   0x08 kernel code   0x10 kernel data   0x18 (unused, SYSRET's
 *   32-bit slot)   0x20 user data   0x28 user code   0x30 TSS (16 bytes)
 * Base and limit are ignored for 64-bit code/data; only the access bits
 * (present, DPL, code/data, L) matter (SDM Vol. 3A 3.4.5). Each CPU has
 * its own copy of both tables, in its struct percpu (gdt.h says why). CPU
 * 0's TSS IST slots 1-3 (#DF, NMI, #MC) start on the static stacks below;
 * its #DF moves to a guarded one later (kernel_stacks_init). An AP's come
 * guarded from the start (smpboot.c fills percpu->ist_top first).
 *
 * The I/O permission bitmap (ioperm): each CPU's TSS moves into an
 * allocated struct io_tss (CPU 0 once kmalloc works, kmain; an AP before it
 * starts, smpboot.c), whose bitmap gdt_io_load fills from the running
 * process's at each switch to one (user_mode.c). A process without one
 * gets iomap_base past the TSS limit: every port denied, nothing copied.
 * The 8 KiB copy happens only when the generation changes, so switching
 * among processes without ioperm, or back to the same one, costs nothing.
 *
 * Invariants:
 *   [x] a CPU loads only its own struct gdt_cpu (a loaded TSS is busy);
 *   [x] the static IST stacks here serve CPU 0 alone;
 *   [x] io_loaded == 0 iff the loaded TSS denies every port to ring 3;
 *       else io->bitmap holds the map of generation io_loaded.
 * Context: each CPU on itself, interrupts off (gdt_init once per CPU).
 */
#include "kernel/arch/x86_64/gdt.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/kmalloc.h"

/* Access-byte and flag bits of a segment descriptor (SDM Vol. 3A 3.4.5). */
#define SEG_ACCESSED (1ull << 40) /* set by the CPU on use; preset to avoid a write */
#define SEG_WRITABLE (1ull << 41) /* data: writable; code: readable */
#define SEG_CODE (1ull << 43)     /* executable segment */
#define SEG_NOT_SYSTEM (1ull << 44) /* code/data (1) rather than a system descriptor (0) */
#define SEG_DPL(n) ((uint64_t)(n) << 45) /* privilege level 0..3 */
#define SEG_PRESENT (1ull << 47)
#define SEG_LONG (1ull << 53)     /* 64-bit code segment */
#define SEG_TSS_AVAILABLE (9ull << 40) /* system type: 64-bit TSS, not busy */

static uint8_t ist_stacks[3][IST_STACK_SIZE] __aligned(16);

struct __packed descriptor_pointer {
	uint16_t limit;
	uint64_t base;
};

/* Point the GDT's 16-byte TSS descriptor at tss (limit bytes - 1), not busy. */
static void set_tss_descriptor(uint64_t *gdt, const struct tss *tss, uint64_t limit)
{
	uint64_t base = (uint64_t)(uintptr_t)tss;

	/* Base and limit scattered over both halves (SDM Vol. 3A 8.2.3). */
	gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | SEG_TSS_AVAILABLE |
			   SEG_PRESENT | (((limit >> 16) & 0xf) << 48) |
			   (((base >> 24) & 0xff) << 56);
	gdt[GDT_TSS / 8 + 1] = base >> 32;
}

void gdt_init(void)
{
	ASSERT_IRQS_OFF();
	struct percpu *p = this_percpu();
	uint64_t *gdt = p->gdt.entries;
	struct io_tss *io = p->gdt.io;
	struct tss *tss = io ? &io->tss : &p->gdt.boot_tss;
	const uint64_t data = SEG_PRESENT | SEG_NOT_SYSTEM | SEG_WRITABLE | SEG_ACCESSED;
	const uint64_t code = data | SEG_CODE | SEG_LONG;

	gdt[0] = 0;
	gdt[GDT_KERNEL_CODE / 8] = code | SEG_DPL(0);
	gdt[GDT_KERNEL_DATA / 8] = data | SEG_DPL(0);
	gdt[3] = 0;
	gdt[GDT_USER_DATA / 8] = data | SEG_DPL(3);
	gdt[GDT_USER_CODE / 8] = code | SEG_DPL(3);

	memset(tss, 0, sizeof(*tss));
	for (int i = 0; i < PERCPU_IST_STACKS; i++) {
		if (p->cpu == 0 && p->ist_top[i] == 0)
			p->ist_top[i] = (uint64_t)(uintptr_t)&ist_stacks[i][IST_STACK_SIZE];
		ASSERT(p->ist_top[i] != 0, "gdt_init: an AP's IST stacks are set before it starts");
		tss->ist[i] = p->ist_top[i];
	}
	tss->iomap_base = io ? GDT_IOMAP_NONE : sizeof(*tss);
	set_tss_descriptor(gdt, tss, (io ? sizeof(*io) : sizeof(*tss)) - 1);
	p->gdt.tss = tss;
	p->gdt.io_loaded = 0;

	struct descriptor_pointer ptr = {sizeof(p->gdt.entries) - 1, (uint64_t)(uintptr_t)gdt};
	__asm__ volatile("lgdt %0\n\t"
			 /* Reload CS with a far return: push selector and target. */
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 /* not FS/GS: a selector load would clear GS's base (the per-CPU pointer) */
			 "ltr %w3"
			 :
			 : "m"(ptr), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
			 : "rax", "memory");
}

int gdt_io_prepare(struct percpu *p)
{
	if (p->gdt.io)
		return 0; /* made for an AP that did not start: reuse */
	struct io_tss *io = kmalloc(sizeof(*io), KM_ZERO);
	if (!io)
		return -ENOMEM;
	memset(io->bitmap, 0xff, sizeof(io->bitmap));
	io->end = 0xff;
	p->gdt.io = io;
	return 0;
}

void gdt_io_enter(void)
{
	ASSERT_IRQS_OFF();
	struct percpu *p = this_percpu();
	struct io_tss *io = p->gdt.io;

	ASSERT(io && p->gdt.tss == &p->gdt.boot_tss, "gdt_io_enter: once, after gdt_io_prepare");
	io->tss = p->gdt.boot_tss;
	io->tss.iomap_base = GDT_IOMAP_NONE;
	set_tss_descriptor(p->gdt.entries, &io->tss, sizeof(*io) - 1);
	p->gdt.tss = &io->tss;
	p->gdt.io_loaded = 0;
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS) : "memory");
}

void gdt_io_load(const uint8_t *map, uint64_t generation)
{
	struct percpu *p = this_percpu();
	struct io_tss *io = p->gdt.io;

	if (!io || p->gdt.io_loaded == (map ? generation : 0))
		return;
	if (map) {
		memcpy(io->bitmap, map, sizeof(io->bitmap));
		io->tss.iomap_base = GDT_IOMAP_BITMAP;
		p->gdt.io_loaded = generation;
	} else {
		io->tss.iomap_base = GDT_IOMAP_NONE;
		p->gdt.io_loaded = 0;
	}
}

void gdt_set_kernel_stack(uint64_t rsp0)
{
	this_percpu()->gdt.tss->rsp[0] = rsp0;
}

void gdt_ist_stack_range(int ist, uint64_t *bottom, uint64_t *top)
{
	*bottom = (uint64_t)(uintptr_t)ist_stacks[ist - 1];
	*top = *bottom + IST_STACK_SIZE;
}

void gdt_set_ist(int ist, uint64_t top)
{
	struct percpu *p = this_percpu();

	ASSERT(ist >= 1 && ist <= 7, "gdt_set_ist: IST slots are 1..7");
	p->gdt.tss->ist[ist - 1] = top;
	if (ist <= PERCPU_IST_STACKS)
		p->ist_top[ist - 1] = top;
}
