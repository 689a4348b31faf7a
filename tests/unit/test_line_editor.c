/*
 * test_line_editor.c - suite "line_editor": the line editor state machine.
 *
 * Each test types a byte string into a fresh editor whose echo is captured
 * in a static buffer, then checks the results returned, the line and the
 * exact bytes echoed. Completion uses a fixed word list of its own, so the
 * tests do not depend on which shell commands exist.
 *
 * Checked: typing, the three Enter forms, Backspace/DEL, Ctrl-C, Ctrl-U,
 * history (both arrow encodings, draft, bounds, ring wrap), Tab (unique,
 * ambiguous, none, not in the first word), the cursor (Left/Right,
 * Home/End in every encoding, Ctrl-A/Ctrl-E, inserting, Backspace and
 * Delete in the middle, each with its exact echo), ignored escape sequences
 * and bytes, overflow, and 4 KiB of pseudo-random bytes against the
 * invariants.
 *
 * Freestanding (built into the kernel too): lib/ functions only; the editor
 * and the capture buffer are static because the editor is ~8.5 KiB.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/shell/line_editor.h"
#include "kernel/selftest.h"
#include "lib/compiler.h"
#include "lib/random.h"
#include "lib/string.h"

/* ---- fixtures --------------------------------------------------------- */

static struct line_editor test_le;
static char test_out[16384]; /* echo captured since the last test_reset_output() */
static size_t test_out_len;
static char test_last_line[LINE_MAX_LENGTH + 1]; /* buffer at the last LINE_DONE */

static void test_capture(void *ctx __unused, const char *s, size_t n)
{
	size_t room = sizeof(test_out) - 1 - test_out_len;

	if (n > room)
		n = room; /* keep the tail off: the tests never need that much */
	memcpy(test_out + test_out_len, s, n);
	test_out_len += n;
	test_out[test_out_len] = '\0';
}

static void test_reset_output(void)
{
	test_out_len = 0;
	test_out[0] = '\0';
}

static const char *const test_words[] = {
	"alpha", "beta", "bootinfo", "bootstrap", "echo", "halt", "help", "uptime",
};

static const char *test_complete(void *ctx __unused, size_t index)
{
	return index < ARRAY_SIZE(test_words) ? test_words[index] : NULL;
}

/* What typing a byte string produced. */
struct test_typed {
	enum line_result last; /* result of the last byte */
	unsigned done, cancelled, too_long;
};

static struct test_typed test_type_n(const char *s, size_t n)
{
	struct test_typed t = {LINE_CONTINUE, 0, 0, 0};

	for (size_t i = 0; i < n; i++) {
		t.last = line_editor_feed(&test_le, (unsigned char)s[i]);
		t.done += t.last == LINE_DONE;
		if (t.last == LINE_DONE) /* the line is only valid until the next byte */
			strlcpy(test_last_line, test_le.buffer, sizeof(test_last_line));
		t.cancelled += t.last == LINE_CANCELLED;
		t.too_long += t.last == LINE_TOO_LONG;
	}
	return t;
}

static struct test_typed test_type(const char *s)
{
	return test_type_n(s, strlen(s));
}

/* A fresh editor and an empty capture buffer. */
static void test_setup(void)
{
	line_editor_init(&test_le, test_capture, test_complete, NULL);
	test_reset_output();
}

static bool test_line_is(const char *expected)
{
	return strcmp(test_le.buffer, expected) == 0 && test_le.length == strlen(expected);
}

static bool test_output_is(const char *expected)
{
	return test_out_len == strlen(expected) && memcmp(test_out, expected, test_out_len) == 0;
}

static size_t test_count_char(const char *s, size_t n, char c)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += s[i] == c;
	return count;
}

/* ---- typing and Enter ------------------------------------------------- */

static const char *test_typing(void)
{
	struct test_typed t;

	test_setup();
	t = test_type("echo hi");
	CHECK(t.last == LINE_CONTINUE && t.done == 0);
	CHECK(test_line_is("echo hi"));
	CHECKF(test_output_is("echo hi"), "echo was \"%s\"", test_out);
	t = test_type("\r");
	CHECK(t.last == LINE_DONE);
	CHECK(test_line_is("echo hi"));
	CHECKF(test_output_is("echo hi\r\n"), "echo was \"%s\"", test_out);
	/* the finished line is cleared by the next byte */
	test_type("x");
	CHECK(test_line_is("x"));
	return NULL;
}

static const char *test_enter_forms(void)
{
	static const char *const endings[] = {"\r", "\n", "\r\n"};
	struct test_typed t;

	for (size_t i = 0; i < ARRAY_SIZE(endings); i++) {
		test_setup();
		t = test_type("ls");
		t = test_type(endings[i]);
		CHECKF(t.done == 1, "ending %zu gave %u lines", i, t.done);
		CHECK(strcmp(test_last_line, "ls") == 0);
		CHECKF(test_output_is("ls\r\n"), "ending %zu echoed \"%s\"", i, test_out);
		t = test_type("pwd\r");
		CHECK(t.done == 1 && test_line_is("pwd"));
	}
	test_setup();
	CHECK(test_type("\r\n\r\n").done == 2); /* two CRLFs: two (empty) lines */
	CHECK(test_type("\n\n").done == 2);     /* LF alone is Enter each time */
	CHECK(test_type("\r\r").done == 2);
	CHECK(test_type("a\rb\n").done == 2);   /* LF not right after CR is Enter */
	CHECK(test_line_is("b"));
	return NULL;
}

/* ---- editing keys ----------------------------------------------------- */

static const char *test_backspace(void)
{
	test_setup();
	test_type("\b\x7f");
	CHECK(test_le.length == 0 && test_out_len == 0); /* nothing to erase, nothing echoed */
	test_type("abc\b");
	CHECK(test_line_is("ab"));
	CHECK(test_output_is("abc\b \b"));
	test_reset_output();
	test_type("\x7f\x7f\x7f\x7f");
	CHECK(test_line_is(""));
	CHECKF(test_output_is("\b \b\b \b"), "DEL echoed \"%s\"", test_out);
	test_type("echp\x7fo\r");
	CHECK(test_line_is("echo"));
	return NULL;
}

static const char *test_ctrl_c(void)
{
	struct test_typed t;

	test_setup();
	t = test_type("echo never\x03");
	CHECK(t.last == LINE_CANCELLED && t.cancelled == 1 && t.done == 0);
	CHECK(test_line_is(""));
	CHECK(test_output_is("echo never^C\r\n"));
	CHECK(test_le.history_count == 0); /* a cancelled line is not remembered */
	t = test_type("ok\r");
	CHECK(t.done == 1 && test_line_is("ok"));
	return NULL;
}

static const char *test_ctrl_u(void)
{
	test_setup();
	test_type("abc\x15");
	CHECK(test_line_is(""));
	CHECK(test_output_is("abc\b \b\b \b\b \b"));
	test_reset_output();
	test_type("\x15");
	CHECK(test_out_len == 0);
	CHECK(test_type("echo cleared\r").done == 1);
	CHECK(test_line_is("echo cleared"));
	return NULL;
}

/* ---- history ---------------------------------------------------------- */

static const char *test_history_walk(void)
{
	test_setup();
	test_type("one\rtwo\rthree\r");
	CHECK(test_le.history_count == 3);
	test_type("dr");
	test_reset_output();
	test_type("\x1b[A");
	CHECK(test_line_is("three"));
	CHECKF(test_output_is("\b \b\b \bthree"), "up echoed \"%s\"", test_out);
	test_type("\x1b[A");
	CHECK(test_line_is("two"));
	test_type("\x1bOA"); /* the SS3 form some terminals send */
	CHECK(test_line_is("one"));
	test_reset_output();
	test_type("\x1b[A"); /* past the oldest: bell, line unchanged */
	CHECK(test_line_is("one") && test_output_is("\a"));
	test_type("\x1b[B");
	CHECK(test_line_is("two"));
	test_type("\x1bOB\x1b[B");
	CHECK(test_line_is("dr")); /* down past the newest: the draft is back */
	test_reset_output();
	test_type("\x1b[B");
	CHECK(test_line_is("dr") && test_output_is("\a"));
	test_type("\x1b[A\r");
	CHECK(test_line_is("three"));
	CHECK(test_le.history_count == 3); /* same as the newest: not added again */
	return NULL;
}

static const char *test_history_filter(void)
{
	test_setup();
	test_type("a\ra\r   \r\rb\ra\r");
	CHECKF(test_le.history_count == 3, "%zu entries", test_le.history_count);
	test_type("\x1b[A");
	CHECK(test_line_is("a"));
	test_type("\x1b[A");
	CHECK(test_line_is("b"));
	test_type("\x1b[A");
	CHECK(test_line_is("a"));
	return NULL;
}

static const char *test_history_ring(void)
{
	char line[8] = "line00\r";

	test_setup();
	for (int i = 0; i < 20; i++) {
		line[4] = (char)('0' + i / 10);
		line[5] = (char)('0' + i % 10);
		test_type(line);
	}
	CHECK(test_le.history_count == LINE_HISTORY_SIZE);
	test_type("\x1b[A");
	CHECK(test_line_is("line19"));
	for (int i = 1; i < LINE_HISTORY_SIZE; i++)
		test_type("\x1b[A");
	CHECKF(test_line_is("line04"), "oldest kept is \"%s\"", test_le.buffer);
	test_reset_output();
	test_type("\x1b[A");
	CHECK(test_line_is("line04") && test_output_is("\a"));
	return NULL;
}

static const char *test_history_edit(void)
{
	test_setup();
	test_type("first\rsecond\r\x1b[A");
	CHECK(test_line_is("second"));
	test_type("\b\bnd2"); /* editing a recalled line makes it the draft */
	CHECK(test_line_is("second2"));
	test_type("\x1b[A"); /* from the draft, up shows the newest entry again */
	CHECK(test_line_is("second"));
	test_type("\x1b[B");
	CHECK(test_line_is("second2"));
	return NULL;
}

/* ---- Tab completion --------------------------------------------------- */

static const char *test_tab_unique(void)
{
	test_setup();
	test_type("upt");
	test_reset_output();
	test_type("\t");
	CHECK(test_line_is("uptime "));
	CHECKF(test_output_is("ime "), "completion echoed \"%s\"", test_out);
	test_setup();
	test_type("  ec\t"); /* leading spaces are not part of the word */
	CHECK(test_line_is("  echo "));
	test_setup();
	test_type("halt\t"); /* already complete and unique: just the space */
	CHECK(test_line_is("halt "));
	return NULL;
}

static const char *test_tab_ambiguous(void)
{
	test_setup();
	test_type("bo");
	test_reset_output();
	test_type("\t"); /* bootinfo, bootstrap: extend to the common prefix */
	CHECK(test_line_is("boot"));
	CHECK(test_output_is("ot"));
	test_reset_output();
	test_type("\t"); /* nothing more in common: list them, redraw */
	CHECK(test_line_is("boot"));
	CHECKF(test_output_is("\r\nbootinfo  bootstrap  \r\n" SHELL_PROMPT "boot"),
	       "listing was \"%s\"", test_out);
	test_setup();
	test_type("h");
	test_reset_output();
	test_type("\t"); /* halt, help: no extension, so list at once */
	CHECK(test_line_is("h"));
	CHECK(test_output_is("\r\nhalt  help  \r\n" SHELL_PROMPT "h"));
	return NULL;
}

static const char *test_tab_none(void)
{
	test_setup();
	test_type("zz");
	test_reset_output();
	test_type("\t");
	CHECK(test_line_is("zz") && test_output_is("\a"));
	test_setup();
	test_type("echo he");
	test_reset_output();
	test_type("\t"); /* not in the first word */
	CHECK(test_line_is("echo he") && test_output_is("\a"));
	line_editor_init(&test_le, test_capture, NULL, NULL);
	test_reset_output();
	test_type("ec\t"); /* no completion source */
	CHECK(test_line_is("ec") && test_output_is("ec\a"));
	return NULL;
}

/* ---- the cursor ------------------------------------------------------- */

static const char *test_cursor_insert(void)
{
	test_setup();
	test_type("echo wrld");
	test_reset_output();
	test_type("\x1b[D\x1b[D\x1b[D"); /* Left x3: the cursor on 'r' */
	CHECK(test_le.cursor == 6 && test_output_is("\b\b\b"));
	test_reset_output();
	test_type("o"); /* inserted; the rest reprinted, then back to the cursor */
	CHECK(test_line_is("echo world") && test_le.cursor == 7);
	CHECKF(test_output_is("orld\b\b\b"), "echoed \"%s\"", test_out);
	test_reset_output();
	test_type("\x1b[C"); /* Right: reprints the character it passes */
	CHECK(test_le.cursor == 8 && test_output_is("r"));
	CHECK(test_type("\r").done == 1 && strcmp(test_last_line, "echo world") == 0);
	return NULL;
}

static const char *test_cursor_home_end(void)
{
	/* every encoding terminals send for Home and End, and Ctrl-A / Ctrl-E */
	static const char *const homes[] = {"\x1b[H", "\x1bOH", "\x1b[1~", "\x1b[7~", "\x01"};
	static const char *const ends[] = {"\x1b[F", "\x1bOF", "\x1b[4~", "\x1b[8~", "\x05"};

	for (size_t i = 0; i < ARRAY_SIZE(homes); i++) {
		test_setup();
		test_type("cho");
		test_reset_output();
		test_type(homes[i]);
		CHECKF(test_le.cursor == 0 && test_output_is("\b\b\b"), "home %zu", i);
		test_type("e");
		CHECKF(test_line_is("echo") && test_le.cursor == 1, "home %zu", i);
		test_reset_output();
		test_type(ends[i]);
		CHECKF(test_le.cursor == 4 && test_output_is("cho"), "end %zu: \"%s\"", i, test_out);
		test_type(" x");
		CHECKF(test_line_is("echo x"), "end %zu", i);
	}
	/* Left at the start and Right at the end do nothing */
	test_setup();
	test_type("ab\x1b[C\x1bOC");
	CHECK(test_le.cursor == 2 && test_output_is("ab"));
	test_type("\x1b[D\x1bOD\x1b[D");
	CHECK(test_le.cursor == 0);
	test_reset_output();
	test_type("\x1b[D\x1b[H");
	CHECK(test_le.cursor == 0 && test_out_len == 0);
	return NULL;
}

static const char *test_cursor_delete(void)
{
	test_setup();
	test_type("echo helXlo");
	test_type("\x1b[D\x1b[D");
	test_reset_output();
	test_type("\b"); /* Backspace before the cursor: the X goes */
	CHECK(test_line_is("echo hello") && test_le.cursor == 8);
	CHECKF(test_output_is("\blo \b\b\b"), "echoed \"%s\"", test_out);
	test_type("\x1b[H\x1b[3~"); /* Delete under the cursor at the start */
	CHECK(test_line_is("cho hello") && test_le.cursor == 0);
	test_reset_output();
	test_type("\x1b[F\x1b[3~"); /* Delete at the end: nothing */
	CHECK(test_line_is("cho hello") && test_output_is("cho hello"));
	test_type("\x01\x7f"); /* Backspace at the start: nothing */
	CHECK(test_line_is("cho hello") && test_le.cursor == 0);
	test_type("e\r");
	CHECK(strcmp(test_last_line, "echo hello") == 0);
	/* Ctrl-U from the middle erases all of it */
	test_type("abcdef\x1b[D\x1b[D\x1b[D\x15");
	CHECK(test_line_is("") && test_le.cursor == 0);
	/* Tab away from the end of the line only rings */
	test_type("ech\x1b[D");
	test_reset_output();
	test_type("\t");
	CHECK(test_line_is("ech") && test_output_is("\a"));
	/* a recalled line is edited like a typed one and becomes the draft */
	test_setup();
	test_type("echo one\r");
	test_type("\x1b[A\x1b[D\x1b[D\x1b[D\x1b[3~\x1b[3~\x1b[3~two\r");
	CHECK(strcmp(test_last_line, "echo two") == 0);
	CHECK(test_le.history_count == 2);
	return NULL;
}

/* ---- ignored input ---------------------------------------------------- */

static const char *test_escapes_ignored(void)
{
	static const char *const sequences[] = {
		"\x1b[1;5C", "\x1b[200~", "\x1b[201~", "\x1bOP", "\x1bx", "\x1b[C", "\x1b[3~",
		"\x1b\x1b[Z", "\x1b[?25h", "\x1b[2~", "\x1b[5~", "\x1b[3 ~", "\x1b[1;3~",
		"\x1b[99999999999999999999999999999999999999999999999999999999999999999999993~", "\x1b[1A", "\x1b\xff",
		"\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23;24;25;26;"
		"27;28;29;30;31;32;33;34;35;36;37;38;39;40;41;42;43;44;45;46;47;48;49;50m",
	};

	for (size_t i = 0; i < ARRAY_SIZE(sequences); i++) {
		test_setup();
		test_type("a");
		test_type(sequences[i]);
		test_type("b");
		CHECKF(test_line_is("ab"), "sequence %zu left \"%s\"", i, test_le.buffer);
		CHECKF(test_output_is("ab"), "sequence %zu echoed \"%s\"", i, test_out);
	}
	return NULL;
}

static const char *test_escape_aborted(void)
{
	test_setup();
	/* an unfinished sequence must not swallow Enter or Ctrl-C */
	CHECK(test_type("ok\x1b[12\r").done == 1);
	CHECK(test_line_is("ok"));
	CHECK(test_type("x\x1b\x03").cancelled == 1);
	CHECK(test_type("y\x1bO\r").done == 1);
	CHECK(test_line_is("y"));
	return NULL;
}

static const char *test_bytes_ignored(void)
{
	test_setup();
	test_type("\x80\xff\xfe" "a\x02\x04\x07\x0b\x0c\x0e\x1f\x9b" "b\xc3\xa9");
	CHECK(test_line_is("ab"));
	CHECK(test_output_is("ab"));
	return NULL;
}

/* ---- limits ----------------------------------------------------------- */

static const char *test_overflow(void)
{
	struct test_typed t;

	test_setup();
	for (int i = 0; i < 300; i++)
		test_type("x");
	CHECK(test_le.length == LINE_MAX_LENGTH && test_le.overflowed);
	CHECK(test_le.buffer[LINE_MAX_LENGTH] == '\0');
	CHECKF(test_count_char(test_out, test_out_len, '\a') == 1, "%zu bells",
	       test_count_char(test_out, test_out_len, '\a'));
	CHECK(test_count_char(test_out, test_out_len, 'x') == LINE_MAX_LENGTH);
	test_type("\b"); /* characters were lost: still rejected */
	t = test_type("\r\n");
	CHECK(t.too_long == 1 && t.done == 0);
	CHECK(test_le.length == 0 && !test_le.overflowed && test_le.history_count == 0);
	t = test_type("echo ok\r");
	CHECK(t.done == 1 && test_line_is("echo ok"));

	/* an overflowed draft stays overflowed across a history walk */
	for (int i = 0; i < 300; i++)
		test_type("y");
	test_type("\x1b[A\x1b[B");
	CHECK(test_le.overflowed);
	CHECK(test_type("\r").too_long == 1);
	/* Ctrl-U starts over */
	for (int i = 0; i < 300; i++)
		test_type("z");
	test_type("\x15" "fine\r");
	CHECK(test_line_is("fine"));
	return NULL;
}

/* s is at most LINE_MAX_LENGTH printable characters, NUL terminated. */
static bool test_string_is_clean(const char *s)
{
	size_t n = strnlen(s, LINE_MAX_LENGTH + 1);

	if (n > LINE_MAX_LENGTH)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool test_line_invariants_hold(void)
{
	if (test_le.length > LINE_MAX_LENGTH || test_le.buffer[test_le.length] != '\0' ||
	    test_le.cursor > test_le.length)
		return false;
	if (strlen(test_le.buffer) != test_le.length || !test_string_is_clean(test_le.buffer))
		return false;
	return test_le.history_count <= LINE_HISTORY_SIZE &&
	       test_le.history_pos <= test_le.history_count;
}

/* The echo holds only printable characters and CR, LF, BS, BEL: no input byte leaks. */
static bool test_output_is_clean(void)
{
	for (size_t i = 0; i < test_out_len; i++) {
		char c = test_out[i];

		if ((c < 0x20 || c > 0x7e) && c != '\r' && c != '\n' && c != '\b' && c != '\a')
			return false;
	}
	return true;
}

static const char *test_random_bytes(void)
{
	static const uint64_t seeds[] = {0x9e3779b97f4a7c15ull, 1234, 0xdeadbeefcafef00dull};
	unsigned lines = 0;

	for (size_t s = 0; s < ARRAY_SIZE(seeds); s++) {
		uint64_t state = seeds[s];

		test_setup();
		for (int i = 0; i < 4096; i++) {
			unsigned char c = (unsigned char)random_next(&state);

			if (line_editor_feed(&test_le, c) == LINE_DONE)
				lines++;
			CHECKF(test_line_invariants_hold(), "seed %zu, byte %d (0x%02x): bad state",
			       s, i, c);
			if (test_out_len > sizeof(test_out) / 2) {
				CHECKF(test_output_is_clean(), "seed %zu: raw byte echoed", s);
				test_reset_output();
			}
		}
		CHECKF(test_output_is_clean(), "seed %zu: raw byte echoed", s);
		for (size_t k = 0; k < LINE_HISTORY_SIZE; k++)
			CHECKF(test_string_is_clean(test_le.history[k]),
			       "seed %zu: history slot %zu", s, k);
		/* still usable afterwards */
		CHECK(test_type("\x03" "echo alive\r").done == 1);
		CHECK(test_line_is("echo alive"));
	}
	CHECK(lines > 0); /* the byte stream did contain Enters */
	return NULL;
}

static const struct selftest line_editor_tests[] = {
	{"typing", "printable characters are stored and echoed; Enter ends the line", test_typing},
	{"enter_forms", "CR, LF and CRLF each end exactly one line", test_enter_forms},
	{"backspace", "Backspace and DEL erase one character, nothing at an empty line",
	 test_backspace},
	{"ctrl_c", "Ctrl-C prints ^C, cancels the line, leaves no history", test_ctrl_c},
	{"ctrl_u", "Ctrl-U erases the whole line on screen", test_ctrl_u},
	{"history_walk", "up/down walk the history and restore the draft, bell at the ends",
	 test_history_walk},
	{"history_filter", "blank lines and repeats are not added to the history",
	 test_history_filter},
	{"history_ring", "the history keeps the newest 16 lines", test_history_ring},
	{"history_edit", "editing a recalled line turns it into the draft", test_history_edit},
	{"tab_unique", "Tab completes a unique match and adds a space", test_tab_unique},
	{"tab_ambiguous", "Tab extends to the common prefix, then lists the matches",
	 test_tab_ambiguous},
	{"tab_none", "Tab rings the bell with no match or outside the first word", test_tab_none},
	{"cursor_insert", "Left/Right move the cursor; typing inserts there", test_cursor_insert},
	{"cursor_home_end", "Home and End in every encoding, Ctrl-A and Ctrl-E",
	 test_cursor_home_end},
	{"cursor_delete", "Backspace and Delete in the middle; Tab only at the end",
	 test_cursor_delete},
	{"escapes_ignored", "unknown escape sequences are consumed without echo",
	 test_escapes_ignored},
	{"escape_aborted", "a control key ends an unfinished escape sequence and acts",
	 test_escape_aborted},
	{"bytes_ignored", "other control characters and 8-bit bytes are ignored",
	 test_bytes_ignored},
	{"overflow", "a too-long line rings once, is rejected, and the editor recovers",
	 test_overflow},
	{"random_bytes", "3 x 4 KiB of pseudo-random bytes keep every invariant",
	 test_random_bytes},
};

SELFTEST_SUITE(line_editor, line_editor_tests);
