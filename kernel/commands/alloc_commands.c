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
 * The table has no lock: it belongs to the shell's thread, the only one
 * that runs commands (and the selftests that call in here). The first
 * thread to touch it claims it (the boot flow, before threads exist, is
 * let through), and every access asserts that the caller is that thread,
 * so a demo thread or a later subsystem reaching in stops the kernel at
 * once instead of corrupting an entry half written by a preempted shell.
 * Invariants:
 *   [x] a table entry exists exactly while its memory is allocated
 *   [x] a block from `alloc -p` is freed only when no `map` of it remains
 *   [x] only the owning thread (the shell's) reads or writes the table
 * Shell context: the shell's thread only.
 */
#include "kernel/commands/shell_allocs.h"

#include "kernel/sched/schedule.h"
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/buddy.h"
#include "mm/direct_map.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"
#include "mm/phys_owner.h"
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
static const struct thread *table_owner; /* the thread that first touched the table: the shell's */

/* Every access to shell_allocs starts here: only the owning thread may touch the table. */
static void shell_allocs_assert_owner(void)
{
	if (!sched_running())
		return; /* boot: one flow */
	const struct thread *t = thread_current();
	if (!table_owner)
		table_owner = t;
	ASSERT(t == table_owner, "shell_allocs: the table touched by another thread "
	       "(it belongs to the shell's thread; no lock protects it)");
}

static struct shell_alloc *shell_alloc_slot(void)
{
	shell_allocs_assert_owner();
	for (size_t i = 0; i < SHELL_ALLOCS_MAX; i++)
		if (!shell_allocs[i].used)
			return &shell_allocs[i];
	return NULL;
}

/* The entry whose virtual (or, for pages, physical) address is addr, or NULL. */
static struct shell_alloc *shell_alloc_find(uint64_t addr)
{
	shell_allocs_assert_owner();
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

bool shell_alloc_holds_pages(uint64_t start, uint64_t end)
{
	shell_allocs_assert_owner();
	for (size_t i = 0; i < SHELL_ALLOCS_MAX; i++) {
		const struct shell_alloc *a = &shell_allocs[i];
		if (a->used && a->kind == SHELL_ALLOC_PAGES && a->phys == start &&
		    a->phys + (PAGE_SIZE << a->order) == end)
			return true;
	}
	return false;
}

/*
 * Is the block a (from `alloc -p`) still mapped somewhere besides the direct
 * map (by `map VA SIZE PA`)? Says where: freeing it would leave that
 * mapping pointing at a frame the allocator hands to someone else.
 */
static bool pages_still_mapped(const struct shell_alloc *a)
{
	struct phys_alias alias;

	if (!phys_find_alias(current_space(), a->phys, PAGE_SIZE << a->order, 0, DIRECT_MAP_BASE,
			     direct_map_info.end, &alias))
		return false;
	kprintf("free: 0x%lx is still mapped at 0x%lx (by `map`); unmap it first\n", alias.pa,
		alias.va);
	return true;
}

bool shell_alloc_has_room(void)
{
	shell_allocs_assert_owner();
	return shell_alloc_slot() != NULL;
}

static const char *const zone_words[ZONE_COUNT] = {"dma", "dma32", "normal"};
static const unsigned zone_flags[ZONE_COUNT] = {ALLOC_DMA, ALLOC_DMA32, 0};

static int alloc_pages_command(int argc, char **argv)
{
	uint64_t order;
	unsigned flags = 0;
	int err;

	if (argc < 3) {
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
		4ul << order, buddy_zone_name(page->zone), slot->phys, slot->virt);
	return 0;
}

#define SHELL_VMALLOC_MAX (64ull << 20)           /* alloc -v: at most 64 MiB */
#define SHELL_KMALLOC_MAX (PAGE_SIZE << MAX_ORDER) /* alloc: kmalloc's largest, 4 MiB */

/* alloc SIZE (kmalloc) and alloc -v SIZE (vmalloc). */
static int alloc_heap_command(bool virtually_contiguous, const char *size_text)
{
	uint64_t size, max = virtually_contiguous ? SHELL_VMALLOC_MAX : SHELL_KMALLOC_MAX;
	int err = parse_u64_range(size_text, 1, max, &size);

	if (size_text[0] == '-') {
		kprintf("alloc: bad size '%s': a size cannot be negative (1 to %luM)\n", size_text,
			max >> 20);
		return -EINVAL;
	}
	if (err == -ERANGE && !virtually_contiguous && parse_u64(size_text, &size) == 0 &&
	    size > max) {
		kprintf("alloc: %s is more than kmalloc can give (at most 4M, one order-%d block "
			"of contiguous pages); `alloc -v %s` maps up to 64M\n", size_text,
			MAX_ORDER, size_text);
		return err;
	}
	if (err) {
		kprintf("alloc: bad size '%s': %s (1 to %luM)\n", size_text, parse_error_text(err),
			max >> 20);
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
	const char *first = argv[1];
	bool negative = first[0] == '-' && first[1] >= '0' && first[1] <= '9';

	if (strcmp(first, "-p") == 0)
		return alloc_pages_command(argc, argv);
	if (first[0] == '-' && !negative && strcmp(first, "-v") != 0) {
		kprintf("alloc: unknown option '%s' (-v or -p)\n", first);
		shell_print_usage(shell_find("alloc"));
		return -EINVAL;
	}
	int words = strcmp(first, "-v") == 0 ? 3 : 2; /* -v SIZE, or SIZE */
	if (argc < words) {
		kprintf("alloc: -v needs a SIZE (1 to 64M)\n");
		return -EINVAL;
	}
	if (argc > words) {
		kprintf("alloc: unexpected '%s' after the size (alloc SIZE, alloc -v SIZE)\n",
			argv[words]);
		return -EINVAL;
	}
	return alloc_heap_command(words == 3, argv[words - 1]);
}

SHELL_COMMAND(alloc, SHELL_ARGS(1, 3), "allocate memory: kmalloc, vmalloc or pages",
	      "usage: alloc SIZE | alloc -v SIZE | alloc -p ORDER [dma|dma32|normal]\n"
	      "  SIZE      kmalloc(SIZE): from the slab heap's size classes, or whole\n"
	      "            pages past 8 KiB (SIZE 1 to 4M, the largest block of\n"
	      "            contiguous pages; K/M suffixes allowed; more: use -v)\n"
	      "  -v SIZE   vmalloc(SIZE): virtually contiguous pages with a guard page\n"
	      "            (SIZE 1 to 64M)\n"
	      "  -p ORDER  2^ORDER contiguous physical pages (ORDER 0..10: 4 KiB..4 MiB)\n"
	      "            from the zone named (default normal), falling back to lower\n"
	      "            zones. Prints the physical and direct-map address.\n"
	      "  `free ADDR` gives it back; `allocs` lists what the shell holds.\n"
	      "examples:\n"
	      "  alloc 100         128 bytes from kmalloc-128\n"
	      "  alloc -v 16K      four pages in vmalloc space, a guard page after\n"
	      "  alloc -p 0        one page frame\n"
	      "  alloc -p 9 dma32  2 MiB of contiguous frames below 4 GiB\n"
	      "  allocs            all four, with the addresses `free` takes\n",
	      cmd_alloc);

static int cmd_free(int argc, char **argv)
{
	uint64_t addr;
	int err;

	(void)argc;
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
		if (pages_still_mapped(a))
			return -EBUSY;
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

SHELL_COMMAND(free, SHELL_ARGS(1, 1), "free what `alloc`, `lazy` or `cow` allocated",
	      "usage: free ADDR\n"
	      "  ADDR is the physical or virtual address `alloc` printed (or the address\n"
	      "  `lazy` or `cow` printed: the region and its pages are released).\n"
	      "  Addresses the shell did not allocate, and second frees, are refused.\n"
	      "examples:\n"
	      "  lazy 16K                 on a fresh boot at 0xffffc04000001000\n"
	      "  free 0xffffc04000001000  the address lazy printed: region and pages go\n"
	      "  free 0x1000              [refused] the shell did not allocate it\n",
	      cmd_free);

static int cmd_allocs(int argc, char **argv)
{
	shell_allocs_assert_owner();
	size_t n = 0;

	(void)argc;
	(void)argv;
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

SHELL_COMMAND(allocs, SHELL_ARGS(0, 0), "list what the shell allocated and has not freed",
	      "usage: allocs\n"
	      "  One line per live allocation made with `alloc`, `lazy` or `cow`: kind,\n"
	      "  size, addresses. The shell holds at most 64 at a time.\n",
	      cmd_allocs);
