/*
 * colours.c - the console's sixteen colours, each name drawn in its colour.
 *
 * What it shows: a program colours its output with escape sequences
 * (ESC [ 30+n m: colour n, ESC [ 90+n m: its bright form, ESC [ 40+n m: a
 * background, ESC [ 0 m: back to the default), and the terminal, not the
 * kernel, draws them: the screen console (drivers/fbcon_text.c) paints
 * them, the serial line carries the bytes to whatever terminal is there.
 *
 * Invariants:
 *   [x] prints exactly four lines: a heading, then "normal:", "bright:" and
 *       "background:" rows of the eight ANSI colour names, each name in its
 *       colour (the background row in the default text colour); every name
 *       ends with ESC [ 0 m, so nothing after it is coloured; exits 0.
 * Context: `run colours` in the Pagoda shell, or ./colours on Linux.
 */
#include <stdio.h>

static const char *const names[8] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

/* One row: label, then each name under ESC [ base+n m. */
static void row(const char *label, int base)
{
	printf("%-12s", label);
	for (int n = 0; n < 8; n++)
		printf("\x1b[%dm%s\x1b[0m ", base + n, names[n]);
	printf("\n");
}

int main(void)
{
	printf("colours: ESC [ 30..37 m, ESC [ 90..97 m (bright), ESC [ 40..47 m (background)\n");
	row("normal:", 30);
	row("bright:", 90);
	row("background:", 40);
	return 0;
}
