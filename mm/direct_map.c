/*
 * direct_map.c - builds the full direct map (see direct_map.h).
 *
 * The walk per 2 MiB step (loop over levels is overkill for two levels of
 * a fixed shape; the general walker arrives with the page-table engine):
 *   1. the PML4 slot for DIRECT_MAP_BASE + pa selects a PDPT (allocated on
 *      first use, in a private copy of the direct-map half of the PML4);
 *   2. a whole, aligned GiB with 1 GiB pages available becomes one PDPT
 *      entry with PTE_HUGE;
 *   3. otherwise the PDPT entry points to a PD, and the 2 MiB step becomes
 *      one PD entry with PTE_HUGE.
 * Only after everything is built are the new PDPTs written into the live
 * PML4 and the TLB flushed, so a failure leaves the boot mapping working.
 * Invariants:
 *   [x] every table page is zeroed before its first entry is written.
 */
#include "mm/direct_map.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/memblock.h"
#include "mm/pte.h"

#define FOUR_GIB (4ull << 30)
#define DIRECT_MAP_SLOTS (DIRECT_MAP_SIZE >> PML4_SHIFT) /* slots 256..383: 64 TiB */

struct direct_map_info direct_map_info;

static pte_t new_pdpt_phys[DIRECT_MAP_SLOTS]; /* the PML4 entries to install */
static pte_t leaf_flags;

/* A zeroed page-table page from memblock below 4 GiB (reachable through the boot map). */
static pte_t *table_alloc(phys_addr_t *pa)
{
	*pa = memblock_alloc(PAGE_SIZE, PAGE_SIZE, FOUR_GIB, "page tables");
	if (!*pa)
		return NULL;
	pte_t *table = phys_to_virt(*pa);
	memset(table, 0, PAGE_SIZE);
	direct_map_info.table_pages++;
	return table;
}

/* The table an entry points to, allocating it when the entry is empty. */
static pte_t *table_next(pte_t *entry)
{
	phys_addr_t pa;

	if (*entry & PTE_PRESENT)
		return phys_to_virt(*entry & PTE_ADDR_MASK);
	pte_t *table = table_alloc(&pa);
	if (table)
		*entry = pa | PTE_PRESENT | PTE_WRITABLE;
	return table;
}

/* Map [start, end) (2 MiB aligned) at DIRECT_MAP_BASE + start. */
static int map_range(phys_addr_t start, phys_addr_t end, bool use_1g)
{
	for (phys_addr_t pa = start; pa < end;) {
		uint64_t va = DIRECT_MAP_BASE + pa;
		unsigned slot = pt_index(va, PML4_SHIFT) - pt_index(DIRECT_MAP_BASE, PML4_SHIFT);
		if (slot >= DIRECT_MAP_SLOTS)
			return -ENOMEM;
		pte_t *pdpt = table_next(&new_pdpt_phys[slot]);
		if (!pdpt)
			return -ENOMEM;
		pte_t *pdpt_entry = &pdpt[pt_index(va, PDPT_SHIFT)];

		if (*pdpt_entry & PTE_HUGE) { /* this GiB is already one 1 GiB page */
			pa = ALIGN_DOWN(pa, PAGE_SIZE_1G) + PAGE_SIZE_1G;
			continue;
		}
		if (use_1g && IS_ALIGNED(pa, PAGE_SIZE_1G) && end - pa >= PAGE_SIZE_1G &&
		    !(*pdpt_entry & PTE_PRESENT)) {
			*pdpt_entry = pa | leaf_flags;
			direct_map_info.pages_1g++;
			pa += PAGE_SIZE_1G;
			continue;
		}
		pte_t *pd = table_next(pdpt_entry);
		if (!pd)
			return -ENOMEM;
		pte_t *pd_entry = &pd[pt_index(va, PD_SHIFT)];
		if (!(*pd_entry & PTE_PRESENT)) {
			*pd_entry = pa | leaf_flags;
			direct_map_info.pages_2m++;
		}
		pa += PAGE_SIZE_2M;
	}
	return 0;
}

int direct_map_init(const struct memmap *map, bool use_1g, bool use_nx)
{
	phys_addr_t end = FOUR_GIB;
	int err;

	leaf_flags = PTE_PRESENT | PTE_WRITABLE | PTE_HUGE | PTE_GLOBAL | (use_nx ? PTE_NX : 0);
	memset(new_pdpt_phys, 0, sizeof(new_pdpt_phys));
	err = map_range(0, FOUR_GIB, use_1g);
	for (size_t i = 0; !err && i < map->count; i++) {
		const struct memmap_range *r = &map->ranges[i];
		if (r->type == MEMMAP_RESERVED || r->type == MEMMAP_BAD || r->end <= FOUR_GIB)
			continue;
		phys_addr_t start = ALIGN_DOWN(r->start < FOUR_GIB ? FOUR_GIB : r->start, PAGE_SIZE_2M);
		phys_addr_t stop = ALIGN_UP(r->end, PAGE_SIZE_2M);
		err = map_range(start, stop, use_1g);
		if (stop > end)
			end = stop;
	}
	if (err)
		return err;

	/* Switch: install the new PDPTs in the live PML4, then flush the TLB. */
	pte_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR_MASK);
	unsigned first = pt_index(DIRECT_MAP_BASE, PML4_SHIFT);
	for (unsigned slot = 0; slot < DIRECT_MAP_SLOTS; slot++)
		if (new_pdpt_phys[slot])
			pml4[first + slot] = new_pdpt_phys[slot];
	write_cr3(read_cr3());
	direct_map_info.end = end;
	direct_map_info.bytes_mapped = direct_map_info.pages_1g * PAGE_SIZE_1G +
				       direct_map_info.pages_2m * PAGE_SIZE_2M;
	return 0;
}
