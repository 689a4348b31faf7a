/*
 * mmio.h - mapping device registers into the kernel's address space.
 *
 * Device registers must be accessed uncached (a cached read could return a
 * stale status, a write could sit in a store buffer), so they get their own
 * window, MMIO_START .. MMIO_END (mm/layout.h), mapped MAP_UNCACHED, rw-,
 * NX and global in 4 KiB pages, instead of the write-back direct map. The
 * window is handed out bottom-up and never given back: the interrupt
 * controllers are mapped once at boot and stay. Each mapping is followed by
 * one unmapped guard page.
 * Invariants:
 *   [x] every mapped page of the window is uncached and not executable;
 *   [x] mappings never overlap and only grow upwards (mmio_next).
 * Context: boot CPU, process context, before the other CPUs start (no lock).
 */
#ifndef ARCH_X86_64_MMIO_H
#define ARCH_X86_64_MMIO_H

#include <stdint.h>

#include "mm/layout.h"

/*
 * Map the physical range [pa, pa + size) (any alignment; whole pages are
 * mapped around it) uncached into the window. what names the device for
 * the report on failure. Returns the virtual address of pa, or NULL if
 * size is 0, the window is full, or a page table cannot be allocated.
 */
volatile void *mmio_map(phys_addr_t pa, uint64_t size, const char *what);

/* 32-bit register access: one uncached load or store each. */
static inline uint32_t mmio_read32(volatile void *base, uint32_t offset)
{
	return *(volatile uint32_t *)((volatile uint8_t *)base + offset);
}

static inline void mmio_write32(volatile void *base, uint32_t offset, uint32_t value)
{
	*(volatile uint32_t *)((volatile uint8_t *)base + offset) = value;
}

#endif
