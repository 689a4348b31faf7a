/*
 * string.h - the C library's memory and string functions, for the kernel.
 *
 * There is no libc in the kernel, yet GCC itself emits calls to memcpy,
 * memset, memmove and memcmp (struct copies, large initializers), so these
 * four must exist under exactly these names. The str* functions are the
 * handful the kernel actually uses. Semantics are those of ISO C (strlcpy:
 * BSD), so the host's man pages describe them.
 *
 * On the host test builds these definitions replace (shadow) the libc ones;
 * that is intended: the tests then exercise our code, under ASan.
 * Every function may be called from any context (interrupts, exceptions):
 * none allocates, locks or keeps state (string_erms is set once at boot).
 * memcpy/memmove/memset use the string instructions for large sizes
 * (string.c); a page is zeroed with 512 stores, not a byte loop.
 */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the CPU has ERMS (Enhanced REP MOVSB/STOSB, CPUID.(EAX=7,
 * ECX=0):EBX bit 9): large memcpy/memset then use one rep movsb/stosb
 * instead of rep movsq/stosq and a tail. lib/ cannot ask the CPU itself;
 * the arch code sets this once at boot, before anything runs concurrently
 * (cpu_features_init). False (the default) is correct on every CPU.
 */
extern bool string_erms;

/* Copy n bytes from src to dest; the areas must not overlap. Returns dest. */
void *memcpy(void *dest, const void *src, size_t n);

/* Copy n bytes from src to dest; the areas may overlap. Returns dest. */
void *memmove(void *dest, const void *src, size_t n);

/* Fill n bytes at s with the byte value (unsigned char)c. Returns s. */
void *memset(void *s, int c, size_t n);

/*
 * Compare n bytes as unsigned chars. Returns <0, 0 or >0 as a is below,
 * equal to or above b at the first difference.
 */
int memcmp(const void *a, const void *b, size_t n);

/* Length of the NUL-terminated string s, not counting the NUL. */
size_t strlen(const char *s);

/* strlen(s), but look at no more than max bytes (returns max if no NUL among them). */
size_t strnlen(const char *s, size_t max);

/* Compare two strings as unsigned chars; <0, 0 or >0 like memcmp. */
int strcmp(const char *a, const char *b);

/* strcmp looking at no more than n characters. */
int strncmp(const char *a, const char *b, size_t n);

/*
 * The first occurrence of (char)c in s, or NULL. The terminating NUL is part
 * of the string: strchr(s, '\0') points at it.
 */
char *strchr(const char *s, int c);

/*
 * The first occurrence of the string needle in haystack (its terminating NUL
 * not compared), or NULL. An empty needle is found at once: returns haystack.
 */
char *strstr(const char *haystack, const char *needle);

/*
 * Copy src into dest (of size bytes), truncating if needed; dest is always
 * NUL-terminated when size > 0 and left untouched when size == 0. Returns
 * strlen(src): the result was truncated iff the return value >= size.
 */
size_t strlcpy(char *dest, const char *src, size_t size);

#endif
