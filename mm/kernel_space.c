/*
 * kernel_space.c - builds the kernel address space (see kernel_space.h).
 *
 * Order matters: everything the CPU is about to use (the code running now,
 * its stack in .bss, the direct map that reaches the page tables and the
 * page descriptors) is mapped in the new tables before CR3 switches to them.
 * Section boundaries come from boot/kernel.ld, which page-aligns each
 * section so that each gets its own permissions.
 *
 * Shared state: kernel_space's tables are under its own lock (paging.c,
 * "kernel page tables"), the kernel's region set under its set's lock; both
 * are built at boot on one CPU and only read, or changed through those
 * locks, afterwards. The PCID pool is shared by every CPU's switches.
 * Lock order:
 *   [x] pcid_lock is a leaf, taken with interrupts off inside a switch
 *       (after whatever the scheduler holds); nothing is taken inside it.
 */
#include "mm/kernel_space.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/panic.h"
#include "mm/arch.h"
#include "mm/pmm.h"
#include "mm/region.h"
#include "mm/spinlock.h"
#include "mm/vmalloc.h"

#define MSR_PAT 0x277 /* SDM 11.12.2: page attribute table */

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[];
extern char _kernel_end[];

/*
 * Kernel-half PML4 slots that later mappings will use, besides the direct
 * map and the image (mapped below): each gets its PDPT now, because a space
 * created later copies the kernel half's PML4 entries once (paging_create)
 * and the engine never frees a kernel-half PDPT (paging.c).
 */
static const virt_addr_t kernel_slots_to_pin[] = {
	EXPERIMENT_START, /* experiments from the shell, and the lazy window */
	VMALLOC_START,
	MMIO_START, /* device registers (kernel/arch/x86_64/mmio.h), the framebuffer */
};

struct address_space kernel_space;
static bool pcid_enabled;
static struct pcid_pool pcids = PCID_POOL_INIT;
static spinlock_t pcid_lock = SPINLOCK_INIT("pcid pool"); /* pcids, and each space's pcid */
/* The space each CPU has in CR3 (whose `cpus` has that CPU's bit), NULL before its first. */
static struct address_space *active_on[MM_MAX_CPUS];

struct address_space *current_space(void)
{
	return *arch_current_space_slot();
}

static void kernel_map(virt_addr_t va, phys_addr_t pa, uint64_t size, unsigned flags,
		       const char *what)
{
	int err = paging_map(&kernel_space, va, pa, size, flags | MAP_GLOBAL);

	if (err)
		panic("kernel_space_init: cannot map %s: %s", what, errno_name(err));
}

static void kernel_map_section(const char *start, const char *end, unsigned flags,
			       const char *what)
{
	virt_addr_t va = (virt_addr_t)(uintptr_t)start;
	uint64_t size = ALIGN_UP((uint64_t)(end - start), PAGE_SIZE);

	kernel_map(va, kernel_image_to_phys(start), size, flags, what);
}

/*
 * The direct map's alias of the kernel text and rodata becomes read-only (no
 * execute, as all of the direct map): otherwise a write to
 * DIRECT_MAP_BASE + the physical address of a function changes the code the
 * CPU runs, around the text mapping's missing write permission. Linux does
 * the same (its kernel text alias in the direct map is read-only).
 * paging_protect() splits the large page(s) of the direct map that hold the
 * image into 4 KiB pages; the rest of those pages keeps read-write.
 */
static void direct_map_protect_image(void)
{
	phys_addr_t start = kernel_image_to_phys(_text_start);
	phys_addr_t end = ALIGN_UP(kernel_image_to_phys(_rodata_end), PAGE_SIZE);
	int err = paging_protect(&kernel_space, DIRECT_MAP_BASE + start, end - start, MAP_GLOBAL);

	if (err == -ENOSYS) /* a lab 2 tree without the huge-page split yet: boot on */
		kprintf("kernel_space_init: the direct map's alias of the kernel text stays "
			"writable (splitting a huge page is not implemented)\n");
	else if (err)
		panic("kernel_space_init: cannot make the direct map's alias of the kernel text "
		      "read-only: %s", errno_name(err));
}

void kernel_space_init(void)
{
	paging_set_nx(cpu_features.nx);
	paging_set_1g_pages(cpu_features.page_1g);
	if (paging_create(&kernel_space, NULL) != 0)
		panic("kernel_space_init: no memory for the PML4");

	kernel_map_section(_text_start, _text_end, MAP_EXEC, "kernel text");
	kernel_map_section(_rodata_start, _rodata_end, 0, "kernel rodata");
	kernel_map_section(_data_start, _kernel_end, MAP_WRITE, "kernel data and bss");

	/* The direct map: all of 0..4 GiB (as boot.asm did), then every usable range above. */
	kernel_map(DIRECT_MAP_BASE, 0, BOOT_DIRECT_MAP_SIZE, MAP_WRITE, "the direct map below 4 GiB");
	for (size_t i = 0; i < pmm_map.count; i++) {
		const struct memmap_range *r = &pmm_map.ranges[i];
		if (r->type != MEMMAP_USABLE || r->end <= BOOT_DIRECT_MAP_SIZE)
			continue;
		phys_addr_t start = r->start < BOOT_DIRECT_MAP_SIZE ? BOOT_DIRECT_MAP_SIZE : r->start;
		kernel_map(DIRECT_MAP_BASE + start, start, r->end - start, MAP_WRITE,
			   "RAM above 4 GiB in the direct map");
	}
	direct_map_protect_image();
	for (size_t i = 0; i < sizeof(kernel_slots_to_pin) / sizeof(kernel_slots_to_pin[0]); i++) {
		/* Mapping a page creates the slot's PDPT; unmapping keeps it (pinned). */
		kernel_map(kernel_slots_to_pin[i], 0, PAGE_SIZE, 0, "a kernel-half slot");
		MUST_SUCCEED(paging_unmap(&kernel_space, kernel_slots_to_pin[i], PAGE_SIZE),
			     "kernel_space_init: unmapping the 4 KiB page just mapped");
	}

	pcid_enabled = cpu_features.pcid;
	kernel_space_enter_this_cpu();
	*arch_current_space_slot() = &kernel_space;
}

void kernel_space_enter_this_cpu(void)
{
	if (cpu_features.pat)
		wrmsr(MSR_PAT, PAT_LAYOUT);
	uint64_t cr4 = read_cr4();
	if (cpu_features.pge)
		cr4 |= CR4_PGE;
	if (cpu_features.smep)
		cr4 |= CR4_SMEP;
	if (cpu_features.smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
	write_cr3(kernel_space.pml4);
	active_on[arch_cpu_id()] = &kernel_space; /* a shootdown target of the kernel's space */
	__atomic_fetch_or(&kernel_space.cpus, CPUMASK_CPU(arch_cpu_id()), __ATOMIC_SEQ_CST);
	if (pcid_enabled) /* only now: CR4.PCIDE needs CR3's PCID field to be 0 (SDM 4.10.1) */
		write_cr4(read_cr4() | CR4_PCIDE);
}

static struct region_set kernel_regions;

static virt_addr_t image_va(const char *symbol)
{
	return (virt_addr_t)(uintptr_t)symbol;
}

static virt_addr_t image_va_end(const char *symbol)
{
	return ALIGN_UP(image_va(symbol), PAGE_SIZE);
}

/* Insert one region of the kernel's own layout; boot-time, so failure panics. */
static void kernel_region(virt_addr_t start, virt_addr_t end, unsigned prot,
			  enum region_kind kind, const char *name)
{
	struct region r = {.start = start, .end = end, .prot = prot, .kind = kind};

	strlcpy(r.name, name, sizeof(r.name));
	if (region_insert(&kernel_regions, &r) != 0)
		panic("kernel_space_regions_init: cannot record region %s", name);
}

void kernel_space_regions_init(void)
{
	region_set_init(&kernel_regions);
	kernel_region(DIRECT_MAP_BASE, DIRECT_MAP_END, MAP_WRITE, REGION_DIRECT_MAP,
		      "direct map");
	kernel_region(VMALLOC_START, VMALLOC_END, MAP_WRITE, REGION_VMALLOC,
		      "vmalloc");
	kernel_region(MMIO_START, MMIO_END, MAP_WRITE, REGION_DEVICE, "device registers");
	kernel_region(FRAMEBUFFER_START, FRAMEBUFFER_END, MAP_WRITE, REGION_DEVICE, "framebuffer");
	/* Sections start page-aligned (boot/kernel.ld); their ends are rounded up. */
	kernel_region(image_va(_text_start), image_va_end(_text_end), MAP_EXEC,
		      REGION_KERNEL_IMAGE, "kernel text");
	kernel_region(image_va(_rodata_start), image_va_end(_rodata_end), 0, REGION_KERNEL_IMAGE,
		      "kernel rodata");
	kernel_region(image_va(_data_start), image_va_end(_kernel_end), MAP_WRITE,
		      REGION_KERNEL_IMAGE, "kernel data and bss");
	kernel_space.regions = &kernel_regions;
}

bool address_space_pcid_enabled(void)
{
	return pcid_enabled;
}

/*
 * as's first PCID (once per space); returns the CR3 value that names it.
 * Out of line: every switch runs
 * address_space_activate, which then needs no registers saved for the lock.
 */
static __attribute__((noinline, cold)) uint64_t pcid_first(struct address_space *as)
{
	spin_lock(&pcid_lock);
	bool used_up = paging_pcid_assign(&pcids, as);
	spin_unlock(&pcid_lock);
	if (used_up)
		arch_flush_tlb(1); /* out of identifiers: forget every space's entries */
	return as->pml4 | as->pcid;
}

void address_space_activate(struct address_space *as)
{
	ASSERT_IRQS_OFF();
	unsigned cpu = arch_cpu_id();
	struct address_space *was = active_on[cpu];

	if (was != as) { /* the shootdown targets: set before CR3 loads (tlb_shootdown.c) */
		if (was)
			__atomic_fetch_and(&was->cpus, ~CPUMASK_CPU(cpu), __ATOMIC_SEQ_CST);
		__atomic_fetch_or(&as->cpus, CPUMASK_CPU(cpu), __ATOMIC_SEQ_CST);
		active_on[cpu] = as;
	}
	/* The kernel's space keeps PCID 0; any other gets one on its first switch. */
	if (!pcid_enabled)
		write_cr3(as->pml4);
	else if (unlikely(as != &kernel_space && as->pcid == 0))
		write_cr3(pcid_first(as));
	else
		write_cr3(as->pml4 | as->pcid);
}

void address_space_switch(struct address_space *as)
{
	unsigned long flags = arch_irq_save(); /* the slot and CR3 change together */

	address_space_activate(as);
	*arch_current_space_slot() = as;
	arch_irq_restore(flags);
}
