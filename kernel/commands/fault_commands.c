/*
 * fault_commands.c - watching page faults from the shell: `lazy`, `cow`,
 * `regions`, `touch`, `stackoverflow`, `vmstat` and `failinject`.
 *
 * A typical session:
 *   lazy 16K                 a demand-zero region: nothing mapped yet
 *   translate VA             -> not mapped
 *   touch VA w               -> demand-zero fault resolved, frame 0x...
 *   cow VA 16K               its pages shared read-only with a twin range
 *   touch TWIN w             -> COW copy: the twin gets its own frame
 *   touch VA w               -> COW reuse: VA's frame has one owner left
 *   free VA ; free TWIN      regions and frames given back
 * Violations (touch 0, a write to a read-only region, stackoverflow) abort
 * the command after the fault report; the prompt comes back (kernel/recovery.h).
 * Shell context: the kernel address space.
 */
#include "kernel/arch/x86_64/page_fault.h"
#include "kernel/recovery.h"
#include "kernel/shell/shell.h"
#include "kernel/smp/tlb_shootdown.h"
#include "kernel/stack.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/failinject.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/region.h"
#include "kernel/commands/shell_allocs.h"

#define LAZY_SIZE_MAX (1ull << 30) /* one `lazy` region: at most 1 GiB */
#define FAILINJECT_N_MAX 1000000u /* failinject N: at most a million allocations ahead */

static int parse_size(const char *cmd, const char *what, const char *text, uint64_t *out)
{
	int err = parse_u64_range(text, 1, LAZY_SIZE_MAX, out);

	if (text[0] == '-')
		kprintf("%s: bad %s '%s': a size cannot be negative (1 to 1G)\n", cmd, what, text);
	else if (err)
		kprintf("%s: bad %s '%s': %s (1 to 1G; K/M/G suffixes allowed)\n", cmd, what, text,
			parse_error_text(err));
	return err;
}

/* ---- lazy ----------------------------------------------------------------- */

static int cmd_lazy(int argc, char **argv)
{
	uint64_t size, max;
	bool stack = strcmp(argv[1], "-s") == 0;
	bool negative = argv[1][0] == '-' && argv[1][1] >= '0' && argv[1][1] <= '9';

	if (argv[1][0] == '-' && !stack && !negative) {
		kprintf("lazy: unknown option '%s' (only -s, for a stack)\n", argv[1]);
		shell_print_usage(shell_find("lazy"));
		return -EINVAL;
	}
	if (stack && argc != 4) {
		kprintf("lazy: -s needs SIZE and MAX (lazy -s SIZE MAX)\n");
		return -EINVAL;
	}
	if (!stack && argc != 2) {
		kprintf("lazy: unexpected '%s' after SIZE (a stack is `lazy -s SIZE MAX`)\n",
			argv[2]);
		return -EINVAL;
	}
	if (parse_size("lazy", "size", argv[stack ? 2 : 1], &size) ||
	    (stack && parse_size("lazy", "maximum size", argv[3], &max)))
		return -EINVAL;
	if (stack && max < size) {
		kprintf("lazy: the maximum size must be at least the size\n");
		return -EINVAL;
	}
	if (!shell_alloc_has_room()) {
		kprintf("lazy: the shell holds too many allocations; free some first\n");
		return -ENOSPC;
	}
	size = ALIGN_UP(size, PAGE_SIZE);
	if (!stack) {
		virt_addr_t va = anon_create(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
					     size, "lazy");
		if (!va) {
			kprintf("lazy: no room for %lu bytes in the lazy window, or no memory\n", size);
			return -ENOMEM;
		}
		MUST_SUCCEED(shell_alloc_remember_region(va, va, va + size),
			     "cmd_lazy: the table has room (checked above)");
		kprintf("lazy: 0x%lx-0x%lx (%lu pages), demand-zero, nothing mapped yet\n", va,
			va + size, size / PAGE_SIZE);
		kprintf("  `touch 0x%lx w` faults one page in; `free 0x%lx` gives it all back\n",
			va, va);
		return 0;
	}
	max = ALIGN_UP(max, PAGE_SIZE); /* so 5K 8K is 8K 8K: a stack that cannot grow */
	virt_addr_t top = anon_create_stack(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE,
					    size, max, "lazy-stack");
	if (!top) {
		kprintf("lazy: no room for a %lu-byte stack in the lazy window, or no memory\n",
			max);
		return -ENOMEM;
	}
	MUST_SUCCEED(shell_alloc_remember_region(top, top - max - PAGE_SIZE, top),
		     "cmd_lazy: the table has room (checked above)");
	if (max == size) {
		/* No room to grow: a touch just below would hit the guard page, so no such hint. */
		kprintf("lazy: stack 0x%lx-0x%lx (top 0x%lx), cannot grow (MAX equals SIZE), guard "
			"page at 0x%lx\n", top - size, top, top, top - max - PAGE_SIZE);
		kprintf("  `free 0x%lx` gives it all back\n", top);
		return 0;
	}
	kprintf("lazy: stack 0x%lx-0x%lx (top 0x%lx), grows down to 0x%lx, guard page at 0x%lx\n",
		top - size, top, top, top - max, top - max - PAGE_SIZE);
	kprintf("  `touch 0x%lx w` just below it grows it; `free 0x%lx` gives it all back\n",
		top - size - 8, top);
	return 0;
}

SHELL_COMMAND(lazy, SHELL_ARGS(1, 3), "reserve a demand-zero region (pages appear when touched)",
	      "usage: lazy SIZE | lazy -s SIZE MAX\n"
	      "  Reserves SIZE bytes (rounded up to pages) in the kernel's lazy window\n"
	      "  (0xffffc04000000000, 256 GiB) as an anonymous region; nothing is mapped\n"
	      "  until a page is touched, when the page-fault handler maps a zeroed frame.\n"
	      "  -s: a stack region of SIZE bytes that grows down on a touch just below\n"
	      "  it, up to MAX bytes, with a guard page below that (MAX = SIZE: it\n"
	      "  cannot grow). SIZE and MAX: at most 1G.\n"
	      "  `regions` lists it, `touch` faults pages in, `free ADDR` releases it.\n"
	      "examples:\n"
	      "  lazy 64K                    on a fresh boot: 0xffffc04000001000-0xffffc04000011000\n"
	      "  touch 0xffffc04000001000 w  its first page appears (demand-zero)\n"
	      "  free 0xffffc04000001000     region and page given back\n"
	      "  lazy -s 8K 64K              a stack: top 0xffffc04000012000, a guard page below\n"
	      "  touch 0xffffc0400000fff8 w  just below it: the stack grows one page\n"
	      "  free 0xffffc04000012000     the address lazy printed\n",
	      cmd_lazy);

/* ---- cow ------------------------------------------------------------------- */

/* The first address of [va, end) outside `lazy` (anonymous or COW) regions, or end. */
static virt_addr_t first_outside_lazy(virt_addr_t va, virt_addr_t end)
{
	const struct region_set *set = kernel_space.regions;

	while (va < end) {
		const struct region *r = set ? region_find(set, va) : NULL;
		if (!r || (r->kind != REGION_ANON && r->kind != REGION_COW))
			return va;
		va = r->end;
	}
	return end;
}

static int cmd_cow(int argc, char **argv)
{
	uint64_t va, size;

	(void)argc;
	int err = parse_u64(argv[1], &va);
	if (err) {
		kprintf("cow: bad address '%s': %s\n", argv[1], parse_error_text(err));
		return err;
	}
	if (parse_size("cow", "size", argv[2], &size))
		return -EINVAL;
	size = ALIGN_UP(size, PAGE_SIZE);
	if (!paging_canonical(va) || !paging_canonical(va + size - 1) || va + size < va) {
		kprintf("cow: 0x%lx-0x%lx is not canonical (bits 63-47 of an address must all "
			"equal bit 47)\n", va, va + size);
		return -EINVAL;
	}
	if (!IS_ALIGNED(va, PAGE_SIZE)) {
		kprintf("cow: 0x%lx is not page-aligned\n", va);
		return -EINVAL;
	}
	/* Checked here, before a twin is placed: it could land inside a too-long range. */
	virt_addr_t outside = first_outside_lazy(va, va + size);
	if (outside != va + size) {
		kprintf("cow: 0x%lx-0x%lx is not all inside `lazy` (anonymous) regions: 0x%lx is "
			"not in one\n", va, va + size, outside);
		return -ENOENT;
	}
	if (!shell_alloc_has_room()) {
		kprintf("cow: the shell holds too many allocations; free some first\n");
		return -ENOSPC;
	}
	virt_addr_t twin = anon_find_free(&kernel_space, ANON_WINDOW_START, ANON_WINDOW_SIZE, size);
	if (!twin) {
		kprintf("cow: no room for a twin of %lu bytes in the lazy window\n", size);
		return -ENOMEM;
	}
	err = anon_cow_share(&kernel_space, va, &kernel_space, twin, size, "cow-twin");
	if (err == -ENOENT)
		kprintf("cow: 0x%lx-0x%lx is not all inside `lazy` (anonymous) regions\n", va,
			va + size);
	else if (err)
		kprintf("cow: cannot share 0x%lx-0x%lx: %s\n", va, va + size, errno_name(err));
	if (err)
		return err;
	MUST_SUCCEED(shell_alloc_remember_region(twin, twin, twin + size),
		     "cmd_cow: the table has room (checked above)");
	uint64_t shared = anon_resident_pages(&kernel_space, va, va + size);
	kprintf("cow: 0x%lx-0x%lx and its twin 0x%lx-0x%lx share %lu frame(s), read-only;\n", va,
		va + size, twin, twin + size, shared);
	kprintf("  a write to either side copies that page (`touch 0x%lx w`)\n", twin);
	return 0;
}

SHELL_COMMAND(cow, SHELL_ARGS(2, 2), "share a lazy range copy-on-write with a new twin range",
	      "usage: cow VA SIZE\n"
	      "  VA..VA+SIZE must lie in `lazy` regions. Every page mapped there is mapped\n"
	      "  read-only in both VA's range and a new twin range (printed), and its\n"
	      "  frame gains an owner. The first write to a shared page on either side\n"
	      "  copies it (COW copy); a write to a page whose other owner is gone makes\n"
	      "  it writable in place (COW reuse). `free TWIN` releases the twin.\n"
	      "examples:\n"
	      "  lazy 16K                         on a fresh boot at 0xffffc04000001000\n"
	      "  fill 0xffffc04000001000 8K 0xab  two pages get frames, filled with 0xab\n"
	      "  cow 0xffffc04000001000 16K       the twin at 0xffffc04000006000 shares them\n"
	      "  fill 0xffffc04000006000 16 0x11  COW copy: the twin's page gets its own frame\n"
	      "  peek 0xffffc04000001000 16       still ab: the copy kept the old contents\n"
	      "  peek 0xffffc04000006000 16       11 on the twin's side\n"
	      "  free 0xffffc04000006000          the twin\n"
	      "  free 0xffffc04000001000          the region\n",
	      cmd_cow);

/* ---- regions ----------------------------------------------------------------- */

static bool print_region(const struct region *r, void *arg)
{
	char size[16];
	uint64_t bytes = r->end - r->start;

	(void)arg;
	if (bytes >= (1ull << 40))
		ksnprintf(size, sizeof(size), "%luT", bytes >> 40);
	else if (bytes >= (1ull << 30))
		ksnprintf(size, sizeof(size), "%luG", bytes >> 30);
	else if (bytes >= (1ull << 20))
		ksnprintf(size, sizeof(size), "%luM", bytes >> 20);
	else
		ksnprintf(size, sizeof(size), "%luK", bytes >> 10);
	kprintf("%016lx-%016lx %c%c%c %-12s %6s  %-20s", r->start, r->end,
		r->kind == REGION_GUARD ? '-' : 'r', /* a guard page allows no access at all */
		r->prot & MAP_WRITE ? 'w' : '-', r->prot & MAP_EXEC ? 'x' : '-',
		region_kind_name(r->kind), size, r->name);
	if (r->kind == REGION_ANON || r->kind == REGION_COW || r->kind == REGION_STACK)
		kprintf(" %lu resident", anon_resident_pages(current_space(), r->start, r->end));
	if (r->kind == REGION_STACK)
		kprintf(", grows to 0x%lx", r->grow_limit);
	kprintf("\n");
	return true;
}

static int cmd_regions(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const struct region_set *set = current_space()->regions;
	if (!set) {
		kprintf("regions: the current address space has no regions\n");
		return 0;
	}
	kprintf("%-33s %-3s %-12s %6s  %-20s %s\n", "range", "prt", "kind", "size", "name",
		"pages");
	region_for_each(set, print_region, NULL);
	kprintf("%zu region(s)\n", set->count);
	return 0;
}

SHELL_COMMAND(regions, SHELL_ARGS(0, 0), "list the regions of the current address space",
	      "usage: regions\n"
	      "  One line per region, like /proc/PID/maps: range, protection, kind,\n"
	      "  size, name and, for anonymous regions, pages resident (mapped). The\n"
	      "  page-fault handler decides what a fault means from these. A guard region"
	      "  allows no access at all: its protection reads ---.\n"
	      "examples:\n"
	      "  lazy -s 8K 64K           a stack region, and a guard region below it\n"
	      "  regions\n"
	      "  free 0xffffc04000012000\n",
	      cmd_regions);

/* ---- touch --------------------------------------------------------------------- */

/* One access of each kind; noinline so a fault's RIP names them. */
static __noinline uint8_t touch_read(volatile const uint8_t *p)
{
	return *p;
}

/*
 * A plain store (mov) of value. Not a locked read-modify-write such as
 * `lock addb $0`: the CPU reports that as a write, but QEMU's TCG without
 * threads emulates it as a load, then a store, so the first fault says
 * "read" (and a read-only page reads fine and then faults as a write).
 */
static __noinline void touch_write(volatile uint8_t *p, uint8_t value)
{
	*p = value;
}

/*
 * The byte a write to va should store to change nothing: its value read
 * through the direct map (so that reading cannot fault first: SMAP, a
 * guard page), through va itself for a frame outside RAM, or 0 where
 * nothing is mapped (a demand-zero page starts as zeros).
 */
static uint8_t touch_current_byte(virt_addr_t va, const struct paging_translation *t,
				  bool mapped)
{
	if (!mapped)
		return 0;
	if (phys_to_page(t->pa & ~(PAGE_SIZE - 1)))
		return *(volatile uint8_t *)phys_to_virt(t->pa);
	return *(volatile uint8_t *)(uintptr_t)va;
}

static __noinline void touch_execute(uint64_t va)
{
	((void (*)(void))(uintptr_t)va)();
}

static int cmd_touch(int argc, char **argv)
{
	uint64_t va;
	char mode = argc == 3 ? argv[2][0] : 'r';

	if (argc == 3 && (argv[2][1] != '\0' || (mode != 'r' && mode != 'w' && mode != 'x'))) {
		kprintf("touch: unknown access '%s' (r, w or x)\n", argv[2]);
		shell_print_usage(shell_find("touch"));
		return -EINVAL;
	}
	int err = parse_u64(argv[1], &va);
	if (err) {
		kprintf("touch: bad address '%s': %s\n", argv[1], parse_error_text(err));
		return err;
	}
	struct address_space *as = current_space();
	struct paging_translation before;
	bool was_mapped = paging_canonical(va) && paging_translate(as, va, &before) == 0;
	if (mode == 'x') {
		const struct region *r = as->regions ? region_find(as->regions, va) : NULL;
		if ((was_mapped && (before.flags & MAP_EXEC)) || (r && (r->prot & MAP_EXEC))) {
			kprintf("touch: 0x%lx is executable; jumping there would run whatever it "
				"holds, so touch does not\n", va);
			return -EPERM;
		}
	}
	uint64_t since = fault_count_total();
	switch (mode) {
	case 'r': touch_read((const uint8_t *)(uintptr_t)va); break;
	case 'w':
		touch_write((uint8_t *)(uintptr_t)va, touch_current_byte(va, &before, was_mapped));
		break;
	case 'x': touch_execute(va); break; /* faults: never returns here */
	}
	/* Still here: the access worked, perhaps after a resolved fault. */
	struct fault f;
	struct paging_translation after;
	bool mapped = paging_translate(as, va, &after) == 0;
	if (!page_fault_last(since, &f)) {
		kprintf("0x%lx: %s, no fault%s\n", va, mode == 'w' ? "written" : "read",
			was_mapped ? " (already mapped)" : "");
		return 0;
	}
	kprintf("0x%lx: %s", va, fault_outcome_name(f.outcome));
	if (mapped && f.outcome == FAULT_COW_COPY && was_mapped)
		kprintf(": frame 0x%lx -> 0x%lx", before.pa & ~(PAGE_SIZE - 1),
			after.pa & ~(PAGE_SIZE - 1));
	else if (mapped)
		kprintf(": frame 0x%lx", after.pa & ~(PAGE_SIZE - 1));
	if (f.in_region)
		kprintf(" in region \"%s\" (%s)", f.region.name, region_kind_name(f.region.kind));
	kprintf("\n");
	return 0;
}

SHELL_COMMAND(touch, SHELL_ARGS(1, 2), "access one byte and say what the page-fault handler did",
	      "usage: touch VA [r|w|x]\n"
	      "  Reads (r, default), writes (w: a plain store of the byte's own value, or\n"
	      "  of 0 where nothing is mapped yet, so the byte keeps its value) or\n"
	      "  executes (x: calls VA; refused where VA is executable) one byte at VA,\n"
	      "  then says what happened: no fault, demand-zero fault resolved, COW copy\n"
	      "  or reuse, stack grown. A violation (NULL dereference, write to a\n"
	      "  read-only region, execute of a page not present, guard page, SMEP, NX,\n"
	      "  non-canonical address ...) is reported with registers and a backtrace,\n"
	      "  and the command is aborted.\n"
	      "examples:\n"
	      "  lazy 16K                    on a fresh boot at 0xffffc04000001000\n"
	      "  touch 0xffffc04000002000    demand-zero fault resolved: a zeroed frame\n"
	      "  touch 0xffffc04000002000 w  no fault: already mapped, writable\n"
	      "  touch 0xffffc04000003000 x  [refused] execute of a not-present page\n"
	      "  free 0xffffc04000001000\n"
	      "  touch 0                     [refused] a NULL dereference\n"
	      "  touch 0x8000000000000000    [refused] not canonical: a #GP\n",
	      cmd_touch);

/* ---- stackoverflow -------------------------------------------------------------- */

static int cmd_stackoverflow(int argc, char **argv)
{
	bool halt = argc == 2 && strcmp(argv[1], "halt") == 0;

	if (argc == 2 && !halt) {
		kprintf("stackoverflow: the only word it takes is `halt`, not '%s'\n", argv[1]);
		shell_print_usage(shell_find("stackoverflow"));
		return -EINVAL;
	}
	const struct kernel_stack *s = kernel_stack_find((uint64_t)(uintptr_t)&argc, 1);
	kprintf("stackoverflow: recursing on the %s stack (0x%lx-0x%lx) until it hits the "
		"guard page below it%s...\n", s ? s->name : "?", s ? s->bottom : 0, s ? s->top : 0,
		halt ? ", outside any recovery point" : "");
	if (halt)
		recovery_run_unguarded(kernel_stack_overflow);
	else
		kernel_stack_overflow();
	return 0;
}

SHELL_COMMAND(stackoverflow, SHELL_ARGS(0, 1),
	      "recurse until the kernel stack's guard page stops it",
	      "usage: stackoverflow [halt]\n"
	      "  Calls a function that calls itself, 256 bytes a frame, on the shell's\n"
	      "  16 KiB stack. The stack sits in vmalloc space with an unmapped guard page\n"
	      "  below it, so the overflow page-faults there. The CPU cannot push that\n"
	      "  fault's frame on the full stack, so it becomes a double fault, whose\n"
	      "  handler runs on its own IST stack and reports \"kernel stack overflow\"\n"
	      "  instead of the CPU triple-faulting. The command is aborted; the shell\n"
	      "  goes on. With `halt` it overflows outside any recovery point, as boot\n"
	      "  code would: the report ends with the kernel halted.\n"
	      "examples:\n"
	      "  stackoverflow       [disturbs] the guard page's report\n"
	      "  stackoverflow halt  [ends the machine] the report, then the kernel halts\n",
	      cmd_stackoverflow);

/* ---- vmstat ----------------------------------------------------------------------- */

static int cmd_vmstat(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const struct fault_stats totals = fault_stats_total();
	const struct fault_stats *s = &totals;
	kprintf("pgfault %lu\n", s->faults);
	kprintf("pgfault_demand_zero %lu\n", s->demand_zero);
	kprintf("pgfault_cow_copy %lu\n", s->cow_copies);
	kprintf("pgfault_cow_reuse %lu\n", s->cow_reuses);
	kprintf("pgfault_stack_growth %lu\n", s->stack_growths);
	kprintf("pgfault_spurious %lu\n", s->spurious);
	kprintf("pgfault_guard_hit %lu\n", s->guard_hits);
	kprintf("pgfault_violation %lu\n", s->violations);
	const struct paging_stats ps = paging_stats_total();
	kprintf("tlb_invlpg %lu\n", ps.invlpg);
	kprintf("tlb_full_flush %lu\n", ps.full_flushes);
	struct tlb_shootdown_stats ts;
	tlb_shootdown_stats_total(&ts);
	kprintf("tlb_shootdown %lu\n", ts.shootdowns);
	kprintf("tlb_shootdown_ipi_sent %lu\n", ts.ipis_sent);
	kprintf("tlb_shootdown_received %lu\n", ts.received);
	kprintf("tlb_shootdown_pages %lu\n", ts.pages);
	kprintf("tlb_shootdown_full_flush %lu\n", ts.full_flushes);
	kprintf("tlb_shootdown_skipped %lu\n", ts.skipped);
	kprintf("tlb_shootdown_local_only %lu\n", ts.local_only);
	for (int k = 0; k < FAILINJECT_KINDS; k++)
		kprintf("failinject_%s %lu\n", failinject_kind_name(k), failinject_count(k));
	return 0;
}

SHELL_COMMAND(vmstat, SHELL_ARGS(0, 0), "page-fault and TLB counters (like /proc/vmstat)",
	      "usage: vmstat\n"
	      "  One `name value` line per counter since boot: page faults (total,\n"
	      "  demand-zero, COW copies and reuses, stack growths, spurious, guard-page\n"
	      "  hits, violations), TLB invalidations (single pages, full flushes), TLB\n"
	      "  shootdowns (batches sent to other CPUs, IPIs sent, requests received,\n"
	      "  pages and full flushes done for others, requests for a space switched\n"
	      "  away from, batches no other CPU needed: all of them on one CPU) and\n"
	      "  failures injected by `failinject`.\n",
	      cmd_vmstat);

/* ---- failinject ----------------------------------------------------------------------- */

static int cmd_failinject(int argc, char **argv)
{
	if (argc == 1) {
		for (int k = 0; k < FAILINJECT_KINDS; k++) {
			kprintf("%-8s ", failinject_kind_name(k));
			uint64_t pending = failinject_pending(k);
			if (pending)
				kprintf("armed: allocation %lu from now fails", pending);
			else
				kprintf("off");
			kprintf(", %lu injected so far\n", failinject_count(k));
		}
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "off") == 0) {
		failinject_off();
		kprintf("failinject: off\n");
		return 0;
	}
	if (strcmp(argv[1], "off") == 0) {
		kprintf("failinject: off takes no N (unexpected '%s')\n", argv[2]);
		return -EINVAL;
	}
	int kind = -1;
	for (int k = 0; k < FAILINJECT_KINDS; k++)
		if (strcmp(argv[1], failinject_kind_name(k)) == 0)
			kind = k;
	if (kind < 0) {
		kprintf("failinject: unknown kind '%s' (pmm, slab, vmalloc, or off)\n", argv[1]);
		return -EINVAL;
	}
	if (argc == 2) {
		kprintf("failinject: %s needs N, which allocation from now fails (1 to %u)\n",
			argv[1], FAILINJECT_N_MAX);
		return -EINVAL;
	}
	uint64_t n;
	int err = parse_u64_range(argv[2], 1, FAILINJECT_N_MAX, &n);
	if (err) {
		kprintf("failinject: bad N '%s': %s (1 to %u)\n", argv[2], parse_error_text(err),
			FAILINJECT_N_MAX);
		return err;
	}
	MUST_SUCCEED(failinject_arm(kind, n), "cmd_failinject: kind and N were checked above");
	kprintf("failinject: allocation %lu of the next %s allocations will fail\n", n,
		failinject_kind_name(kind));
	return 0;
}

SHELL_COMMAND(failinject, SHELL_ARGS(0, 2), "make the Nth next allocation of a kind fail",
	      "usage: failinject [pmm|slab|vmalloc N | off]\n"
	      "  pmm N      the Nth next page-frame allocation (alloc_pages) fails, once\n"
	      "  slab N     the Nth next slab/kmalloc allocation fails\n"
	      "  vmalloc N  the Nth next vmalloc fails\n"
	      "  off        disarm all; without arguments: the current state\n"
	      "  N is 1 to 1000000 (1: the very next allocation of that kind).\n"
	      "  Every allocating path must then roll back: e.g. `failinject pmm 3` then\n"
	      "  `map 0xffffc00000000000 4M` leaves no mapping and no page behind.\n"
	      "examples:\n"
	      "  failinject pmm 3            the third page allocation from now fails, once\n"
	      "  map 0xffffc00000000000 16K  [refused] out of memory; nothing left mapped\n"
	      "  failinject                  the state: off again, 1 injected\n"
	      "  failinject off\n",
	      cmd_failinject);
