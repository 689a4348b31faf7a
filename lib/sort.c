/*
 * sort.c - insertion sort and median (see sort.h).
 * Invariants (of the outer loop):
 *   [x] a[0..i) is sorted.
 */
#include "lib/sort.h"

void sort_u64(uint64_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t v = a[i];
		size_t j = i;
		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

uint64_t median_u64(uint64_t *a, size_t n)
{
	if (n == 0)
		return 0;
	sort_u64(a, n);
	return a[n / 2];
}
