/*
 * string.c - the functions of lib/string.h.
 *
 * memcpy, memmove and memset take one of three paths by size:
 *   n < 8                  a byte loop;
 *   8 <= n < STRING_REP_MIN  8-byte moves (unaligned accesses are fine on
 *                          x86-64), the last word overlapping the one before;
 *   n >= STRING_REP_MIN    the string instructions: rep movsq/stosq plus
 *                          rep movsb/stosb for the last n % 8 bytes, or one
 *                          rep movsb/stosb where the CPU has ERMS (Enhanced
 *                          REP MOVSB/STOSB, CPUID.(EAX=7,ECX=0):EBX bit 9,
 *                          SDM Vol. 1 7.3.9.3), which the arch code reports
 *                          in string_erms at boot. A page zeroed this way is
 *                          512 stores, not a 4,096-iteration loop.
 * The string instructions have a start-up cost of tens of cycles, hence the
 * loop below STRING_REP_MIN. The strings functions stay plain loops: they
 * handle short strings where nothing else would pay off.
 *
 * Host builds under AddressSanitizer (__SANITIZE_ADDRESS__) keep only the
 * byte loops: ASan cannot see the accesses inside inline assembly, and it
 * checks every byte of a byte loop exactly. The word and rep paths are
 * exercised by the same tests in the kernel (selftest string) and by the
 * host benchmarks, which are built without sanitizers.
 *
 * Warning for anyone editing this file: GCC recognizes a loop that copies or
 * fills bytes and may replace it with a call to memcpy/memset, which inside
 * memcpy/memset themselves would be infinite recursion. The Makefile therefore
 * builds this file with -fno-tree-loop-distribute-patterns (and everything
 * with -fno-builtin). Keep that flag if you move this file.
 *
 * Invariants:
 *   [x] every function touches exactly the bytes its contract names;
 *   [x] DF is clear on entry (the ABI's rule), so rep instructions go upwards.
 * Context: any; no locks, no allocation; the only state is string_erms,
 * written once at boot before anything runs concurrently.
 */
#include "lib/string.h"

#include <stdint.h>

bool string_erms;

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define STRING_FAST 1
#else
#define STRING_FAST 0
#endif

#if STRING_FAST
/* From this size on, memcpy/memset use the string instructions. */
#define STRING_REP_MIN 128

/* An 8-byte word at any address, which may alias anything (GCC attributes). */
typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_u64;

static inline uint64_t load64(const unsigned char *p)
{
	return *(const unaligned_u64 *)p;
}

static inline void store64(unsigned char *p, uint64_t v)
{
	*(unaligned_u64 *)p = v;
}

/* Copy n >= STRING_REP_MIN bytes upwards with the string instructions. */
static inline void rep_copy(unsigned char *d, const unsigned char *s, size_t n)
{
	if (string_erms) {
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		return;
	}
	size_t words = n >> 3;
	__asm__ volatile("rep movsq\n\t"
			 "mov %3, %%rcx\n\t"
			 "rep movsb"
			 : "+D"(d), "+S"(s), "+c"(words)
			 : "r"(n & 7)
			 : "memory");
}

/* Fill n >= STRING_REP_MIN bytes with the byte pattern in every byte of v. */
static inline void rep_fill(unsigned char *d, uint64_t v, size_t n)
{
	if (string_erms) {
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(v) : "memory");
		return;
	}
	size_t words = n >> 3;
	__asm__ volatile("rep stosq\n\t"
			 "mov %2, %%rcx\n\t"
			 "rep stosb"
			 : "+D"(d), "+c"(words)
			 : "r"(n & 7), "a"(v)
			 : "memory");
}
#endif

void *memcpy(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

#if STRING_FAST
	if (n >= STRING_REP_MIN) {
		rep_copy(d, s, n);
		return dest;
	}
	if (n >= 8) {
		/* The last word may overlap the one before: the areas do not overlap. */
		uint64_t last = load64(s + n - 8);
		for (size_t i = 0; i + 8 < n; i += 8)
			store64(d + i, load64(s + i));
		store64(d + n - 8, last);
		return dest;
	}
#endif
	while (n--)
		*d++ = *s++;
	return dest;
}

void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	/*
	 * Comparing as integers avoids relational operators between unrelated
	 * pointers. Areas that do not overlap are memcpy's case.
	 */
	if ((uintptr_t)d + n <= (uintptr_t)s || (uintptr_t)s + n <= (uintptr_t)d)
		return memcpy(dest, src, n);
	/*
	 * Overlap. If dest starts below src, copy upwards: every word is read
	 * before a store could reach it. Otherwise a forward copy would
	 * overwrite source bytes before reading them: copy downwards.
	 */
	if ((uintptr_t)d <= (uintptr_t)s) {
#if STRING_FAST
		for (; n >= 8; n -= 8, d += 8, s += 8)
			store64(d, load64(s));
#endif
		while (n--)
			*d++ = *s++;
	} else {
#if STRING_FAST
		for (; n >= 8; n -= 8)
			store64(d + n - 8, load64(s + n - 8));
#endif
		while (n) {
			n--;
			d[n] = s[n];
		}
	}
	return dest;
}

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

#if STRING_FAST
	uint64_t v = 0x0101010101010101ull * (unsigned char)c;

	if (n >= STRING_REP_MIN) {
		rep_fill(p, v, n);
		return s;
	}
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			store64(p + i, v);
		store64(p + n - 8, v); /* may overlap the word before */
		return s;
	}
#endif
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
