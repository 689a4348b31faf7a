/*
 * string.c - plain C implementations of the functions in lib/string.h.
 *
 * Design: simple byte loops. They are not the fastest possible (no word-sized
 * copies, no rep movsb), but each fits on a screen and is obviously correct,
 * which matters more here; nothing in Pagoda copies enough memory for it to
 * show.
 *
 * Warning for anyone editing this file: GCC recognizes a loop that copies or
 * fills bytes and may replace it with a call to memcpy/memset, which inside
 * memcpy/memset themselves would be infinite recursion. The Makefile therefore
 * builds this file with -fno-tree-loop-distribute-patterns (and everything
 * with -fno-builtin). Keep that flag if you move this file.
 *
 * Context: any; no state, no locks, no allocation.
 */
#include "lib/string.h"

#include <stdint.h>

void *memcpy(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dest;
}

void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	/*
	 * If dest starts inside [src, src+n), a forward copy would overwrite
	 * source bytes before reading them: copy backwards instead. Comparing
	 * as integers avoids relational operators between unrelated pointers.
	 */
	if ((uintptr_t)d <= (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n) {
		while (n--)
			*d++ = *s++;
	} else {
		d += n;
		s += n;
		while (n--)
			*--d = *--s;
	}
	return dest;
}

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y || !*x)
			return *x - *y;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s; /* C's signature drops the const, as libc's does */
		if (!*s)
			return NULL;
	}
}

/*
 * Implementation note: try every start position in turn, including the
 * terminating NUL (where only an empty needle matches); O(strlen(haystack) *
 * strlen(needle)) at worst, which is fine for the short strings we search.
 * strncmp stops at the first difference, so it never reads past haystack's
 * NUL even when the rest of haystack is shorter than needle.
 */
char *strstr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (const char *p = haystack;; p++) {
		if (strncmp(p, needle, n) == 0)
			return (char *)p; /* const dropped, as for strchr */
		if (*p == '\0')
			return NULL;
	}
}

size_t strlcpy(char *dest, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dest, src, n);
		dest[n] = '\0';
	}
	return len;
}
