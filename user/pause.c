/*
 * pause.c - sleep in the background until killed (or for SECONDS seconds).
 *
 * A process that exists but does not run: for `run -b pause`, `ps`, `pmap
 * PID` and `kill PID`. It sleeps with nanosleep one second at a time, so a
 * kill is seen within a tick of the sleep ending... or at once, where the
 * kernel wakes sleepers to kill them.
 *
 * Invariants:
 *   [x] prints "pause: pid N sleeping" once (nothing with -q), then nothing;
 *   [x] with SECONDS, exits 0 after that many seconds.
 * Context: `run -b pause [-q] [SECONDS]` in the Pagoda shell, or ./pause on Linux.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	long seconds = argc > 1 + quiet ? atol(argv[1 + quiet]) : -1;
	struct timespec one = { .tv_sec = 1, .tv_nsec = 0 };

	if (!quiet) {
		printf("pause: pid %d sleeping\n", (int)getpid());
		fflush(stdout);
	}
	for (long i = 0; seconds < 0 || i < seconds; i++)
		nanosleep(&one, NULL);
	return 0;
}
