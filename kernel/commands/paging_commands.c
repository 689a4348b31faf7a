/*
 * paging_commands.c - shell commands over the page-table engine: map,
 * unmap, protect, translate, walk, ptdump, peek and poke.
 *
 * They act on the current address space. What the kernel itself runs on is
 * off limits to map, unmap and protect: the kernel image (which holds the
 * stack in use), and the direct map. Frames that `map` allocated itself
 * (no PA given) are remembered per page in a small table and freed by
 * `unmap`; frames given by PA belong to whoever owns them and are left
 * alone. peek and poke translate first and only touch what is mapped with
 * the needed permission (until the page-fault handler can catch faults).
 * Shell context.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/shell/shell.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/buddy.h"
#include "mm/direct_map.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/vmalloc.h"

extern char _kernel_end[];

#define SHELL_MAPPINGS_MAX 32
#define PEEK_MAX 512

/* A range `map` filled with frames of its own: one order-0 frame per page. */
struct shell_mapping {
	bool used;
	virt_addr_t start, end;
};

static struct shell_mapping shell_mappings[SHELL_MAPPINGS_MAX];

/* Why [va, va + size) must not be changed from the shell, or NULL. */
static const char *protected_range(virt_addr_t va, uint64_t size)
{
	virt_addr_t end = va + size;
	virt_addr_t kernel_start = KERNEL_VMA; /* the whole image window, guard included */
	virt_addr_t kernel_end = (virt_addr_t)(uintptr_t)_kernel_end;
	virt_addr_t direct_end = DIRECT_MAP_BASE + direct_map_info.end;

	if (va < kernel_end && end > kernel_start)
		return "the kernel image (its code, data and the stack in use)";
	if (va < direct_end && end > DIRECT_MAP_BASE)
		return "the direct map of physical memory";
	if (va < VMALLOC_START + VMALLOC_SIZE && end > VMALLOC_START)
		return "the vmalloc window (the kernel's heap areas and stacks)";
	if (va < ANON_WINDOW_START + ANON_WINDOW_SIZE && end > ANON_WINDOW_START)
		return "the lazy window (regions the page-fault handler manages: use `touch`)";
	return NULL;
}

/* Parse an address or size argument, printing what is wrong. */
static int parse_arg(const char *cmd, const char *what, const char *s, uint64_t *out)
{
	int err = parse_u64(s, out);

	if (err)
		kprintf("%s: bad %s '%s': %s\n", cmd, what, s, parse_error_text(err));
	return err;
}

/* FLAGS words: any of r w x u g in one word, and uc / wc / wt as words of their own. */
static int parse_flags(const char *cmd, const char *word, unsigned *flags)
{
	if (strcmp(word, "uc") == 0) {
		*flags |= MAP_UNCACHED;
		return 0;
	}
	if (strcmp(word, "wc") == 0) {
		*flags |= MAP_WRITE_COMBINE;
		return 0;
	}
	if (strcmp(word, "wt") == 0) {
		*flags |= MAP_WRITE_THROUGH;
		return 0;
	}
	for (const char *c = word; *c; c++) {
		switch (*c) {
		case 'r': break; /* every mapping is readable */
		case 'w': *flags |= MAP_WRITE; break;
		case 'x': *flags |= MAP_EXEC; break;
		case 'u': *flags |= MAP_USER; break;
		case 'g': *flags |= MAP_GLOBAL; break;
		default:
			kprintf("%s: unknown flag '%c' in '%s' (flags: r w x u g, uc wc wt)\n", cmd,
				*c, word);
			return -EINVAL;
		}
	}
	return 0;
}

/* Explain an engine error in words. */
static int report(const char *cmd, int err)
{
	switch (err) {
	case 0:
		return 0;
	case -EINVAL:
		kprintf("%s: invalid range: addresses must be canonical and 4 KiB aligned, the "
			"size non-zero, and the range must not wrap\n", cmd);
		break;
	case -EEXIST:
		kprintf("%s: part of the range is already mapped (unmap it first)\n", cmd);
		break;
	case -EPERM:
		kprintf("%s: refusing writable and executable at once (W^X): choose w or x\n", cmd);
		break;
	case -ENOSYS:
		kprintf("%s: the page-table engine cannot do this yet (a part is not implemented)\n",
			cmd);
		break;
	case -ENOENT:
		kprintf("%s: part of the range is not mapped\n", cmd);
		break;
	case -ENOMEM:
		kprintf("%s: out of memory for page tables or frames; nothing was changed\n", cmd);
		break;
	default:
		kprintf("%s: failed: %s\n", cmd, errno_name(err));
	}
	return err;
}

/*
 * The checks map, unmap and protect share: a page-aligned, non-empty,
 * canonical, non-wrapping range that leaves the kernel's own memory alone.
 * Prints the reason and returns an error, or 0.
 */
static int check_shell_range(const char *cmd, virt_addr_t va, uint64_t size)
{
	if (!paging_canonical(va) || va + size < va || size == 0 || !IS_ALIGNED(va, PAGE_SIZE) ||
	    !IS_ALIGNED(size, PAGE_SIZE))
		return report(cmd, -EINVAL);
	const char *why = protected_range(va, size);
	if (why) {
		kprintf("%s: refusing: 0x%lx-0x%lx overlaps %s\n", cmd, va, va + size - 1, why);
		return -EBUSY;
	}
	return 0;
}

static const char *page_size_name(uint64_t size)
{
	return size == PAGE_SIZE_1G ? "1G" : size == PAGE_SIZE_2M ? "2M" : "4K";
}

/* Print what [va, va + size) maps to now, merged into runs. */
static bool print_range(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
			unsigned flags, void *arg)
{
	char text[24];

	(void)arg;
	kprintf("  0x%016lx-0x%016lx -> 0x%lx  %s pages  %s\n", start, end - 1, pa,
		page_size_name(page_size), paging_flags_text(flags, text, sizeof(text)));
	return true;
}

/* map without PA: fresh zeroed frames, one per 4 KiB page; rolls back on failure. */
static int map_fresh_frames(virt_addr_t va, uint64_t size, unsigned flags)
{
	struct shell_mapping *slot = NULL;

	for (size_t i = 0; i < SHELL_MAPPINGS_MAX && !slot; i++)
		if (!shell_mappings[i].used)
			slot = &shell_mappings[i];
	if (!slot) {
		kprintf("map: the shell already holds %d mappings; unmap some first\n",
			SHELL_MAPPINGS_MAX);
		return -ENOSPC;
	}
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		struct page *frame = alloc_page(ALLOC_ZERO);
		int err = frame ? paging_map(current_space(), va + off, page_to_phys(frame),
					     PAGE_SIZE, flags) : -ENOMEM;
		if (err) {
			if (frame)
				free_page(frame);
			for (uint64_t back = 0; back < off; back += PAGE_SIZE) {
				struct paging_translation t;
				if (paging_translate(current_space(), va + back, &t) == 0) {
					paging_unmap(current_space(), va + back, PAGE_SIZE);
					free_page(phys_to_page(t.pa));
				}
			}
			return err;
		}
	}
	*slot = (struct shell_mapping){true, va, va + size};
	return 0;
}

static int cmd_map(int argc, char **argv)
{
	uint64_t va, size, pa = 0;
	unsigned flags = 0;
	bool have_pa = false, have_flags = false;

	if (argc < 3 || argc > 7) {
		shell_print_usage(shell_find("map"));
		return -EINVAL;
	}
	if (parse_arg("map", "address", argv[1], &va) || parse_arg("map", "size", argv[2], &size))
		return -EINVAL;
	for (int i = 3; i < argc; i++) {
		uint64_t n;
		if (!have_pa && !have_flags && parse_u64(argv[i], &n) == 0) {
			pa = n;
			have_pa = true;
		} else if (parse_flags("map", argv[i], &flags) != 0) {
			return -EINVAL;
		} else {
			have_flags = true;
		}
	}
	if (!have_flags)
		flags = MAP_WRITE; /* default rw, never executable unless asked */
	if (have_pa && !IS_ALIGNED(pa, PAGE_SIZE))
		return report("map", -EINVAL);
	int err = check_shell_range("map", va, size);
	if (err)
		return err;
	if (have_pa) {
		err = paging_map(current_space(), va, pa, size, flags);
	} else {
		if (size / PAGE_SIZE > buddy_free_pages()) {
			kprintf("map: %lu KiB is more than the free memory (%lu KiB)\n", size >> 10,
				buddy_free_pages() * (PAGE_SIZE >> 10));
			return -ENOMEM;
		}
		/* Refuse overlaps before allocating anything. */
		struct paging_translation t;
		for (uint64_t off = 0; off < size; off += PAGE_SIZE)
			if (paging_translate(current_space(), va + off, &t) == 0)
				return report("map", -EEXIST);
		err = map_fresh_frames(va, size, flags);
	}
	if (err)
		return report("map", err);
	kprintf("mapped %lu KiB at 0x%lx%s:\n", size >> 10, va,
		have_pa ? "" : " (fresh zeroed frames)");
	paging_for_each_range(current_space(), va, va + size, print_range, NULL);
	return 0;
}

SHELL_COMMAND(map, "map virtual memory: fresh frames, or a given physical range",
	      "usage: map VA SIZE [PA] [FLAGS]\n"
	      "  Maps SIZE bytes at virtual address VA in the current address space.\n"
	      "  With PA, to the physical range starting there, using the largest pages\n"
	      "  (1 GiB, 2 MiB, 4 KiB) that alignment and size allow; without PA, to\n"
	      "  freshly allocated zeroed frames (4 KiB pages), which unmap frees.\n"
	      "  FLAGS: any of r w x u g (read, write, execute, user, global) in one\n"
	      "  word, plus uc / wc / wt (uncached, write-combining, write-through).\n"
	      "  Default rw; never executable unless x is given, and never both w and x\n"
	      "  (W^X: the engine refuses writable and executable at once).\n"
	      "examples: map 0xffffc00000000000 16K\n"
	      "          map 0xffffc00040000000 4M 0x200000 r\n",
	      cmd_map);

static int cmd_unmap(int argc, char **argv)
{
	uint64_t va, size = PAGE_SIZE;

	if (argc < 2 || argc > 3) {
		shell_print_usage(shell_find("unmap"));
		return -EINVAL;
	}
	if (parse_arg("unmap", "address", argv[1], &va) ||
	    (argc == 3 && parse_arg("unmap", "size", argv[2], &size)))
		return -EINVAL;
	if (check_shell_range("unmap", va, size))
		return -EINVAL;
	/*
	 * Free the frames `map` allocated inside the range: walk the shell's own
	 * mappings (never the whole range, which may span terabytes of holes).
	 */
	uint64_t freed = 0;
	for (size_t i = 0; i < SHELL_MAPPINGS_MAX; i++) {
		struct shell_mapping *m = &shell_mappings[i];
		if (!m->used || m->end <= va || m->start >= va + size)
			continue;
		virt_addr_t from = m->start > va ? m->start : va;
		virt_addr_t to = m->end < va + size ? m->end : va + size;
		for (virt_addr_t p = from; p < to; p += PAGE_SIZE) {
			struct paging_translation t;
			if (paging_translate(current_space(), p, &t) != 0)
				continue;
			int err = paging_unmap(current_space(), p, PAGE_SIZE);
			if (err)
				return report("unmap", err);
			free_page(phys_to_page(t.pa));
			freed++;
		}
	}
	int err = paging_unmap(current_space(), va, size);
	if (err)
		return report("unmap", err);
	for (size_t i = 0; i < SHELL_MAPPINGS_MAX; i++) {
		struct shell_mapping *m = &shell_mappings[i];
		if (m->used && va <= m->start && va + size >= m->end)
			m->used = false; /* wholly unmapped: forget it */
	}
	kprintf("unmapped 0x%lx-0x%lx; freed %lu frame(s) the shell had allocated\n", va,
		va + size - 1, freed);
	return 0;
}

SHELL_COMMAND(unmap, "remove mappings (and free frames `map` allocated)",
	      "usage: unmap VA [SIZE]\n"
	      "  Unmaps SIZE bytes (default 4 KiB) at VA; holes are skipped, a huge page\n"
	      "  partly inside is split first, and page tables that become empty are\n"
	      "  freed. The kernel image and the direct map cannot be unmapped.\n"
	      "example: unmap 0xffffc00000000000 16K\n",
	      cmd_unmap);

static int cmd_protect(int argc, char **argv)
{
	uint64_t va, size;
	unsigned flags = 0;

	if (argc < 4) {
		shell_print_usage(shell_find("protect"));
		return -EINVAL;
	}
	if (parse_arg("protect", "address", argv[1], &va) ||
	    parse_arg("protect", "size", argv[2], &size))
		return -EINVAL;
	for (int i = 3; i < argc; i++)
		if (parse_flags("protect", argv[i], &flags))
			return -EINVAL;
	if (check_shell_range("protect", va, size))
		return -EINVAL;
	int err = paging_protect(current_space(), va, size, flags);
	if (err)
		return report("protect", err);
	paging_for_each_range(current_space(), va, va + size, print_range, NULL);
	return 0;
}

SHELL_COMMAND(protect, "change the permissions of mapped pages",
	      "usage: protect VA SIZE FLAGS\n"
	      "  Gives every page of the range the permissions FLAGS (r w x u g, uc wc\n"
	      "  wt; see map), splitting huge pages only partly inside. Fails, changing\n"
	      "  nothing, if part of the range is not mapped, or for w with x (W^X).\n"
	      "example: protect 0xffffc00000000000 4K r\n",
	      cmd_protect);

static int cmd_translate(int argc, char **argv)
{
	uint64_t va;
	struct paging_translation t;
	char text[24];

	if (argc != 2) {
		shell_print_usage(shell_find("translate"));
		return -EINVAL;
	}
	if (parse_arg("translate", "address", argv[1], &va))
		return -EINVAL;
	if (!paging_canonical(va)) {
		kprintf("0x%lx: not canonical (bits 63-47 must all equal bit 47)\n", va);
		return -EINVAL;
	}
	if (paging_translate(current_space(), va, &t) != 0) {
		kprintf("0x%lx: not mapped\n", va);
		return 0;
	}
	kprintf("0x%lx -> 0x%lx [%s] (%s page)\n", va, t.pa,
		paging_flags_text(t.flags, text, sizeof(text)), page_size_name(t.page_size));
	return 0;
}

SHELL_COMMAND(translate, "virtual to physical address, with flags and page size",
	      "usage: translate VA\n"
	      "  Prints `0xVA -> 0xPA [flags] (4K|2M|1G page)` or `0xVA: not mapped`.\n"
	      "example: translate 0xffffffff80200000\n",
	      cmd_translate);

static void print_entry_flags(pte_t e)
{
	kprintf("%s%s%s%s%s%s%s%s%s", e & PTE_PRESENT ? " P" : " -", e & PTE_WRITABLE ? " W" : "",
		e & PTE_USER ? " U" : "", e & PTE_PWT ? " PWT" : "", e & PTE_PCD ? " PCD" : "",
		e & PTE_ACCESSED ? " A" : "", e & PTE_DIRTY ? " D" : "",
		e & PTE_GLOBAL ? " G" : "", e & PTE_NX ? " NX" : "");
}

static int cmd_walk(int argc, char **argv)
{
	uint64_t va;
	struct paging_walk w;

	if (argc != 2) {
		shell_print_usage(shell_find("walk"));
		return -EINVAL;
	}
	if (parse_arg("walk", "address", argv[1], &va))
		return -EINVAL;
	int err = paging_walk(current_space(), va, &w);
	if (err == -EINVAL) {
		kprintf("0x%lx: not canonical (bits 63-47 must all equal bit 47)\n", va);
		return err;
	}
	if (err) {
		kprintf("walk: the page-table walk failed (%s)\n", errno_name(err));
		return err;
	}
	kprintf("walk of 0x%lx (CR3 = 0x%lx):\n", va, current_space()->pml4);
	for (int i = 0; i < w.levels; i++) {
		kprintf("  %-4s table 0x%lx [%3u] = 0x%016lx", w.level[i].name, w.level[i].table,
			w.level[i].index, w.level[i].entry);
		print_entry_flags(w.level[i].entry);
		if (w.level[i].entry & PTE_HUGE && i > 0 && i < 3)
			kprintf(" PS");
		kprintf("\n");
	}
	kprintf("  stopped: %s\n", w.stop);
	return 0;
}

SHELL_COMMAND(walk, "show the page-table entries on the way to an address",
	      "usage: walk VA\n"
	      "  Walks the current page tables for VA: for each level (PML4, PDPT, PD,\n"
	      "  PT) the table's physical address, the index VA selects, the raw entry\n"
	      "  and its bits decoded, and why the walk stopped (a page, or an entry\n"
	      "  that is not present).\n"
	      "example: walk 0xffffffff80200000\n",
	      cmd_walk);

static int cmd_ptdump(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		shell_print_usage(shell_find("ptdump"));
		return -EINVAL;
	}
	kprintf("address space at CR3 0x%lx (%lu page-table pages):\n", current_space()->pml4,
		current_space()->table_pages);
	paging_for_each_range(current_space(), 0, USER_HALF_END, print_range, NULL);
	paging_for_each_range(current_space(), KERNEL_HALF_START, 0, print_range, NULL);
	kprintf("TLB since boot: %lu invlpg, %lu full flushes; %lu huge pages split; "
		"page-table pages allocated %lu, freed %lu\n", paging_stats.invlpg,
		paging_stats.full_flushes, paging_stats.splits, paging_stats.tables_allocated,
		paging_stats.tables_freed);
	return 0;
}

SHELL_COMMAND(ptdump, "every mapping of the current address space, merged into ranges",
	      "usage: ptdump\n"
	      "  One line per run of pages with the same flags and page size that map\n"
	      "  contiguous physical memory: virtual range, physical start, page size,\n"
	      "  flags (r w x u g; uc/wc/wt). Like Linux's ptdump. Then the engine's\n"
	      "  counters: TLB invalidations (invlpg, full flushes), splits, tables.\n",
	      cmd_ptdump);

/* Is [va, va + len) mapped with at least the given MAP_WRITE need? Says why not. */
static bool accessible(const char *cmd, virt_addr_t va, uint64_t len, bool write)
{
	if (!paging_canonical(va) || !paging_canonical(va + len - 1) || va + len < va) {
		kprintf("%s: 0x%lx is not a canonical address (bits 63-47 must all equal bit "
			"47); the CPU would raise #GP\n", cmd, va);
		return false;
	}
	for (virt_addr_t p = ALIGN_DOWN(va, PAGE_SIZE); p < va + len; p += PAGE_SIZE) {
		struct paging_translation t;
		if (paging_translate(current_space(), p, &t) != 0) {
			kprintf("%s: 0x%lx is not mapped; the CPU would raise a page fault\n", cmd,
				p < va ? va : p);
			return false;
		}
		if (write && !(t.flags & MAP_WRITE)) {
			kprintf("%s: 0x%lx is mapped read-only; a write would fault\n", cmd,
				p < va ? va : p);
			return false;
		}
	}
	return true;
}

/* With SMAP on, touching a user page from the kernel needs EFLAGS.AC (stac/clac). */
static void user_access_begin(void)
{
	if (cpu_features.smap)
		__asm__ volatile("stac" ::: "memory");
}

static void user_access_end(void)
{
	if (cpu_features.smap)
		__asm__ volatile("clac" ::: "memory");
}

static int cmd_peek(int argc, char **argv)
{
	uint64_t va, len = 64;

	if (argc < 2 || argc > 3) {
		shell_print_usage(shell_find("peek"));
		return -EINVAL;
	}
	if (parse_arg("peek", "address", argv[1], &va) ||
	    (argc == 3 && parse_arg("peek", "length", argv[2], &len)))
		return -EINVAL;
	if (len == 0 || len > PEEK_MAX) {
		kprintf("peek: length must be 1..%d\n", PEEK_MAX);
		return -EINVAL;
	}
	if (!accessible("peek", va, len, false))
		return -EFAULT;
	user_access_begin();
	for (uint64_t row = 0; row < len; row += 16) {
		kprintf("%016lx:", va + row);
		for (uint64_t i = row; i < row + 16 && i < len; i++)
			kprintf(" %02x", *(volatile uint8_t *)(uintptr_t)(va + i));
		kprintf("\n");
	}
	user_access_end();
	return 0;
}

SHELL_COMMAND(peek, "hexdump memory at a virtual address",
	      "usage: peek VA [LEN]\n"
	      "  Prints LEN bytes (default 64, at most 512) at VA as hex. Unmapped or\n"
	      "  non-canonical addresses are reported instead of touched.\n"
	      "example: peek 0xffffffff80200000 32\n",
	      cmd_peek);

static int cmd_poke(int argc, char **argv)
{
	uint64_t va, value;

	if (argc != 3) {
		shell_print_usage(shell_find("poke"));
		return -EINVAL;
	}
	if (parse_arg("poke", "address", argv[1], &va) ||
	    parse_arg("poke", "value", argv[2], &value))
		return -EINVAL;
	if (!accessible("poke", va, 8, true))
		return -EFAULT;
	const char *why = protected_range(va, 8);
	if (why) {
		kprintf("poke: refusing to write into %s\n", why);
		return -EBUSY;
	}
	user_access_begin();
	*(volatile uint64_t *)(uintptr_t)va = value;
	user_access_end();
	kprintf("0x%lx <- 0x%lx\n", va, value);
	return 0;
}

SHELL_COMMAND(poke, "write a 64-bit value at a virtual address",
	      "usage: poke VA VALUE\n"
	      "  Writes VALUE as 8 bytes at VA, if VA is mapped writable. Refuses the\n"
	      "  kernel image and the direct map (that would corrupt the kernel); map a\n"
	      "  page first and poke that.\n"
	      "example: poke 0xffffc00000000000 0x1234\n",
	      cmd_poke);
