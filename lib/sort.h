/*
 * sort.h - sorting small arrays of numbers, and their median.
 *
 * Insertion sort: O(n^2), but simple, in place, stable, and fast for the
 * few dozen samples a benchmark takes. Any context; no allocation.
 */
#ifndef LIB_SORT_H
#define LIB_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sort a[0..n) ascending, in place. */
void sort_u64(uint64_t *a, size_t n);

/* Sort a[0..n) and return its median (the upper one for even n); 0 when n is 0. */
uint64_t median_u64(uint64_t *a, size_t n);

#endif
