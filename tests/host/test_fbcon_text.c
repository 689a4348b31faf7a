/*
 * test_fbcon_text.c - suite "fbcon_text": the text console's shadow grid
 * and VT100 subset (drivers/fbcon_text.c), without pixels.
 *
 * Each test writes bytes into a small grid (20 x 5, so wrapping and
 * scrolling come quickly) and checks the cells, the cursor and the
 * colours: printing and wrapping, "\n" "\r" "\t" "\b" (with the pending
 * wrap and the reverse wrap the line editor's "\b \b" needs), scrolling,
 * cursor moves and erases, SGR colours, shrinking and growing the grid,
 * dirty rows, and 200,000 seeded random bytes after which the invariants
 * still hold.
 * Hosted code: may use libc.
 */
#include <stdio.h>
#include <string.h>

#include "drivers/fbcon_text.h"
#include "kernel/selftest.h"
#include "lib/random.h"

#define COLS 20
#define ROWS 5

static struct fbcon_text t;

static void put(const char *s)
{
	fbcon_text_write(&t, s, strlen(s));
}

/* Row r's characters, trailing blanks cut. */
static const char *row_text(unsigned r)
{
	static char buf[FBCON_TEXT_MAX_COLS + 1];
	unsigned n = 0;

	for (unsigned c = 0; c < t.cols; c++)
		buf[n++] = (char)fbcon_cell_char(fbcon_text_cell(&t, c, r));
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

static const char *test_print_wrap(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	put("hello");
	CHECK(strcmp(row_text(0), "hello") == 0 && t.cx == 5 && t.cy == 0);
	put("\r\nabcdefghijklmnopqrst"); /* exactly one row */
	CHECK(strcmp(row_text(1), "abcdefghijklmnopqrst") == 0);
	CHECKF(t.cx == COLS - 1 && t.cy == 1 && t.wrap_pending, "cursor %u,%u", t.cx, t.cy);
	put("u");
	CHECK(strcmp(row_text(2), "u") == 0 && t.cx == 1 && t.cy == 2 && !t.wrap_pending);
	put("\tx");
	CHECKF(t.cx == 9 && fbcon_cell_char(fbcon_text_cell(&t, 8, 2)) == 'x', "tab: cx %u", t.cx);
	put("\x01\x07\x7f"); /* unknown controls, BEL, DEL: nothing */
	CHECK(t.cx == 9 && strcmp(row_text(2), "u       x") == 0);
	put("\xe9");         /* a byte >= 0x80 is a cell (the replacement glyph) */
	CHECK(fbcon_cell_char(fbcon_text_cell(&t, 9, 2)) == 0xe9);
	return NULL;
}

static const char *test_newline_scroll(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	for (int i = 0; i < ROWS + 2; i++) {
		char line[16];
		snprintf(line, sizeof(line), "line %d\n", i);
		put(line);
	}
	/* 7 lines and the cursor's empty line in 5 rows: lines 0-2 scrolled off */
	CHECKF(t.scrolls == 3, "scrolls %lu", (unsigned long)t.scrolls);
	CHECK(strcmp(row_text(0), "line 3") == 0 && strcmp(row_text(3), "line 6") == 0);
	CHECK(strcmp(row_text(4), "") == 0 && t.cx == 0 && t.cy == ROWS - 1);
	put("ab\rX");
	CHECK(strcmp(row_text(4), "Xb") == 0);
	return NULL;
}

static const char *test_backspace(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	put("ab\b\bX");
	CHECK(strcmp(row_text(0), "Xb") == 0);
	put("\r\b");         /* column 0 of row 0: nowhere to go */
	CHECK(t.cx == 0 && t.cy == 0);

	/* The line editor: a line longer than a row, then erased with "\b \b" */
	fbcon_text_init(&t, COLS, ROWS);
	put("$ ");
	const char *typed = "0123456789abcdefghijklmnopqrstuvwxyz"; /* 36: wraps once */
	put(typed);
	CHECK(strcmp(row_text(0), "$ 0123456789abcdefgh") == 0 && strcmp(row_text(1), "ijklmnopqrstuvwxyz") == 0);
	for (size_t i = 0; i < strlen(typed); i++)
		put("\b \b");
	CHECKF(strcmp(row_text(0), "$") == 0, "row 0 \"%s\"", row_text(0));
	CHECKF(strcmp(row_text(1), "") == 0, "row 1 \"%s\"", row_text(1));
	CHECK(t.cx == 2 && t.cy == 0);

	/* Exactly filling the row, then one erase: the last column's character goes */
	fbcon_text_init(&t, COLS, ROWS);
	put("$ 0123456789abcdefgh");
	CHECK(t.wrap_pending);
	put("\b \b");
	CHECKF(strcmp(row_text(0), "$ 0123456789abcdefg") == 0, "row 0 \"%s\"", row_text(0));
	CHECK(t.cy == 0 && t.cx == COLS - 1);
	return NULL;
}

static const char *test_cursor_moves(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	put("\x1b[3;5H");
	CHECK(t.cy == 2 && t.cx == 4);
	put("\x1b[A\x1b[2D");
	CHECK(t.cy == 1 && t.cx == 2);
	put("\x1b[999B\x1b[999C");
	CHECK(t.cy == ROWS - 1 && t.cx == COLS - 1);
	put("\x1b[999A\x1b[999D");
	CHECK(t.cy == 0 && t.cx == 0);
	put("\x1b[0;0H\x1b[H");
	CHECK(t.cy == 0 && t.cx == 0);
	put("\x1b[99999999999999999999;7f"); /* saturates, clamps */
	CHECK(t.cy == ROWS - 1 && t.cx == 6);
	put("\x1b[10G");
	CHECK(t.cx == 9);
	put("\x1b[s\x1b[H\x1b[u");
	CHECK(t.cy == ROWS - 1 && t.cx == 9);
	put("\x1b" "7\x1b[H\x1b" "8");
	CHECK(t.cy == ROWS - 1 && t.cx == 9);
	put("\x1b[?25l\x1b[?25h"); /* private: ignored, cursor stays */
	CHECK(t.cy == ROWS - 1 && t.cx == 9);
	return NULL;
}

static const char *test_erase(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	put("aaaaa\nbbbbb\nccccc\nddddd");
	put("\x1b[2;3H\x1b[K");
	CHECK(strcmp(row_text(1), "bb") == 0);
	put("\x1b[1K");
	CHECK(strcmp(row_text(1), "") == 0);
	put("\x1b[1;3H\x1b[2K");
	CHECK(strcmp(row_text(0), "") == 0 && strcmp(row_text(2), "ccccc") == 0);
	put("\x1b[3;2H\x1b[J");
	CHECK(strcmp(row_text(2), "c") == 0 && strcmp(row_text(3), "") == 0);
	put("\x1b[3;1H\x1b[1J");
	CHECK(strcmp(row_text(2), "") == 0);
	put("xyz\x1b[2J");
	for (unsigned r = 0; r < ROWS; r++)
		CHECK(strcmp(row_text(r), "") == 0);
	CHECK(t.cx == 3 && t.cy == 2); /* ESC [ 2 J does not move the cursor */
	put("q\x1b" "c");
	CHECK(strcmp(row_text(2), "") == 0 && t.cx == 0 && t.cy == 0);
	return NULL;
}

static const char *test_colours(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	put("a\x1b[31mb\x1b[1;32mc\x1b[0;44md\x1b[7me\x1b[0mf\x1b[95;100mg\x1b[39;49mh");
	fbcon_cell_t c[8];
	for (unsigned i = 0; i < 8; i++)
		c[i] = fbcon_text_cell(&t, i, 0);
	CHECK(fbcon_cell_fg(c[0]) == FBCON_DEFAULT_FG && fbcon_cell_bg(c[0]) == FBCON_DEFAULT_BG);
	CHECK(fbcon_cell_fg(c[1]) == 4);                          /* red */
	CHECK(fbcon_cell_fg(c[2]) == 10);                         /* bold green: bright */
	CHECK(fbcon_cell_fg(c[3]) == FBCON_DEFAULT_FG && fbcon_cell_bg(c[3]) == 1); /* on blue */
	CHECK(fbcon_cell_fg(c[4]) == 1 && fbcon_cell_bg(c[4]) == FBCON_DEFAULT_FG); /* reversed */
	CHECK(fbcon_cell_fg(c[5]) == FBCON_DEFAULT_FG && fbcon_cell_bg(c[5]) == FBCON_DEFAULT_BG);
	CHECK(fbcon_cell_fg(c[6]) == 13 && fbcon_cell_bg(c[6]) == 8); /* bright magenta on grey */
	CHECK(fbcon_cell_fg(c[7]) == FBCON_DEFAULT_FG && fbcon_cell_bg(c[7]) == FBCON_DEFAULT_BG);
	CHECK(fbcon_palette[4] == 0xaa0000 && fbcon_palette[FBCON_DEFAULT_FG] == 0xaaaaaa);
	put("\x1b[41m\x1b[K"); /* erasing uses the current background */
	CHECK(fbcon_cell_bg(fbcon_text_cell(&t, COLS - 1, 0)) == 4);
	put("\x1b[m");
	CHECK(t.bg == FBCON_DEFAULT_BG);
	put("\x1b[31");
	fbcon_text_reset_state(&t); /* a panic: the half sequence is forgotten */
	put("m");
	CHECK(fbcon_cell_char(fbcon_text_cell(&t, 8, 0)) == 'm');
	CHECK(fbcon_cell_fg(fbcon_text_cell(&t, 8, 0)) == FBCON_DEFAULT_FG);
	return NULL;
}

static const char *test_sequence_edges(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	put("\x1b[3\nA"); /* a control inside a sequence acts; the sequence goes on */
	CHECK(t.state == FBCON_GROUND && t.cx == 0);
	CHECK(t.cy == 0 && strcmp(row_text(1), "") == 0); /* LF, then 'A' ended it: up 3 */
	fbcon_text_init(&t, COLS, ROWS);
	put("\x1b[12\x18Z"); /* CAN cancels: Z is printed */
	CHECK(strcmp(row_text(0), "Z") == 0);
	put("\x1b[1;2;3;4;5;6;7;8;9;10;11;31mY"); /* more parameters than kept: no overflow */
	CHECK(fbcon_cell_char(fbcon_text_cell(&t, 1, 0)) == 'Y');
	put("\x1b\x1b[0;32mW"); /* ESC restarts */
	CHECK(fbcon_cell_fg(fbcon_text_cell(&t, 2, 0)) == 2);
	put("\x1bxV"); /* ESC x: both dropped */
	CHECK(strcmp(row_text(0), "ZYWV") == 0);
	return NULL;
}

static const char *test_set_rows(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	put("r0\nr1\nr2\nr3\nr4");
	CHECK(t.cy == 4);
	fbcon_text_set_rows(&t, 3); /* the cursor's row stays in view */
	CHECK(t.rows == 3 && t.cy == 2);
	CHECK(strcmp(row_text(0), "r2") == 0 && strcmp(row_text(2), "r4") == 0);
	put("\nx");
	CHECK(strcmp(row_text(0), "r3") == 0 && strcmp(row_text(2), "x") == 0 && t.cy == 2);
	fbcon_text_set_rows(&t, 99); /* back to all rows (clamped): new rows blank */
	CHECK(t.rows == ROWS && t.cy == 2);
	CHECK(strcmp(row_text(3), "") == 0 && strcmp(row_text(4), "") == 0);
	fbcon_text_set_rows(&t, 0);
	CHECK(t.rows == 1 && t.cy == 0 && strcmp(row_text(0), "x") == 0);
	return NULL;
}

static const char *test_dirty_rows(void)
{
	fbcon_text_init(&t, COLS, ROWS);
	for (unsigned r = 0; r < ROWS; r++)
		CHECK(t.row_dirty[r]);
	memset(t.row_dirty, 0, sizeof(t.row_dirty));
	put("\x1b[4;1Hq\x1b[2;5H");
	for (unsigned r = 0; r < ROWS; r++)
		CHECKF(t.row_dirty[r] == (r == 3), "row %u dirty %u", r, t.row_dirty[r]);
	memset(t.row_dirty, 0, sizeof(t.row_dirty));
	put("\x1b[5;1H\n"); /* a scroll changes every row */
	for (unsigned r = 0; r < ROWS; r++)
		CHECK(t.row_dirty[r]);
	return NULL;
}

static const char *test_random_bytes(void)
{
	static const char alphabet[] = "\x1b[;0123456789ABCDHJKmsufG?\n\r\b\t\x18 xy\x80";
	uint64_t seed = 0x5eed;
	char buf[64];

	fbcon_text_init(&t, COLS, ROWS);
	for (int i = 0; i < 200000 / 64; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = random_below(&seed, 4) ? alphabet[random_below(&seed, sizeof(alphabet) - 1)]
							  : (char)random_next(&seed);
		fbcon_text_write(&t, buf, sizeof(buf));
		CHECKF(t.cx < t.cols && t.cy < t.rows, "iteration %d: cursor %u,%u", i, t.cx, t.cy);
		CHECKF(t.nparams <= FBCON_TEXT_MAX_PARAMS + 1, "iteration %d: nparams %u", i,
		       t.nparams);
		if (i % 500 == 0)
			fbcon_text_set_rows(&t, 1 + (unsigned)random_below(&seed, ROWS));
	}
	return NULL;
}

static const struct selftest fbcon_text_tests[] = {
	{"print_wrap", "characters, tab, wrap pending at the last column", test_print_wrap},
	{"newline_scroll", "\\n is CR LF; the bottom row scrolls the grid", test_newline_scroll},
	{"backspace", "\\b with a pending wrap and across rows: \"\\b \\b\" erases a wrapped line",
	 test_backspace},
	{"cursor_moves", "ESC [ A/B/C/D/G/H/f/s/u, ESC 7/8 clamp to the grid", test_cursor_moves},
	{"erase", "ESC [ J and K in their modes; ESC c", test_erase},
	{"colours", "SGR: 30-37, 1, 40-47, 7, 90-97, 100-107, 39, 49, 0", test_colours},
	{"sequence_edges", "controls inside sequences, CAN, ESC restarts, too many parameters",
	 test_sequence_edges},
	{"set_rows", "shrinking keeps the cursor's row in view; growing blanks", test_set_rows},
	{"dirty_rows", "only changed rows are marked", test_dirty_rows},
	{"random_bytes", "200,000 random bytes: the cursor stays on the grid", test_random_bytes},
};

SELFTEST_SUITE(fbcon_text, fbcon_text_tests);
