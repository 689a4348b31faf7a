/*
 * lab.h - what a student skeleton's stubs call (docs/labs/README.md).
 *
 * `make lab LAB=n` replaces each part of the reference code marked for lab n
 * (and later labs) by a stub. The stub calls lab_todo() and then does
 * something safe (returns an error, or a simple fallback that keeps the
 * kernel alive), so the skeleton builds, boots and reaches the shell, and
 * the tests of the missing part fail with a message naming it.
 * Any context; no allocation.
 */
#ifndef LIB_LAB_H
#define LIB_LAB_H

#include <stdbool.h>

/*
 * Say, the first time for each part, "TODO(lab LAB): PART is not
 * implemented yet (docs/labs/)". Returns false, so a stub can read
 * `return lab_todo(1, "buddy_merge");` where a bool is expected.
 */
bool lab_todo(int lab, const char *part);

/*
 * Forget which parts were announced, so that the next call for each says
 * it again. The shell calls this before every command, so each command
 * that runs into a stub says so, once, in its own output.
 */
void lab_todo_forget(void);

#endif
