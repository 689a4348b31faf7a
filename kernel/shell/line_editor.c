/*
 * line_editor.c - the line editor state machine (see line_editor.h).
 *
 * Every byte goes through line_editor_feed(), which first finishes any
 * escape sequence in progress, then dispatches on the byte. Typing inserts
 * at the cursor, which Left/Right, Home/End (and Ctrl-A/Ctrl-E) move. The
 * echo uses nothing but printing and "\b" (one column left), which every
 * terminal and the screen console understand: a change in the middle of the
 * line reprints the rest of it (plus a blank where it got shorter) and backs
 * up to the cursor; at the end that is just the character, or "\b \b" to
 * erase one. Replacing the whole line (history, Ctrl-U) goes to its end,
 * erases it character by character and prints the new one.
 *
 * Robustness is the main design goal: the input is whatever a terminal, a
 * script or line noise sends. Each path checks length against
 * LINE_MAX_LENGTH before it stores, escape sequences store nothing (so no
 * parameter string can be too long), and a control byte always gets out of
 * an unfinished escape sequence, so Enter and Ctrl-C can never be swallowed.
 *
 * Calling context: the shell thread, one byte at a time; no allocation.
 */
#include "kernel/shell/line_editor.h"

#include "lib/string.h"

#define KEY_CTRL_A 0x01 /* Home, as in Emacs and bash */
#define KEY_CTRL_C 0x03
#define KEY_CTRL_E 0x05 /* End */
#define KEY_BACKSPACE 0x08
#define KEY_TAB 0x09
#define KEY_LF 0x0a
#define KEY_CR 0x0d
#define KEY_CTRL_U 0x15
#define KEY_ESC 0x1b
#define KEY_DEL 0x7f

/* CSI numbers of the VT220 editing keys, ESC [ n ~ (xterm's "PC-style" keys). */
#define CSI_HOME 1          /* also 7 (rxvt) */
#define CSI_HOME_RXVT 7
#define CSI_DELETE 3
#define CSI_END 4           /* also 8 (rxvt) */
#define CSI_END_RXVT 8

/* Completion lists wrap before this column. */
#define LINE_LIST_WIDTH 78

static bool line_is_printable(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

static void line_write(struct line_editor *le, const char *s, size_t n)
{
	if (n > 0)
		le->write(le->ctx, s, n);
}

static void line_puts(struct line_editor *le, const char *s)
{
	line_write(le, s, strlen(s));
}

static void line_bell(struct line_editor *le)
{
	line_puts(le, "\a");
}

void line_editor_init(struct line_editor *le, line_write_fn write, line_complete_fn complete,
		      void *ctx)
{
	memset(le, 0, sizeof(*le));
	le->escape = LINE_ESC_NONE;
	le->write = write;
	le->complete = complete;
	le->ctx = ctx;
}

/* Forget the current line (not the history). Prints nothing. */
static void line_clear(struct line_editor *le)
{
	le->length = 0;
	le->cursor = 0;
	le->buffer[0] = '\0';
	le->overflowed = false;
	le->history_pos = 0;
}

/* Move the terminal's cursor n columns left. */
static void line_back(struct line_editor *le, size_t n)
{
	static const char backspaces[] = "\b\b\b\b\b\b\b\b";

	while (n > 0) {
		size_t k = n < sizeof(backspaces) - 1 ? n : sizeof(backspaces) - 1;
		line_write(le, backspaces, k);
		n -= k;
	}
}

/*
 * The line changed from position from on: print it from there, blank the
 * pad columns it no longer covers, and back up to the cursor.
 */
static void line_redraw_from(struct line_editor *le, size_t from, size_t pad)
{
	line_write(le, le->buffer + from, le->length - from);
	for (size_t i = 0; i < pad; i++)
		line_puts(le, " ");
	line_back(le, le->length + pad - le->cursor);
}

/* Insert one printable character at the cursor and echo it, or note the overflow. */
static void line_insert(struct line_editor *le, char c)
{
	if (le->length < LINE_MAX_LENGTH) {
		memmove(le->buffer + le->cursor + 1, le->buffer + le->cursor,
			le->length - le->cursor + 1); /* the NUL too */
		le->buffer[le->cursor] = c;
		le->length++;
		le->cursor++;
		line_redraw_from(le, le->cursor - 1, 0);
	} else if (!le->overflowed) {
		le->overflowed = true; /* the line is now wrong: Enter will reject it */
		line_bell(le);         /* once, not for every dropped character */
	}
}

/* Remove the character at position at (< length), the cursor already before it. */
static void line_remove_at(struct line_editor *le, size_t at)
{
	memmove(le->buffer + at, le->buffer + at + 1, le->length - at); /* the NUL too */
	le->length--;
	line_redraw_from(le, at, 1);
}

/* Backspace: erase the character before the cursor (none at the start). */
static void line_erase_before(struct line_editor *le)
{
	if (le->cursor == 0)
		return;
	le->cursor--;
	line_back(le, 1);
	line_remove_at(le, le->cursor);
}

/* Delete: erase the character under the cursor (none at the end). */
static void line_erase_under(struct line_editor *le)
{
	if (le->cursor < le->length)
		line_remove_at(le, le->cursor);
}

static void line_left(struct line_editor *le)
{
	if (le->cursor > 0) {
		le->cursor--;
		line_back(le, 1);
	}
}

static void line_right(struct line_editor *le)
{
	if (le->cursor < le->length)
		line_write(le, le->buffer + le->cursor++, 1);
}

static void line_home(struct line_editor *le)
{
	line_back(le, le->cursor);
	le->cursor = 0;
}

static void line_end(struct line_editor *le)
{
	line_write(le, le->buffer + le->cursor, le->length - le->cursor);
	le->cursor = le->length;
}

/* Erase the whole line on screen and in the buffer (the prompt stays). */
static void line_erase_all(struct line_editor *le)
{
	line_end(le);
	while (le->cursor > 0)
		line_erase_before(le);
	le->overflowed = false;
}

/* Replace the line with text (at most LINE_MAX_LENGTH characters are taken), on screen too. */
static void line_replace(struct line_editor *le, const char *text)
{
	size_t n = strnlen(text, LINE_MAX_LENGTH);

	line_erase_all(le);
	memcpy(le->buffer, text, n);
	le->buffer[n] = '\0';
	le->length = n;
	le->cursor = n;
	line_write(le, le->buffer, n);
}

/* ---- history ---------------------------------------------------------- */

/* Entry k of the history, 1 = newest; k must be in 1..history_count. */
static char *line_history_entry(struct line_editor *le, size_t k)
{
	return le->history[(le->history_next + LINE_HISTORY_SIZE - k) % LINE_HISTORY_SIZE];
}

static bool line_is_blank(const char *s)
{
	while (*s == ' ')
		s++;
	return *s == '\0';
}

/* Remember the finished line, unless blank or a repeat of the newest entry. */
static void line_history_add(struct line_editor *le)
{
	if (line_is_blank(le->buffer))
		return;
	if (le->history_count > 0 && strcmp(line_history_entry(le, 1), le->buffer) == 0)
		return;
	/* buffer is at most LINE_MAX_LENGTH long, so it fits a history slot */
	memcpy(le->history[le->history_next], le->buffer, le->length + 1);
	le->history_next = (le->history_next + 1) % LINE_HISTORY_SIZE;
	if (le->history_count < LINE_HISTORY_SIZE)
		le->history_count++; /* when full, the oldest entry was just overwritten */
}

/* Up arrow: show the next older entry, saving the draft on the first step. */
static void line_history_older(struct line_editor *le)
{
	if (le->history_pos >= le->history_count) {
		line_bell(le); /* already at the oldest (or no history) */
		return;
	}
	if (le->history_pos == 0) {
		memcpy(le->draft, le->buffer, le->length + 1);
		le->draft_overflowed = le->overflowed;
	}
	le->history_pos++;
	line_replace(le, line_history_entry(le, le->history_pos));
}

/* Down arrow: show the next newer entry, or the draft after the newest. */
static void line_history_newer(struct line_editor *le)
{
	if (le->history_pos == 0) {
		line_bell(le); /* already editing the draft */
		return;
	}
	le->history_pos--;
	if (le->history_pos == 0) {
		line_replace(le, le->draft);
		le->overflowed = le->draft_overflowed; /* a truncated draft stays rejected */
	} else
		line_replace(le, line_history_entry(le, le->history_pos));
}

/* ---- Tab completion --------------------------------------------------- */

/* Length of the common prefix of a[0..n) and b. */
static size_t line_common_prefix(const char *a, size_t n, const char *b)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Print the candidates that start with prefix, wrapped, then prompt and line again. */
static void line_list_matches(struct line_editor *le, const char *prefix, size_t prefix_len)
{
	const char *cand;
	size_t column = 0;

	line_puts(le, "\r\n");
	for (size_t i = 0; (cand = le->complete(le->ctx, i)) != NULL; i++) {
		size_t n = strlen(cand);

		if (strncmp(cand, prefix, prefix_len) != 0)
			continue;
		if (column > 0 && column + n > LINE_LIST_WIDTH) {
			line_puts(le, "\r\n");
			column = 0;
		}
		line_write(le, cand, n);
		line_puts(le, "  ");
		column += n + 2;
	}
	line_puts(le, "\r\n" SHELL_PROMPT);
	line_write(le, le->buffer, le->length);
}

/*
 * Tab. Applies only while the cursor is at the end of the first word
 * (nothing but leading spaces before it, nothing after it). One match: complete it and
 * add a space. Several: extend to their longest common prefix; if that adds
 * nothing (which includes a second Tab), list them. None: bell.
 */
static void line_complete(struct line_editor *le)
{
	size_t start = 0;
	const char *prefix, *cand, *first = NULL;
	size_t prefix_len, matches = 0, common = 0, add;

	while (start < le->length && le->buffer[start] == ' ')
		start++;
	prefix = le->buffer + start;
	prefix_len = le->length - start;
	if (le->complete == NULL || le->overflowed || strchr(prefix, ' ') != NULL ||
	    le->cursor != le->length) {
		line_bell(le);
		return;
	}

	for (size_t i = 0; (cand = le->complete(le->ctx, i)) != NULL; i++) {
		if (strncmp(cand, prefix, prefix_len) != 0)
			continue;
		if (matches++ == 0) {
			first = cand;
			common = strlen(cand);
		} else {
			common = line_common_prefix(first, common, cand);
		}
	}
	if (matches == 0) {
		line_bell(le);
		return;
	}
	if (matches > 1 && common == prefix_len) {
		line_list_matches(le, prefix, prefix_len);
		return;
	}

	/* Append first[prefix_len..common), plus a space for a unique match. */
	add = common - prefix_len + (matches == 1 ? 1 : 0);
	if (le->length + add > LINE_MAX_LENGTH) {
		line_bell(le);
		return;
	}
	for (size_t i = prefix_len; i < common; i++) {
		if (!line_is_printable((unsigned char)first[i]) || first[i] == ' ')
			break; /* a bad candidate must not break the buffer invariant */
		line_insert(le, first[i]);
	}
	if (matches == 1)
		line_insert(le, ' ');
	le->history_pos = 0; /* an edited recalled line becomes the draft */
}

/* ---- escape sequences ------------------------------------------------- */

/* The final byte of ESC [ A (or ESC O A, ...): the arrows, Home, End. */
static void line_key(struct line_editor *le, unsigned char final)
{
	switch (final) {
	case 'A': line_history_older(le); break;
	case 'B': line_history_newer(le); break;
	case 'C': line_right(le); break;
	case 'D': line_left(le); break;
	case 'H': line_home(le); break;
	case 'F': line_end(le); break;
	default: break;
	}
}

/* ESC [ n ~: Home, End, Delete (others, e.g. Insert and Page Up, do nothing). */
static void line_vt220_key(struct line_editor *le, unsigned n)
{
	if (n == CSI_HOME || n == CSI_HOME_RXVT) {
		line_home(le);
	} else if (n == CSI_END || n == CSI_END_RXVT) {
		line_end(le);
	} else if (n == CSI_DELETE) {
		line_erase_under(le);
		le->history_pos = 0;
	}
}

/* One parameter or intermediate byte of a CSI sequence: keep a plain number only. */
static void line_csi_param(struct line_editor *le, unsigned char c)
{
	le->escape_has_params = true;
	if (c < '0' || c > '9')
		le->escape_param_bad = true;
	else if (!le->escape_param_bad) {
		le->escape_param = le->escape_param * 10 + (c - '0');
		if (le->escape_param > LINE_ESC_PARAM_MAX)
			le->escape_param_bad = true;
	}
}

/*
 * One byte of an escape sequence (never a C0 control other than ESC: the
 * caller ends the sequence and handles those as keys). The keys the editor
 * knows: ESC [ or ESC O followed by A B C D H F (arrows, Home, End), and
 * ESC [ n ~ for n = 1 or 7 (Home), 4 or 8 (End), 3 (Delete); every other
 * sequence is read to its end and dropped.
 */
static void line_escape_byte(struct line_editor *le, unsigned char c)
{
	if (c == KEY_ESC) {
		le->escape = LINE_ESC_START; /* a new sequence interrupts the old one */
		return;
	}
	switch (le->escape) {
	case LINE_ESC_START:
		if (c == '[') {
			le->escape = LINE_ESC_CSI;
			le->escape_has_params = false;
			le->escape_param = 0;
			le->escape_param_bad = false;
		} else if (c == 'O') {
			le->escape = LINE_ESC_SS3;
		} else {
			le->escape = LINE_ESC_NONE; /* ESC x (Alt-x): both bytes dropped */
		}
		break;
	case LINE_ESC_CSI:
		if (c >= 0x40 && c <= 0x7e) { /* final byte */
			le->escape = LINE_ESC_NONE;
			if (!le->escape_has_params)
				line_key(le, c);
			else if (c == '~' && !le->escape_param_bad)
				line_vt220_key(le, le->escape_param);
		} else {
			line_csi_param(le, c); /* parameter, intermediate or junk byte */
		}
		break;
	case LINE_ESC_SS3:
		le->escape = LINE_ESC_NONE;
		line_key(le, c);
		break;
	case LINE_ESC_NONE:
		break;
	}
}

/* ---- the state machine ------------------------------------------------ */

static enum line_result line_enter(struct line_editor *le)
{
	line_puts(le, "\r\n");
	if (le->overflowed) {
		line_clear(le);
		return LINE_TOO_LONG;
	}
	line_history_add(le);
	le->history_pos = 0;
	le->finished = true; /* keep buffer for the caller until the next byte */
	return LINE_DONE;
}

enum line_result line_editor_feed(struct line_editor *le, unsigned char c)
{
	bool after_cr = le->last_was_cr;

	le->last_was_cr = false;
	if (le->finished) {
		le->finished = false;
		line_clear(le);
	}

	if (le->escape != LINE_ESC_NONE) {
		if (c >= 0x20 || c == KEY_ESC) {
			line_escape_byte(le, c);
			return LINE_CONTINUE;
		}
		le->escape = LINE_ESC_NONE; /* a control key ends the sequence and acts */
	}

	if (line_is_printable(c)) {
		line_insert(le, (char)c);
		le->history_pos = 0;
		return LINE_CONTINUE;
	}

	switch (c) {
	case KEY_CR:
		le->last_was_cr = true;
		return line_enter(le);
	case KEY_LF:
		if (after_cr)
			return LINE_CONTINUE; /* second half of CRLF */
		return line_enter(le);
	case KEY_BACKSPACE:
	case KEY_DEL:
		line_erase_before(le);
		le->history_pos = 0;
		return LINE_CONTINUE;
	case KEY_CTRL_A:
		line_home(le);
		return LINE_CONTINUE;
	case KEY_CTRL_E:
		line_end(le);
		return LINE_CONTINUE;
	case KEY_CTRL_C:
		line_puts(le, "^C\r\n");
		line_clear(le);
		return LINE_CANCELLED;
	case KEY_CTRL_U:
		line_erase_all(le);
		le->history_pos = 0;
		return LINE_CONTINUE;
	case KEY_TAB:
		line_complete(le);
		return LINE_CONTINUE;
	case KEY_ESC:
		le->escape = LINE_ESC_START;
		return LINE_CONTINUE;
	default:
		return LINE_CONTINUE; /* other control characters and 8-bit bytes */
	}
}
