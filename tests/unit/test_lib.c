/*
 * test_lib.c - tests for lib/: suites "string", "printf", "parse", "list",
 * "random", "sort" and "lab".
 *
 * These functions are used by everything else, including the code that
 * reports test failures, so they are tested first and thoroughly: every
 * printf conversion, flag and length modifier with its edge values
 * (INT64_MIN, UINT64_MAX), truncation and the C99 return value; every parse
 * syntax rule and both overflow points; list insertion order, removal and
 * removal during iteration; the random generator's exact sequence and
 * bounds. The printf suite also checks the kprintf capture of
 * kernel/selftest.c that other suites rely on.
 * The file is freestanding (only lib/ functions) because the same tests are
 * linked into the kernel and run by the `selftest` command.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/lab.h"
#include "lib/list.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/sort.h"
#include "lib/string.h"

/* ----------------------------------------------------------------------- */
/* string */

static const char *test_memcpy_memset(void)
{
	char a[16], b[16];

	CHECK(memset(a, 'x', sizeof(a)) == a);
	for (size_t i = 0; i < sizeof(a); i++)
		CHECKF(a[i] == 'x', "memset: a[%zu] = %d", i, a[i]);
	memset(a + 4, 0x1ff, 4); /* only the low byte of c counts */
	CHECK((unsigned char)a[4] == 0xff && (unsigned char)a[7] == 0xff && a[8] == 'x');
	memset(b, 0, sizeof(b));
	CHECK(memcpy(b, "hello", 6) == b);
	CHECK(b[0] == 'h' && b[4] == 'o' && b[5] == '\0' && b[6] == 0);
	memcpy(b, "zz", 0); /* n == 0 copies nothing */
	CHECK(b[0] == 'h');
	return NULL;
}

static const char *test_memmove_overlap(void)
{
	char buf[16];

	memcpy(buf, "0123456789", 11);
	CHECK(memmove(buf + 2, buf, 5) == buf + 2); /* forward overlap: copy backwards */
	CHECKF(memcmp(buf, "0101234789", 11) == 0, "forward: got %s", buf);
	memcpy(buf, "0123456789", 11);
	memmove(buf, buf + 3, 5); /* backward overlap */
	CHECKF(memcmp(buf, "3456756789", 11) == 0, "backward: got %s", buf);
	memcpy(buf, "0123456789", 11);
	memmove(buf, buf, 10); /* same place */
	CHECK(memcmp(buf, "0123456789", 11) == 0);
	return NULL;
}

/*
 * Sizes around each of memcpy/memset/memmove's paths (byte loop below 8,
 * words below 128, string instructions from 128, a whole page) at several
 * alignments. Guard bytes on both sides must stay untouched. Run with
 * string_erms false and true, so both string-instruction paths are checked
 * whatever the CPU (rep movsb/stosb work everywhere, ERMS only makes them fast).
 */
static const size_t copy_sizes[] = {0,  1,   2,   3,   7,   8,   9,   15,  16,  17,   31,  32,
				    33, 63,  64,  65,  120, 127, 128, 129, 135, 136, 255, 256,
				    257, 1000, 4095, 4096};
#define COPY_BUF (4096 + 32)
static unsigned char copy_src[COPY_BUF], copy_dst[COPY_BUF];

static unsigned char pattern_byte(size_t i)
{
	return (unsigned char)(i * 7 + 3);
}

static const char *mem_sizes_alignments(void)
{
	static const size_t offsets[] = {0, 1, 3, 7, 8};

	for (size_t i = 0; i < COPY_BUF; i++)
		copy_src[i] = pattern_byte(i);
	for (size_t k = 0; k < sizeof(copy_sizes) / sizeof(copy_sizes[0]); k++) {
		size_t n = copy_sizes[k];
		for (size_t a = 0; a < sizeof(offsets) / sizeof(offsets[0]); a++) {
			size_t d = offsets[a], so = offsets[(a + 2) % 5];
			memset(copy_dst, 0xee, COPY_BUF);
			CHECK(memcpy(copy_dst + d, copy_src + so, n) == copy_dst + d);
			for (size_t i = 0; i < COPY_BUF; i++) {
				unsigned char want = i >= d && i < d + n ? pattern_byte(i - d + so) : 0xee;
				CHECKF(copy_dst[i] == want, "memcpy n=%zu dst+%zu src+%zu (erms %d): "
				       "byte %zu is 0x%x, not 0x%x", n, d, so, string_erms, i,
				       copy_dst[i], want);
			}
			CHECK(memset(copy_dst + d, 0x1a5, n) == copy_dst + d);
			for (size_t i = 0; i < COPY_BUF; i++) {
				unsigned char want = i >= d && i < d + n ? 0xa5 : 0xee;
				CHECKF(copy_dst[i] == want, "memset n=%zu at +%zu (erms %d): byte %zu "
				       "is 0x%x", n, d, string_erms, i, copy_dst[i]);
			}
		}
	}
	return NULL;
}

static const char *test_mem_sizes_alignments(void)
{
	bool erms = string_erms;
	const char *why = NULL;

	for (int pass = 0; pass < 2 && !why; pass++) {
		string_erms = pass == 1;
		why = mem_sizes_alignments();
	}
	string_erms = erms;
	return why; /* its message names the string_erms setting */
}

/* memmove over every shift -9..9 and the same sizes, against a copy made byte by byte. */
static const char *test_memmove_shifts(void)
{
	static unsigned char want[COPY_BUF];

	for (size_t k = 0; k < sizeof(copy_sizes) / sizeof(copy_sizes[0]); k++) {
		size_t n = copy_sizes[k];
		if (n + 24 > COPY_BUF)
			continue;
		for (int shift = -9; shift <= 9; shift++) {
			size_t from = 12, to = (size_t)(12 + shift);
			for (size_t i = 0; i < COPY_BUF; i++)
				copy_dst[i] = want[i] = pattern_byte(i);
			for (size_t i = 0; i < n; i++) /* the expected result */
				want[to + i] = pattern_byte(from + i);
			CHECK(memmove(copy_dst + to, copy_dst + from, n) == copy_dst + to);
			for (size_t i = 0; i < COPY_BUF; i++)
				CHECKF(copy_dst[i] == want[i], "memmove n=%zu shift %d: byte %zu is 0x%x, "
				       "not 0x%x", n, shift, i, copy_dst[i], want[i]);
		}
	}
	return NULL;
}

static const char *test_memcmp(void)
{
	CHECK(memcmp("abc", "abc", 3) == 0);
	CHECK(memcmp("abc", "abd", 3) < 0);
	CHECK(memcmp("abd", "abc", 3) > 0);
	CHECK(memcmp("abc", "xyz", 0) == 0);
	/* Bytes compare as unsigned: 0x80 is above 0x7f. */
	CHECK(memcmp("\x80", "\x7f", 1) > 0);
	return NULL;
}

static const char *test_strlen_strnlen(void)
{
	char buf[16] = "pagoda", empty[4] = "";

	CHECK(strlen("") == 0);
	CHECK(strlen("pagoda") == 6);
	CHECK(strnlen("pagoda", 3) == 3);
	CHECK(strnlen("pagoda", 6) == 6);
	CHECK(strnlen(buf, sizeof(buf)) == 6); /* stops at the NUL before the limit */
	CHECK(strnlen(empty, sizeof(empty)) == 0);
	CHECK(strnlen("abc", 0) == 0);
	return NULL;
}

static const char *test_strcmp_strncmp(void)
{
	CHECK(strcmp("", "") == 0);
	CHECK(strcmp("abc", "abc") == 0);
	CHECK(strcmp("abc", "abd") < 0);
	CHECK(strcmp("abc", "ab") > 0); /* a prefix sorts first */
	CHECK(strcmp("ab", "abc") < 0);
	CHECK(strcmp("\xff", "a") > 0); /* unsigned comparison */
	CHECK(strncmp("abcdef", "abcxyz", 3) == 0);
	CHECK(strncmp("abcdef", "abcxyz", 4) < 0);
	CHECK(strncmp("ab", "ab", 10) == 0); /* stops at the NUL */
	CHECK(strncmp("a", "b", 0) == 0);
	CHECK(strncmp("ab", "abc", 5) < 0);
	return NULL;
}

static const char *test_strchr(void)
{
	const char *s = "memory manager";

	CHECK(strchr(s, 'm') == s);
	CHECK(strchr(s, 'y') == s + 5);
	CHECK(strchr(s, ' ') == s + 6);
	CHECK(strchr(s, 'z') == NULL);
	CHECK(strchr(s, '\0') == s + strlen(s)); /* the terminator is findable */
	return NULL;
}

static const char *test_strstr(void)
{
	const char *s = "buddy allocator";

	CHECK(strstr(s, "buddy") == s);               /* at the start */
	CHECK(strstr(s, "y all") == s + 4);           /* in the middle */
	CHECK(strstr(s, "ator") == s + strlen(s) - 4); /* at the end */
	CHECK(strstr(s, "r") == s + strlen(s) - 1);   /* one character, last */
	CHECK(strstr(s, "slab") == NULL);
	CHECK(strstr(s, "allocators") == NULL);       /* runs past the end */
	CHECK(strstr(s, "") == s);                    /* empty needle: haystack */
	CHECK(strstr("", "") != NULL && *strstr("", "") == '\0');
	CHECK(strstr("", "a") == NULL);
	CHECK(strstr("ab", "abc") == NULL);           /* needle longer than haystack */
	s = "aaab";
	CHECK(strstr(s, "aab") == s + 1);             /* a partial match must not skip on */
	CHECK(strstr(s, "aaab") == s && strstr(s, "aaaa") == NULL);
	s = "abcabd";
	CHECK(strstr(s, "abd") == s + 3);
	return NULL;
}

static const char *test_strlcpy(void)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	CHECK(strlcpy(buf, "abc", sizeof(buf)) == 3);
	CHECK(strcmp(buf, "abc") == 0);
	memset(buf, 'x', sizeof(buf));
	CHECK(strlcpy(buf, "abcdefghij", sizeof(buf)) == 10); /* truncated: 10 >= 8 */
	CHECK(strcmp(buf, "abcdefg") == 0);
	CHECK(strlcpy(buf, "abcdefg", sizeof(buf)) == 7); /* exact fit */
	CHECK(strcmp(buf, "abcdefg") == 0);
	memset(buf, 'x', sizeof(buf));
	CHECK(strlcpy(buf, "abc", 1) == 3);
	CHECK(buf[0] == '\0' && buf[1] == 'x');
	CHECK(strlcpy(buf, "abc", 0) == 3); /* size 0: nothing written */
	CHECK(buf[0] == '\0' && buf[1] == 'x');
	return NULL;
}

static const struct selftest string_tests[] = {
	{"memcpy_memset", "memcpy copies n bytes, memset fills with the low byte of c",
	 test_memcpy_memset},
	{"memmove", "memmove is correct for overlap in both directions", test_memmove_overlap},
	{"mem_sizes_alignments", "memcpy/memset at sizes 0..4096, 5 alignments, with and without "
	 "ERMS, guards kept",
	 test_mem_sizes_alignments},
	{"memmove_shifts", "memmove over shifts -9..9 at sizes 0..4096, against a byte copy",
	 test_memmove_shifts},
	{"memcmp", "memcmp orders bytes as unsigned chars", test_memcmp},
	{"strlen", "strlen and strnlen, including the limit", test_strlen_strnlen},
	{"strcmp", "strcmp/strncmp ordering, prefixes and limits", test_strcmp_strncmp},
	{"strchr", "strchr finds characters and the terminator", test_strchr},
	{"strstr", "strstr at start/middle/end, absent, empty and partial-match needles",
	 test_strstr},
	{"strlcpy", "strlcpy truncates, always terminates, returns strlen(src)", test_strlcpy},
};
SELFTEST_SUITE(string, string_tests);

/* ----------------------------------------------------------------------- */
/* printf */

/*
 * Format with ksnprintf into a fresh buffer and compare with want, both the
 * text and the return value. The buffer is pre-filled with '#' so that a
 * missing terminator shows.
 */
static const char *check_format(const char *want, const char *fmt, ...) __printf(2, 3);
static const char *check_format(const char *want, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	memset(buf, '#', sizeof(buf));
	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	CHECKF(strcmp(buf, want) == 0, "\"%s\": got \"%s\", want \"%s\"", fmt, buf, want);
	CHECKF(n == (int)strlen(want), "\"%s\": returned %d, want %zu", fmt, n, strlen(want));
	return NULL;
}

/*
 * Like check_format without the compile-time format check, for formats GCC
 * rightly warns about (malformed, or legal but questionable) that kprintf must
 * still handle.
 */
static const char *check_format_unchecked(const char *want, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	CHECKF(strcmp(buf, want) == 0, "\"%s\": got \"%s\", want \"%s\"", fmt, buf, want);
	CHECKF(n == (int)strlen(want), "\"%s\": returned %d, want %zu", fmt, n, strlen(want));
	return NULL;
}

/* Run one check_format and return its failure, if any, from the calling test. */
#define FMT(want, ...)                                                             \
	do {                                                                           \
		const char *fail_ = check_format(want, __VA_ARGS__);                       \
		if (fail_)                                                                 \
			return fail_;                                                          \
	} while (0)

#define FMT_UNCHECKED(want, ...)                                                   \
	do {                                                                           \
		const char *fail_ = check_format_unchecked(want, __VA_ARGS__);             \
		if (fail_)                                                                 \
			return fail_;                                                          \
	} while (0)

static const char *test_printf_plain(void)
{
	FMT_UNCHECKED("", ""); /* GCC warns about an empty format */
	FMT("hello, world", "hello, world");
	FMT("100%", "100%%");
	FMT("%%", "%%%%");
	FMT("a-b-c", "%c-%c-%c", 'a', 'b', 'c');
	FMT("[  x][x  ]", "[%3c][%-3c]", 'x', 'x');
	return NULL;
}

static const char *test_printf_decimal(void)
{
	FMT("0 1 -1 42", "%d %d %d %i", 0, 1, -1, 42);
	FMT("2147483647 -2147483648", "%d %d", INT32_MAX, INT32_MIN);
	FMT("4294967295", "%u", UINT32_MAX);
	FMT("9223372036854775807", "%ld", INT64_MAX);
	FMT("-9223372036854775808", "%ld", INT64_MIN);
	FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	FMT("18446744073709551615", "%lu", UINT64_MAX);
	FMT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	FMT("18446744073709551615", "%zu", SIZE_MAX);
	FMT("-5 5", "%zd %zd", (ptrdiff_t)-5, (ptrdiff_t)5);
	FMT("+5 -5  5", "%+d %+d % d", 5, -5, 5);
	return NULL;
}

static const char *test_printf_short_lengths(void)
{
	/*
	 * hh and h convert the (promoted int) argument back to char / short.
	 * Unchecked: passing a wider int on purpose draws a warning from clang.
	 */
	FMT_UNCHECKED("1 -1 255", "%hhu %hhd %hhu", 257, 255, -1);
	FMT_UNCHECKED("-1 65535 4464", "%hd %hu %hu", 65535, -1, 70000);
	FMT_UNCHECKED("7f ff", "%hhx %hhx", 0x7f, 0x1ff);
	FMT("-128 200", "%hhd %hhu", (signed char)-128, (unsigned char)200);
	return NULL;
}

static const char *test_printf_hex_octal(void)
{
	FMT("ff FF 377", "%x %X %o", 255, 255, 255);
	FMT("0 0 0", "%x %X %o", 0, 0, 0);
	FMT("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
	FMT("ffffffffffffffff", "%lx", UINT64_MAX);
	FMT("FFFFFFFFFFFFFFFF", "%llX", (unsigned long long)UINT64_MAX);
	FMT("1777777777777777777777", "%lo", UINT64_MAX);
	FMT("0xff 0XFF 0 010 0", "%#x %#X %#x %#o %#o", 255, 255, 0, 8, 0);
	FMT("ffffffff", "%x", -1); /* an int read as unsigned */
	return NULL;
}

static const char *test_printf_width_flags(void)
{
	FMT("[   42]", "[%5d]", 42);
	FMT("[42   ]", "[%-5d]", 42);
	FMT("[00042]", "[%05d]", 42);
	FMT("[-0042]", "[%05d]", -42);   /* the sign goes before the zeros */
	FMT("[  -42]", "[%5d]", -42);
	FMT_UNCHECKED("[-42  ]", "[%-05d]", -42); /* '-' wins over '0' */
	FMT("[123456]", "[%3d]", 123456); /* width is a minimum, never truncates */
	FMT("[0x00ff]", "[%#06x]", 255);
	FMT("[000000ff]", "[%08x]", 255);
	FMT("[   42]", "[%*d]", 5, 42);
	FMT("[42   ]", "[%-*d]", 5, 42);
	FMT("[42   ]", "[%*d]", -5, 42);  /* negative '*' width means '-' */
	FMT("[          1234]", "[%14lx]", 0x1234ul);
	FMT("[                                        7]", "[%41d]", 7);
	return NULL;
}

static const char *test_printf_precision(void)
{
	FMT("[007]", "[%.3d]", 7);
	FMT("[-007]", "[%.3d]", -7);
	FMT("[   007]", "[%6.3d]", 7);
	FMT("[007   ]", "[%-6.3d]", 7);
	FMT_UNCHECKED("[   007]", "[%06.3d]", 7); /* with a precision, '0' is ignored */
	FMT("[]", "[%.0d]", 0);         /* precision 0 and value 0: no digits */
	FMT("[   ]", "[%3.0u]", 0);
	FMT("[]", "[%.0o]", 0);
	FMT("[0]", "[%#.0o]", 0);       /* '#' keeps the leading 0 */
	FMT("[00ff]", "[%.4x]", 255);
	FMT("[000000000000000000000000000001]", "[%.30d]", 1);
	FMT("[00042]", "[%.*d]", 5, 42);
	FMT("[42]", "[%.*d]", -1, 42);  /* negative '*' precision: as if none */
	return NULL;
}

static const char *test_printf_strings(void)
{
	FMT("[abc]", "[%s]", "abc");
	FMT("[]", "[%s]", "");
	FMT("[  abc]", "[%5s]", "abc");
	FMT("[abc  ]", "[%-5s]", "abc");
	FMT("[ab]", "[%.2s]", "abc");
	FMT("[abc]", "[%.10s]", "abc");
	FMT("[       abc]", "[%10.3s]", "abcdef");
	FMT("[abc   |]", "[%-6.*s|]", 3, "abcdef");
	FMT("[abcdef]", "[%.*s]", -1, "abcdef");
	FMT_UNCHECKED("(null)", "%s", (char *)NULL); /* GCC warns about NULL */
	FMT_UNCHECKED("[  (null)]", "[%8s]", (char *)NULL);
	/* A precision limits how much is read: "ab" need not be NUL-terminated. */
	{
		const char unterminated[2] = {'a', 'b'};

		FMT("ab", "%.2s", unterminated);
	}
	return NULL;
}

static const char *test_printf_pointer(void)
{
	FMT("0x0000000000001234", "%p", (void *)0x1234);
	FMT("0x0000000000000000", "%p", NULL);
	FMT("0xffffffff80000000", "%p", (void *)(uintptr_t)0xffffffff80000000ull);
	FMT("[  0x00000000000000ab]", "[%20p]", (void *)0xab);
	FMT("[0x00000000000000ab  ]", "[%-20p]", (void *)0xab);
	return NULL;
}

static const char *test_printf_unknown(void)
{
	FMT_UNCHECKED("%y", "%y");
	FMT_UNCHECKED("a%yb", "a%yb");
	FMT_UNCHECKED("%5y", "%5y");
	FMT_UNCHECKED("%lq", "%lq");
	FMT_UNCHECKED("100%", "100%"); /* a lone '%' at the end */
	FMT_UNCHECKED("x%-0", "x%-0");  /* the string ends inside a specification */
	/* An unknown conversion consumes no argument: 7 goes to the %d. */
	FMT_UNCHECKED("%y7", "%y%d", 7);
	return NULL;
}

static const char *test_printf_truncation(void)
{
	char buf[16];

	memset(buf, '#', sizeof(buf));
	CHECK(ksnprintf(buf, 5, "hello world") == 11);
	CHECKF(strcmp(buf, "hell") == 0, "got \"%s\"", buf);
	CHECK(buf[5] == '#'); /* nothing written past size */

	memset(buf, '#', sizeof(buf));
	CHECK(ksnprintf(buf, 6, "%s", "hello") == 5); /* exact fit */
	CHECK(strcmp(buf, "hello") == 0 && buf[6] == '#');

	memset(buf, '#', sizeof(buf));
	CHECK(ksnprintf(buf, 1, "%d", 12345) == 5);
	CHECK(buf[0] == '\0' && buf[1] == '#');

	memset(buf, '#', sizeof(buf));
	CHECK(ksnprintf(buf, 0, "%d", 12345) == 5); /* size 0: nothing written */
	CHECK(buf[0] == '#');
	CHECK(ksnprintf(NULL, 0, "%lu-%s", UINT64_MAX, "x") == 22);

	/* Truncation in the middle of a padded number. */
	memset(buf, '#', sizeof(buf));
	CHECK(ksnprintf(buf, 8, "[%08x]", 0xabcu) == 10);
	CHECKF(strcmp(buf, "[00000a") == 0, "got \"%s\"", buf);
	return NULL;
}

/* kprintf capture: what the test output function received. */
static char capture_buf[512];
static size_t capture_len;
static unsigned capture_calls;

static void capture_write(const char *s, size_t n)
{
	capture_calls++;
	for (size_t i = 0; i < n; i++) {
		if (capture_len < sizeof(capture_buf) - 1)
			capture_buf[capture_len++] = s[i];
	}
	capture_buf[capture_len] = '\0';
}

static const char *test_kprintf_output(void)
{
	kprintf_output_fn saved = kprintf_get_output();
	char want[400];
	int n_short, n_long, n_dropped;

	capture_len = 0;
	capture_calls = 0;
	capture_buf[0] = '\0';
	kprintf_set_output(capture_write);
	n_short = kprintf("%s=%d;", "x", 42);
	/* 300 characters: more than one internal chunk, so several write calls. */
	n_long = kprintf("%300s", "end");
	kprintf_set_output(NULL);
	n_dropped = kprintf("dropped %d", 1);
	kprintf_set_output(saved); /* restore before any CHECK can return */

	CHECK(kprintf_get_output() == saved);
	CHECK(n_short == 5 && n_long == 300 && n_dropped == 9);
	ksnprintf(want, sizeof(want), "x=42;%300s", "end");
	CHECK(capture_len == 305);
	CHECKF(strcmp(capture_buf, want) == 0, "captured \"%.40s...\"", capture_buf);
	CHECKF(capture_calls >= 3, "output came in %u write calls, expected chunks", capture_calls);
	return NULL;
}

/*
 * selftest_capture_begin/end (kernel/selftest.c): the shared kprintf capture
 * other suites use. After each selftest_capture_end() the test notes whether
 * kprintf's output was given back, then puts it back itself before any CHECK
 * can return, so even a broken capture cannot swallow the failure report.
 */
static bool test_capture_restored(kprintf_output_fn saved)
{
	bool restored = kprintf_get_output() == saved;

	kprintf_set_output(saved);
	return restored;
}

static const char *test_selftest_capture(void)
{
	kprintf_output_fn saved = kprintf_get_output(), during;
	const char *text, *again;
	bool restored, during_ok;
	size_t len;

	selftest_capture_begin();
	during = kprintf_get_output();
	kprintf("pmm: %u pages", 42u);
	text = selftest_capture_end();
	during_ok = during != saved && during != NULL;
	CHECK(test_capture_restored(saved) && during_ok);
	CHECKF(strcmp(text, "pmm: 42 pages") == 0, "captured \"%s\"", text);

	/* A nested begin empties the buffer but keeps the first saved output. */
	selftest_capture_begin();
	kprintf("outer");
	selftest_capture_begin();
	kprintf("inner");
	text = selftest_capture_end();
	restored = test_capture_restored(saved);
	again = selftest_capture_end(); /* nothing running: changes nothing */
	CHECK(restored && test_capture_restored(saved));
	CHECKF(strcmp(text, "inner") == 0, "nested capture gave \"%s\"", text);
	CHECK(again == text);

	/* 100 lines of 100 characters: only SELFTEST_CAPTURE_SIZE - 1 are kept. */
	selftest_capture_begin();
	for (int i = 0; i < 100; i++)
		kprintf("%99s\n", "x");
	text = selftest_capture_end();
	CHECK(test_capture_restored(saved));
	len = strlen(text);
	CHECKF(len == SELFTEST_CAPTURE_SIZE - 1, "kept %zu bytes", len);
	CHECK(text[98] == 'x' && text[99] == '\n' && text[8098] == 'x' && text[8099] == '\n');
	CHECK(text[len - 1] == ' '); /* cut inside line 82 */
	return NULL;
}

/*
 * Regression: the errors a selftest provokes on purpose (a refused double
 * free, a cache destroyed while in use) looked like real errors in the log.
 * Between selftest_expect_begin/end each line starts with "(expected) ".
 */
static const char *test_selftest_expected_lines_marked(void)
{
	kprintf_output_fn saved = kprintf_get_output();
	const char *text;

	selftest_capture_begin();
	kprintf("before\n");
	selftest_expect_begin();
	kprintf("vfree: double ");
	kprintf("free\nslab: busy\n");
	selftest_expect_end();
	kprintf("after\n");
	text = selftest_capture_end();
	CHECK(test_capture_restored(saved));
	CHECKF(strcmp(text, "before\n(expected) vfree: double free\n(expected) slab: busy\n"
			    "after\n") == 0,
	       "got \"%s\"", text);
	selftest_expect_end(); /* not marking: changes nothing */
	CHECK(kprintf_get_output() == saved);
	return NULL;
}

static const struct selftest printf_tests[] = {
	{"plain", "literal text, %%, %c with width", test_printf_plain},
	{"decimal", "%d %i %u with l/ll/z and INT64_MIN/UINT64_MAX", test_printf_decimal},
	{"short_lengths", "hh and h narrow the argument", test_printf_short_lengths},
	{"hex_octal", "%x %X %o, 64-bit values, '#' flag", test_printf_hex_octal},
	{"width_flags", "width (number and *), '-' and '0' flags", test_printf_width_flags},
	{"precision", "integer precision: minimum digits, .0 with 0", test_printf_precision},
	{"strings", "%s width/precision (.N and .*), NULL prints (null)", test_printf_strings},
	{"pointer", "%p is 0x and 16 hex digits", test_printf_pointer},
	{"unknown", "unknown conversions are printed literally", test_printf_unknown},
	{"truncation", "ksnprintf truncates, terminates, returns the full length",
	 test_printf_truncation},
	{"kprintf", "kprintf output goes to the output function in chunks", test_kprintf_output},
	{"capture", "selftest_capture_begin/end capture, truncate, restore; nesting is harmless",
	 test_selftest_capture},
	{"selftest_expected_lines_marked", "lines between selftest_expect_begin/end start "
	 "with \"(expected) \"", test_selftest_expected_lines_marked},
};
SELFTEST_SUITE(printf, printf_tests);

/* ----------------------------------------------------------------------- */
/* parse */

struct parse_case {
	const char *input;
	int err;        /* expected return value */
	uint64_t value; /* expected result when err == 0 */
};

static const struct parse_case parse_cases[] = {
	/* decimal */
	{"0", 0, 0},
	{"7", 0, 7},
	{"4096", 0, 4096},
	{"010", 0, 10}, /* leading zero is not octal */
	{"18446744073709551615", 0, UINT64_MAX},
	{"18446744073709551616", -ERANGE, 0}, /* 2^64 */
	{"99999999999999999999", -ERANGE, 0},
	{"000000000000000000000000000001", 0, 1}, /* many digits, small value */
	/* hexadecimal */
	{"0x0", 0, 0},
	{"0x1f", 0, 31},
	{"0X1F", 0, 31},
	{"0xDeadBeef", 0, 0xdeadbeef},
	{"0xffffffffffffffff", 0, UINT64_MAX},
	{"0x10000000000000000", -ERANGE, 0},
	{"0xffff800000000000", 0, 0xffff800000000000ull},
	/* suffixes */
	{"4K", 0, 4096},
	{"4k", 0, 4096},
	{"2M", 0, 2ull << 20},
	{"3m", 0, 3ull << 20},
	{"1G", 0, 1ull << 30},
	{"1g", 0, 1ull << 30},
	{"5T", 0, 5ull << 40},
	{"1t", 0, 1ull << 40},
	{"0K", 0, 0},
	{"0x10K", 0, 16 * 1024},
	{"17179869183G", 0, 17179869183ull << 30}, /* 2^64 - 2^30 */
	{"17179869184G", -ERANGE, 0},              /* 16 EiB = 2^64 */
	{"16777215T", 0, 16777215ull << 40},
	{"16777216T", -ERANGE, 0},
	{"18014398509481983K", 0, 18014398509481983ull << 10},
	{"18014398509481984K", -ERANGE, 0},
	{"0xfffffffffffffK", 0, 0xfffffffffffffull << 10},
	{"0x40000000000000K", -ERANGE, 0},
	/* malformed */
	{"", -EINVAL, 0},
	{"0x", -EINVAL, 0},
	{"0X", -EINVAL, 0},
	{"K", -EINVAL, 0},
	{"0xK", -EINVAL, 0},
	{"1KB", -EINVAL, 0},
	{"1KK", -EINVAL, 0},
	{"1B", -EINVAL, 0},
	{"12abc", -EINVAL, 0},
	{"0x12z", -EINVAL, 0},
	{"0x12g", 0, 0x12ull << 30}, /* g is a suffix, not a hex digit */
	{"-1", -EINVAL, 0},
	{"+1", -EINVAL, 0},
	{" 1", -EINVAL, 0},
	{"1 ", -EINVAL, 0},
	{"1.5", -EINVAL, 0},
	{"0x0x1", -EINVAL, 0},
	{"x10", -EINVAL, 0},
	{"99999999999999999999x", -EINVAL, 0}, /* malformed wins over too large */
};

static const char *test_parse_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		const uint64_t untouched = 0x5a5a5a5a5a5a5a5aull;
		uint64_t out = untouched; /* must survive a failure */
		int err = parse_u64(c->input, &out);

		CHECKF(err == c->err, "parse_u64(\"%s\") returned %d, want %d", c->input, err,
		       c->err);
		if (err == 0)
			CHECKF(out == c->value, "parse_u64(\"%s\") gave %lu, want %lu", c->input,
			       out, c->value);
		else
			CHECKF(out == untouched, "parse_u64(\"%s\") failed but wrote %lu", c->input,
			       out);
	}
	CHECK(parse_u64(NULL, &(uint64_t){0}) == -EINVAL);
	return NULL;
}

static const char *test_parse_range(void)
{
	uint64_t v = 99;

	CHECK(parse_u64_range("10", 1, 10, &v) == 0 && v == 10);
	CHECK(parse_u64_range("1", 1, 10, &v) == 0 && v == 1);
	v = 99;
	CHECK(parse_u64_range("11", 1, 10, &v) == -ERANGE && v == 99);
	CHECK(parse_u64_range("0", 1, 10, &v) == -ERANGE && v == 99);
	CHECK(parse_u64_range("1K", 0, 1000, &v) == -ERANGE && v == 99);
	CHECK(parse_u64_range("ten", 1, 10, &v) == -EINVAL && v == 99);
	CHECK(parse_u64_range("18446744073709551616", 0, UINT64_MAX, &v) == -ERANGE);
	CHECK(parse_u64_range("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	return NULL;
}

static const char *test_parse_error_text(void)
{
	uint64_t v;

	CHECK(strcmp(parse_error_text(parse_u64("abc", &v)), "not a number") == 0);
	CHECK(strcmp(parse_error_text(parse_u64("99999999999999999999", &v)),
		     "number out of range") == 0);
	CHECK(parse_error_text(-ENOMEM) != NULL);
	CHECK(strcmp(errno_name(-EINVAL), "EINVAL") == 0);
	CHECK(strcmp(errno_name(ERANGE), "ERANGE") == 0);
	CHECK(strcmp(errno_name(12345), "E?") == 0);
	CHECK(strcmp(errno_name(INT32_MIN), "E?") == 0);
	return NULL;
}

static const struct selftest parse_tests[] = {
	{"table", "parse_u64: decimal, hex, suffixes, overflow, malformed input",
	 test_parse_table},
	{"range", "parse_u64_range enforces [min, max] and leaves *out on error",
	 test_parse_range},
	{"error_text", "parse_error_text and errno_name give the expected words",
	 test_parse_error_text},
};
SELFTEST_SUITE(parse, parse_tests);

/* ----------------------------------------------------------------------- */
/* list */

struct item {
	int value;
	struct list_node node;
};

/* Write the values on list into buf as "1,2,3" for easy comparison. */
static const char *list_values(const struct list_node *head, char *buf, size_t size)
{
	const struct list_node *pos;
	size_t len = 0;

	buf[0] = '\0';
	list_for_each(pos, head) {
		const struct item *it = list_entry(pos, struct item, node);

		len += (size_t)ksnprintf(buf + len, len < size ? size - len : 0, "%s%d",
					 len ? "," : "", it->value);
		if (len >= size)
			break;
	}
	return buf;
}

/* Check that every node's neighbours point back at it. */
static bool list_links_consistent(const struct list_node *head)
{
	const struct list_node *p = head;

	do {
		if (p->next->prev != p || p->prev->next != p)
			return false;
		p = p->next;
	} while (p != head);
	return true;
}

static const char *test_list_add_order(void)
{
	struct list_node head = LIST_INIT(head);
	struct item items[4] = {{.value = 1}, {.value = 2}, {.value = 3}, {.value = 4}};
	char buf[64];

	CHECK(list_empty(&head) && list_count(&head) == 0 && !list_is_singular(&head));
	list_add_tail(&head, &items[1].node);
	CHECK(!list_empty(&head) && list_is_singular(&head));
	CHECK(list_first_entry(&head, struct item, node) == &items[1]);
	list_add_tail(&head, &items[2].node);
	CHECK(!list_is_singular(&head));
	list_add(&head, &items[0].node);     /* front */
	list_add_tail(&head, &items[3].node); /* back */
	CHECKF(strcmp(list_values(&head, buf, sizeof(buf)), "1,2,3,4") == 0, "list is %s", buf);
	CHECK(list_count(&head) == 4);
	CHECK(list_first_entry(&head, struct item, node)->value == 1);
	CHECK(head.prev == &items[3].node); /* circular: the head's prev is the last */
	CHECK(items[3].node.next == &head);
	CHECK(list_links_consistent(&head));
	return NULL;
}

static const char *test_list_remove(void)
{
	struct list_node head;
	struct item items[3] = {{.value = 1}, {.value = 2}, {.value = 3}};
	char buf[64];

	list_init(&head);
	for (int i = 0; i < 3; i++)
		list_add_tail(&head, &items[i].node);
	list_remove(&items[1].node); /* middle */
	CHECKF(strcmp(list_values(&head, buf, sizeof(buf)), "1,3") == 0, "list is %s", buf);
	CHECK(list_empty(&items[1].node)); /* a removed node points to itself */
	list_remove(&items[1].node);       /* removing again is harmless */
	CHECK(list_count(&head) == 2 && list_links_consistent(&head));
	list_remove(&items[0].node); /* first */
	list_remove(&items[2].node); /* last */
	CHECK(list_empty(&head) && list_links_consistent(&head));
	list_add(&head, &items[1].node); /* a removed node can be reused */
	CHECK(list_is_singular(&head) && list_first_entry(&head, struct item, node)->value == 2);
	return NULL;
}

static const char *test_list_iterate(void)
{
	struct list_node head = LIST_INIT(head);
	struct item items[5];
	struct item *it;
	struct list_node *pos;
	int sum = 0, expect = 0;
	size_t visits = 0;

	list_for_each_entry(it, &head, node)
		visits++; /* an empty list: the body never runs */
	CHECK(visits == 0);

	for (int i = 0; i < 5; i++) {
		items[i].value = (i + 1) * 10;
		list_add_tail(&head, &items[i].node);
	}
	list_for_each_entry(it, &head, node) {
		expect += 10;
		CHECKF(it->value == expect, "visited %d, expected %d", it->value, expect);
		sum += it->value;
	}
	CHECK(sum == 150);
	list_for_each(pos, &head)
		visits++;
	CHECK(visits == 5);
	return NULL;
}

static const char *test_list_safe_removal(void)
{
	struct list_node head = LIST_INIT(head), odd = LIST_INIT(odd);
	struct item items[6];
	struct item *it, *tmp;
	struct list_node *pos, *next;
	char buf[64];

	for (int i = 0; i < 6; i++) {
		items[i].value = i + 1;
		list_add_tail(&head, &items[i].node);
	}
	/* Move the odd values to another list while walking this one. */
	list_for_each_entry_safe(it, tmp, &head, node) {
		if (it->value % 2) {
			list_remove(&it->node);
			list_add_tail(&odd, &it->node);
		}
	}
	CHECKF(strcmp(list_values(&head, buf, sizeof(buf)), "2,4,6") == 0, "evens: %s", buf);
	CHECKF(strcmp(list_values(&odd, buf, sizeof(buf)), "1,3,5") == 0, "odds: %s", buf);
	CHECK(list_links_consistent(&head) && list_links_consistent(&odd));

	/* Empty a list node by node. */
	list_for_each_safe(pos, next, &head)
		list_remove(pos);
	CHECK(list_empty(&head) && list_count(&odd) == 3);
	return NULL;
}

static const struct selftest list_tests[] = {
	{"add_order", "list_add puts at the front, list_add_tail at the back",
	 test_list_add_order},
	{"remove", "list_remove unlinks, re-initializes, tolerates a second call",
	 test_list_remove},
	{"iterate", "list_for_each(_entry) visit every entry in order", test_list_iterate},
	{"safe_removal", "entries may be removed during list_for_each(_entry)_safe",
	 test_list_safe_removal},
};
SELFTEST_SUITE(list, list_tests);

/* ----------------------------------------------------------------------- */
/* random */

static const char *test_random_sequence(void)
{
	/* xorshift64* from seed 1, computed independently (Python, 64-bit wrap). */
	static const uint64_t expected[] = {0x47e4ce4b896cdd1dull, 0xabcfa6a8e079651dull,
					    0xb9d10d8feb731f57ull, 0x4db418a0bb1b019dull};
	uint64_t state = 1, again = 1;

	for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
		uint64_t got = random_next(&state);
		CHECKF(got == expected[i], "output %zu: 0x%lx, expected 0x%lx", i, got,
		       expected[i]);
		CHECK(state != 0);
	}
	/* random_below draws once per call: same state, same next output. */
	CHECK(random_below(&again, 1000) == expected[0] % 1000);
	CHECK(random_next(&again) == expected[1]);
	return NULL;
}

static const char *test_random_below(void)
{
	static const uint64_t bounds[] = {1, 2, 7, 1000, 1ull << 40, UINT64_MAX};
	uint64_t state = 0x9e3779b97f4a7c15ull;

	for (size_t b = 0; b < ARRAY_SIZE(bounds); b++) {
		bool hit_top = false; /* the largest value n - 1 comes up for small n */
		for (int i = 0; i < 10000; i++) {
			uint64_t r = random_below(&state, bounds[b]);
			CHECKF(r < bounds[b], "random_below(%lu) gave %lu", bounds[b], r);
			hit_top = hit_top || r == bounds[b] - 1;
		}
		CHECKF(hit_top || bounds[b] > 1000, "random_below(%lu) never gave %lu",
		       bounds[b], bounds[b] - 1);
	}
	return NULL;
}

static const struct selftest random_tests[] = {
	{"sequence", "seed 1 gives the known first xorshift64* outputs", test_random_sequence},
	{"below", "random_below(n) stays in [0, n) over 10^4 draws per bound", test_random_below},
};
SELFTEST_SUITE(random, random_tests);

/* ---- sort ------------------------------------------------------------------ */

static const char *test_sort_random(void)
{
	static uint64_t a[200];
	uint64_t state = 42, sum = 0, sorted_sum = 0;

	for (size_t i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = random_below(&state, 50); /* many duplicates */
		sum += a[i];
	}
	sort_u64(a, ARRAY_SIZE(a));
	for (size_t i = 0; i < ARRAY_SIZE(a); i++) {
		CHECKF(i == 0 || a[i - 1] <= a[i], "a[%zu] = %lu > a[%zu] = %lu", i - 1, a[i - 1], i,
		       a[i]);
		sorted_sum += a[i];
	}
	CHECKF(sum == sorted_sum, "sorting changed the values (sum %lu -> %lu)", sum, sorted_sum);
	return NULL;
}

static const char *test_median(void)
{
	uint64_t odd[] = {9, 1, 5, 3, 7}, even[] = {4, 1, 3, 2}, one[] = {6};

	CHECK(median_u64(odd, ARRAY_SIZE(odd)) == 5);
	CHECK(median_u64(even, ARRAY_SIZE(even)) == 3);
	CHECK(median_u64(one, 1) == 6);
	CHECK(median_u64(one, 0) == 0);
	return NULL;
}

static const struct selftest sort_tests[] = {
	{"random", "200 values with duplicates come out ascending, none lost", test_sort_random},
	{"median", "median of odd, even, one and zero samples", test_median},
};
SELFTEST_SUITE(sort, sort_tests);

/* ---- lab_todo: what a lab skeleton's stubs say (lib/lab.h) ---------------- */

/*
 * A stub's announcement, captured. Lab 0 is no real lab, so even if the
 * capture broke, the grader (which lists TODOs of labs 1-5) would ignore it.
 */
static const char *test_lab_todo_once_per_command(void)
{
	const char *text;
	bool returned;

	lab_todo_forget();
	selftest_capture_begin();
	returned = lab_todo(0, "selftest_part");
	lab_todo(0, "selftest_part");
	text = selftest_capture_end();
	CHECK(!returned);
	CHECKF(strcmp(text, "TODO(lab 0): selftest_part is not implemented yet (docs/labs/)\n") ==
	       0, "two calls for one part should say it once; captured \"%s\"", text);

	lab_todo_forget(); /* as the shell does before each command */
	selftest_capture_begin();
	lab_todo(0, "selftest_part");
	text = selftest_capture_end();
	CHECKF(strstr(text, "selftest_part") != NULL,
	       "after lab_todo_forget() the part should be announced again; captured \"%s\"", text);
	lab_todo_forget();
	return NULL;
}

/*
 * The grader reads results from its own channel (selftest_set_result_output),
 * never from the console. This prints a forged result line on the console;
 * the labs suite (tests/labs/check_labs.py) checks that it reached the
 * console but not the results, in the kernel and on the host.
 */
static const char *test_lab_console_cannot_forge(void)
{
	kprintf("(the next line is forged on purpose; the grader must not count it)\n"
		"RESULT PASS lab/forged_by_kprintf\n");
	return NULL;
}

static const struct selftest lab_tests[] = {
	{"todo_once_per_command", "a stub is announced once, and again after lab_todo_forget",
	 test_lab_todo_once_per_command},
	{"console_cannot_forge", "print a forged RESULT line (check_labs.py checks it is ignored)",
	 test_lab_console_cannot_forge},
};
SELFTEST_SUITE(lab, lab_tests);
