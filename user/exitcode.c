/*
 * exitcode.c - end with a chosen status, through exit_group or exit.
 *
 * `exitcode N` ends with status N through exit_group (what musl's exit()
 * does); `exitcode N exit` through the raw exit system call, which ends the
 * calling thread: the process's only thread, so the process ends too, with
 * that status. A status is 8 bits: 300 shows as 44, -1 as 255.
 *
 * Invariants:
 *   [x] nothing runs after the system call: if it returns, the program says
 *       so and ends with status 99;
 *   [x] the shell's `run` reports "exited with status (N & 255)".
 * Context: `run exitcode N [exit|exit_group]` in the Pagoda shell, or on Linux.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long code = argc > 1 ? strtol(argv[1], NULL, 0) : 0;
	int thread_only = argc > 2 && strcmp(argv[2], "exit") == 0;

	fflush(stdout);
	syscall(thread_only ? SYS_exit : SYS_exit_group, code);
	printf("exitcode: the %s system call returned\n", thread_only ? "exit" : "exit_group");
	return 99;
}
