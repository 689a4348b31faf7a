/*
 * extable.c - the exception table: sorted once at boot, then searched by
 * RIP on every kernel-mode #PF and #GP (extable.h).
 *
 * The linker concatenates each object's `__ex_table` entries in link
 * order, and each object's in source order; nothing promises that is
 * address order, so extable_init sorts the table in place (it lives in
 * .data for that) with an insertion sort: a handful of entries, once.
 * Lookups are a binary search (extable_search, over any sorted table, so
 * the host tests can give it tables of their own: lab 6's part), so the
 * fault path stays O(log n) however many routines gain entries later.
 * Only extable_search is built on the host (PAGODA_HOST): the rest needs
 * the linker's table and the kernel's text.
 *
 * Invariants:
 *   [x] after extable_init: entries strictly increasing by insn;
 *   [x] every insn and fixup lies in kernel text (checked at init).
 * Context: extable_init at boot (boot CPU, before the first user copy);
 * lookups in any context (the table no longer changes): no lock, no
 * allocation, no print (a #PF handler with interrupts off calls it).
 */
#include "kernel/arch/x86_64/extable.h"

#include <stdbool.h>

#include "lib/lab.h"
#include "lib/panic.h"

const struct extable_entry *extable_search(const struct extable_entry *table, size_t count,
					   uint64_t rip)
{
	/* LAB 6 BEGIN extable_search: binary search of the sorted table for rip's entry */
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct extable_entry *e = &table[mid];
		if (e->insn == rip)
			return e;
		if (e->insn < rip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
	/* LAB 6 END extable_search */
}

#ifndef PAGODA_HOST /* the linker's table and kernel text: the kernel only */
extern struct extable_entry __start_ex_table[], __stop_ex_table[];
extern const char _text_start[], _text_end[];

static bool in_text(uint64_t addr)
{
	return addr >= (uint64_t)(uintptr_t)_text_start && addr < (uint64_t)(uintptr_t)_text_end;
}

void extable_init(void)
{
	size_t n = (size_t)(__stop_ex_table - __start_ex_table);
	struct extable_entry *t = __start_ex_table;

	for (size_t i = 1; i < n; i++) {
		struct extable_entry e = t[i];
		size_t j = i;
		while (j > 0 && t[j - 1].insn > e.insn) {
			t[j] = t[j - 1];
			j--;
		}
		t[j] = e;
	}
	for (size_t i = 0; i < n; i++) {
		if (!in_text(t[i].insn) || !in_text(t[i].fixup))
			panic("extable_init: entry 0x%lx -> 0x%lx is outside kernel text", t[i].insn,
			      t[i].fixup);
		if (i > 0 && t[i - 1].insn == t[i].insn)
			panic("extable_init: two entries for the instruction at 0x%lx", t[i].insn);
	}
}

const struct extable_entry *extable_find(uint64_t rip)
{
	return extable_search(__start_ex_table, (size_t)(__stop_ex_table - __start_ex_table), rip);
}

const struct extable_entry *extable_entries(size_t *count)
{
	*count = (size_t)(__stop_ex_table - __start_ex_table);
	return __start_ex_table;
}
#endif
