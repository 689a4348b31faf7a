/*
 * forkbomb.c - many processes at once: a fork bomb the process limit stops,
 * or a tree of sleeping processes to kill in any order.
 *
 * `forkbomb` (the bomb): every process, the children too, tries fork
 * FORKS times, so without a limit there would be 2^FORKS of them; Pagoda's
 * PROCESS_MAX makes some forks fail with EAGAIN. Then each waits for its
 * children and exits with 1 if it or a descendant met EAGAIN. The first
 * prints "forkbomb: stopped by the process limit" and exits 0 when EAGAIN
 * was met, or says it was not and exits 1. `forkbomb -t N`: a tree of N
 * processes (process i forks 2i + 1 and 2i + 2), silent (`ps` shows
 * them), each reaping its children (wait) and then sleeping until killed:
 * the orphans of a killed parent go to init. On Linux run the bomb only under a limit (ulimit -u): root has none.
 *
 * Invariants:
 *   [x] the bomb ends by itself: each process makes at most FORKS attempts
 *       and waits for every child it made;
 *   [x] every process of a tree waits or sleeps; only a signal ends it.
 * Context: `run forkbomb` / `run -b forkbomb -t N` in the Pagoda shell.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FORKS 8          /* attempts per process: 2^8 = 256 without a limit */

static int bomb(void)
{
	int top = getpid(), limited = 0;

	for (int i = 0; i < FORKS; i++) {
		pid_t pid = fork();
		if (pid == 0)
			limited = 0; /* the child goes on with the remaining attempts */
		else if (pid < 0)
			limited |= errno == EAGAIN;
	}
	int status;
	while (wait(&status) > 0)
		limited |= WIFEXITED(status) && WEXITSTATUS(status) == 1;
	if (getpid() != top)
		_exit(limited);
	if (!limited) {
		printf("forkbomb: %d forks each and no EAGAIN: no process limit here\n", FORKS);
		return 1;
	}
	printf("forkbomb: stopped by the process limit (fork failed with EAGAIN)\n");
	return 0;
}

static __attribute__((noreturn)) int tree(int n)
{
	int index = 0;

	for (int child = 1; child <= 2; child++) {
		int want = 2 * index + child;
		if (want >= n)
			break;
		pid_t pid = fork();
		if (pid < 0) {
			printf("forkbomb: fork of tree node %d: %s\n", want, strerror(errno));
			break;
		}
		if (pid == 0) {
			index = want; /* the child builds its own subtree */
			child = 0;
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		continue; /* a killed child is reaped at once, not left a zombie */
	struct timespec second = { .tv_sec = 1, .tv_nsec = 0 };
	for (;;)
		nanosleep(&second, NULL);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-t") == 0)
		return tree(atoi(argv[2]));
	if (argc != 1) {
		printf("usage: forkbomb [-t N]\n");
		return 2;
	}
	return bomb();
}
