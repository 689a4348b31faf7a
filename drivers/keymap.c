/*
 * keymap.c - the scan-code-set-1 state machine (see keymap.h).
 *
 * Codes come from the IBM PC AT keyboard's set 1 (the XT codes the i8042
 * translates set 2 into; the table in IBM's "Keyboard and Auxiliary Device
 * Controller" technical reference, and Microsoft's "Keyboard Scan Code
 * Specification" (rev 1.3a) for the 0xE0 keys). Two tables give what a key
 * types without and with Shift; a 0 there means "types nothing by itself"
 * (modifiers, function keys, keypad keys, which have cases of their own).
 * Escape sequences are the xterm/VT220 ones the line editor reads.
 *
 * Invariants:
 *   [x] the tables cover codes 0x00..KEYMAP_CODES-1; other codes type nothing;
 *   [x] Caps Lock changes letters only; Ctrl turns a letter into 1..26.
 * Context: any (pure).
 */
#include "drivers/keymap.h"

#include "lib/string.h"

#define SC_PREFIX_E0 0xe0     /* the next byte is an extended key */
#define SC_PREFIX_E1 0xe1     /* Pause: E1 1D 45 E1 9D C5, no release */
#define SC_E1_FOLLOWERS 2     /* bytes after each E1 of the Pause sequence */
#define SC_RELEASE 0x80       /* bit 7: the key went up */
#define SC_CODE_MASK 0x7f

/* Make codes that are not plain characters (set 1). */
#define SC_ESC 0x01
#define SC_BACKSPACE 0x0e
#define SC_ENTER 0x1c         /* E0 1C: keypad Enter */
#define SC_CTRL 0x1d          /* E0 1D: right Ctrl */
#define SC_SHIFT_LEFT 0x2a    /* E0 2A: the fake shift around Print Screen */
#define SC_SHIFT_RIGHT 0x36   /* E0 36: its fake right shift */
#define SC_KP_STAR 0x37
#define SC_ALT 0x38           /* E0 38: right Alt (AltGr) */
#define SC_CAPS_LOCK 0x3a
#define SC_NUM_LOCK 0x45
#define SC_KP_FIRST 0x47      /* keypad 7 (Home) .. keypad . (Delete) */
#define SC_KP_LAST 0x53
#define SC_KP_MINUS 0x4a
#define SC_KP_5 0x4c
#define SC_KP_PLUS 0x4e
#define SC_KP_SLASH 0x35      /* with E0 */

#define KEY_ESC 0x1b
#define KEY_DEL 0x7f

#define KEYMAP_CODES 0x3a     /* codes 0x00..0x39 have table entries */

/* clang-format off */
static const char plain[KEYMAP_CODES] = {
	0, KEY_ESC, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', KEY_DEL, '\t',
	'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r', 0, 'a', 's',
	'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
	'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};
static const char shifted[KEYMAP_CODES] = {
	0, KEY_ESC, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', KEY_DEL, '\t',
	'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0, 'A', 'S',
	'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|', 'Z', 'X', 'C', 'V',
	'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ',
};

/*
 * The keypad, 0x47..0x53: with Num Lock, the character; without, the
 * sequence of the key printed below it (the same as the E0 key's). "" for
 * keypad 5 without Num Lock. Minus and plus are the same either way.
 */
static const char *const keypad_num[SC_KP_LAST - SC_KP_FIRST + 1] = {
	"7", "8", "9", "-", "4", "5", "6", "+", "1", "2", "3", "0", ".",
};
static const char *const keypad_nav[SC_KP_LAST - SC_KP_FIRST + 1] = {
	"\x1b[H", "\x1b[A", "\x1b[5~", "-", "\x1b[D", "", "\x1b[C", "+",
	"\x1b[F", "\x1b[B", "\x1b[6~", "\x1b[2~", "\x1b[3~",
};
/* clang-format on */

void keymap_init(struct keymap_state *s)
{
	memset(s, 0, sizeof(*s));
	s->num_lock = true;
}

static size_t put_string(char out[KEYMAP_MAX_BYTES], const char *s)
{
	size_t n = strnlen(s, KEYMAP_MAX_BYTES);

	memcpy(out, s, n);
	return n;
}

/* One character key with the modifiers applied. */
static size_t put_char(const struct keymap_state *s, uint8_t code, char out[KEYMAP_MAX_BYTES])
{
	bool shift = s->shift_left || s->shift_right;
	char c = plain[code];

	if (c >= 'a' && c <= 'z') {
		if (s->ctrl_left || s->ctrl_right) {
			out[0] = (char)(c - 'a' + 1);
			return 1;
		}
		if (shift != s->caps_lock)
			c = shifted[code];
	} else if (shift) {
		c = shifted[code];
	}
	if ((s->ctrl_left || s->ctrl_right) && (c == '[' || c == '\\' || c == ']'))
		c = (char)(c - 0x40); /* Ctrl-[ is ESC, Ctrl-\ 0x1c (SIGQUIT), Ctrl-] 0x1d */
	if (c == 0)
		return 0;
	out[0] = c;
	return 1;
}

/* An 0xE0 key (after the prefix): the gray cursor block, keypad Enter and /. */
static size_t extended_key(struct keymap_state *s, uint8_t code, bool release,
			   char out[KEYMAP_MAX_BYTES])
{
	if (code == SC_CTRL) {
		s->ctrl_right = !release;
		return 0;
	}
	if (release)
		return 0; /* E0 2A / E0 36 (fake shifts), GUI keys, right Alt: nothing */
	if (code == SC_ENTER)
		return put_string(out, "\r");
	if (code == SC_KP_SLASH)
		return put_string(out, "/");
	if (code >= SC_KP_FIRST && code <= SC_KP_LAST && code != SC_KP_MINUS &&
	    code != SC_KP_5 && code != SC_KP_PLUS) /* the gray cursor block */
		return put_string(out, keypad_nav[code - SC_KP_FIRST]);
	return 0;
}

size_t keymap_feed(struct keymap_state *s, uint8_t code, char out[KEYMAP_MAX_BYTES])
{
	bool release = code & SC_RELEASE;
	bool e0 = s->e0;
	uint8_t key = code & SC_CODE_MASK;

	s->e0 = false;
	if (s->e1_left > 0) {
		s->e1_left--;
		return 0;
	}
	if (code == SC_PREFIX_E1) {
		s->e1_left = SC_E1_FOLLOWERS;
		return 0;
	}
	if (code == SC_PREFIX_E0) {
		s->e0 = true;
		return 0;
	}
	if (e0)
		return extended_key(s, key, release, out);

	switch (key) {
	case SC_SHIFT_LEFT:
		s->shift_left = !release;
		return 0;
	case SC_SHIFT_RIGHT:
		s->shift_right = !release;
		return 0;
	case SC_CTRL:
		s->ctrl_left = !release;
		return 0;
	case SC_CAPS_LOCK:
		if (!release)
			s->caps_lock = !s->caps_lock;
		return 0;
	case SC_NUM_LOCK:
		if (!release)
			s->num_lock = !s->num_lock;
		return 0;
	default:
		break;
	}
	if (release)
		return 0;
	if (key >= SC_KP_FIRST && key <= SC_KP_LAST && s->num_lock)
		return put_string(out, keypad_num[key - SC_KP_FIRST]);
	if (key >= SC_KP_FIRST && key <= SC_KP_LAST)
		return put_string(out, keypad_nav[key - SC_KP_FIRST]);
	if (key < KEYMAP_CODES)
		return put_char(s, key, out);
	return 0; /* F-keys, Scroll Lock, unknown codes, the keyboard's 0xFA/0xFE answers */
}
