/*
 * kernel_space.h - the kernel's own address space, built with the page-table
 * engine to replace the boot page tables.
 *
 *   kernel text     read + execute            (global)
 *   kernel rodata   read-only, no-execute     (global)
 *   data and bss    read-write, no-execute    (global)
 *   direct map      read-write, no-execute    (global), all RAM and 0..4 GiB,
 *                   but its alias of the kernel text and rodata read-only
 * W^X holds everywhere: no page is both writable and executable, and no
 * frame is writable at one address and executable at another. SMEP and
 * SMAP are turned on when the CPU has them, CR4.PGE so that global kernel
 * entries survive address-space switches, and the PAT is programmed with
 * the layout in mm/pte.h (write-combining available). The kernel half of
 * the PML4 (slots 256-511) is fixed after boot: every address space shares
 * those entries, so they are created here and never freed.
 * Boot CPU, after pmm_init().
 */
#ifndef MM_KERNEL_SPACE_H
#define MM_KERNEL_SPACE_H

#include "mm/paging.h"

extern struct address_space kernel_space;

/* Build the kernel address space and switch to it; panics if memory runs out. */
void kernel_space_init(void);

/*
 * Switch this CPU to the kernel space with the paging features the boot CPU
 * chose: PAT layout, CR4.PGE/SMEP/SMAP, CR3, then CR4.PCIDE. kernel_space_init
 * uses it on the boot CPU; each AP calls it first thing (smpboot.c), from
 * the trampoline's page tables. Interrupts off, after kernel_space_init.
 */
void kernel_space_enter_this_cpu(void);

/*
 * Describe the kernel space in regions (mm/region.h), for the page-fault
 * handler and `regions`: the kernel image's text, rodata and data/bss, the
 * direct map and the vmalloc window; `lazy` and `cow` add their own later.
 * Panics if kmalloc cannot hold them. Boot, after kmalloc_init().
 */
void kernel_space_regions_init(void);

/* The address space the running thread (the boot flow, before threads) is using now. */
struct address_space *current_space(void);

/*
 * Make as the running thread's current address space (it follows the
 * thread across context switches): load CR3 with its PML4. When the CPU
 * has PCIDs (CR4.PCIDE is then on), each space gets its own identifier on
 * first use, so the TLB can hold several spaces' entries at once; the load
 * still drops the stale entries of the space being entered (CR3 bit 63
 * clear), because the engine does not invalidate spaces that are not
 * current. Interrupts may be on; as must share the kernel half.
 */
void address_space_switch(struct address_space *as);

/*
 * Load CR3 with as (its PCID as for address_space_switch) without making
 * it anyone's current space: the scheduler, switching to a thread whose
 * space differs from the previous one's. Interrupts off.
 */
void address_space_activate(struct address_space *as);

/* Whether PCIDs are in use (the CPU has them and CR4.PCIDE is on). */
bool address_space_pcid_enabled(void);

#endif
