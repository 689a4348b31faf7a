/*
 * lockup.h - the hard-lockup detector (debug mode, `sched_debug`): a CPU
 * that has taken no timer interrupt for LOCKUP_HARD_MS is reported by a
 * peer, which fetches the stuck CPU's RIP with an NMI.
 *
 * Each CPU's tick (after timer.c counted it, timer_cpu_ticks) looks at one peer,
 * the next online CPU (0 watches 1, ..., the last watches 0). A peer whose
 * count has not moved while the watcher's own ticks covered
 * LOCKUP_HARD_MS is reported once per stretch:
 *   hard lockup: CPU 1 has taken no timer interrupt for 2000 ms; RIP spin+0x12
 * and again only after its count moves and stops again. A CPU whose count
 * never moved (its timer not started yet) is not watched.
 *
 * Invariants:
 *   [x] one report per stretch without ticks, per CPU;
 *   [x] every CPU's count is written by that CPU only.
 * Context: lockup_tick from each CPU's timer interrupt (interrupts off).
 */
#ifndef KERNEL_SMP_LOCKUP_H
#define KERNEL_SMP_LOCKUP_H

#include <stdint.h>

#define LOCKUP_HARD_MS 2000 /* no timer interrupt for this long: a hard lockup */

/* From this CPU's timer interrupt: in debug mode, watch the peer. Interrupts off. */
void lockup_tick(void);

/* Hard lockups reported since boot (any CPU), for the tests. Any context. */
uint64_t lockup_reports(void);

#endif
