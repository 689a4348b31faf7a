/*
 * ksyms.h - the kernel's own symbol table, for symbolized backtraces.
 *
 * The build links the kernel twice: the first link's `nm` output becomes
 * build/ksyms.c (scripts/gen_ksyms.py), a table of every text symbol sorted
 * by address, which the second link includes. Only .rodata grows between the
 * two links, so text addresses - the only ones in the table - are the same
 * (the Makefile checks this). Lookups are binary searches; any context.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t address;
	const char *name;
};

extern const struct ksym ksyms_table[];
extern const size_t ksyms_count;

/*
 * The name of the function containing addr and addr's offset into it
 * (stored in *offset), or NULL when addr is outside the kernel's text.
 */
const char *ksyms_lookup(uint64_t addr, uint64_t *offset);

/* The address of symbol name, or 0 when there is none. */
uint64_t ksyms_address(const char *name);

#endif
