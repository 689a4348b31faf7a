/*
 * fbcon_text.h - the text console's shadow grid and its VT100 subset:
 * pure state, no pixels (drivers/fbcon.c draws it), built on the host too.
 *
 * The grid is cols x rows cells, each a character and two colours from the
 * 16-colour VGA palette (FBCON_CELL packs them into 16 bits). Writing bytes
 * moves a cursor over it as a terminal would for the part of a VT100 the
 * kernel's output uses:
 *   "\n" (as CR LF: the serial line's onlcr), "\r", "\b", "\t", "\a";
 *   ESC [ n A/B/C/D/G cursor moves, ESC [ r;c H/f position, ESC [ n J/K
 *   erases, ESC [ ... m colours (0, 1, 22, 7, 27, 30-37, 39, 40-47, 49,
 *   90-97, 100-107), ESC [ s/u and ESC 7/8 save and restore the cursor.
 * Other sequences are consumed and ignored; a C0 control inside a sequence
 * acts (as on a VT100), ESC restarts one, CAN and SUB cancel it.
 * Writing the last column leaves a wrap pending (the next printable byte
 * wraps first); "\b" with a wrap pending only clears it, and "\b" in
 * column 0 goes to the end of the row above (reverse wraparound), so the
 * line editor's "\b \b" erases across a wrapped line.
 * Every row changed since the drawer last looked is marked in row_dirty.
 *
 * Invariants:
 *   [x] cx < cols and cy < rows after every call (the cursor is on the grid);
 *   [x] cols <= FBCON_TEXT_MAX_COLS, rows <= max_rows <= FBCON_TEXT_MAX_ROWS;
 *   [x] every cell of the grid holds a byte and two palette indexes < 16.
 * Context: any; the caller serializes (drivers/fbcon.c: the console lock).
 */
#ifndef DRIVERS_FBCON_TEXT_H
#define DRIVERS_FBCON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest grid: a 3840x2160 screen in 8x16 cells. Larger screens use its top left. */
#define FBCON_TEXT_MAX_COLS 480
#define FBCON_TEXT_MAX_ROWS 135
#define FBCON_TEXT_MAX_PARAMS 8   /* numeric parameters kept per sequence */
#define FBCON_TEXT_PARAM_MAX 9999 /* a parameter saturates here */

/* Palette indexes (VGA order): 0-7 normal, 8-15 bright. */
#define FBCON_BLACK 0
#define FBCON_LIGHT_GREY 7
#define FBCON_DEFAULT_FG FBCON_LIGHT_GREY
#define FBCON_DEFAULT_BG FBCON_BLACK

/* A cell: bits 0-7 the byte, 8-11 the text colour, 12-15 the background. */
typedef uint16_t fbcon_cell_t;
#define FBCON_CELL(ch, fg, bg) \
	((fbcon_cell_t)((uint8_t)(ch) | ((unsigned)(fg) & 15) << 8 | ((unsigned)(bg) & 15) << 12))
static inline unsigned char fbcon_cell_char(fbcon_cell_t c) { return (unsigned char)(c & 0xff); }
static inline unsigned fbcon_cell_fg(fbcon_cell_t c) { return (c >> 8) & 15; }
static inline unsigned fbcon_cell_bg(fbcon_cell_t c) { return (c >> 12) & 15; }

/* The 16 palette colours as 0xRRGGBB (the VGA text mode's). */
extern const uint32_t fbcon_palette[16];

enum fbcon_parse_state {
	FBCON_GROUND,  /* printing */
	FBCON_ESCAPE,  /* after ESC */
	FBCON_CSI,     /* after ESC [: parameters until a final byte */
};

struct fbcon_text {
	fbcon_cell_t cells[FBCON_TEXT_MAX_ROWS * FBCON_TEXT_MAX_COLS]; /* row r at r * cols */
	uint8_t row_dirty[FBCON_TEXT_MAX_ROWS]; /* 1: changed since fbcon_text_clean_row */
	unsigned cols, rows;     /* the grid in use */
	unsigned max_rows;       /* rows the screen has room for (rows <= max_rows) */
	unsigned cx, cy;         /* the cursor */
	bool wrap_pending;       /* the last column was written: wrap before the next byte */
	unsigned saved_cx, saved_cy;
	uint8_t fg, bg;          /* colours of new text (palette indexes, before bold/reverse) */
	bool bold, reverse;
	enum fbcon_parse_state state;
	bool csi_private;        /* a '?' (or other private marker) came first: ignore the sequence */
	unsigned params[FBCON_TEXT_MAX_PARAMS];
	unsigned nparams;        /* parameters started (the one being read included) */
	uint64_t scrolls;        /* rows scrolled off the top, ever */
};

/*
 * Start with an empty grid of cols x rows (each clamped to 1..MAX), the
 * cursor at the top left, default colours, every row dirty.
 */
void fbcon_text_init(struct fbcon_text *t, unsigned cols, unsigned rows);

/* Interpret n bytes of output: characters, controls and escape sequences. */
void fbcon_text_write(struct fbcon_text *t, const char *s, size_t n);

/*
 * Use rows rows (1..max_rows, clamped) from now on: the grid's top stays; a
 * cursor that would fall off the bottom scrolls the grid up until its row
 * is the last one; rows coming back are blank. Every row becomes dirty.
 */
void fbcon_text_set_rows(struct fbcon_text *t, unsigned rows);

/* Forget a half-read escape sequence and go back to default colours (the panic's clean start). */
void fbcon_text_reset_state(struct fbcon_text *t);

/* The cell at (col, row); both must be inside the grid. */
static inline fbcon_cell_t fbcon_text_cell(const struct fbcon_text *t, unsigned col, unsigned row)
{
	return t->cells[row * t->cols + col];
}

/* The cell new text gets now (colours after bold and reverse), for character ch. */
fbcon_cell_t fbcon_text_attr_cell(const struct fbcon_text *t, unsigned char ch);

#endif
