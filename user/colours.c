/*
 * colours.c - the terminal's colours: one line of text in each of the 16
 * text colours, one in each of the 8 backgrounds, then bright and reverse.
 *
 * What it shows: colour is nothing but bytes in the output. "ESC [ 31 m"
 * (SGR, select graphic rendition) asks the terminal for red text, "ESC [
 * 0 m" for the defaults again; the same bytes reach the serial line, where
 * the terminal emulator draws them, and the screen console, whose VT100
 * subset draws them from its palette (docs/console.md, "The text console").
 *
 * Invariants:
 *   [x] prints exactly six lines (a title, normal, bright, backgrounds,
 *       bold and reverse, the escape sequences used) and exits 0;
 *   [x] every line ends with ESC [ 0 m, so no colour leaks to the shell.
 * Context: `run colours` in the Pagoda shell, or ./colours on Linux.
 */
#include <stdio.h>

static const char *const names[8] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

int main(void)
{
	printf("colours: the 8 ANSI colours, bright, as backgrounds\n");
	for (int i = 0; i < 8; i++)
		printf("\033[%dm%s\033[0m ", 30 + i, names[i]);
	printf("\n");
	for (int i = 0; i < 8; i++)
		printf("\033[%dm%s\033[0m ", 90 + i, names[i]);
	printf("\n");
	for (int i = 0; i < 8; i++)
		printf("\033[%d;%dm%s\033[0m ", 40 + i, i == 7 || i == 3 || i == 2 || i == 6 ? 30 : 97,
		       names[i]);
	printf("\n");
	printf("\033[1mbold is bright\033[0m \033[7mreverse video\033[0m\n");
	printf("sequences: ESC [ 30-37 m, 90-97 m, 40-47 m, 1 m, 7 m, 0 m\n");
	return 0;
}
