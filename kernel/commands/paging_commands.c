/*
 * paging_commands.c - shell commands over the page-table engine: map,
 * unmap, protect, translate, walk, ptdump, peek, poke and fill.
 *
 * They act on the current address space. What the kernel itself runs on is
 * off limits to map, unmap and protect: the kernel image (which holds the
 * stack in use), the direct map, the vmalloc window (heap areas and stacks)
 * and the lazy window (regions the page-fault handler manages). Frames that
 * `map` allocated itself (no PA given) are remembered per page in a small
 * table and freed by `unmap`; frames given by PA belong to whoever owns them
 * and are left alone. `map VA SIZE PA` maps only what nobody in the kernel
 * owns (holes outside RAM, blocks the shell holds from `alloc -p`:
 * mm/phys_owner.h answers), below the CPU's physical-address width, and map
 * and protect keep W^X across aliases: no frame writable at one address and
 * executable at another (docs/memory-layout.md lists the aliases that
 * remain). peek translates first and only reads what is mapped; poke and
 * fill write what is mapped writable, and what lies in a writable lazy
 * region or COW twin, where the store faults and the page-fault handler
 * resolves it as for any store. In the user half, peek, poke and fill go
 * through copy_from_user/copy_to_user (mm/uaccess.h), the one place SMAP
 * is opened. `map` remembers the user-half ranges it made, for `selftest
 * kernel_space`. Shell context.
 */
#include "drivers/framebuffer.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/commands/shell_allocs.h"
#include "kernel/proc/process.h"
#include "kernel/shell/shell.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/anon.h"
#include "mm/buddy.h"
#include "mm/direct_map.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/page.h"
#include "mm/phys_owner.h"
#include "mm/region.h"
#include "mm/uaccess.h"
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

/*
 * Every range `map` mapped in the user half since boot (some may be gone
 * since), so that `selftest kernel_space` can tell them from the kernel's.
 */
#define SHELL_USER_RANGES_MAX 32
static struct {
	virt_addr_t start, end;
} shell_user_ranges[SHELL_USER_RANGES_MAX];
static size_t shell_user_range_count;
static bool shell_user_ranges_overflowed; /* more were mapped than remembered */

static void remember_user_range(virt_addr_t va, uint64_t size)
{
	if (va >= PAGING_KERNEL_HALF)
		return;
	if (shell_user_range_count == SHELL_USER_RANGES_MAX) {
		shell_user_ranges_overflowed = true;
		return;
	}
	shell_user_ranges[shell_user_range_count].start = va;
	shell_user_ranges[shell_user_range_count++].end = va + size;
}

int shell_mapped_user_range(uint64_t start, uint64_t end)
{
	/* Walk from start through remembered ranges until end is covered. */
	while (start < end) {
		size_t i = 0;
		while (i < shell_user_range_count &&
		       !(shell_user_ranges[i].start <= start && start < shell_user_ranges[i].end))
			i++;
		if (i == shell_user_range_count)
			return shell_user_ranges_overflowed ? -1 : 0;
		start = shell_user_ranges[i].end;
	}
	return 1;
}

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
	if (va < MMIO_END && end > MMIO_START)
		return "the device register window (the interrupt controllers)";
	if (va < FRAMEBUFFER_END && end > FRAMEBUFFER_START)
		return "the framebuffer window (the screen's video memory)";
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
	if (size == 0 || !IS_ALIGNED(size, PAGE_SIZE)) {
		kprintf("%s: the size 0x%lx is not a non-zero multiple of 4 KiB\n", cmd, size);
		return -EINVAL;
	}
	if (!IS_ALIGNED(va, PAGE_SIZE)) {
		kprintf("%s: 0x%lx is not 4 KiB aligned\n", cmd, va);
		return -EINVAL;
	}
	if (va + size < va) {
		kprintf("%s: 0x%lx + 0x%lx wraps past the end of the address space\n", cmd, va,
			size);
		return -EINVAL;
	}
	if (!paging_canonical(va) || !paging_canonical(va + size - 1)) {
		kprintf("%s: 0x%lx-0x%lx is not canonical (bits 63-47 of an address must all equal "
			"bit 47: below 0x0000800000000000 or from 0xffff800000000000)\n", cmd, va,
			va + size - 1);
		return -EINVAL;
	}
	const char *why = protected_range(va, size);
	if (why) {
		kprintf("%s: refusing: 0x%lx-0x%lx overlaps %s\n", cmd, va, va + size - 1, why);
		return -EBUSY;
	}
	return 0;
}

/* phys_owner_allow_fn for `map`: the shell may map the blocks it holds from `alloc -p`. */
static bool held_by_alloc_p(const struct phys_owner *owner, void *arg)
{
	(void)arg;
	return owner->kind == PHYS_OWNER_ALLOCATED && shell_alloc_holds_pages(owner->start,
									      owner->end);
}

/*
 * May `map` map [pa, pa + size)? Not beyond the CPU's physical-address
 * width, and not RAM the kernel owns (everything but holes and `alloc -p`
 * blocks): a second mapping of a page table, the kernel image or a free
 * frame would let `poke` corrupt the kernel. Prints why; 0, -ERANGE or -EPERM.
 */
static int check_map_phys(phys_addr_t pa, uint64_t size)
{
	unsigned bits = cpu_features.phys_bits;
	uint64_t limit = bits >= 64 ? 0 : 1ull << bits;
	struct phys_owner owner;
	phys_addr_t at;
	char text[96];

	if (limit && (pa >= limit || size > limit - pa)) {
		kprintf("map: 0x%lx-0x%lx is beyond the CPU's %u-bit physical address width "
			"(physical addresses end at 0x%lx)\n", pa, pa + size - 1, bits, limit - 1);
		return -ERANGE;
	}
	if (!phys_range_find_owned(pa, size, held_by_alloc_p, NULL, &at, &owner))
		return 0;
	kprintf("map: 0x%lx %s%s; refusing to map it (only holes outside RAM and blocks from "
		"`alloc -p` can be mapped by address)\n", at,
		phys_owner_text(&owner, text, sizeof(text)),
		owner.kind == PHYS_OWNER_ALLOCATED || owner.kind == PHYS_OWNER_SLAB ?
		" (not by `alloc -p`)" : "");
	return -EPERM;
}

/*
 * The screen's video memory is mapped write-combining by the kernel
 * (drivers/fb_map.c): a second mapping of it must be write-combining too,
 * since two memory types for one frame are undefined (SDM Vol. 3A
 * 11.12.4). Prints why; 0 or -EPERM.
 */
static int check_map_framebuffer(phys_addr_t pa, uint64_t size, unsigned flags)
{
	const struct fb_mode *m = fb_get_mode();

	if (!fb_ready() || !m || (flags & MAP_CACHE_MASK) == MAP_WRITE_COMBINE)
		return 0;
	phys_addr_t start = ALIGN_DOWN(m->phys, PAGE_SIZE);
	phys_addr_t end = ALIGN_UP(m->phys + (uint64_t)m->pitch * m->height, PAGE_SIZE);
	if (pa >= end || pa + size <= start)
		return 0;
	kprintf("map: 0x%lx-0x%lx is the screen's video memory, which the kernel maps "
		"write-combining: map it with wc (two memory types for one frame are "
		"undefined)\n", start, end - 1);
	return -EPERM;
}

/*
 * W^X across aliases: mapping [pa, pa + pa_size) with flags must not make a
 * frame executable while another mapping of it (outside [va, va + size),
 * the range being changed) is writable, nor writable while another is
 * executable. Prints the alias; 0 or -EPERM.
 */
static int check_aliases(const char *cmd, virt_addr_t va, uint64_t size, phys_addr_t pa,
			 uint64_t pa_size, unsigned flags)
{
	unsigned conflict = flags & MAP_EXEC ? MAP_WRITE : flags & MAP_WRITE ? MAP_EXEC : 0;
	struct phys_alias alias;

	if ((flags & MAP_WRITE) && (flags & MAP_EXEC))
		return 0; /* the engine refuses w with x itself, with its own message */
	if (!conflict || !phys_find_alias(current_space(), pa, pa_size, conflict, va, size, &alias))
		return 0;
	bool direct = alias.va >= DIRECT_MAP_BASE &&
		      alias.va < DIRECT_MAP_BASE + direct_map_info.end;
	kprintf("%s: refusing %s: physical 0x%lx is also mapped %s at 0x%lx%s, and W^X holds "
		"across aliases\n", cmd, conflict == MAP_WRITE ? "x" : "w", alias.pa,
		conflict == MAP_WRITE ? "writable" : "executable", alias.va,
		direct ? " (the direct map keeps all RAM and the first 4 GiB writable)" : "");
	return -EPERM;
}

/* protect: check_aliases for each mapped run of the range (paging_range_fn). */
struct protect_alias_check {
	virt_addr_t va;
	uint64_t size;
	unsigned flags;
	int err;
};

static bool protect_check_run(virt_addr_t start, virt_addr_t end, phys_addr_t pa,
			      uint64_t page_size, unsigned flags, void *arg)
{
	struct protect_alias_check *c = arg;

	(void)page_size, (void)flags;
	c->err = check_aliases("protect", c->va, c->size, pa, end - start, c->flags);
	return c->err == 0;
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

/* paging_for_each_range callback: something is mapped; stop at the first run. */
static bool note_mapped(virt_addr_t start, virt_addr_t end, phys_addr_t pa, uint64_t page_size,
			unsigned flags, void *arg)
{
	(void)start;
	(void)end;
	(void)pa;
	(void)page_size;
	(void)flags;
	*(bool *)arg = true;
	return false;
}

/* Is any page of [va, va + size) mapped in the current address space? */
static bool anything_mapped(virt_addr_t va, uint64_t size)
{
	bool found = false;

	paging_for_each_range(current_space(), va, va + size, note_mapped, &found);
	return found;
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
				MUST_SUCCEED(free_page(frame),
					     "map_fresh_frames: freeing the frame just allocated");
			for (uint64_t back = 0; back < off; back += PAGE_SIZE) {
				struct paging_translation t;
				if (paging_translate(current_space(), va + back, &t) == 0) {
					MUST_SUCCEED(paging_unmap(current_space(), va + back, PAGE_SIZE),
						     "map_fresh_frames: unmapping a page just mapped");
					MUST_SUCCEED(free_page(phys_to_page(t.pa)),
						     "map_fresh_frames: freeing a frame just allocated");
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
		err = check_map_phys(pa, size);
		if (!err)
			err = check_map_framebuffer(pa, size, flags);
		if (!err)
			err = check_aliases("map", va, size, pa, size, flags);
		if (err)
			return err;
		err = paging_map(current_space(), va, pa, size, flags);
	} else {
		if ((flags & MAP_EXEC) && !(flags & MAP_WRITE)) {
			kprintf("map: refusing x for fresh frames: the direct map keeps every RAM "
				"frame writable, and W^X holds across aliases (map x only a hole "
				"outside the direct map by PA)\n");
			return -EPERM;
		}
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
	remember_user_range(va, size);
	kprintf("mapped %lu KiB at 0x%lx%s:\n", size >> 10, va,
		have_pa ? "" : " (fresh zeroed frames)");
	paging_for_each_range(current_space(), va, va + size, print_range, NULL);
	return 0;
}

SHELL_COMMAND(map, SHELL_ARGS(2, 6), "map virtual memory: fresh frames, or a given physical range",
	      "usage: map VA SIZE [PA] [FLAGS]\n"
	      "  Maps SIZE bytes at virtual address VA in the current address space.\n"
	      "  With PA, to the physical range starting there, using the largest pages\n"
	      "  (1 GiB, 2 MiB, 4 KiB) that alignment and size allow; without PA, to\n"
	      "  freshly allocated zeroed frames (4 KiB pages), which unmap frees.\n"
	      "  FLAGS: any of r w x u g (read, write, execute, user, global) in one\n"
	      "  word, plus uc / wc / wt (uncached, write-combining, write-through).\n"
	      "  FLAGS replace the default rw: give w for a writable mapping (`map VA 4K g`\n"
	      "  is read-only). Never executable unless x is given, and never both w and\n"
	      "  x (W^X: the engine refuses writable and executable at once).\n"
	      "  Refused: the kernel image, the direct map, the vmalloc and lazy windows.\n"
	      "  PA must lie below the CPU's physical-address width, and must not be RAM\n"
	      "  the kernel owns: the kernel image, page tables, page descriptors, boot\n"
	      "  information, free frames and frames the kernel allocated are refused,\n"
	      "  naming the owner. Holes outside RAM (devices, firmware) and blocks from\n"
	      "  `alloc -p` can be mapped (the screen's video memory only with wc, as\n"
	      "  the kernel maps it). W^X holds across aliases too: x is refused\n"
	      "  for a frame mapped writable elsewhere (the direct map keeps all RAM and\n"
	      "  the first 4 GiB writable, so fresh frames never get x), w for a frame\n"
	      "  mapped executable elsewhere.\n"
	      "examples:\n"
	      "  map 0xffffc00000000000 16K                 four fresh zeroed frames, read-write\n"
	      "  map 0xffffc00040000000 4M 0xfe000000 r uc  two 2 MiB pages of the PCI hole\n"
	      "  unmap 0xffffc00000000000 16K               frees the four frames\n"
	      "  unmap 0xffffc00040000000 4M\n",
	      cmd_map);

static int cmd_unmap(int argc, char **argv)
{
	uint64_t va, size = PAGE_SIZE;

	if (parse_arg("unmap", "address", argv[1], &va) ||
	    (argc == 3 && parse_arg("unmap", "size", argv[2], &size)))
		return -EINVAL;
	if (check_shell_range("unmap", va, size))
		return -EINVAL;
	if (!anything_mapped(va, size)) {
		kprintf("unmap: nothing was mapped in 0x%lx-0x%lx; nothing to do\n", va,
			va + size - 1);
		return -ENOENT;
	}
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
			MUST_SUCCEED(free_page(phys_to_page(t.pa)),
				     "cmd_unmap: freeing a frame `map` allocated");
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

SHELL_COMMAND(unmap, SHELL_ARGS(1, 2), "remove mappings (and free frames `map` allocated)",
	      "usage: unmap VA [SIZE]\n"
	      "  Unmaps SIZE bytes (default 4 KiB) at VA; holes are skipped, a huge page\n"
	      "  partly inside is split first (which may need a free page for the new\n"
	      "  table), and page tables that become empty are freed. A range where\n"
	      "  nothing is mapped is reported. The kernel image, the direct map and the\n"
	      "  vmalloc and lazy windows cannot be unmapped.\n"
	      "examples:\n"
	      "  map 0xffffc00000000000 16K\n"
	      "  unmap 0xffffc00000000000 16K  frees the four frames map allocated\n",
	      cmd_unmap);

static int cmd_protect(int argc, char **argv)
{
	uint64_t va, size;
	unsigned flags = 0;

	if (parse_arg("protect", "address", argv[1], &va) ||
	    parse_arg("protect", "size", argv[2], &size))
		return -EINVAL;
	for (int i = 3; i < argc; i++)
		if (parse_flags("protect", argv[i], &flags))
			return -EINVAL;
	if (check_shell_range("protect", va, size))
		return -EINVAL;
	struct protect_alias_check aliases = {va, size, flags, 0};
	paging_for_each_range(current_space(), va, va + size, protect_check_run, &aliases);
	if (aliases.err)
		return aliases.err;
	int err = paging_protect(current_space(), va, size, flags);
	if (err)
		return report("protect", err);
	paging_for_each_range(current_space(), va, va + size, print_range, NULL);
	return 0;
}

SHELL_COMMAND(protect, SHELL_ARGS(3, SHELL_ARGS_ANY), "change the permissions of mapped pages",
	      "usage: protect VA SIZE FLAGS\n"
	      "  Gives every page of the range the permissions FLAGS (r w x u g, uc wc\n"
	      "  wt; see map), splitting huge pages only partly inside. Fails, changing\n"
	      "  nothing, if part of the range is not mapped, for w with x (W^X), for x\n"
	      "  on a frame mapped writable elsewhere (the direct map maps all RAM so)\n"
	      "  and for w on a frame mapped executable elsewhere (W^X across aliases).\n"
	      "  Refused like map: the kernel image, direct map, vmalloc and lazy windows.\n"
	      "examples:\n"
	      "  map 0xffffc00000000000 4K        read-write\n"
	      "  protect 0xffffc00000000000 4K r  read-only now\n"
	      "  touch 0xffffc00000000000 w       [refused] a write to a read-only page\n"
	      "  unmap 0xffffc00000000000\n",
	      cmd_protect);

static int cmd_translate(int argc, char **argv)
{
	uint64_t va;
	struct paging_translation t;
	char text[24];

	(void)argc;
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

SHELL_COMMAND(translate, SHELL_ARGS(1, 1), "virtual to physical address, with flags and page size",
	      "usage: translate VA\n"
	      "  Prints `0xVA -> 0xPA [flags] (4K|2M|1G page)` or `0xVA: not mapped`.\n"
	      "examples:\n"
	      "  translate 0xffff800000100000  1 MiB into the direct map of physical memory\n",
	      cmd_translate);

/*
 * The bits of entry e met at walk level `level` (0 PML4, 1 PDPT, 2 PD, 3 PT).
 * Bit 7 means two things (SDM Vol. 3A 4.5): PS (a 1 GiB or 2 MiB page) in
 * a PDPT or PD entry, but PAT (memory-type index bit 2) in a PT entry; a
 * large page keeps its PAT bit in bit 12 instead.
 */
static void print_entry_flags(pte_t e, int level)
{
	bool large = (level == 1 || level == 2) && (e & PTE_HUGE);
	bool pat = level == 3 ? e & PTE_PAT : large && (e & PTE_PAT_HUGE);

	kprintf("%s%s%s%s%s%s%s%s%s%s%s", e & PTE_PRESENT ? " P" : " -",
		e & PTE_WRITABLE ? " W" : "", e & PTE_USER ? " U" : "", e & PTE_PWT ? " PWT" : "",
		e & PTE_PCD ? " PCD" : "", e & PTE_ACCESSED ? " A" : "", e & PTE_DIRTY ? " D" : "",
		large ? " PS" : "", pat ? " PAT" : "", e & PTE_GLOBAL ? " G" : "",
		e & PTE_NX ? " NX" : "");
}

static int cmd_walk(int argc, char **argv)
{
	uint64_t va;
	struct paging_walk w;

	(void)argc;
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
		print_entry_flags(w.level[i].entry, i);
		kprintf("\n");
	}
	kprintf("  stopped: %s\n", w.stop);
	return 0;
}

SHELL_COMMAND(walk, SHELL_ARGS(1, 1), "show the page-table entries on the way to an address",
	      "usage: walk VA\n"
	      "  Walks the current page tables for VA: for each level (PML4, PDPT, PD,\n"
	      "  PT) the table's physical address, the index VA selects, the raw entry\n"
	      "  and its bits decoded, and why the walk stopped (a page, or an entry\n"
	      "  that is not present).\n"
	      "examples:\n"
	      "  walk 0xffff800000100000       the direct map: a 2 MiB or 1 GiB page\n"
	      "  map 0xffffc00000000000 4K wt  write-through: PAT and PWT in its PT entry\n"
	      "  walk 0xffffc00000000000\n"
	      "  unmap 0xffffc00000000000\n",
	      cmd_walk);

static int cmd_ptdump(int argc, char **argv)
{
	const struct paging_stats ps = paging_stats_total();
	uint64_t pid;

	if (argc == 2) {
		/* A process's user half: its space, held against its exit meanwhile. */
		int err = parse_u64_range(argv[1], 1, 0x7fffffff, &pid);
		struct process *p = err ? NULL : process_get((int)pid);
		if (!p) {
			kprintf(err ? "ptdump: bad pid '%s'\n" : "ptdump: pid %s not found: no such "
				"process (see `ps`)\n", argv[1]);
			return err ? err : -ESRCH;
		}
		struct user_space *us = process_space_begin(p);
		if (!us) {
			kprintf("ptdump: pid %d (%s) is a zombie: its address space is gone\n",
				p->pid, p->name);
		} else {
			kprintf("pid %d (%s): user half of the space at CR3 0x%lx (%lu page-table "
				"pages; the kernel half is shared, see `ptdump`):\n", p->pid, p->name,
				us->as.pml4, us->as.table_pages);
			paging_for_each_range(&us->as, 0, USER_HALF_END, print_range, NULL);
			process_space_end(p);
		}
		process_put(p);
		return 0;
	}
	kprintf("address space at CR3 0x%lx (%lu page-table pages):\n", current_space()->pml4,
		current_space()->table_pages);
	paging_for_each_range(current_space(), 0, USER_HALF_END, print_range, NULL);
	paging_for_each_range(current_space(), KERNEL_HALF_START, 0, print_range, NULL);
	kprintf("TLB since boot: %lu invlpg, %lu full flushes; %lu huge pages split; "
		"page-table pages allocated %lu, freed %lu\n", ps.invlpg, ps.full_flushes, ps.splits,
		ps.tables_allocated, ps.tables_freed);
	return 0;
}

SHELL_COMMAND(ptdump, SHELL_ARGS(0, 1),
	      "every mapping of the current address space (or a process's), merged into ranges",
	      "usage: ptdump [PID]\n"
	      "  One line per run of pages with the same flags and page size that map\n"
	      "  contiguous physical memory: virtual range, physical start, page size,\n"
	      "  flags (r w x u g; uc/wc/wt). Like Linux's ptdump. Then the engine's\n"
	      "  counters: TLB invalidations (invlpg, full flushes), splits, tables.\n"
	      "  With PID, the user half of process PID's space (see `ps`): the pages\n"
	      "  its faults mapped so far (file pages read-only and shared, copies).\n"
	      "examples:\n"
	      "  ptdump\n"
	      "  ptdump 9999       [refused] no such process\n",
	      cmd_ptdump);

/* Is [va, va + len) mapped with at least the given MAP_WRITE need? Says why not. */
static bool accessible(const char *cmd, virt_addr_t va, uint64_t len, bool write)
{
	if (!paging_canonical(va) || !paging_canonical(va + len - 1) || va + len < va) {
		kprintf("%s: 0x%lx is not canonical (bits 63-47 must all equal bit 47); the "
			"CPU would raise #GP\n", cmd, va);
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

/* Which way shell_copy goes. */
#define SHELL_COPY_READ 0u
#define SHELL_COPY_WRITE 1u

/*
 * Read len bytes at va into buf, or (SHELL_COPY_WRITE) store buf there: a
 * user-half address through copy_from_user/copy_to_user (SMAP is opened
 * only inside the copy routine, and a page no process may reach is
 * -EFAULT, said), a kernel address byte by byte.
 */
static int shell_copy(const char *cmd, virt_addr_t va, uint8_t *buf, uint64_t len,
		      unsigned direction)
{
	bool write = direction == SHELL_COPY_WRITE;

	if (va < USER_HALF_END) {
		int err = write ? copy_to_user(va, buf, len) : copy_from_user(buf, va, len);
		if (err)
			kprintf("%s: the user copy %s 0x%lx-0x%lx failed (%s): a page there is no "
				"process's to %s\n", cmd, write ? "to" : "of", va, va + len - 1,
				errno_name(err), write ? "write" : "read");
		return err;
	}
	volatile uint8_t *at = (volatile uint8_t *)(uintptr_t)va;
	for (uint64_t i = 0; i < len; i++) {
		if (write)
			at[i] = buf[i];
		else
			buf[i] = at[i];
	}
	return 0;
}

static int cmd_peek(int argc, char **argv)
{
	uint64_t va, len = 64;

	if (parse_arg("peek", "address", argv[1], &va) ||
	    (argc == 3 && parse_arg("peek", "length", argv[2], &len)))
		return -EINVAL;
	if (len == 0 || len > PEEK_MAX) {
		kprintf("peek: length must be 1..%d\n", PEEK_MAX);
		return -EINVAL;
	}
	if (!accessible("peek", va, len, false))
		return -EFAULT;
	uint8_t bytes[PEEK_MAX];
	int err = shell_copy("peek", va, bytes, len, SHELL_COPY_READ);
	if (err)
		return err;
	for (uint64_t row = 0; row < len; row += 16) {
		kprintf("%016lx:", va + row);
		for (uint64_t i = row; i < row + 16 && i < len; i++)
			kprintf(" %02x", bytes[i]);
		kprintf("\n");
	}
	return 0;
}

SHELL_COMMAND(peek, SHELL_ARGS(1, 2), "hexdump memory at a virtual address",
	      "usage: peek VA [LEN]\n"
	      "  Prints LEN bytes (default 64, at most 512) at VA as hex. Unmapped or\n"
	      "  non-canonical addresses are reported instead of touched. In the user half\n"
	      "  the bytes are read with copy_from_user, as a system call would.\n"
	      "examples:\n"
	      "  peek 0xffff800000100000 32  1 MiB into the direct map\n"
	      "  peek 0xffffc04000001000     [refused] nothing is mapped there on a fresh boot\n",
	      cmd_peek);

/*
 * May the shell store into [va, va + len)? Yes where each page is mapped
 * writable, or lies in a region of the current space whose write faults
 * the handler resolves (anonymous, stack or copy-on-write, and writable):
 * there the store faults and the handler maps a zeroed page or copies the
 * shared one, exactly as for any other store. Never into the kernel
 * image, the direct map or the vmalloc window. Says why not.
 */
static bool storable(const char *cmd, virt_addr_t va, uint64_t len)
{
	const struct region_set *regions = current_space()->regions;

	if (!paging_canonical(va) || !paging_canonical(va + len - 1) || va + len < va)
		return accessible(cmd, va, len, true); /* says "not canonical" */
	for (virt_addr_t p = ALIGN_DOWN(va, PAGE_SIZE); p < va + len; p += PAGE_SIZE) {
		virt_addr_t at = p < va ? va : p;
		const struct region *r = regions ? region_find(regions, p) : NULL;
		struct paging_translation t;
		bool mapped = paging_translate(current_space(), p, &t) == 0;
		bool resolvable = r && (r->prot & MAP_WRITE) &&
				  (r->kind == REGION_ANON || r->kind == REGION_STACK ||
				   r->kind == REGION_COW);

		if ((mapped && (t.flags & MAP_WRITE)) || resolvable)
			continue;
		if (!mapped)
			kprintf("%s: 0x%lx is not mapped (and no lazy region covers it); the CPU "
				"would raise a page fault\n", cmd, at);
		else
			kprintf("%s: 0x%lx is mapped read-only%s; a write would fault\n", cmd, at,
				r ? " in a region that does not allow writes" : "");
		return false;
	}
	/* Lazy regions are the fault handler's to fill; the rest of the kernel's is not ours. */
	const char *why = va >= ANON_WINDOW_START && va + len <= ANON_WINDOW_START + ANON_WINDOW_SIZE
				  ? NULL : protected_range(va, len);
	if (why) {
		kprintf("%s: refusing to write into %s\n", cmd, why);
		return false;
	}
	return true;
}

/* After a store: the faults it caused and what the handler made of them. */
static void print_faults_since(const struct fault_stats *before)
{
	const struct fault_stats now = fault_stats_total();
	uint64_t n = now.faults - before->faults;

	if (n == 0)
		return;
	kprintf("  %lu page fault(s) on the way: %lu demand-zero, %lu COW copy, %lu COW reuse\n",
		n, now.demand_zero - before->demand_zero, now.cow_copies - before->cow_copies,
		now.cow_reuses - before->cow_reuses);
}

static int cmd_poke(int argc, char **argv)
{
	uint64_t va, value;

	(void)argc;
	if (parse_arg("poke", "address", argv[1], &va) ||
	    parse_arg("poke", "value", argv[2], &value))
		return -EINVAL;
	if (!storable("poke", va, 8))
		return -EFAULT;
	struct fault_stats before = fault_stats_total();
	if (va < USER_HALF_END) {
		int err = shell_copy("poke", va, (uint8_t *)&value, sizeof(value), SHELL_COPY_WRITE);
		if (err)
			return err;
	} else {
		*(volatile uint64_t *)(uintptr_t)va = value; /* one store, as documented */
	}
	kprintf("0x%lx <- 0x%lx\n", va, value);
	print_faults_since(&before);
	return 0;
}

SHELL_COMMAND(poke, SHELL_ARGS(2, 2), "write a 64-bit value at a virtual address",
	      "usage: poke VA VALUE\n"
	      "  Writes VALUE as 8 bytes at VA, little-endian, as one store. VA must be\n"
	      "  mapped writable, or lie in a writable `lazy` region or COW twin: there\n"
	      "  the store faults and the page-fault handler maps a zeroed page or copies\n"
	      "  the shared one first, as for any store (the faults are counted). Refuses\n"
	      "  the kernel image, the direct map and the vmalloc window (that would\n"
	      "  corrupt the kernel); map a page first and poke that. In the user half\n"
	      "  the store is a copy_to_user, as a system call's.\n"
	      "examples:\n"
	      "  map 0xffffc00000000000 4K\n"
	      "  poke 0xffffc00000000000 0x1234\n"
	      "  peek 0xffffc00000000000 16      34 12 00 ...\n"
	      "  unmap 0xffffc00000000000\n"
	      "  lazy 16K                        on a fresh boot at 0xffffc04000001000\n"
	      "  poke 0xffffc04000001000 0x5678  the store faults the page in first\n"
	      "  free 0xffffc04000001000\n",
	      cmd_poke);

#define FILL_MAX (16ull << 20) /* one `fill`: at most 16 MiB */

static int cmd_fill(int argc, char **argv)
{
	uint64_t va, len, byte;

	(void)argc;
	if (parse_arg("fill", "address", argv[1], &va))
		return -EINVAL;
	int err = parse_u64_range(argv[2], 1, FILL_MAX, &len);
	if (err) {
		kprintf("fill: bad length '%s': %s (1 to 16M; K/M suffixes allowed)\n", argv[2],
			parse_error_text(err));
		return -EINVAL;
	}
	err = parse_u64_range(argv[3], 0, 0xff, &byte);
	if (err) {
		kprintf("fill: bad byte '%s': %s (0 to 0xff)\n", argv[3], parse_error_text(err));
		return -EINVAL;
	}
	if (!storable("fill", va, len))
		return -EFAULT;
	struct fault_stats before = fault_stats_total();
	uint8_t chunk[256];
	memset(chunk, (int)byte, sizeof(chunk));
	for (uint64_t done = 0; done < len; done += sizeof(chunk)) {
		err = shell_copy("fill", va + done, chunk, MIN(len - done, sizeof(chunk)),
				 SHELL_COPY_WRITE);
		if (err)
			return err;
	}
	kprintf("filled 0x%lx-0x%lx with 0x%02lx\n", va, va + len - 1, byte);
	print_faults_since(&before);
	return 0;
}

SHELL_COMMAND(fill, SHELL_ARGS(3, 3), "store a byte over a range, faulting pages in as any store would",
	      "usage: fill VA LEN BYTE\n"
	      "  Stores BYTE (0..0xff) into each of the LEN bytes from VA (LEN 1 to 16M;\n"
	      "  K/M suffixes allowed). Like poke, it writes what is mapped writable and\n"
	      "  what lies in a writable `lazy` region or COW twin, where each store that\n"
	      "  faults is resolved by the page-fault handler as for any store (a zeroed\n"
	      "  page, or a COW copy), then writes; it prints how many faults that took.\n"
	      "examples:\n"
	      "  lazy 16K                          on a fresh boot at 0xffffc04000001000\n"
	      "  fill 0xffffc04000001000 16K 0x5a  four demand-zero faults, then the stores\n"
	      "  peek 0xffffc04000004ff0 16        5a 5a ...\n"
	      "  free 0xffffc04000001000\n",
	      cmd_fill);
