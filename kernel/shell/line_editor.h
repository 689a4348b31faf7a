/*
 * line_editor.h - turns a stream of key bytes from a terminal into lines.
 *
 * The editor is a pure state machine: the caller feeds it one byte at a time
 * and it answers "keep going", "here is a line", "cancelled" or "too long".
 * It does no I/O of its own: echo goes through a write callback, and Tab
 * completion asks a candidate callback. That is why the same code runs in the
 * kernel shell and in host unit tests, where the callbacks capture output.
 *
 * Invariants:
 *   [x] length <= LINE_MAX_LENGTH and buffer[length] == '\0', always
 *   [x] buffer only ever holds printable ASCII (0x20-0x7e)
 *   [x] cursor <= length; the screen shows exactly the prompt followed by
 *       buffer, the terminal's cursor on character `cursor` (at the end: after it)
 *   [x] every history entry is a non-blank line of printable ASCII
 *
 * Calling context: one editor per terminal, used by one thread at a time
 * (the shell); no locking, no allocation, bounded work per byte.
 */
#ifndef KERNEL_LINE_EDITOR_H
#define KERNEL_LINE_EDITOR_H

#include <stdbool.h>
#include <stddef.h>

/* The shell's prompt. The editor prints it again after listing completions. */
#define SHELL_PROMPT "pagoda> "

#define LINE_MAX_LENGTH 255  /* characters in a line, not counting the NUL */
#define LINE_HISTORY_SIZE 16 /* lines remembered for the up arrow */
#define LINE_ESC_PARAM_MAX 999 /* a larger CSI number is no key the editor knows */

enum line_result {
	LINE_CONTINUE,  /* byte consumed, line not finished yet */
	LINE_DONE,      /* Enter: le->buffer holds the line (NUL terminated) */
	LINE_CANCELLED, /* Ctrl-C: the line was thrown away */
	LINE_TOO_LONG,  /* Enter on a line that had more than LINE_MAX_LENGTH characters */
};

/* Send n bytes of echo to the terminal. */
typedef void (*line_write_fn)(void *ctx, const char *s, size_t n);

/*
 * Tab completion source: the index-th word that the first word of a line may
 * complete to (index 0, 1, 2, ...), or NULL when there are no more. The
 * editor filters them by prefix itself; listing them in sorted order gives a
 * sorted completion list.
 */
typedef const char *(*line_complete_fn)(void *ctx, size_t index);

/* Where the editor is inside a terminal escape sequence. */
enum line_escape_state {
	LINE_ESC_NONE, /* plain input */
	LINE_ESC_START, /* seen ESC */
	LINE_ESC_CSI,  /* seen ESC [ : parameters until a final byte 0x40-0x7e */
	LINE_ESC_SS3,  /* seen ESC O : one more byte ends it */
};

struct line_editor {
	char buffer[LINE_MAX_LENGTH + 1]; /* the line being typed, NUL terminated */
	size_t length;                    /* characters in buffer */
	size_t cursor;                    /* where typing inserts: 0..length */
	bool overflowed;  /* characters were dropped because the line was full */
	bool finished;    /* last feed returned a line: clear buffer before the next byte */
	bool last_was_cr; /* previous byte was CR, so an LF now is the rest of CRLF */

	enum line_escape_state escape;
	bool escape_has_params; /* the CSI being read has parameter bytes (not a plain arrow) */
	unsigned escape_param;  /* its number, when the parameters are digits only (ESC [ 3 ~) */
	bool escape_param_bad;  /* ... they are not (or it exceeds LINE_ESC_PARAM_MAX) */

	/* History ring: entry k (1 = newest) lives at (history_next - k) mod size. */
	char history[LINE_HISTORY_SIZE][LINE_MAX_LENGTH + 1];
	size_t history_count; /* entries stored, <= LINE_HISTORY_SIZE */
	size_t history_next;  /* slot the next entry goes into */
	size_t history_pos;   /* 0: editing the draft; k: showing entry k */
	char draft[LINE_MAX_LENGTH + 1]; /* the line typed before the up arrow */
	bool draft_overflowed;           /* ... and whether it had overflowed */

	line_write_fn write;
	line_complete_fn complete; /* may be NULL: Tab then only rings the bell */
	void *ctx;                 /* passed to both callbacks */
};

/*
 * Prepare le for its first line: empty buffer and history.
 *   write     where echo goes (must not be NULL)
 *   complete  Tab completion source, or NULL for none
 *   ctx       passed back to both callbacks
 * Prints nothing (the caller prints the prompt). Any context.
 */
void line_editor_init(struct line_editor *le, line_write_fn write, line_complete_fn complete,
		      void *ctx);

/*
 * Process one input byte c and echo its effect.
 * Returns LINE_DONE when Enter finished a line: le->buffer then holds it
 * (possibly empty) until the next call, and a non-blank line different from
 * the newest history entry has been added to the history. LINE_CANCELLED
 * after Ctrl-C, LINE_TOO_LONG after Enter on an overflowed line (the caller
 * prints why); in both cases the line is gone. LINE_CONTINUE otherwise.
 * After any result other than LINE_CONTINUE the caller prints a new prompt.
 */
enum line_result line_editor_feed(struct line_editor *le, unsigned char c);

#endif
