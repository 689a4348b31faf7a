/*
 * align.h - rounding addresses and sizes to a power-of-two boundary.
 *
 * Memory management is full of "round this address down to its page" and
 * "round this size up to whole pages"; with a power-of-two alignment a both
 * are a single AND with a mask, which is what these macros do.
 *
 * Rules for callers (checklist):
 *   - a MUST be a power of two (4096, 2 MiB, 8, ...). Any other value gives
 *     wrong results silently; check with IS_POWER_OF_TWO(a) when a is not a
 *     constant.
 *   - x is an integer (uint64_t, uintptr_t, size_t...); convert pointers to
 *     uintptr_t first. The mask is built in x's type, so a 32-bit a does not
 *     clear the upper half of a 64-bit x.
 *   - ALIGN_UP wraps to 0 when x is within a-1 of the top of its type.
 * Header only; usable anywhere, including the host.
 */
#ifndef LIB_ALIGN_H
#define LIB_ALIGN_H

/* The mask of the low bits that must be zero for alignment a, in x's type. */
#define ALIGN_MASK_(x, a) ((__typeof__(x))(a) - 1)

/* Round x down to a multiple of a: ALIGN_DOWN(0x1234, 0x1000) == 0x1000. */
#define ALIGN_DOWN(x, a) ((x) & ~ALIGN_MASK_(x, a))

/* Round x up to a multiple of a: ALIGN_UP(0x1234, 0x1000) == 0x2000, ALIGN_UP(0, a) == 0. */
#define ALIGN_UP(x, a) (((x) + ALIGN_MASK_(x, a)) & ~ALIGN_MASK_(x, a))

/* True when x is a multiple of a. */
#define IS_ALIGNED(x, a) (((x) & ALIGN_MASK_(x, a)) == 0)

/* True when x is a power of two (1, 2, 4, ...); 0 is not. */
#define IS_POWER_OF_TWO(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)

#endif
