/*
 * ksyms.c - lookups in the generated symbol table (see ksyms.h).
 *
 * Invariants (of ksyms_table, guaranteed by scripts/gen_ksyms.py):
 *   [x] sorted by address, ascending;
 *   [x] only text symbols, so every address lies in [_text_start, _text_end).
 * A symbol's extent is taken to run to the next symbol (or _text_end).
 */
#include "kernel/ksyms.h"

#include "lib/string.h"

extern char _text_start[], _text_end[];

const char *ksyms_lookup(uint64_t addr, uint64_t *offset)
{
	if (ksyms_count == 0 || addr < ksyms_table[0].address ||
	    addr >= (uint64_t)(uintptr_t)_text_end)
		return NULL;

	/* Find the last symbol whose address is <= addr. */
	size_t lo = 0, hi = ksyms_count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ksyms_table[mid].address <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_table[lo].address;
	return ksyms_table[lo].name;
}

uint64_t ksyms_address(const char *name)
{
	for (size_t i = 0; i < ksyms_count; i++)
		if (strcmp(ksyms_table[i].name, name) == 0)
			return ksyms_table[i].address;
	return 0;
}
