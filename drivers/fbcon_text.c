/*
 * fbcon_text.c - the shadow grid and the VT100 subset (see fbcon_text.h).
 *
 * One byte at a time through a three-state parser (ground, after ESC,
 * inside ESC [). Printing stores a cell and moves the cursor; line feed at
 * the bottom row scrolls the grid one row up (a memmove of the cells: the
 * drawer compares cells, never reads video memory). Parameters are kept
 * as saturating numbers, so no input can overflow or loop.
 *
 * Invariants:
 *   [x] the cursor is clamped after every operation that moves it;
 *   [x] a row is marked dirty whenever one of its cells is written.
 * Context: any; the caller serializes. Pure: no globals written.
 */
#include "drivers/fbcon_text.h"

#include "lib/string.h"

#define ASCII_BEL 0x07
#define ASCII_BS 0x08
#define ASCII_TAB 0x09
#define ASCII_LF 0x0a
#define ASCII_VT 0x0b
#define ASCII_FF 0x0c
#define ASCII_CR 0x0d
#define ASCII_CAN 0x18
#define ASCII_SUB 0x1a
#define ASCII_ESC 0x1b
#define ASCII_DEL 0x7f
#define TAB_WIDTH 8

/* The VGA text mode's palette: black, blue, green, cyan, red, magenta, brown, light grey, then bright. */
const uint32_t fbcon_palette[16] = {
	0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa,
	0x555555, 0x5555ff, 0x55ff55, 0x55ffff, 0xff5555, 0xff55ff, 0xffff55, 0xffffff,
};

/* ANSI colour numbers (30 + n) are red-green-blue bits; VGA's are blue-green-red. */
static const uint8_t ansi_to_vga[8] = {0, 4, 2, 6, 1, 5, 3, 7};

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

fbcon_cell_t fbcon_text_attr_cell(const struct fbcon_text *t, unsigned char ch)
{
	unsigned fg = t->fg, bg = t->bg;

	if (t->bold && fg < 8)
		fg += 8;
	if (t->reverse) {
		unsigned x = fg;
		fg = bg;
		bg = x;
	}
	return FBCON_CELL(ch, fg, bg);
}

/* Blank cells [from, to) of row r in the current background. */
static void text_erase(struct fbcon_text *t, unsigned r, unsigned from, unsigned to)
{
	fbcon_cell_t blank = fbcon_text_attr_cell(t, ' ');
	fbcon_cell_t *row = &t->cells[r * t->cols];

	for (unsigned c = from; c < to && c < t->cols; c++)
		row[c] = blank;
	t->row_dirty[r] = 1;
}

static void text_scroll_up(struct fbcon_text *t)
{
	memmove(&t->cells[0], &t->cells[t->cols], (size_t)(t->rows - 1) * t->cols * sizeof(t->cells[0]));
	for (unsigned r = 0; r + 1 < t->rows; r++)
		t->row_dirty[r] = 1;
	text_erase(t, t->rows - 1, 0, t->cols);
	t->scrolls++;
}

static void text_line_feed(struct fbcon_text *t)
{
	t->wrap_pending = false;
	if (t->cy + 1 < t->rows)
		t->cy++;
	else
		text_scroll_up(t);
}

void fbcon_text_reset_state(struct fbcon_text *t)
{
	t->state = FBCON_GROUND;
	t->fg = FBCON_DEFAULT_FG;
	t->bg = FBCON_DEFAULT_BG;
	t->bold = t->reverse = false;
	t->nparams = 0;
}

void fbcon_text_init(struct fbcon_text *t, unsigned cols, unsigned rows)
{
	t->cols = clamp(cols, 1, FBCON_TEXT_MAX_COLS);
	t->max_rows = t->rows = clamp(rows, 1, FBCON_TEXT_MAX_ROWS);
	fbcon_text_reset_state(t);
	t->cx = t->cy = t->saved_cx = t->saved_cy = 0;
	t->wrap_pending = false;
	t->scrolls = 0;
	for (unsigned r = 0; r < t->rows; r++)
		text_erase(t, r, 0, t->cols);
}

void fbcon_text_set_rows(struct fbcon_text *t, unsigned rows)
{
	rows = clamp(rows, 1, t->max_rows);
	while (t->cy >= rows) { /* the old grid scrolls until the cursor's row fits */
		text_scroll_up(t);
		t->cy--;
	}
	unsigned old = t->rows;
	t->rows = rows;
	for (unsigned r = 0; r < rows; r++) {
		if (r >= old) /* rows that come back start blank */
			text_erase(t, r, 0, t->cols);
		t->row_dirty[r] = 1;
	}
	t->saved_cy = clamp(t->saved_cy, 0, rows - 1);
}

static void text_put(struct fbcon_text *t, unsigned char ch)
{
	if (t->wrap_pending) {
		t->cx = 0;
		text_line_feed(t);
	}
	t->cells[t->cy * t->cols + t->cx] = fbcon_text_attr_cell(t, ch);
	t->row_dirty[t->cy] = 1;
	if (t->cx + 1 < t->cols)
		t->cx++;
	else
		t->wrap_pending = true;
}

static void text_backspace(struct fbcon_text *t)
{
	if (t->wrap_pending) {
		t->wrap_pending = false; /* back onto the last column's character */
	} else if (t->cx > 0) {
		t->cx--;
	} else if (t->cy > 0) {
		t->cy--;                 /* reverse wraparound */
		t->cx = t->cols - 1;
	}
}

static void text_control(struct fbcon_text *t, unsigned char ch)
{
	switch (ch) {
	case ASCII_LF:
	case ASCII_VT:
	case ASCII_FF:
		t->cx = 0; /* the kernel's "\n" is a new line (the serial driver sends CR LF) */
		text_line_feed(t);
		break;
	case ASCII_CR:
		t->cx = 0;
		t->wrap_pending = false;
		break;
	case ASCII_BS:
		text_backspace(t);
		break;
	case ASCII_TAB:
		if (t->wrap_pending)
			break;
		t->cx = clamp((t->cx / TAB_WIDTH + 1) * TAB_WIDTH, 0, t->cols - 1);
		break;
	default: /* BEL and the rest: nothing to show */
		break;
	}
}

/* Parameter i of the sequence, or def when absent or 0 (VT100: 0 means the default). */
static unsigned param(const struct fbcon_text *t, unsigned i, unsigned def)
{
	return i < t->nparams && t->params[i] != 0 ? t->params[i] : def;
}

static void text_sgr(struct fbcon_text *t)
{
	unsigned n = t->nparams ? t->nparams : 1; /* ESC [ m is ESC [ 0 m */

	for (unsigned i = 0; i < n && i < FBCON_TEXT_MAX_PARAMS; i++) {
		unsigned p = i < t->nparams ? t->params[i] : 0;
		if (p == 0) {
			t->fg = FBCON_DEFAULT_FG;
			t->bg = FBCON_DEFAULT_BG;
			t->bold = t->reverse = false;
		} else if (p == 1) {
			t->bold = true;
		} else if (p == 22) {
			t->bold = false;
		} else if (p == 7) {
			t->reverse = true;
		} else if (p == 27) {
			t->reverse = false;
		} else if (p >= 30 && p <= 37) {
			t->fg = ansi_to_vga[p - 30];
		} else if (p == 39) {
			t->fg = FBCON_DEFAULT_FG;
		} else if (p >= 40 && p <= 47) {
			t->bg = ansi_to_vga[p - 40];
		} else if (p == 49) {
			t->bg = FBCON_DEFAULT_BG;
		} else if (p >= 90 && p <= 97) {
			t->fg = ansi_to_vga[p - 90] + 8;
		} else if (p >= 100 && p <= 107) {
			t->bg = ansi_to_vga[p - 100] + 8;
		} /* others (underline, blink, 256 colours): ignored */
	}
}

/* The final byte of ESC [ ... : act on it. */
static void text_csi(struct fbcon_text *t, unsigned char final)
{
	unsigned n = param(t, 0, 1);
	unsigned last_col = t->cols - 1, last_row = t->rows - 1;

	if (t->csi_private)
		return; /* ESC [ ? 25 l and friends: not ours */
	if (final != 'm')
		t->wrap_pending = false;
	switch (final) {
	case 'A':
		t->cy = t->cy > n ? t->cy - n : 0;
		break;
	case 'B':
		t->cy = clamp(t->cy + clamp(n, 0, last_row), 0, last_row);
		break;
	case 'C':
		t->cx = clamp(t->cx + clamp(n, 0, last_col), 0, last_col);
		break;
	case 'D':
		t->cx = t->cx > n ? t->cx - n : 0;
		break;
	case 'G':
		t->cx = clamp(n - 1, 0, last_col);
		break;
	case 'H':
	case 'f':
		t->cy = clamp(param(t, 0, 1) - 1, 0, last_row);
		t->cx = clamp(param(t, 1, 1) - 1, 0, last_col);
		break;
	case 'J': {
		unsigned mode = t->nparams ? t->params[0] : 0;
		if (mode == 0) {
			text_erase(t, t->cy, t->cx, t->cols);
			for (unsigned r = t->cy + 1; r < t->rows; r++)
				text_erase(t, r, 0, t->cols);
		} else if (mode == 1) {
			for (unsigned r = 0; r < t->cy; r++)
				text_erase(t, r, 0, t->cols);
			text_erase(t, t->cy, 0, t->cx + 1);
		} else if (mode == 2 || mode == 3) {
			for (unsigned r = 0; r < t->rows; r++)
				text_erase(t, r, 0, t->cols);
		}
		break;
	}
	case 'K': {
		unsigned mode = t->nparams ? t->params[0] : 0;
		if (mode == 0)
			text_erase(t, t->cy, t->cx, t->cols);
		else if (mode == 1)
			text_erase(t, t->cy, 0, t->cx + 1);
		else if (mode == 2)
			text_erase(t, t->cy, 0, t->cols);
		break;
	}
	case 'm':
		text_sgr(t);
		break;
	case 's':
		t->saved_cx = t->cx;
		t->saved_cy = t->cy;
		break;
	case 'u':
		t->cx = clamp(t->saved_cx, 0, last_col);
		t->cy = clamp(t->saved_cy, 0, last_row);
		break;
	default: /* anything else: consumed, ignored */
		break;
	}
}

static void text_escape(struct fbcon_text *t, unsigned char ch)
{
	t->state = FBCON_GROUND;
	switch (ch) {
	case '[':
		t->state = FBCON_CSI;
		t->nparams = 0;
		t->csi_private = false;
		break;
	case '7':
		t->saved_cx = t->cx;
		t->saved_cy = t->cy;
		break;
	case '8':
		t->cx = clamp(t->saved_cx, 0, t->cols - 1);
		t->cy = clamp(t->saved_cy, 0, t->rows - 1);
		t->wrap_pending = false;
		break;
	case 'c': /* full reset (the grid keeps its size) */
		fbcon_text_reset_state(t);
		for (unsigned r = 0; r < t->rows; r++)
			text_erase(t, r, 0, t->cols);
		t->cx = t->cy = 0;
		t->wrap_pending = false;
		break;
	default: /* ESC x: dropped */
		break;
	}
}

static void text_csi_byte(struct fbcon_text *t, unsigned char ch)
{
	if (ch >= '0' && ch <= '9') {
		if (t->nparams == 0)
			t->params[t->nparams++] = 0;
		if (t->nparams <= FBCON_TEXT_MAX_PARAMS) {
			unsigned *p = &t->params[t->nparams - 1];
			*p = *p * 10 + (ch - '0');
			if (*p > FBCON_TEXT_PARAM_MAX)
				*p = FBCON_TEXT_PARAM_MAX;
		}
	} else if (ch == ';') {
		if (t->nparams == 0)
			t->params[t->nparams++] = 0; /* ";5" : an empty first parameter */
		if (t->nparams < FBCON_TEXT_MAX_PARAMS)
			t->params[t->nparams] = 0;
		if (t->nparams <= FBCON_TEXT_MAX_PARAMS)
			t->nparams++;
	} else if (ch >= 0x3c && ch <= 0x3f) {
		t->csi_private = true; /* '<', '=', '>', '?' */
	} else if (ch >= 0x40 && ch <= 0x7e) {
		if (t->nparams > FBCON_TEXT_MAX_PARAMS)
			t->nparams = FBCON_TEXT_MAX_PARAMS;
		t->state = FBCON_GROUND;
		text_csi(t, ch);
	} /* intermediates (0x20-0x2f) and anything else: skipped */
}

static void text_byte(struct fbcon_text *t, unsigned char ch)
{
	if (ch == ASCII_ESC) {
		t->state = FBCON_ESCAPE; /* also restarts a sequence in progress */
		return;
	}
	if (ch == ASCII_CAN || ch == ASCII_SUB) {
		t->state = FBCON_GROUND;
		return;
	}
	if (ch < 0x20) {
		text_control(t, ch); /* even inside a sequence, as a VT100 does */
		return;
	}
	switch (t->state) {
	case FBCON_ESCAPE:
		text_escape(t, ch);
		return;
	case FBCON_CSI:
		text_csi_byte(t, ch);
		return;
	case FBCON_GROUND:
		break;
	}
	if (ch == ASCII_DEL)
		return;
	text_put(t, ch); /* bytes >= 0x80 show the font's replacement glyph */
}

void fbcon_text_write(struct fbcon_text *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		text_byte(t, (unsigned char)s[i]);
}
