/*
 * host_stubs.c - what the host test programs provide in place of the kernel.
 *
 * lib/panic.c ends every panic in panic_stop(), which the kernel implements
 * with a backtrace and a halt. On the host the right ending is abort(): the
 * test program dies with SIGABRT, the sanitizer/CI output shows where, and
 * the test run counts as failed. A test that must see a panic (an assertion
 * tripping) runs the code in a child process with host_expect_panic()
 * (host_stubs.h). Hosted code: may use libc.
 */
#include "tests/host/host_stubs.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/panic.h"

/* One process, nothing to stop before the message. */
void panic_begin(void)
{
}

void panic_stop(void)
{
	fflush(stdout);
	abort();
}

bool host_expect_panic(void (*fn)(void *arg), void *arg, char *msg, size_t size)
{
	char out[4096];
	size_t used = 0;
	int fds[2], status;

	fflush(stdout);
	if (pipe(fds) != 0) {
		snprintf(msg, size, "pipe failed");
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		snprintf(msg, size, "fork failed");
		return false;
	}
	if (pid == 0) { /* the child: kprintf goes to stdout, now the pipe */
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	close(fds[1]);
	for (;;) { /* keep the first 4 KiB, drain the rest so the child never blocks */
		char scratch[512];
		char *to = used < sizeof(out) - 1 ? out + used : scratch;
		size_t room = used < sizeof(out) - 1 ? sizeof(out) - 1 - used : sizeof(scratch);
		ssize_t n = read(fds[0], to, room);
		if (n <= 0)
			break;
		if (to != scratch)
			used += (size_t)n;
	}
	out[used] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);

	const char *line = strstr(out, "PANIC: ");
	bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
	if (line && aborted) {
		line += strlen("PANIC: ");
		snprintf(msg, size, "%.*s", (int)strcspn(line, "\n"), line);
		return true;
	}
	if (WIFEXITED(status))
		snprintf(msg, size, "exited with status %d %s", WEXITSTATUS(status),
			 line ? "after a panic line" : "without a panic");
	else
		snprintf(msg, size, "killed by signal %d %s", WTERMSIG(status),
			 line ? "after a panic line" : "without a panic");
	return false;
}
