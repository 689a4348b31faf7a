/*
 * linux_init.c - the init of the Linux run: pid 1 in an initramfs holding
 * Pagoda's user programs, it runs one of them and powers the machine off.
 *
 * `make test` boots the pinned Debian kernel (scripts/linux_kernel.py) with
 * this program as /init and the same binaries as Pagoda's initrd beside it
 * (tests/integration/test_linux.py), so every portable usertest runs on the
 * real thing. It mounts nothing (the tests need no /proc), runs `/PROGRAM
 * ARGS` (default `usertests`; arguments after `--` on the kernel command
 * line come here) in a child with / as its directory, and, as pid 1 must,
 * reaps every orphan the tests hand over until that child has ended.
 *
 * Invariants:
 *   [x] the last line before the power-off is "linux_init: NAME exited with
 *       status N" or "... killed by signal N": the host parses it;
 *   [x] the machine is powered off whatever happens (reboot(RB_POWER_OFF)).
 * Context: /init of the Linux run; never on Pagoda (which has user/init.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* Flush, sync and power off; never returns (pid 1 must not exit: the kernel would panic). */
static void power_off(void)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	char *def[] = { "usertests", NULL };
	char **args = argc > 1 ? argv + 1 : def;
	char path[256];
	struct utsname u;
	int status = 0;
	pid_t child, pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (uname(&u) == 0)
		printf("linux_init: %s %s, running %s\n", u.sysname, u.release, args[0]);
	snprintf(path, sizeof(path), "/%s", args[0]);
	if (chdir("/") != 0 || (child = fork()) < 0) {
		perror("linux_init: chdir or fork");
		power_off();
	}
	if (child == 0) {
		char *envp[] = { "PATH=/", "HOME=/", NULL };

		execve(path, args, envp);
		perror("linux_init: execve");
		_exit(127);
	}
	/* Reap everything; the child's end is the one that counts. */
	while ((pid = wait4(-1, &status, 0, NULL)) != child)
		if (pid < 0) {
			perror("linux_init: wait4");
			power_off();
		}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (WIFSIGNALED(status))
		printf("linux_init: %s killed by signal %d\n", args[0], WTERMSIG(status));
	else
		printf("linux_init: %s exited with status %d\n", args[0], WEXITSTATUS(status));
	power_off();
	return 0;
}
