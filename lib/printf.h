/*
 * printf.h - formatted output for the kernel: kprintf and ksnprintf.
 *
 * kprintf is the kernel's only way to talk before (and after) anything else
 * works, including inside exception handlers and panic(), so it is built to
 * depend on nothing: no heap, no locks, no buffer sized to the whole message.
 * It formats into a small chunk on the stack and hands each full chunk to the
 * output function registered with kprintf_set_output() (the console driver in
 * the kernel, stdout in host tests).
 *
 * Supported format syntax:  %[flags][width][.precision][length]conversion
 *   conversions  d i u x X o p s c %        (no floating point)
 *   flags        -  0  +  space  #
 *   width        digits or *  (a negative * width means '-')
 *   precision    .digits or .*  - %s: at most that many characters;
 *                integers: at least that many digits (".0" with 0 prints none)
 *   length       hh h l ll z j t
 * %p prints "0x" and 16 hex digits; a NULL %s prints "(null)". Anything else
 * ("%y") is copied to the output literally and consumes no argument.
 */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/compiler.h"

/* Where kprintf output goes: write n bytes of s (not NUL-terminated). */
typedef void (*kprintf_output_fn)(const char *s, size_t n);

/*
 * Format into buf (size bytes) with C99 snprintf semantics: at most size-1
 * characters are stored, buf is always NUL-terminated when size > 0 (buf may
 * be NULL when size == 0), and the return value is the length the complete
 * output would have had (so >= size means it was truncated).
 * Context: any.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __printf(3, 0);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/*
 * Format and send to the output function, in pieces of a few dozen bytes.
 * Returns the number of characters produced (also when no output function is
 * set, in which case they are dropped). Context: any, including exception
 * and interrupt handlers; uses a little stack and no global state besides the
 * output pointer. Output from nested calls (an exception during kprintf) may
 * interleave but is never lost or corrupted.
 */
int kvprintf(const char *fmt, va_list ap) __printf(1, 0);
int kprintf(const char *fmt, ...) __printf(1, 2);

/* Send all later kprintf output to write (NULL: drop it). Context: any. */
void kprintf_set_output(kprintf_output_fn write);

/* The current output function (NULL if none); lets tests capture and restore. */
kprintf_output_fn kprintf_get_output(void);

/*
 * Call begin() before and end() after each kprintf/kvprintf call's output
 * (NULL: no calls): the console's CPU lock, so that one call's text is not
 * split by another CPU's. begin/end must nest and never call kprintf.
 * Context: boot, before other CPUs print.
 */
void kprintf_set_serializer(void (*begin)(void), void (*end)(void));

#endif
