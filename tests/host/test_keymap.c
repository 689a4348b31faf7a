/*
 * test_keymap.c - suite "keymap": scan code set 1 to terminal bytes
 * (drivers/keymap.c), fed byte by byte as the i8042 delivers them.
 *
 * The expected characters are written out here row by row as a US
 * keyboard prints them, independently of the driver's tables, and each
 * key is pressed and released as a real keyboard does it: make code, then
 * the same code with bit 7 set. Checked: every printable ASCII character
 * with and without Shift (both Shifts), Caps Lock (letters only, undone by
 * Shift), Ctrl (letters and [ \ ]), both Ctrls, Enter/Backspace/Tab/Esc,
 * the 0xE0 cursor keys and their keypad twins under Num Lock, the Pause
 * key's 0xE1 sequence and Print Screen's fake shifts typing nothing, the
 * keyboard's own answers ignored, and random bytes never writing more than
 * KEYMAP_MAX_BYTES or anything but the bytes the table lists.
 * Hosted: libc allowed; reaches the driver only through keymap.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/keymap.h"
#include "kernel/selftest.h"
#include "lib/compiler.h"
#include "lib/random.h"
#include "lib/string.h"

#define RELEASE 0x80
#define E0 0xe0
#define SHIFT_LEFT 0x2a
#define SHIFT_RIGHT 0x36
#define CTRL 0x1d
#define CAPS 0x3a
#define NUM_LOCK 0x45

static struct keymap_state test_km;
static char test_typed[256]; /* what the keys typed since test_start() */
static size_t test_typed_len;

static void test_start(void)
{
	keymap_init(&test_km);
	test_typed_len = 0;
	test_typed[0] = '\0';
}

/* Feed one byte; fail the run if it writes past KEYMAP_MAX_BYTES (the guard bytes). */
static void test_feed(uint8_t code)
{
	char out[KEYMAP_MAX_BYTES + 4];

	memset(out, 0x5a, sizeof(out));
	size_t n = keymap_feed(&test_km, code, out);
	for (size_t i = KEYMAP_MAX_BYTES; i < sizeof(out); i++)
		if (out[i] != 0x5a || n > KEYMAP_MAX_BYTES)
			n = 0, test_typed_len = sizeof(test_typed) - 1; /* poisons the result */
	if (test_typed_len + n < sizeof(test_typed)) {
		memcpy(test_typed + test_typed_len, out, n);
		test_typed_len += n;
		test_typed[test_typed_len] = '\0';
	}
}

/* Press and release the key with make code code (e0: behind the 0xE0 prefix). */
static void test_key(bool e0, uint8_t code)
{
	if (e0)
		test_feed(E0);
	test_feed(code);
	if (e0)
		test_feed(E0);
	test_feed(code | RELEASE);
}

static bool test_typed_is(const char *expected)
{
	return test_typed_len == strlen(expected) && memcmp(test_typed, expected, test_typed_len) == 0;
}

/* The US layout's character rows: first make code, unshifted, shifted. */
static const struct {
	uint8_t first;
	const char *plain, *shifted;
} test_rows[] = {
	{0x02, "1234567890-=", "!@#$%^&*()_+"},
	{0x10, "qwertyuiop[]", "QWERTYUIOP{}"},
	{0x1e, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
	{0x2b, "\\zxcvbnm,./", "|ZXCVBNM<>?"},
	{0x39, " ", " "},
};

/* Type every row, with Shift held by shift_code (0: none). */
static const char *test_rows_with(uint8_t shift_code)
{
	for (size_t r = 0; r < ARRAY_SIZE(test_rows); r++) {
		const char *expect = shift_code ? test_rows[r].shifted : test_rows[r].plain;
		test_start();
		if (shift_code)
			test_feed(shift_code);
		for (size_t i = 0; expect[i]; i++)
			test_key(false, (uint8_t)(test_rows[r].first + i));
		if (shift_code)
			test_feed(shift_code | RELEASE);
		CHECKF(test_typed_is(expect), "row %zu typed \"%s\", expected \"%s\"", r, test_typed,
		       expect);
	}
	return NULL;
}

static const char *test_us_layout(void)
{
	CHECK_OK(test_rows_with(0));
	CHECK_OK(test_rows_with(SHIFT_LEFT));
	CHECK_OK(test_rows_with(SHIFT_RIGHT));
	/* after Shift is released, lower case again */
	test_start();
	test_feed(SHIFT_LEFT);
	test_key(false, 0x1e);
	test_feed(SHIFT_LEFT | RELEASE);
	test_key(false, 0x1e);
	CHECK(test_typed_is("Aa"));
	/* a key held down repeats its make code: each one types */
	test_start();
	test_feed(0x1e);
	test_feed(0x1e);
	test_feed(0x1e);
	test_feed(0x1e | RELEASE);
	CHECK(test_typed_is("aaa"));
	return NULL;
}

static const char *test_caps_lock(void)
{
	test_start();
	test_key(false, CAPS);
	test_key(false, 0x1e); /* a */
	test_key(false, 0x02); /* 1: not a letter */
	test_key(false, 0x1a); /* [ */
	test_feed(SHIFT_LEFT);
	test_key(false, 0x1e); /* Shift undoes Caps Lock for letters */
	test_key(false, 0x02);
	test_feed(SHIFT_LEFT | RELEASE);
	test_key(false, CAPS); /* off again */
	test_key(false, 0x1e);
	CHECKF(test_typed_is("A1[a!a"), "typed \"%s\"", test_typed);
	/* holding Caps Lock (repeated make codes) toggles once per press, as hardware repeats */
	test_start();
	test_feed(CAPS);
	test_feed(CAPS | RELEASE);
	test_key(false, 0x30); /* b */
	CHECK(test_typed_is("B"));
	return NULL;
}

static const char *test_ctrl(void)
{
	test_start();
	test_feed(CTRL);
	test_key(false, 0x2e); /* c -> 0x03 */
	test_key(false, 0x1e); /* a -> 0x01 */
	test_key(false, 0x2c); /* z -> 0x1a */
	test_key(false, 0x1a); /* [ -> ESC */
	test_key(false, 0x2b); /* \ -> 0x1c */
	test_key(false, 0x1b); /* ] -> 0x1d */
	test_feed(CTRL | RELEASE);
	test_key(false, 0x2e);
	CHECKF(test_typed_len == 7 && memcmp(test_typed, "\x03\x01\x1a\x1b\x1c\x1d" "c", 7) == 0,
	       "typed %zu bytes", test_typed_len);
	/* right Ctrl (E0 1D), with Shift and Caps Lock too: still the control code */
	test_start();
	test_key(false, CAPS);
	test_feed(E0);
	test_feed(CTRL);
	test_feed(SHIFT_RIGHT);
	test_key(false, 0x2e);
	test_feed(SHIFT_RIGHT | RELEASE);
	test_feed(E0);
	test_feed(CTRL | RELEASE);
	test_key(false, 0x2e);
	CHECK(test_typed_len == 2 && test_typed[0] == 0x03 && test_typed[1] == 'C');
	return NULL;
}

static const char *test_special_keys(void)
{
	test_start();
	test_key(false, 0x1c); /* Enter */
	test_key(true, 0x1c);  /* keypad Enter */
	test_key(false, 0x0e); /* Backspace */
	test_key(false, 0x0f); /* Tab */
	test_key(false, 0x01); /* Esc */
	test_key(true, 0x35);  /* keypad / */
	test_key(false, 0x37); /* keypad * */
	CHECKF(test_typed_is("\r\r\x7f\t\x1b/*"), "typed \"%s\"", test_typed);
	return NULL;
}

/* The gray cursor keys: E0 + the keypad code; the keypad itself with Num Lock off. */
static const char *test_cursor_keys(void)
{
	static const struct {
		uint8_t code;
		const char *bytes;
	} keys[] = {
		{0x48, "\x1b[A"}, {0x50, "\x1b[B"}, {0x4d, "\x1b[C"}, {0x4b, "\x1b[D"},
		{0x47, "\x1b[H"}, {0x4f, "\x1b[F"}, {0x53, "\x1b[3~"}, {0x52, "\x1b[2~"},
		{0x49, "\x1b[5~"}, {0x51, "\x1b[6~"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		test_start();
		test_key(true, keys[i].code);
		CHECKF(test_typed_is(keys[i].bytes), "E0 %02x typed \"%s\"", keys[i].code,
		       test_typed + 1);
		test_start(); /* Num Lock starts on: the keypad types digits */
		test_key(false, keys[i].code);
		CHECKF(test_typed_len == 1 && ((test_typed[0] >= '0' && test_typed[0] <= '9') ||
					       test_typed[0] == '.'),
		       "keypad %02x typed \"%s\"", keys[i].code, test_typed);
		test_key(false, NUM_LOCK); /* off: the key printed under the digit */
		test_typed_len = 0;
		test_key(false, keys[i].code);
		CHECKF(test_typed_is(keys[i].bytes), "keypad %02x without Num Lock", keys[i].code);
	}
	test_start();
	test_key(false, 0x53); /* keypad . */
	test_key(false, 0x4a); /* keypad - */
	test_key(false, 0x4e); /* keypad + */
	test_key(false, 0x4c); /* keypad 5 */
	CHECK(test_typed_is(".-+5"));
	test_key(false, NUM_LOCK);
	test_typed_len = 0;
	test_key(false, 0x4c); /* keypad 5 without Num Lock: nothing */
	test_key(false, 0x4a);
	CHECK(test_typed_is("-"));
	return NULL;
}

static const char *test_ignored(void)
{
	test_start();
	/* Pause: E1 1D 45 E1 9D C5, then an ordinary key */
	static const uint8_t pause[] = {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5};
	for (size_t i = 0; i < sizeof(pause); i++)
		test_feed(pause[i]);
	test_key(false, 0x1e);
	/* Print Screen: E0 2A E0 37, E0 B7 E0 AA (fake shifts must not stick) */
	static const uint8_t prtsc[] = {0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa};
	for (size_t i = 0; i < sizeof(prtsc); i++)
		test_feed(prtsc[i]);
	test_key(false, 0x1e);
	/* F1, F12, Scroll Lock, Alt, right Alt, GUI; the keyboard's ACK, resend, errors */
	static const uint8_t nothing[] = {0x3b, 0x58, 0x46, 0x38, 0xfa, 0xfe, 0x00, 0xff, 0xee};
	for (size_t i = 0; i < sizeof(nothing); i++)
		test_key(false, nothing[i] & 0x7f);
	test_key(true, 0x38);
	test_key(true, 0x5b);
	test_feed(0xfa);
	test_feed(0x00);
	test_key(false, 0x1e);
	CHECKF(test_typed_is("aaa"), "typed \"%s\"", test_typed);
	return NULL;
}

/* The bytes a key may type: printable, \r \t ESC DEL, Ctrl codes, CSI parts. */
static bool test_byte_possible(char c)
{
	unsigned char u = (unsigned char)c;
	return (u >= 0x01 && u <= 0x1d) || (u >= 0x20 && u <= 0x7f);
}

static const char *test_random_bytes(void)
{
	uint64_t state = 0x2545f4914f6cdd1dull;

	for (int round = 0; round < 64; round++) {
		test_start();
		for (int i = 0; i < 200; i++) {
			test_feed((uint8_t)random_next(&state));
			if (test_typed_len > sizeof(test_typed) / 2)
				test_typed_len = 0;
			CHECKF(test_typed_len < sizeof(test_typed) - 1, "round %d: a key wrote past %d bytes",
			       round, KEYMAP_MAX_BYTES);
			for (size_t k = 0; k < test_typed_len; k++)
				CHECKF(test_byte_possible(test_typed[k]), "round %d: byte 0x%02x", round,
				       (unsigned char)test_typed[k]);
		}
		/* release every modifier (plain bytes end any prefix), then a key types 'a' or 'A' */
		static const uint8_t up[] = {0x00, 0x00, 0x00, SHIFT_LEFT | RELEASE,
					     SHIFT_RIGHT | RELEASE, CTRL | RELEASE, E0, CTRL | RELEASE};
		for (size_t k = 0; k < sizeof(up); k++)
			test_feed(up[k]);
		test_typed_len = 0;
		test_key(false, 0x1e);
		CHECKF(test_typed_is(test_km.caps_lock ? "A" : "a"), "round %d: typed \"%s\"", round,
		       test_typed);
	}
	return NULL;
}

static const struct selftest keymap_tests[] = {
	{"us_layout", "every printable character, with and without either Shift", test_us_layout},
	{"caps_lock", "Caps Lock shifts letters only; Shift undoes it", test_caps_lock},
	{"ctrl", "Ctrl+letter is 1..26, Ctrl+[ \\ ] are ESC, 0x1c, 0x1d; both Ctrls", test_ctrl},
	{"special_keys", "Enter, keypad Enter, Backspace (DEL), Tab, Esc, keypad / *",
	 test_special_keys},
	{"cursor_keys", "arrows, Home, End, Delete, Insert, Page Up/Down; keypad by Num Lock",
	 test_cursor_keys},
	{"ignored", "Pause, Print Screen's fake shifts, F-keys, Alt, the keyboard's answers",
	 test_ignored},
	{"random_bytes", "64 x 200 random bytes: bounded output, known bytes, state recovers",
	 test_random_bytes},
};

SELFTEST_SUITE(keymap, keymap_tests);
