/*
 * printf.c - the formatting engine behind kprintf and ksnprintf.
 *
 * One formatter, two destinations. format() walks the format string and
 * hands every output character to a "sink":
 *   - ksnprintf's sink is the caller's buffer: characters beyond its end are
 *     counted but not stored;
 *   - kprintf's sink is a 64-byte chunk on the stack, flushed to the output
 *     function whenever it fills up and once at the end.
 * Either way the sink counts every character, which gives the C99 return
 * value.
 * Invariants:
 *   [x] a sink never stores past buf[cap-1]; cap leaves room for the NUL;
 *   [x] format() reads each argument exactly once, in order, and only for
 *       conversions it recognizes (an unknown one consumes nothing);
 *   [x] no global state is written except by kprintf_set_output() and
 *       kprintf_set_serializer() (the console lock around each kprintf).
 * Context: any (see lib/printf.h).
 */
#include "lib/printf.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/string.h"

/* kprintf's chunk: small enough for any stack, big enough for few write calls. */
#define PRINTF_CHUNK 64

/* Widths and precisions beyond this are clamped (keeps the arithmetic in range). */
#define PRINTF_MAX_FIELD 4096

static kprintf_output_fn kprintf_output;
static void (*kprintf_begin)(void); /* the console's lock around one call, or NULL */
static void (*kprintf_end)(void);

struct sink {
	char *buf;               /* where characters are stored (NULL if cap == 0) */
	size_t cap;              /* characters buf can hold before it is full */
	size_t pos;              /* characters currently stored in buf */
	size_t total;            /* characters produced so far, stored or not */
	kprintf_output_fn flush; /* kprintf: called with each full chunk; else NULL */
};

static void sink_put(struct sink *s, char c)
{
	s->total++;
	if (s->pos < s->cap) {
		s->buf[s->pos++] = c;
		if (s->pos == s->cap && s->flush) {
			s->flush(s->buf, s->pos);
			s->pos = 0;
		}
	}
}

static void sink_repeat(struct sink *s, char c, int n)
{
	while (n-- > 0)
		sink_put(s, c);
}

static void sink_string(struct sink *s, const char *str, size_t n)
{
	while (n--)
		sink_put(s, *str++);
}

/* One parsed conversion specification. */
struct spec {
	bool left;      /* '-': pad on the right */
	bool zero;      /* '0': pad numbers with zeros */
	bool plus;      /* '+': always print a sign */
	bool space;     /* ' ': a space where a '+' would go */
	bool alt;       /* '#': 0x prefix for %x, leading 0 for %o */
	int width;      /* minimum field width, 0 if none */
	int precision;  /* -1 if none */
};

/* Pad s out to the field width, on the side the '-' flag says. */
static void put_padded(struct sink *s, const struct spec *sp, const char *str, size_t len)
{
	int pad = sp->width > (int)len ? sp->width - (int)len : 0;

	if (!sp->left)
		sink_repeat(s, ' ', pad);
	sink_string(s, str, len);
	if (sp->left)
		sink_repeat(s, ' ', pad);
}

/*
 * Print the magnitude mag in base, preceded by prefix ("-", "+", "0x", ...),
 * honouring width, precision and the '-' and '0' flags. The field is laid out
 * as [spaces][prefix][zeros][digits][spaces].
 */
static void put_number(struct sink *s, struct spec sp, uint64_t mag, unsigned base, bool upper,
		       const char *prefix)
{
	const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24]; /* 64 bits in octal is 22 digits */
	int ndigits = 0, nprefix = (int)strlen(prefix), zeros, pad;

	/* Digits come out least significant first; they are printed in reverse. */
	while (mag) {
		digits[ndigits++] = digit_chars[mag % base];
		mag /= base;
	}
	if (ndigits == 0 && sp.precision != 0)
		digits[ndigits++] = '0'; /* C: "%.0d" of 0 prints no digits at all */
	if (sp.alt && base == 8 && (ndigits == 0 || digits[ndigits - 1] != '0'))
		sp.precision = ndigits + 1; /* "%#o": the first digit must be 0 */

	zeros = sp.precision > ndigits ? sp.precision - ndigits : 0;
	if (sp.zero && !sp.left && sp.precision < 0 && sp.width > nprefix + ndigits)
		zeros = sp.width - nprefix - ndigits; /* '0' flag: zeros fill the field */
	pad = sp.width - nprefix - zeros - ndigits;

	if (!sp.left)
		sink_repeat(s, ' ', pad);
	sink_string(s, prefix, (size_t)nprefix);
	sink_repeat(s, '0', zeros);
	while (ndigits)
		sink_put(s, digits[--ndigits]);
	if (sp.left)
		sink_repeat(s, ' ', pad);
}

/* Read a decimal field width/precision; clamps huge values instead of overflowing. */
static int parse_field(const char **p)
{
	int n = 0;

	while (**p >= '0' && **p <= '9') {
		if (n < PRINTF_MAX_FIELD)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n < PRINTF_MAX_FIELD ? n : PRINTF_MAX_FIELD;
}

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

/*
 * The formatter. All va_arg calls are in this one function, so the va_list
 * never has to be passed around by pointer (which is awkward on x86-64,
 * where va_list is an array type).
 */
static void format(struct sink *s, const char *fmt, va_list ap)
{
	while (*fmt) {
		const char *start = fmt;
		struct spec sp = {.precision = -1};
		enum length len = LEN_NONE;
		uint64_t u = 0;
		int64_t v = 0;
		bool is_signed = false;
		unsigned base = 10;
		bool upper = false;
		const char *prefix = "";

		if (*fmt != '%') {
			sink_put(s, *fmt++);
			continue;
		}
		fmt++;

		/* Flags, in any order. */
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = true;
			else if (*fmt == '0')
				sp.zero = true;
			else if (*fmt == '+')
				sp.plus = true;
			else if (*fmt == ' ')
				sp.space = true;
			else if (*fmt == '#')
				sp.alt = true;
			else
				break;
		}

		/* Width. */
		if (*fmt == '*') {
			int w = va_arg(ap, int);

			fmt++;
			if (w < 0) {
				sp.left = true;
				w = w < -PRINTF_MAX_FIELD ? PRINTF_MAX_FIELD : -w;
			}
			sp.width = w < PRINTF_MAX_FIELD ? w : PRINTF_MAX_FIELD;
		} else {
			sp.width = parse_field(&fmt);
		}

		/* Precision: "." alone means 0; a negative * means "none". */
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				int p = va_arg(ap, int);

				fmt++;
				if (p > PRINTF_MAX_FIELD)
					p = PRINTF_MAX_FIELD;
				sp.precision = p < 0 ? -1 : p;
			} else {
				sp.precision = parse_field(&fmt);
			}
		}

		/* Length modifier. */
		switch (*fmt) {
		case 'h':
			fmt++;
			len = LEN_H;
			if (*fmt == 'h') {
				fmt++;
				len = LEN_HH;
			}
			break;
		case 'l':
			fmt++;
			len = LEN_L;
			if (*fmt == 'l') {
				fmt++;
				len = LEN_LL;
			}
			break;
		case 'z':
			fmt++;
			len = LEN_Z;
			break;
		case 'j':
			fmt++;
			len = LEN_J;
			break;
		case 't':
			fmt++;
			len = LEN_T;
			break;
		}

		/* The conversion itself. */
		switch (*fmt) {
		case '%':
			sink_put(s, '%');
			fmt++;
			continue;
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(s, &sp, &c, 1);
			fmt++;
			continue;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t n;

			if (!str)
				str = "(null)";
			/* With a precision, read no further than it: str need not end in NUL. */
			n = sp.precision >= 0 ? strnlen(str, (size_t)sp.precision) : strlen(str);
			put_padded(s, &sp, str, n);
			fmt++;
			continue;
		}
		case 'p':
			/* Always the full 64-bit address, so columns line up. */
			sp.precision = 16;
			put_number(s, sp, (uintptr_t)va_arg(ap, void *), 16, false, "0x");
			fmt++;
			continue;
		case 'd':
		case 'i':
			is_signed = true;
			break;
		case 'u':
			break;
		case 'x':
			base = 16;
			break;
		case 'X':
			base = 16;
			upper = true;
			break;
		case 'o':
			base = 8;
			break;
		default:
			/*
			 * Unknown conversion (or the string ended mid-way): copy
			 * the specification as written, so the mistake is visible
			 * in the output rather than crashing or eating arguments.
			 */
			if (*fmt)
				fmt++;
			sink_string(s, start, (size_t)(fmt - start));
			continue;
		}
		fmt++;

		/* Fetch the integer with the type its length modifier promises. */
		if (is_signed) {
			switch (len) {
			case LEN_HH: v = (signed char)va_arg(ap, int); break;
			case LEN_H: v = (short)va_arg(ap, int); break;
			case LEN_NONE: v = va_arg(ap, int); break;
			case LEN_L: v = va_arg(ap, long); break;
			case LEN_LL: v = va_arg(ap, long long); break;
			case LEN_J: v = va_arg(ap, intmax_t); break;
			case LEN_Z: /* the signed type of size_t's width */
			case LEN_T: v = va_arg(ap, ptrdiff_t); break;
			}
			/* Negate in unsigned arithmetic: -INT64_MIN does not fit in int64_t. */
			u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
			prefix = v < 0 ? "-" : sp.plus ? "+" : sp.space ? " " : "";
		} else {
			switch (len) {
			case LEN_HH: u = (unsigned char)va_arg(ap, unsigned); break;
			case LEN_H: u = (unsigned short)va_arg(ap, unsigned); break;
			case LEN_NONE: u = va_arg(ap, unsigned); break;
			case LEN_L: u = va_arg(ap, unsigned long); break;
			case LEN_LL: u = va_arg(ap, unsigned long long); break;
			case LEN_J: u = va_arg(ap, uintmax_t); break;
			case LEN_Z: u = va_arg(ap, size_t); break;
			case LEN_T: u = (uint64_t)va_arg(ap, ptrdiff_t); break;
			}
			if (sp.alt && base == 16 && u != 0)
				prefix = upper ? "0X" : "0x";
		}
		put_number(s, sp, u, base, upper, prefix);
	}
}

/* The int return value of the printf family; absurdly long output saturates. */
static int printf_result(size_t total)
{
	return total > (size_t)__INT_MAX__ ? __INT_MAX__ : (int)total;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {.buf = buf, .cap = size ? size - 1 : 0};

	format(&s, fmt, ap);
	if (size)
		buf[s.pos] = '\0';
	return printf_result(s.total);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int kvprintf(const char *fmt, va_list ap)
{
	char chunk[PRINTF_CHUNK];
	/* Read the output pointer once: one call goes to one destination. */
	kprintf_output_fn out = kprintf_output;
	struct sink s = {.buf = chunk, .cap = out ? sizeof(chunk) : 0, .flush = out};
	void (*end)(void) = kprintf_end;

	if (end)
		kprintf_begin();
	format(&s, fmt, ap);
	if (out && s.pos)
		out(chunk, s.pos);
	if (end)
		end();
	return printf_result(s.total);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void kprintf_set_output(kprintf_output_fn write)
{
	kprintf_output = write;
}

void kprintf_set_serializer(void (*begin)(void), void (*end)(void))
{
	kprintf_end = NULL; /* never a begin without its end */
	kprintf_begin = begin;
	kprintf_end = begin ? end : NULL;
}

kprintf_output_fn kprintf_get_output(void)
{
	return kprintf_output;
}
