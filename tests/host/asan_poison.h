/*
 * asan_poison.h - POISON(p, n) and UNPOISON(p, n): mark host memory that the
 * code under test must not read, so that AddressSanitizer stops the program
 * at the first read of it (the fuzzers poison the bytes past the input's
 * end). Without ASan both do nothing.
 * Hosted code.
 */
#ifndef TESTS_HOST_ASAN_POISON_H
#define TESTS_HOST_ASAN_POISON_H

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
