/*
 * hello.c - the smallest user program: print a line and exit 0.
 *
 * What it shows: a static musl binary starts on Pagoda unmodified. Before
 * main() runs, musl's start-up code has read argc/argv/envp and the
 * auxiliary vector from the stack exec built, set the thread pointer
 * (arch_prctl), set_tid_address and, for printf, used writev on fd 1.
 *
 * Invariants:
 *   [x] prints exactly "Hello from user mode! (pid N, argc N)" and its
 *       arguments, one per line; exits with status 0.
 * Context: `run hello [ARGS]` in the Pagoda shell, or ./hello on Linux.
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("Hello from user mode! (pid %d, argc %d)\n", (int)getpid(), argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	return 0;
}
