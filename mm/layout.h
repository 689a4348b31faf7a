/*
 * layout.h - where things live in the kernel's virtual address space, and
 * the conversions between physical, direct-map and kernel-image addresses.
 *
 * The one source of the layout: every range below is a named constant here,
 * and everyone else (mm/, the shell, boot/boot.asm and boot/kernel.ld through
 * the Makefile) uses the names. docs/memory-layout.md explains the table.
 * x86-64 with 4-level paging: 48-bit virtual addresses, 512 GiB per PML4 slot;
 * between the halves, addresses are non-canonical (#GP on access).
 *
 *   start                end (exclusive)      name                  what
 *   0x0000000000000000   0x0000800000000000   USER_HALF_END         user half (slots 0-255),
 *                                                                   a process's (below)
 *   0xffff800000000000   0xffffc00000000000   DIRECT_MAP_BASE       direct map of RAM, 64 TiB
 *                                                                   (slots 256-383)
 *   0xffffc00000000000   0xffffc80000000000   EXPERIMENT_START      `map` experiments, 8 TiB
 *                                                                   (slots 384-399), except:
 *   0xffffc03fc0000000   0xffffc03fc0100000   STRESS_WINDOW_START   `stress`: pages every CPU
 *                                                                   maps and unmaps, 1 MiB
 *   0xffffc04000000000   0xffffc08000000000   ANON_WINDOW_START     the lazy window, 256 GiB:
 *                                                                   `lazy` and `cow` regions
 *   0xffffc80000000000   0xffffe80000000000   VMALLOC_START         vmalloc and kernel stacks,
 *                                                                   32 TiB (slots 400-463)
 *   0xffffe80000000000   0xffffe80040000000   MMIO_START            device registers (local and
 *                                                                   I/O APICs), uncached, 1 GiB
 *                                                                   (slot 464)
 *   0xffffe80040000000   0xffffe80080000000   FRAMEBUFFER_START     the screen's video memory,
 *                                                                   write-combining, 1 GiB
 *                                                                   (slot 464)
 *   0xffffe80080000000   0xffffffff80000000   -                     unused (guard)
 *   0xffffffff80000000   0x0000000000000000   KERNEL_VMA            kernel image (-2 GiB, slot
 *                                                                   511), at physical
 *                                                                   KERNEL_PHYS_BASE + offset
 *
 * KERNEL_HALF_START (= DIRECT_MAP_BASE) begins the kernel half, slots 256-511,
 * shared by every address space. The direct map makes phys_to_virt() and
 * virt_to_phys() one addition or subtraction; boot.asm maps physical
 * 0..BOOT_DIRECT_MAP_SIZE with 2 MiB pages, kernel_space.c maps that whole
 * range again and then all RAM above it. The static asserts below keep the
 * ranges in order and apart; scripts/check_structure.py checks that this
 * table, these constants and the linked kernel image agree.
 * Pure arithmetic: safe in any context.
 *
 * On the host (unit tests, built with -DPAGODA_HOST) "physical memory" is a
 * simulated RAM arena in the test process: physical address 0 is the
 * arena's first byte, so the same mm/ code runs unchanged over it.
 */
#ifndef MM_LAYOUT_H
#define MM_LAYOUT_H

#include <stdint.h>

typedef uint64_t phys_addr_t; /* a physical address: what the CPU puts on the bus */
typedef uint64_t virt_addr_t; /* a virtual address: what instructions use */

/* The Makefile reads these two lines for boot.asm (nasm -D) and kernel.ld (ld --defsym). */
#define KERNEL_VMA 0xffffffff80000000ull       /* virtual base of the kernel image */
#define KERNEL_PHYS_BASE 0x200000ull            /* where GRUB loads it (2 MiB) */
#define DIRECT_MAP_BASE 0xffff800000000000ull  /* virtual address of physical 0 */

#define USER_HALF_END 0x0000800000000000ull    /* first non-canonical address */
#define KERNEL_HALF_START DIRECT_MAP_BASE      /* PML4 slot 256: first kernel-half address */
#define DIRECT_MAP_SIZE (64ull << 40)          /* 64 TiB: RAM up to 64 TiB fits */
#define DIRECT_MAP_END (DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
#define BOOT_DIRECT_MAP_SIZE (4ull << 30)      /* mapped whole by boot.asm: 0 .. 4 GiB */

#define EXPERIMENT_START 0xffffc00000000000ull /* PML4 slot 384: free for `map` */
#define EXPERIMENT_END VMALLOC_START           /* 8 TiB, the lazy window carved out */
#define ANON_WINDOW_START 0xffffc04000000000ull /* the lazy window: upper half of slot 384 */
#define ANON_WINDOW_SIZE (256ull << 30)
#define STRESS_WINDOW_START 0xffffc03fc0000000ull /* `stress`: 1 GiB below the lazy window */
#define STRESS_WINDOW_SIZE (1ull << 20)

#define VMALLOC_START 0xffffc80000000000ull    /* PML4 slot 400 */
#define VMALLOC_SIZE (32ull << 40)             /* 32 TiB: slots 400-463 */
#define VMALLOC_END (VMALLOC_START + VMALLOC_SIZE)

#define MMIO_START 0xffffe80000000000ull       /* PML4 slot 464: device registers (mmio.h) */
#define MMIO_SIZE (1ull << 30)                 /* 1 GiB */
#define MMIO_END (MMIO_START + MMIO_SIZE)
#define FRAMEBUFFER_START 0xffffe80040000000ull /* video memory, WC (drivers/framebuffer.h) */
#define FRAMEBUFFER_SIZE (1ull << 30)           /* 1 GiB: any framebuffer fits */
#define FRAMEBUFFER_END (FRAMEBUFFER_START + FRAMEBUFFER_SIZE)

/*
 * A process's user half (docs/processes.md draws it), low to high:
 *
 *   0x0000000000000000   USER_START            never mapped: NULL and the pages
 *                                              above it fault (Linux's mmap_min_addr)
 *   0x0000000000400000   (the ELF file says)   a static program's text, data, bss;
 *                                              a static-pie's at USER_PIE_BASE
 *   end of bss           brk_start .. brk      the heap, grown with brk, at most
 *                                              USER_BRK_MAX bytes
 *   ...                  mmap areas            placed top-down below USER_MMAP_TOP
 *   USER_STACK_TOP - USER_STACK_MAX            the main stack's growth limit, a guard
 *                                              page below it
 *   USER_STACK_TOP       = USER_TOP            the stack grows down from here
 *   USER_TOP .. USER_HALF_END                  the top page: never mapped, so that a
 *                                              sysret never returns to a non-canonical
 *                                              RIP (Intel's sysret #GP pitfall)
 */
#define USER_START 0x0000000000010000ull      /* lowest address a process may map (64 KiB) */
#define USER_TOP 0x00007ffffffff000ull        /* end of the mappable user half: one page short */
#define USER_PIE_BASE 0x0000555555554000ull   /* where a static-pie loads (Linux's choice) */
#define USER_MMAP_TOP 0x00007f0000000000ull   /* mmap areas are placed below this, top-down */
#define USER_STACK_TOP USER_TOP               /* the main thread's stack top */
#define USER_STACK_SIZE (128ull << 10)        /* the stack region's initial size (demand-zero) */
#define USER_STACK_MAX (8ull << 20)           /* its growth limit (Linux's RLIMIT_STACK) */
#define USER_BRK_MAX (1ull << 30)             /* the heap's largest size */

_Static_assert(USER_TOP == USER_HALF_END - (1ull << 12), "layout: only the top user page is cut");
_Static_assert(USER_STACK_TOP - USER_STACK_MAX - (1ull << 12) > USER_MMAP_TOP,
	       "layout: the stack and its guard lie above the mmap areas");
_Static_assert(USER_PIE_BASE > USER_START && USER_PIE_BASE < USER_MMAP_TOP,
	       "layout: a static-pie loads inside the user half, below the mmap areas");

_Static_assert(DIRECT_MAP_END == EXPERIMENT_START, "layout: direct map, then experiments");
_Static_assert(ANON_WINDOW_START >= EXPERIMENT_START &&
	       ANON_WINDOW_START + ANON_WINDOW_SIZE <= EXPERIMENT_END,
	       "layout: the lazy window lies inside the experiment range");
_Static_assert(STRESS_WINDOW_START >= EXPERIMENT_START &&
	       STRESS_WINDOW_START + STRESS_WINDOW_SIZE <= ANON_WINDOW_START,
	       "layout: the stress window lies in the experiment range, below the lazy window");
_Static_assert(VMALLOC_END <= MMIO_START, "layout: vmalloc, then device registers");
_Static_assert(MMIO_END <= FRAMEBUFFER_START && FRAMEBUFFER_END <= KERNEL_VMA,
	       "layout: device registers, the framebuffer, then the kernel image");
_Static_assert((FRAMEBUFFER_START >> 39) == (MMIO_START >> 39),
	       "layout: the framebuffer shares the device window's PML4 slot (pinned at boot)");
_Static_assert(((VMALLOC_START | EXPERIMENT_START | DIRECT_MAP_BASE | MMIO_START) & ((1ull << 39) - 1)) == 0,
	       "layout: the ranges start on PML4-slot boundaries");
_Static_assert((KERNEL_PHYS_BASE & ((2ull << 20) - 1)) == 0,
	       "layout: the image loads 2 MiB aligned");

/*
 * Physical memory for starting the other CPUs (kernel/arch/x86_64/
 * trampoline.asm): a startup IPI starts a CPU in real mode at a page whose
 * number is the IPI's 8-bit vector, so the trampoline lies in one 4 KiB-
 * aligned page below 1 MiB; its early page tables (a PML4, a PDPT and a PD
 * identity-mapping the first 2 MiB) follow it there, below 4 GiB as a CPU
 * in 32-bit mode can load only a 32-bit CR3. pmm_init reserves the block
 * with memblock, from the top of conventional memory down.
 */
#define TRAMPOLINE_LIMIT 0x100000ull           /* below 1 MiB: a SIPI vector is a page 0..255 */
#define TRAMPOLINE_PAGES 4                     /* code + parameters, PML4, PDPT, PD */

#define PAGE_SHIFT 12
#define PAGE_SIZE ((uint64_t)1 << PAGE_SHIFT) /* 4 KiB */

#ifdef PAGODA_HOST
extern uintptr_t host_arena_base; /* where the simulated RAM arena starts */
#define DIRECT_MAP_START ((uint64_t)host_arena_base)
#else
#define DIRECT_MAP_START DIRECT_MAP_BASE
#endif

/* The direct-map address of physical address pa. */
static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)(pa + DIRECT_MAP_START);
}

/* The physical address behind direct-map address va (va must be in the direct map). */
static inline phys_addr_t virt_to_phys(const void *va)
{
	return (phys_addr_t)(uintptr_t)va - DIRECT_MAP_START;
}

/* The physical address of a kernel-image symbol (text, data, bss). */
static inline phys_addr_t kernel_image_to_phys(const void *va)
{
	return (phys_addr_t)(uintptr_t)va - KERNEL_VMA;
}

#endif
