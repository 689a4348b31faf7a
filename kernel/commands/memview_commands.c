/*
 * memview_commands.c - the `memview` command: a picture of physical
 * memory (kernel/memview/memview.h) on the serial console as a character
 * map, or on the screen as a panel kept up to date while it is on.
 *
 *   memview              the whole of RAM, one character per block of frames
 *   memview START SIZE   a zoom: [START, START + SIZE) in as much detail as fits
 *   memview on | off     the screen panel
 *   memview at PA        where PA is on the panel (cell, pixel, colour) and its kind
 *
 * Invariants:
 *   [x] every argument is checked before anything is drawn; a bad one gets
 *       a message naming it, and the usage where the shape was wrong.
 * Shell context: the shell's thread (the commands sleep).
 */
#include "kernel/memview/memview.h"
#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Parse a physical address or size argument; prints why not. */
static int memview_number(const char *what, const char *text, uint64_t *out)
{
	int err = parse_u64(text, out);

	if (err)
		kprintf("memview: bad %s '%s': %s\n", what, text, parse_error_text(err));
	return err;
}

static int memview_on(void)
{
	struct memview_panel_info info;
	char why[160] = "";
	int err = memview_panel_on(&info, why, sizeof(why));

	if (err == 0 || err == -EBUSY) {
		kprintf("memview: panel y=%u height=%u, cell %ux%u pixels, %lu frames per cell, "
			"%u columns x %u rows, redrawn every %d ms%s\n", info.y, info.height,
			info.cell_w, info.cell_h, info.frames_per_cell, info.cols, info.rows,
			MEMVIEW_REFRESH_MS, err ? " (it was on already)" : "");
		return 0;
	}
	if (err == -ENOMEM)
		kprintf("memview: out of memory for the panel\n");
	else
		kprintf("memview: cannot show the panel: %s\n", why);
	return err;
}

static int memview_off(void)
{
	uint64_t count, cycles;

	if (memview_panel_off(&count, &cycles) != 0) {
		kprintf("memview: the panel is not on\n");
		return 0;
	}
	kprintf("memview: panel off, its rows are the text console's again (%lu refreshes, "
		"the last in %lu cycles)\n", count, cycles);
	return 0;
}

static int memview_at_command(const char *text)
{
	struct memview_at at;
	uint64_t pa;
	int err = memview_number("physical address", text, &pa);

	if (err)
		return err;
	err = memview_at(pa, &at);
	if (err) {
		kprintf("memview: out of memory for the frame map\n");
		return err;
	}
	if (!at.on_panel) {
		kprintf("memview: 0x%lx is %s; %s\n", pa, at.frame_kind,
			memview_panel_is_on() ? "past the panel's frames (not RAM)"
					      : "the panel is off, so no cell or colour");
		return 0;
	}
	kprintf("memview: 0x%lx in cell (%u,%u) at pixel (%u,%u), colour #%06x, %s", pa, at.col,
		at.row, at.x, at.y, at.colour, at.cell_kind);
	if (strcmp(at.cell_kind, at.frame_kind) != 0)
		kprintf(" (most of its %lu frames; the frame itself: %s)", at.frames_per_cell,
			at.frame_kind);
	kprintf("\n");
	return 0;
}

static int memview_range(const char *start_text, const char *size_text)
{
	uint64_t start, size;

	if (memview_number("START", start_text, &start) || memview_number("SIZE", size_text, &size))
		return -EINVAL;
	if (size == 0) {
		kprintf("memview: SIZE must be at least one byte (e.g. memview 16M 8M)\n");
		return -EINVAL;
	}
	uint64_t end = start + size < start ? UINT64_MAX : start + size;
	int err = memview_print_map(start, end);
	if (err == -EINVAL)
		kprintf("memview: START 0x%lx is at or past the end of RAM\n", start);
	else if (err)
		kprintf("memview: out of memory for the frame map\n");
	return err;
}

static int cmd_memview(int argc, char **argv)
{
	if (argc == 1) {
		int err = memview_print_map(0, 0);
		if (err)
			kprintf("memview: out of memory for the frame map\n");
		return err;
	}
	const char *word = argv[1];
	bool is_word = strcmp(word, "on") == 0 || strcmp(word, "off") == 0;
	if (is_word && argc > 2) {
		kprintf("memview: '%s' takes no argument (got '%s')\n", word, argv[2]);
		return -EINVAL;
	}
	if (strcmp(word, "on") == 0)
		return memview_on();
	if (strcmp(word, "off") == 0)
		return memview_off();
	if (strcmp(word, "at") == 0) {
		if (argc != 3) {
			kprintf("memview: 'at' needs one physical address (memview at 0x1200000)\n");
			return -EINVAL;
		}
		return memview_at_command(argv[2]);
	}
	uint64_t unused;
	if (parse_u64(word, &unused) != 0) {
		kprintf("memview: unknown argument '%s' (on, off, at PA, or START SIZE)\n", word);
		shell_print_usage(shell_find("memview"));
		return -EINVAL;
	}
	if (argc != 3) {
		kprintf("memview: a range needs START and SIZE (memview 16M 8M)\n");
		return -EINVAL;
	}
	return memview_range(argv[1], argv[2]);
}

SHELL_COMMAND(memview, SHELL_ARGS(0, 2), "a picture of physical memory: what holds each frame",
	      "usage: memview | memview START SIZE | memview on | memview off | memview at PA\n"
	      "  memview             the whole of RAM on this console: one character per\n"
	      "                      block of frames (64 a line, at most 32 lines), each\n"
	      "                      the kind most of its frames are, with a legend:\n"
	      "                      0-9,A free by block order, K kernel, D page\n"
	      "                      descriptors, P page tables, S slab, V vmalloc, T\n"
	      "                      kernel stacks, # other allocations, a-z processes\n"
	      "  memview START SIZE  the same for [START, START+SIZE), zoomed in\n"
	      "  memview on          a panel at the bottom of the screen, one colour per\n"
	      "                      cell of frames, redrawn every 100 ms\n"
	      "  memview off         remove the panel\n"
	      "  memview at PA       where physical address PA is on the panel: cell,\n"
	      "                      pixel, colour and kind (panel off: its kind)\n"
	      "examples:\n"
	      "  memview                 alloc -p 9 and look again: 16 characters of #\n"
	      "  memview 16M 8M          8 MiB from 16 MiB, one character per 16 KiB\n"
	      "  memview at 0x1200000\n",
	      cmd_memview);
