/*
 * pte.h - the x86-64 page-table entry format (4-level paging, SDM Vol. 3A 4.5).
 *
 * A 48-bit virtual address is split into four 9-bit table indexes and a
 * 12-bit offset; each level's table is one 4 KiB page of 512 8-byte entries:
 *
 *   63        48 47     39 38     30 29     21 20     12 11          0
 *  +------------+---------+---------+---------+---------+-------------+
 *  | sign ext.  |  PML4   |  PDPT   |   PD    |   PT    |   offset    |
 *  | of bit 47  |  index  |  index  |  index  |  index  |  in page    |
 *  +------------+---------+---------+---------+---------+-------------+
 *                 512 GiB    1 GiB     2 MiB     4 KiB     per entry
 *
 * A PDPT entry with PTE_HUGE maps a 1 GiB page, a PD entry with PTE_HUGE a
 * 2 MiB page; otherwise they point to the next table. Bits 51:12 hold the
 * physical address of the next table or of the page (bits 51:30 or 51:21
 * for huge pages; bit 12 of a huge entry is its PAT bit).
 */
#ifndef MM_PTE_H
#define MM_PTE_H

#include <stdint.h>

typedef uint64_t pte_t;

#define PTE_PRESENT (1ull << 0)   /* SDM 4.5: the entry maps something */
#define PTE_WRITABLE (1ull << 1)  /* SDM 4.5: writes allowed (with CR0.WP, also for ring 0) */
#define PTE_USER (1ull << 2)      /* SDM 4.5: ring 3 may access */
#define PTE_PWT (1ull << 3)       /* SDM 4.9: page-level write-through (PAT index bit 0) */
#define PTE_PCD (1ull << 4)       /* SDM 4.9: page-level cache disable (PAT index bit 1) */
#define PTE_ACCESSED (1ull << 5)  /* SDM 4.8: set by the CPU on any access */
#define PTE_DIRTY (1ull << 6)     /* SDM 4.8: set by the CPU on a write (leaf entries) */
#define PTE_HUGE (1ull << 7)      /* SDM 4.5: PS, a 1 GiB (PDPT) or 2 MiB (PD) page */
#define PTE_PAT (1ull << 7)       /* SDM 4.9: PAT index bit 2, in 4 KiB PT entries */
#define PTE_GLOBAL (1ull << 8)    /* SDM 4.10.2.4: kept in the TLB across CR3 loads (CR4.PGE) */
#define PTE_PAT_HUGE (1ull << 12) /* SDM 4.9: PAT index bit 2, in huge-page entries */
#define PTE_NX (1ull << 63)       /* SDM 4.5: no instruction fetch (needs EFER.NXE) */

#define PTE_ADDR_MASK 0x000ffffffffff000ull /* bits 51:12: physical address */

/*
 * Memory types through the PAT (SDM 11.12). The index of a page's type is
 * PAT:PCD:PWT; the kernel programs IA32_PAT so that (Linux's layout):
 *   index 0 WB   1 WC   2 UC-   3 UC   4 WB   5 WT   6 UC-   7 UC
 * write-back: no bits; write-combining: PWT; uncached: PCD|PWT;
 * write-through: PAT|PWT.
 */
#define PAT_LAYOUT 0x0007040600070106ull /* the IA32_PAT value for the table above */

#define PT_ENTRIES 512
#define PML4_SHIFT 39
#define PDPT_SHIFT 30
#define PD_SHIFT 21
#define PT_SHIFT 12
#define PAGE_SIZE_2M (1ull << PD_SHIFT)
#define PAGE_SIZE_1G (1ull << PDPT_SHIFT)

/* The table index of va at the level whose entries cover 2^shift bytes. */
static inline unsigned pt_index(uint64_t va, unsigned shift)
{
	return (va >> shift) & (PT_ENTRIES - 1);
}

#endif
