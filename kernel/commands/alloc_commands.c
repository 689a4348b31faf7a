/*
 * alloc_commands.c - `alloc`, `free` and `allocs`: allocate memory from the
 * shell, watch the allocator's reports change, give it back.
 *
 * The shell remembers every allocation it made in a small table, so that
 * `free ADDR` only ever frees what `alloc` handed out: an address it does
 * not know (or one already freed) is refused with a message instead of
 * reaching the allocator. One `free` serves every kind of allocation; the
 * table says which allocator an address came from:
 *   pages    alloc -p ORDER [dma|dma32|normal]   buddy allocator, 2^ORDER pages
 *   kmalloc  alloc SIZE                          the slab heap
 *   vmalloc  alloc -v SIZE                       guarded virtual areas
 *   region   lazy, cow (fault_commands.c)    anonymous regions, released
 *                                                with anon_release()
 * Invariants:
 *   [x] a table entry exists exactly while its memory is allocated.
 * Shell context.
 */
#include "kernel/commands/shell_allocs.h"

#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/buddy.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"
#include "mm/vmalloc.h"

#define SHELL_ALLOCS_MAX 64

enum shell_alloc_kind {
	SHELL_ALLOC_PAGES,
	SHELL_ALLOC_KMALLOC,
	SHELL_ALLOC_VMALLOC,
	SHELL_ALLOC_REGION
};

static const char *const kind_names[] = {"pages", "kmalloc", "vmalloc", "region"};

struct shell_alloc {
	bool used;
	enum shell_alloc_kind kind;
	uint64_t virt;     /* the address printed */
	phys_addr_t phys;  /* pages and kmalloc: the physical address; vmalloc: none (0) */
	unsigned order;    /* pages: block order */
	uint64_t size;     /* bytes asked for */
	uint64_t start, end; /* region: the range anon_release() gives back */
};

static struct shell_alloc shell_allocs[SHELL_ALLOCS_MAX];

static struct shell_alloc *shell_alloc_slot(void)
{
	for (size_t i = 0; i < SHELL_ALLOCS_MAX; i++)
		if (!shell_allocs[i].used)
			return &shell_allocs[i];
	return NULL;
}

/* The entry whose virtual (or, for pages, physical) address is addr, or NULL. */
static struct shell_alloc *shell_alloc_find(uint64_t addr)
{
	for (size_t i = 0; i < SHELL_ALLOCS_MAX; i++) {
		const struct shell_alloc *a = &shell_allocs[i];
		if (a->used && (a->virt == addr || (a->kind == SHELL_ALLOC_PAGES && a->phys == addr)))
			return &shell_allocs[i];
	}
	return NULL;
}

int shell_alloc_remember_region(uint64_t addr, uint64_t start, uint64_t end)
{
	struct shell_alloc *slot = shell_alloc_slot();

	if (!slot)
		return -ENOSPC;
	*slot = (struct shell_alloc){.used = true, .kind = SHELL_ALLOC_REGION, .virt = addr,
				     .size = end - start, .start = start, .end = end};
	return 0;
}

bool shell_alloc_has_room(void)
{
	return shell_alloc_slot() != NULL;
}

static const char *const zone_words[ZONE_COUNT] = {"dma", "dma32", "normal"};
static const unsigned zone_flags[ZONE_COUNT] = {ALLOC_DMA, ALLOC_DMA32, 0};

static int alloc_pages_command(int argc, char **argv)
{
	uint64_t order;
	unsigned flags = 0;
	int err;

	if (argc < 3 || argc > 4) {
		kprintf("alloc: -p needs an ORDER (0..%d)\n", MAX_ORDER);
		return -EINVAL;
	}
	err = parse_u64_range(argv[2], 0, MAX_ORDER, &order);
	if (err) {
		kprintf("alloc: bad order '%s': %s (orders are 0..%d)\n", argv[2],
			parse_error_text(err), MAX_ORDER);
		return err;
	}
	if (argc == 4) {
		int z;
		for (z = 0; z < ZONE_COUNT && strcmp(argv[3], zone_words[z]) != 0; z++)
			;
		if (z == ZONE_COUNT) {
			kprintf("alloc: unknown zone '%s' (dma, dma32 or normal)\n", argv[3]);
			return -EINVAL;
		}
		flags = zone_flags[z];
	}
	struct shell_alloc *slot = shell_alloc_slot();
	if (!slot) {
		kprintf("alloc: the shell already holds %d allocations; free some first\n",
			SHELL_ALLOCS_MAX);
		return -ENOSPC;
	}
	struct page *page = alloc_pages(flags, (unsigned)order);
	if (!page) {
		kprintf("alloc: no free block of order %lu in zone %s or below\n", order,
			argc == 4 ? argv[3] : "normal");
		return -ENOMEM;
	}
	*slot = (struct shell_alloc){.used = true, .kind = SHELL_ALLOC_PAGES,
				     .virt = (uint64_t)(uintptr_t)page_address(page),
				     .phys = page_to_phys(page), .order = (unsigned)order,
				     .size = PAGE_SIZE << order};
	kprintf("allocated order-%lu block (%lu KiB) in zone %s: phys 0x%lx virt 0x%lx\n", order,
		4ul << order, zones[page->zone].name, slot->phys, slot->virt);
	return 0;
}

#define SHELL_ALLOC_SIZE_MAX (64ull << 20) /* one shell allocation: at most 64 MiB */

/* alloc SIZE (kmalloc) and alloc -v SIZE (vmalloc). */
static int alloc_heap_command(bool virtually_contiguous, const char *size_text)
{
	uint64_t size;
	int err = parse_u64_range(size_text, 1, SHELL_ALLOC_SIZE_MAX, &size);

	if (err) {
		kprintf("alloc: bad size '%s': %s (1 to 64M)\n", size_text, parse_error_text(err));
		return err;
	}
	struct shell_alloc *slot = shell_alloc_slot();
	if (!slot) {
		kprintf("alloc: the shell already holds %d allocations; free some first\n",
			SHELL_ALLOCS_MAX);
		return -ENOSPC;
	}
	void *p = virtually_contiguous ? vmalloc(size) : kmalloc(size, 0);
	if (!p) {
		kprintf("alloc: out of memory for %lu bytes\n", size);
		return -ENOMEM;
	}
	uint64_t va = (uint64_t)(uintptr_t)p;
	*slot = (struct shell_alloc){
		.used = true, .kind = virtually_contiguous ? SHELL_ALLOC_VMALLOC : SHELL_ALLOC_KMALLOC,
		.virt = va, .phys = virtually_contiguous ? 0 : virt_to_phys(p), .size = size};
	if (virtually_contiguous)
		kprintf("vmalloc'd %lu bytes at 0x%lx (%lu pages + a guard page)\n", size, va,
			(size + PAGE_SIZE - 1) / PAGE_SIZE);
	else
		kprintf("kmalloc'd %lu bytes at 0x%lx (usable size %zu, phys 0x%lx)\n", size, va,
			ksize(p), slot->phys);
	return 0;
}

static int cmd_alloc(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "-p") == 0)
		return alloc_pages_command(argc, argv);
	if (argc == 3 && strcmp(argv[1], "-v") == 0)
		return alloc_heap_command(true, argv[2]);
	if (argc == 2 && argv[1][0] != '-')
		return alloc_heap_command(false, argv[1]);
	shell_print_usage(shell_find("alloc"));
	return -EINVAL;
}

SHELL_COMMAND(alloc, "allocate memory: kmalloc, vmalloc or pages",
	      "usage: alloc SIZE | alloc -v SIZE | alloc -p ORDER [dma|dma32|normal]\n"
	      "  SIZE      kmalloc(SIZE): from the slab heap's size classes, or whole\n"
	      "            pages past 8 KiB (SIZE 1 to 64M; K/M suffixes allowed)\n"
	      "  -v SIZE   vmalloc(SIZE): virtually contiguous pages with a guard page\n"
	      "  -p ORDER  2^ORDER contiguous physical pages (ORDER 0..10: 4 KiB..4 MiB)\n"
	      "            from the zone named (default normal), falling back to lower\n"
	      "            zones. Prints the physical and direct-map address.\n"
	      "  `free ADDR` gives it back; `allocs` lists what the shell holds.\n"
	      "examples: alloc 100   alloc -v 16K   alloc -p 0   alloc -p 9 dma32\n",
	      cmd_alloc);

static int cmd_free(int argc, char **argv)
{
	uint64_t addr;
	int err;

	if (argc != 2) {
		shell_print_usage(shell_find("free"));
		return -EINVAL;
	}
	err = parse_u64(argv[1], &addr);
	if (err) {
		kprintf("free: bad address '%s': %s\n", argv[1], parse_error_text(err));
		return err;
	}
	struct shell_alloc *a = shell_alloc_find(addr);
	if (!a) {
		kprintf("free: 0x%lx was not allocated by the shell, or is already freed "
			"(see 'allocs')\n", addr);
		return -ENOENT;
	}
	switch (a->kind) {
	case SHELL_ALLOC_REGION:
		err = anon_release(&kernel_space, a->start, a->end);
		if (err)
			kprintf("free: cannot release region 0x%lx-0x%lx: %s\n", a->start, a->end,
				errno_name(err));
		break;
	case SHELL_ALLOC_PAGES:
		err = free_pages(phys_to_page(a->phys), a->order);
		break;
	case SHELL_ALLOC_KMALLOC:
		kfree((void *)(uintptr_t)a->virt);
		break;
	case SHELL_ALLOC_VMALLOC:
		err = vfree((void *)(uintptr_t)a->virt);
		break;
	}
	if (err)
		return err; /* the allocator reported it */
	kprintf("freed %s allocation of %lu bytes at 0x%lx\n", kind_names[a->kind], a->size,
		a->virt);
	a->used = false;
	return 0;
}

SHELL_COMMAND(free, "free what `alloc`, `lazy` or `cow` allocated",
	      "usage: free ADDR\n"
	      "  ADDR is the physical or virtual address `alloc` printed (or the address\n"
	      "  `lazy` or `cow` printed: the region and its pages are released).\n"
	      "  Addresses the shell did not allocate, and second frees, are refused.\n"
	      "example: free 0x7fe000\n",
	      cmd_free);

static int cmd_allocs(int argc, char **argv)
{
	size_t n = 0;

	(void)argv;
	if (argc != 1) {
		shell_print_usage(shell_find("allocs"));
		return -EINVAL;
	}
	for (size_t i = 0; i < SHELL_ALLOCS_MAX; i++) {
		const struct shell_alloc *a = &shell_allocs[i];
		if (!a->used)
			continue;
		kprintf("%-8s %10lu bytes  virt 0x%016lx", kind_names[a->kind], a->size, a->virt);
		if (a->kind == SHELL_ALLOC_PAGES)
			kprintf("  phys 0x%lx  order %u", a->phys, a->order);
		kprintf("\n");
		n++;
	}
	kprintf("%zu allocation(s) held by the shell\n", n);
	return 0;
}

SHELL_COMMAND(allocs, "list what the shell allocated and has not freed",
	      "usage: allocs\n"
	      "  One line per live allocation made with `alloc`, `lazy` or `cow`: kind,\n"
	      "  size, addresses.\n",
	      cmd_allocs);
