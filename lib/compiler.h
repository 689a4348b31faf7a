/*
 * compiler.h - small wrappers around GCC extensions used all over the kernel.
 *
 * The kernel is written in GNU C (gnu11) and built with GCC; these macros give
 * the attributes short, readable names (as Linux does) and collect the few
 * generic helpers (container_of, ARRAY_SIZE, MIN/MAX) that every subsystem
 * wants. Header only, no code, usable from any context and on the host.
 *
 * Caveats a reader should know:
 *   - MIN and MAX evaluate their arguments twice: pass plain values, not
 *     expressions with side effects (MIN(i++, n) is a bug).
 *   - container_of trusts its caller: ptr must really point at `member`
 *     inside a `type`, otherwise the result is garbage.
 */
#ifndef LIB_COMPILER_H
#define LIB_COMPILER_H

#include <stddef.h>

/* The function never returns (panic, halt); lets GCC drop dead code after calls. */
#define __noreturn __attribute__((noreturn))

/* No padding between members: the layout is dictated by hardware (GDT, IDT, TSS). */
#define __packed __attribute__((packed))

/* Place the object on an n-byte boundary (n a power of two). */
#define __aligned(n) __attribute__((aligned(n)))

/* Keep the object/function even if nothing in C refers to it (assembly, linker sections). */
#define __used __attribute__((used))

/* Silence "unused" warnings for a parameter or variable that is deliberately unused. */
#define __unused __attribute__((unused))

/* Inline this small helper even where GCC would not (allocator fast paths).
 * Host builds may already have glibc's identical definition. */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * The caller must use the result: an action's error (free_pages, paging_map,
 * ...) or an allocation. Dropping it is a compile error (-Werror); a cast to
 * void does not silence it, so handle the error or ASSERT success.
 */
#define __must_check __attribute__((warn_unused_result))

/* Never inline: keeps a rare path's stack frame and code out of its fast caller. */
#define __noinline __attribute__((noinline))

/* Let GCC check calls like printf: fmt is argument a, the values start at b (0: a va_list). */
#define __printf(a, b) __attribute__((format(printf, a, b)))

/* Branch hints: the condition is almost always true / false (error paths). */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * container_of(ptr, type, member): from a pointer to `member` inside a
 * `type`, get back the pointer to the enclosing `type`. The heart of
 * intrusive data structures (lib/list.h).
 */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Number of elements of a true array (not a pointer!). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Smaller / larger of two values. Evaluates each argument twice (see above). */
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

/* Compile-time check, e.g. STATIC_ASSERT(sizeof(struct tss) == 104, "TSS size"). */
#define STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#endif
