/*
 * parse.c - parse_u64 and friends (contracts in lib/parse.h).
 *
 * The parser makes one pass over the string in three steps: optional "0x",
 * digits, optional suffix letter, then it insists on the end of the string.
 * Overflow is detected with checks made *before* each multiplication and
 * addition (never by looking at a result that already wrapped), and it is
 * only remembered while scanning, so that a malformed string is reported as
 * -EINVAL even if its digits were also too many.
 * Invariants:
 *   [x] *out is written only on success.
 */
#include "lib/parse.h"

#include <stdbool.h>
#include <stddef.h>

#include "lib/errno.h"

/* Value of c as a digit in base (10 or 16), or -1 if it is not one. */
static int digit_value(char c, unsigned base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < (int)base ? d : -1;
}

/* log2 of the multiplier of a size suffix (K: 10, M: 20, ...), or 0 if c is not one. */
static unsigned suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return 0;
	}
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10, shift;
	uint64_t value = 0;
	bool overflow = false;
	size_t ndigits = 0;
	int d;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}

	for (; (d = digit_value(*s, base)) >= 0; s++, ndigits++) {
		/* value * base + d must stay <= UINT64_MAX. */
		if (value > (UINT64_MAX - (uint64_t)d) / base)
			overflow = true;
		else
			value = value * base + (uint64_t)d;
	}
	if (ndigits == 0)
		return -EINVAL; /* "", "0x", "K", "-1", " 1" */

	shift = suffix_shift(*s);
	if (shift)
		s++;
	if (*s != '\0')
		return -EINVAL; /* junk, or something after the suffix ("1KB") */

	/* The suffix multiplies by 2^shift: the top shift bits must be free. */
	if (overflow || (shift && value > UINT64_MAX >> shift))
		return -ERANGE;
	*out = value << shift;
	return 0;
}

int parse_u64_range(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t value;
	int err = parse_u64(s, &value);

	if (err)
		return err;
	if (value < min || value > max)
		return -ERANGE;
	*out = value;
	return 0;
}

const char *parse_error_text(int err)
{
	switch (err) {
	case -EINVAL: return "not a number";
	case -ERANGE: return "number out of range";
	default: return "invalid number";
	}
}
