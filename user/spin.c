/*
 * spin.c - burn CPU time in user mode until killed (or for N iterations).
 *
 * A process that never enters the kernel on its own: only the timer
 * interrupt takes it there, so `kill PID` must act at the return from an
 * interrupt to ring 3, and on several CPUs another CPU's shell must still
 * answer. `ps` shows it running.
 *
 * Invariants:
 *   [x] prints "spin: pid N spinning" once (nothing with -q: several CPUs
 *       would interleave it with the shell's output), then nothing;
 *   [x] with N, exits 0 after N iterations of its loop.
 * Context: `run -b spin [-q] [N]` in the Pagoda shell, or ./spin on Linux.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	long n = argc > 1 + quiet ? atol(argv[1 + quiet]) : -1;
	volatile unsigned long counter = 0;

	if (!quiet) {
		printf("spin: pid %d spinning\n", (int)getpid());
		fflush(stdout);
	}
	while (n < 0 || counter < (unsigned long)n)
		counter++;
	return 0;
}
