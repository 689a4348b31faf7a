/*
 * lab.c - lab_todo(): the voice of a student skeleton's stubs (lab.h).
 *
 * Remembers up to LAB_PARTS_MAX part names (pointers to string literals) so
 * each is announced once, however often its stub runs, until the shell's
 * next command (lab_todo_forget). Single CPU.
 */
#include "lib/lab.h"

#include "lib/printf.h"
#include "lib/string.h"

#define LAB_PARTS_MAX 32

static const char *announced[LAB_PARTS_MAX];
static unsigned announced_count;

bool lab_todo(int lab, const char *part)
{
	for (unsigned i = 0; i < announced_count; i++)
		if (strcmp(announced[i], part) == 0)
			return false;
	if (announced_count < LAB_PARTS_MAX)
		announced[announced_count++] = part;
	kprintf("TODO(lab %d): %s is not implemented yet (docs/labs/)\n", lab, part);
	return false;
}

void lab_todo_forget(void)
{
	announced_count = 0;
}
