/*
 * layout.h - where things live in the kernel's virtual address space, and
 * the two conversions between physical and direct-map addresses.
 *
 *   0x0000000000000000 - 0x00007fffffffffff   user half (empty for now)
 *   0xffff800000000000 - ...                  direct map of physical RAM
 *   0xffffffff80000000 - 0xffffffffffffffff   kernel image (-2 GiB), loaded at
 *                                            physical KERNEL_PHYS_BASE
 *
 * The direct map makes phys_to_virt()/virt_to_phys() a single addition or
 * subtraction. At boot it covers the first 4 GiB (boot/boot.asm builds it
 * with 2 MiB pages); the physical memory manager extends it to all of RAM.
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

#define KERNEL_VMA 0xffffffff80000000ull       /* virtual base of the kernel image */
#define KERNEL_PHYS_BASE 0x200000ull            /* where GRUB loads it (2 MiB) */
#define DIRECT_MAP_BASE 0xffff800000000000ull  /* virtual address of physical 0 */
#define BOOT_DIRECT_MAP_SIZE (4ull << 30)      /* mapped by boot.asm: 0 .. 4 GiB */

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
