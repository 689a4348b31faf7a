/*
 * backtrace.h - walk the frame-pointer chain and print it with symbols.
 *
 * The kernel is built with -fno-omit-frame-pointer, so every function starts
 * with push rbp; mov rbp, rsp. At any point, RBP points at the saved RBP of
 * the caller, with the return address just above it:
 *     [rbp + 8]  return address into the caller
 *     [rbp + 0]  the caller's RBP  -> next frame
 * boot.asm sets RBP = 0 before calling kmain, which ends every walk. The walk
 * only follows frames inside a known kernel stack, so a corrupt RBP stops it
 * instead of causing a second fault. Any context.
 */
#ifndef ARCH_X86_64_BACKTRACE_H
#define ARCH_X86_64_BACKTRACE_H

#include <stdint.h>

#define BACKTRACE_MAX_FRAMES 32

/* Print "Backtrace:" and one line per frame, starting at rip, then rbp's chain. */
void backtrace_print(uint64_t rip, uint64_t rbp);

/*
 * The same for an interrupted context (rip, rsp, rbp from a trap frame). It
 * also finds the caller of a function stopped before its prologue ran, or of
 * a leaf function GCC compiled without one: there the return address sits at
 * [rsp], not above a saved RBP.
 */
void backtrace_print_trap(uint64_t rip, uint64_t rsp, uint64_t rbp);

/* Backtrace of the caller. */
void backtrace_print_here(void);

#endif
