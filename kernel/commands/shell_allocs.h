/*
 * shell_allocs.h - the shell's table of what it allocated (alloc_commands.c),
 * for other commands whose allocations `free` must release and `allocs`
 * must list. The shell's thread only: the table has no lock, and each call
 * asserts that the caller is the thread that owns it (alloc_commands.c).
 */
#ifndef MM_SHELL_ALLOCS_H
#define MM_SHELL_ALLOCS_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/compiler.h"

/*
 * Remember an anonymous region of the kernel space made by a command:
 * `free addr` releases [start, end) with anon_release(). Returns 0, or
 * -ENOSPC when the table is full (check shell_alloc_has_room() first).
 */
__must_check int shell_alloc_remember_region(uint64_t addr, uint64_t start, uint64_t end);

/*
 * Is [start, end) exactly a block of pages the shell holds from `alloc -p`?
 * (`map VA SIZE PA` maps such blocks and refuses every other frame of RAM.)
 */
bool shell_alloc_holds_pages(uint64_t start, uint64_t end);

/* Is there room for one more entry? */
bool shell_alloc_has_room(void);

/*
 * Did `map` (paging_commands.c) map all of [start, end) in the user half of
 * the kernel's space? 1: yes, every byte lies in ranges it mapped there;
 * 0: no; -1: cannot say (it mapped more ranges there than it remembers).
 * For `selftest kernel_space`, which must tell the user's experiments from
 * kernel mappings.
 */
int shell_mapped_user_range(uint64_t start, uint64_t end);

#endif
