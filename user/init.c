/*
 * init.c - pid 1: adopts the orphans and reaps them, for ever.
 *
 * The kernel starts it before the shell's prompt (kmain). A process whose
 * parent ends is handed to init, as on Linux, so its getppid() becomes 1
 * and, when it ends, init's wait4 takes its status and frees what is left
 * of it. init sleeps in sigsuspend with SIGCHLD blocked otherwise: a child
 * that ends (or an adopted zombie) sends SIGCHLD, which is either pending
 * before the sleep (and ends it at once) or wakes it: no wake-up is lost.
 *
 * Invariants:
 *   [x] init never exits and prints nothing;
 *   [x] every zombie child is reaped soon after its SIGCHLD.
 * Context: started by the kernel as pid 1 (not meant for `run`: it would
 * wait for children it does not have, quietly, until killed).
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static void on_sigchld(int sig)
{
	(void)sig; /* its only job: end sigsuspend */
}

int main(void)
{
	sigset_t chld, unblocked;
	struct sigaction sa;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &unblocked);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		int status;
		while (waitpid(-1, &status, WNOHANG) > 0)
			continue; /* one zombie reaped: look for the next */
		sigsuspend(&unblocked); /* until SIGCHLD: a child ended, or one was adopted */
	}
}
