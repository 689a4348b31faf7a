/*
 * memview.c - the pictures of physical memory (contracts in memview.h):
 * classification of every frame into one kept frame map, the serial map,
 * and the screen panel with its refresh thread.
 *
 * One refresh = classify (mm/frame_kind.c: the kernel's records and
 * vmalloc's pages, then each process's user pages, one process at a time
 * under its space mutex) + draw. Drawing compares each cell's paint with
 * the one drawn last (the shadow, one byte per cell) and fills only the
 * runs of cells that changed, so a quiet machine costs the classification
 * and a scan, not a screenful of pixels.
 *
 * Invariants:
 *   [x] the frame map, the process slots, the shadow and the panel's state
 *       change only under memview_lock;
 *   [x] the refresh thread exists exactly while the panel is on (it is
 *       joined before the rows are given back);
 *   [x] nothing is drawn outside [panel_y, fb_height()).
 * Context: process context, interrupts on; sleeps.
 * Lock order: memview_lock -> a process's space mutex -> its page-table
 * lock; vmalloc's lock alone (frame_kind.c).
 */
#include "kernel/memview/memview.h"

#include "drivers/fbcon.h"
#include "drivers/framebuffer.h"
#include "kernel/bootinfo.h"
#include "kernel/memview/memview_map.h"
#include "kernel/proc/process.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/schedule.h"
#include "kernel/sched/thread.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/frame_kind.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"

#define TEXT_COLOUR 0xaaaaaa   /* the console's default text colour */
#define RULE_COLOUR 0x808080   /* the line at the panel's top */
#define ZONE_COLOUR 0xffffff   /* the lines between zones */
#define PANEL_SHARE 3          /* the panel takes at most 1/PANEL_SHARE of the screen */

_Static_assert(MEMVIEW_PROC_NAME <= PROCESS_NAME_MAX, "a process name is copied whole or cut");

static struct mutex memview_lock = MUTEX_INIT(memview_lock, "memview");
static struct frame_map fmap;          /* kinds vmalloc'ed at first use, kept */
static struct memview_procs procs;     /* the map's user slots */
static uint64_t classify_cycles;       /* the last classification's cycles */

/* The panel (memview_lock). */
static bool panel_on;                 /* __atomic outside the lock (memview_panel_is_on) */
static struct memview_panel panel;
static uint32_t panel_y;               /* the panel's top row on the screen */
static uint8_t *shadow;                /* the paint drawn in each cell (cols * rows) */
static int drawn_pids[FRAME_USER_SLOTS + 1]; /* the processes' line as drawn (0-terminated) */
static char drawn_names[FRAME_USER_SLOTS][MEMVIEW_PROC_NAME]; /* ... and their names */
static uint64_t refreshes, refresh_cycles; /* refreshes since `on`, the last one's cycles */
static struct thread *refresh_thread;
static bool refresh_stop;              /* __atomic: the thread leaves at its next wake */

/* One process's user pages into the map (process_for_each: p is referenced). */
static void add_process(struct process *p, void *arg)
{
	(void)arg;
	if (procs.count >= FRAME_USER_SLOTS)
		return;
	struct user_space *us = process_space_begin(p);
	if (!us)
		return; /* a zombie: no pages */
	unsigned slot = procs.count++;
	procs.proc[slot].pid = p->pid;
	/* Bounded: an execve may be rewriting the name meanwhile (no lock guards it). */
	memcpy(procs.proc[slot].name, p->name, MEMVIEW_PROC_NAME - 1);
	procs.proc[slot].name[MEMVIEW_PROC_NAME - 1] = '\0';
	procs.pages[slot] = frame_map_add_user(&fmap, &us->as, slot);
	process_space_end(p);
}

/* Classify every frame into fmap (allocating it the first time). memview_lock held. */
static int classify(void)
{
	uint64_t pfns = frame_map_ram_pfns();

	if (!fmap.kinds) {
		fmap.kinds = vmalloc(pfns);
		if (!fmap.kinds)
			return -ENOMEM;
		fmap.capacity = pfns;
	}
	uint64_t t0 = arch_cycles();
	int err = frame_map_classify(&fmap, &pmm_map);
	if (err)
		return err; /* RAM does not grow after boot: cannot happen */
	procs.count = 0;
	process_for_each(add_process, NULL);
	classify_cycles = arch_cycles() - t0;
	return 0;
}

/* kprintf each line of the serial map. */
static void print_line(const char *line, void *arg)
{
	(void)arg;
	kprintf("%s\n", line);
}

int memview_print_map(phys_addr_t start, phys_addr_t end)
{
	struct memview_text_layout layout;

	mutex_lock(&memview_lock);
	int err = classify();
	if (err)
		goto out;
	uint64_t start_pfn = start >> PAGE_SHIFT;
	uint64_t end_pfn = end ? (end >> PAGE_SHIFT) + ((end & (PAGE_SIZE - 1)) != 0) : fmap.pfns;
	if (end_pfn > fmap.pfns)
		end_pfn = fmap.pfns;
	if (start_pfn >= end_pfn) {
		err = -EINVAL;
		goto out;
	}
	memview_text_layout(start_pfn, end_pfn, &layout);
	memview_text_render(&fmap, &procs, &layout, print_line, NULL);
	kprintf("classified %lu frames in %lu cycles (%lu processes walked)\n", fmap.pfns,
		classify_cycles, (uint64_t)procs.count);
out:
	mutex_unlock(&memview_lock);
	return err;
}

/* ---- the panel ----------------------------------------------------------- */

/* Draw one legend item at panel-relative line `line`, x. */
static void draw_item(const struct memview_legend_item *it)
{
	uint32_t y = panel_y + MEMVIEW_LEGEND_TOP + it->line * MEMVIEW_GLYPH_H;
	uint32_t x = it->x;

	if (it->kind == -1) {
		for (unsigned k = 0; k <= MAX_ORDER; k++)
			fb_fill_rect(x + 4 * k, y + 2, 4, 12, memview_paint_colour(FRAME_FREE + k));
		x += (MAX_ORDER + 1) * 4 + 4;
	} else if (it->kind >= 0) {
		fb_fill_rect(x, y + 2, 12, 12, memview_paint_colour((uint8_t)it->kind));
		x += 16;
	}
	fb_draw_text(x, y, it->text, TEXT_COLOUR, 0);
}

/* The slots in the order the processes' line lists them: most pages first, then by age. */
static unsigned processes_in_order(unsigned order[FRAME_USER_SLOTS])
{
	for (unsigned i = 0; i < procs.count; i++) {
		unsigned j = i;
		for (; j > 0 && procs.pages[order[j - 1]] < procs.pages[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	return procs.count;
}

/* The processes' line, the largest first: redrawn when its list or a name changed. */
static void draw_processes(bool full)
{
	uint32_t y = panel_y + MEMVIEW_LEGEND_TOP + (panel.legend_lines - 1) * MEMVIEW_GLYPH_H;
	unsigned order[FRAME_USER_SLOTS];
	unsigned count = processes_in_order(order), i;

	for (i = 0; i < count && drawn_pids[i] == procs.proc[order[i]].pid &&
		    strcmp(drawn_names[i], procs.proc[order[i]].name) == 0; i++)
		; /* an exec keeps the pid and changes the name */
	if (!full && i == count && drawn_pids[i] == 0)
		return;
	fb_fill_rect(0, y, panel.width, MEMVIEW_GLYPH_H, 0);
	fb_draw_text(0, y, "processes:", TEXT_COLOUR, 0);
	uint32_t x = 11 * MEMVIEW_GLYPH_W;
	for (i = 0; i < count; i++) {
		unsigned slot = order[i];
		char words[32];
		int n = ksnprintf(words, sizeof(words), "%d %s", procs.proc[slot].pid,
				  procs.proc[slot].name);
		uint32_t w = 16 + (uint32_t)n * MEMVIEW_GLYPH_W;
		if (x + w > panel.width) {
			fb_draw_text(x, y, "...", TEXT_COLOUR, 0);
			break;
		}
		fb_fill_rect(x, y + 2, 12, 12,
			     memview_paint_colour(memview_paint(FRAME_USER + slot, &procs)));
		fb_draw_text(x + 16, y, words, TEXT_COLOUR, 0);
		x += w + 2 * MEMVIEW_GLYPH_W;
	}
	for (i = 0; i < count; i++) {
		drawn_pids[i] = procs.proc[order[i]].pid;
		strlcpy(drawn_names[i], procs.proc[order[i]].name, sizeof(drawn_names[i]));
	}
	drawn_pids[i] = 0;
}

/* The frame, legend and zone lines: what does not change while the panel is on. */
static void draw_static(void)
{
	fb_fill_rect(0, panel_y, panel.width, fb_height() - panel_y, 0);
	fb_fill_rect(0, panel_y, panel.width, 1, RULE_COLOUR);
	for (unsigned i = 0; i < MEMVIEW_LEGEND_ITEMS; i++)
		draw_item(&panel.legend[i]);
	for (unsigned s = 1; s < panel.sections; s++)
		fb_fill_rect(0, panel_y + panel.section[s].top - 2, panel.width, 1, ZONE_COLOUR);
	memset(shadow, 0xff, (size_t)panel.cols * panel.rows); /* no cell drawn yet */
}

/* The paint of the cell whose frames start at pfn (its section ends at end). */
static inline uint8_t cell_paint(uint64_t pfn, uint64_t end, uint64_t fpc, const uint8_t *paint_of)
{
	if (fpc == 1)
		return paint_of[fmap.kinds[pfn]];
	return paint_of[frame_map_summary(&fmap, pfn, end - pfn < fpc ? end - pfn : fpc)];
}

/*
 * Fill the cells whose paint changed, a run of equal paints at a time. A
 * cell that did not change costs a table load and a compare (one frame per
 * cell), so an idle refresh is mostly the classification.
 */
static void draw_cells(void)
{
	const uint64_t fpc = panel.frames_per_cell;
	uint8_t paint_of[FRAME_KIND_COUNT];

	for (unsigned k = 0; k < FRAME_KIND_COUNT; k++)
		paint_of[k] = memview_paint(k, &procs);
	for (unsigned s = 0; s < panel.sections; s++) {
		const struct memview_section *sec = &panel.section[s];
		for (uint32_t r = 0; r < sec->rows; r++) {
			uint64_t first = sec->start_pfn + (uint64_t)r * panel.cols * fpc;
			uint64_t left = (sec->end_pfn - first + fpc - 1) / fpc;
			uint32_t cells = left < panel.cols ? (uint32_t)left : panel.cols;
			uint32_t y = panel_y + sec->top + r * panel.cell_h;
			uint8_t *drawn = &shadow[(size_t)(sec->row0 + r) * panel.cols];
			for (uint32_t c = 0; c < cells;) {
				if (fpc == 1) { /* the common case: skip the unchanged cells fast */
					const uint8_t *kinds = fmap.kinds + first;
					while (c < cells && paint_of[kinds[c]] == drawn[c])
						c++;
					if (c == cells)
						break;
				}
				uint8_t paint = cell_paint(first + c * fpc, sec->end_pfn, fpc, paint_of);
				if (paint == drawn[c]) {
					c++;
					continue;
				}
				uint32_t start = c;
				do
					drawn[c++] = paint;
				while (c < cells && drawn[c] != paint &&
				       cell_paint(first + c * fpc, sec->end_pfn, fpc, paint_of) == paint);
				fb_fill_rect(start * panel.cell_w, y, (c - start) * panel.cell_w,
					     panel.cell_h, memview_paint_colour(paint));
			}
		}
	}
}

/* Classify and bring the panel up to date. memview_lock held, panel on. */
static int refresh(bool full)
{
	uint64_t t0 = arch_cycles();
	int err = classify();

	if (err)
		return err;
	if (full)
		draw_static();
	draw_processes(full);
	draw_cells();
	refreshes++;
	refresh_cycles = arch_cycles() - t0;
	return 0;
}

/*
 * The refresh thread: a refresh every MEMVIEW_REFRESH_MS, or, when one
 * takes longer than a MEMVIEW_MAX_SHARE-th of that (many GiB of RAM), a
 * pause of MEMVIEW_MAX_SHARE times its length, so the picture never takes
 * more than that share of a CPU.
 */
static void refresh_main(void *arg)
{
	uint64_t pause_ms = MEMVIEW_REFRESH_MS;

	(void)arg;
	while (!__atomic_load_n(&refresh_stop, __ATOMIC_ACQUIRE)) {
		thread_sleep_ms(pause_ms);
		mutex_lock(&memview_lock);
		if (panel_on && !__atomic_load_n(&refresh_stop, __ATOMIC_ACQUIRE))
			(void)refresh(false); /* -ENOMEM: try again next time */
		uint64_t took_ms = timer_tsc_to_us(refresh_cycles) / 1000;
		mutex_unlock(&memview_lock);
		pause_ms = took_ms * MEMVIEW_MAX_SHARE > MEMVIEW_REFRESH_MS
				   ? took_ms * MEMVIEW_MAX_SHARE : MEMVIEW_REFRESH_MS;
	}
}

static void fill_info(struct memview_panel_info *out)
{
	*out = (struct memview_panel_info){panel_y, fb_height() - panel_y, panel.cell_w,
					   panel.cell_h,
					   panel.frames_per_cell, panel.cols, panel.rows,
					   panel.legend_lines};
}

/* Why there is no panel, in a sentence (no screen console). */
static void no_screen_reason(char *why, size_t size)
{
	if (bootinfo_cmdline_has(&boot_info, "console=serial"))
		strlcpy(why, "the screen console is off (the kernel command line says "
			"console=serial); `memview` prints the map here instead", size);
	else if (!fb_ready())
		strlcpy(why, "there is no screen (the boot loader gave no framebuffer); "
			"`memview` prints the map here instead", size);
	else
		strlcpy(why, "the screen console is not running; `memview` prints the map "
			"here instead", size);
}

int memview_panel_on(struct memview_panel_info *out, char *why, size_t why_size)
{
	int err = 0;

	mutex_lock(&memview_lock);
	if (panel_on) {
		fill_info(out);
		err = -EBUSY;
		goto out;
	}
	if (!fb_ready() || !fbcon_active()) {
		no_screen_reason(why, why_size);
		err = -ENODEV;
		goto out;
	}
	err = classify();
	if (err)
		goto out;
	err = memview_panel_layout(&panel, fb_width(), fb_height() / PANEL_SHARE, &fmap);
	if (err) {
		strlcpy(why, "the screen is too small for the panel", why_size);
		err = -ENOSPC;
		goto out;
	}
	shadow = vmalloc((size_t)panel.cols * panel.rows);
	if (!shadow) {
		err = -ENOMEM;
		goto out;
	}
	int y = fbcon_reserve_bottom(panel.height);
	if (y < 0) {
		if (y == -ENODEV)
			no_screen_reason(why, why_size);
		else
			strlcpy(why, "the text console cannot spare the rows", why_size);
		err = y == -ENODEV ? -ENODEV : -ENOSPC;
		goto free_shadow;
	}
	panel_y = (uint32_t)y;
	__atomic_store_n(&panel_on, true, __ATOMIC_RELEASE);
	memset(drawn_pids, 0, sizeof(drawn_pids));
	refreshes = 0;
	err = refresh(true);
	if (err)
		goto give_back;
	__atomic_store_n(&refresh_stop, false, __ATOMIC_RELEASE);
	/* Above the shell: the picture keeps moving while a command computes
	 * (`exhaust`); refresh_main bounds its share of the CPU. */
	refresh_thread = thread_create(refresh_main, NULL, "memview",
				       THREAD_PRIO(THREAD_PRIO_SHELL + 1));
	if (!refresh_thread) {
		err = -ENOMEM;
		goto give_back;
	}
	fill_info(out);
	goto out;
give_back:
	__atomic_store_n(&panel_on, false, __ATOMIC_RELEASE);
	fb_fill_rect(0, panel_y, panel.width, fb_height() - panel_y, 0);
	(void)fbcon_reserve_bottom(0);
free_shadow:
	MUST_SUCCEED(vfree(shadow), "memview: the panel's shadow was vmalloc'ed here");
	shadow = NULL;
out:
	mutex_unlock(&memview_lock);
	return err;
}

int memview_panel_off(uint64_t *count, uint64_t *last_cycles)
{
	mutex_lock(&memview_lock);
	*count = refreshes;
	*last_cycles = refresh_cycles;
	if (!panel_on) {
		mutex_unlock(&memview_lock);
		return -ENOENT;
	}
	__atomic_store_n(&refresh_stop, true, __ATOMIC_RELEASE);
	struct thread *t = refresh_thread;
	refresh_thread = NULL;
	mutex_unlock(&memview_lock); /* the thread may be waiting for it */
	MUST_SUCCEED(thread_join(t), "memview: the refresh thread is joinable and not the caller");

	mutex_lock(&memview_lock);
	fb_fill_rect(0, panel_y, panel.width, fb_height() - panel_y, 0);
	(void)fbcon_reserve_bottom(0);
	__atomic_store_n(&panel_on, false, __ATOMIC_RELEASE);
	MUST_SUCCEED(vfree(shadow), "memview: the panel's shadow was vmalloc'ed here");
	shadow = NULL;
	mutex_unlock(&memview_lock);
	return 0;
}

bool memview_panel_is_on(void)
{
	return __atomic_load_n(&panel_on, __ATOMIC_ACQUIRE);
}

int memview_at(phys_addr_t pa, struct memview_at *out)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	memset(out, 0, sizeof(*out));
	mutex_lock(&memview_lock);
	int err = panel_on ? refresh(false) : classify();
	if (err)
		goto out;
	memview_kind_text(frame_map_kind(&fmap, pfn), &procs, out->frame_kind,
			  sizeof(out->frame_kind));
	strlcpy(out->cell_kind, out->frame_kind, sizeof(out->cell_kind));
	out->frames_per_cell = 1;
	uint64_t first, count;
	if (panel_on && memview_panel_cell(&panel, pfn, &out->col, &out->row, &out->x, &out->y) &&
	    memview_panel_cell_frames(&panel, out->col, out->row, &first, &count)) {
		unsigned k = frame_map_summary(&fmap, first, count);
		out->on_panel = true;
		out->y += panel_y;
		out->colour = memview_paint_colour(memview_paint(k, &procs));
		out->frames_per_cell = panel.frames_per_cell;
		memview_kind_text(k, &procs, out->cell_kind, sizeof(out->cell_kind));
	}
out:
	mutex_unlock(&memview_lock);
	return err;
}
