/*
 * lab.c - lab_todo(): the voice of a student skeleton's stubs (lab.h).
 *
 * Remembers up to LAB_PARTS_MAX part names (pointers to string literals) so
 * each is announced once, however often its stub runs, until the shell's
 * next command (lab_todo_forget). Any CPU, no lock: the stubs of labs 6-9
 * run in system calls of processes on every CPU at once. A race may
 * announce a part twice, never read a slot not yet written (a slot is
 * NULL or a literal, and stays one) or write past the array.
 */
#include "lib/lab.h"

#include "lib/printf.h"
#include "lib/string.h"

#define LAB_PARTS_MAX 32

static const char *announced[LAB_PARTS_MAX];
static unsigned announced_count;

bool lab_todo(int lab, const char *part)
{
	unsigned count = __atomic_load_n(&announced_count, __ATOMIC_RELAXED);

	for (unsigned i = 0; i < count && i < LAB_PARTS_MAX; i++) {
		const char *seen = __atomic_load_n(&announced[i], __ATOMIC_RELAXED);
		if (seen && strcmp(seen, part) == 0)
			return false;
	}
	if (count < LAB_PARTS_MAX) {
		__atomic_store_n(&announced[count], part, __ATOMIC_RELAXED);
		__atomic_store_n(&announced_count, count + 1, __ATOMIC_RELAXED);
	}
	kprintf("TODO(lab %d): %s is not implemented yet (docs/labs/)\n", lab, part);
	return false;
}

void lab_todo_forget(void)
{
	__atomic_store_n(&announced_count, 0, __ATOMIC_RELAXED);
}
