/*
 * console_lock.h - one CPU at a time on the console: kprintf holds this
 * lock for the whole of one call, so lines printed by different CPUs do
 * not interleave mid-line.
 *
 * The lock is the CPU's, not the thread's (interrupts are off while it is
 * held, so the holder cannot move), and it nests: an exception or NMI
 * that prints in the middle of this CPU's own kprintf goes through. A
 * panic takes it for good whoever held it (the holder has been stopped by
 * NMI): from then on only the panicking CPU prints, and any other CPU
 * that still tries halts.
 *
 * Invariants:
 *   [x] owner is the CPU that holds it (CONSOLE_LOCK_FREE: nobody);
 *   [x] interrupts are off on the owner while it holds it;
 *   [x] after console_lock_take_for_panic() the panicking CPU owns it forever.
 * Context: any (interrupt, exception, NMI); reaches no panic (panic path).
 */
#ifndef DRIVERS_CONSOLE_LOCK_H
#define DRIVERS_CONSOLE_LOCK_H

#include <stdbool.h>

/* Take the console for this CPU (nests), interrupts off until the matching unlock. */
void console_lock(void);

/*
 * Take the console only if nobody else holds it (nests on this CPU):
 * true, interrupts off until the matching console_unlock(); false, nothing
 * changed. For periodic work (the screen's tick) that must not wait for a
 * CPU that may never let go.
 */
bool console_trylock(void);

/* Has a panic taken the console (console_lock_take_for_panic)? Any context. */
bool console_lock_in_panic(void);

/* Give back one level; the last restores the interrupt state the first lock found. */
void console_unlock(void);

/* The panic: this CPU owns the console from now on, whoever held it. Interrupts off. */
void console_lock_take_for_panic(void);

/* Does this CPU hold the console now? Any context. */
bool console_lock_held_here(void);

#endif
