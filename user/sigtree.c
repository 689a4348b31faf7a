/*
 * sigtree.c - a parent and N children in one process group, for Ctrl-C.
 *
 * `sigtree N` forks N children that pause, says "sigtree: N children
 * ready", then pauses too: Ctrl-C sends SIGINT to the whole foreground
 * group, every process dies of it, and the shell reports "killed by
 * SIGINT" (the orphaned children go to init, which reaps them). With -c
 * the parent catches SIGINT (SA_RESTART): its wait4 for the children goes
 * on through the signal, and it prints how each child ended before it
 * exits 0, so the children's statuses are seen too.
 *
 * Invariants:
 *   [x] the children do nothing but pause: only a signal ends them;
 *   [x] with -c, one line per child ("sigtree: child PID killed by signal 2"),
 *       then "sigtree: caught SIGINT, N children reaped".
 * Context: `run sigtree [-c] N` in the Pagoda shell (Ctrl-C), or on Linux.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 16

static volatile sig_atomic_t caught;

static void on_sigint(int sig)
{
	(void)sig;
	caught = 1;
}

int main(int argc, char **argv)
{
	int catch = argc > 1 && strcmp(argv[1], "-c") == 0;
	int n = argc > 1 + catch ? atoi(argv[1 + catch]) : 2;
	pid_t kids[MAX_CHILDREN];

	if (n < 1 || n > MAX_CHILDREN) {
		fprintf(stderr, "usage: sigtree [-c] N (1..%d)\n", MAX_CHILDREN);
		return 2;
	}
	if (catch) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigint;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGINT, &sa, NULL);
	}
	for (int i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			signal(SIGINT, SIG_DFL); /* the children die of it */
			for (;;)
				pause();
		}
		if (kids[i] < 0) {
			perror("sigtree: fork");
			return 1;
		}
	}
	printf("sigtree: %d children ready\n", n);
	fflush(stdout);
	if (!catch)
		for (;;)
			pause();
	for (int i = 0; i < n; i++) {
		int status = 0;
		if (waitpid(kids[i], &status, 0) != kids[i]) {
			perror("sigtree: waitpid");
			return 1;
		}
		if (WIFSIGNALED(status))
			printf("sigtree: child %d killed by signal %d\n", (int)kids[i],
			       WTERMSIG(status));
		else
			printf("sigtree: child %d exited with status %d\n", (int)kids[i],
			       WEXITSTATUS(status));
	}
	printf("sigtree: %s, %d children reaped\n", caught ? "caught SIGINT" : "no SIGINT", n);
	return 0;
}
