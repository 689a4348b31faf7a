/*
 * execcheck.c - the program usertests' exec tests run with execve: it checks
 * that it is a fresh image of itself in the same process, and says which
 * check failed through its exit status (0: all held).
 *
 * `execcheck PID PPID ADDR CLOEXEC_FD KEPT_FD ARG...` with the environment
 * EXECCHECK=yes SECOND=2 exactly (usertests/exec.c sets all of it up):
 *   10  argv[0] is not "execcheck", or ARG... is not "hello world" ""
 *   11  the environment is not exactly EXECCHECK=yes SECOND=2
 *   12  getpid() != PID or getppid() != PPID: exec keeps the process
 *   13  ADDR, a page the old image mapped, is still mapped
 *   14  initialized data or bss do not hold their initial values
 *   15  MXCSR is not the start-up 0x1f80 (the old image changed it)
 *   16  SIGUSR1 (handled before) is not SIG_DFL, or SIGUSR2 (ignored) not SIG_IGN
 *   17  CLOEXEC_FD (opened O_CLOEXEC) is still open, or KEPT_FD is closed
 * `execcheck inb80` instead reads I/O port 0x80 and exits 0: usertests/ioports.c
 * checks that execve kept the process's ioperm grant (without one: SIGSEGV).
 * Invariants:
 *   [x] checks only, in this order; the first failure decides the status.
 * Context: started by execve from a usertests child, on Pagoda or Linux.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static int initialized = 42;
static int zeroed;

static int check(int argc, char **argv)
{
	if (argc != 8 || strcmp(argv[0], "execcheck") != 0 || strcmp(argv[6], "hello world") != 0 ||
	    argv[7][0] != '\0' || argv[8] != NULL)
		return 10;
	if (!environ || !environ[0] || strcmp(environ[0], "EXECCHECK=yes") != 0 || !environ[1] ||
	    strcmp(environ[1], "SECOND=2") != 0 || environ[2])
		return 11;
	if (getpid() != atol(argv[1]) || getppid() != atol(argv[2]))
		return 12;
	unsigned char vec;
	if (mincore((void *)strtoul(argv[3], NULL, 0), 4096, &vec) == 0)
		return 13;
	if (initialized != 42 || zeroed != 0)
		return 14;
	unsigned mxcsr;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	if (mxcsr != 0x1f80)
		return 15;
	struct sigaction usr1, usr2;
	if (sigaction(SIGUSR1, NULL, &usr1) != 0 || usr1.sa_handler != SIG_DFL ||
	    sigaction(SIGUSR2, NULL, &usr2) != 0 || usr2.sa_handler != SIG_IGN)
		return 16;
	struct stat st;
	if (fstat(atoi(argv[4]), &st) == 0 || fstat(atoi(argv[5]), &st) != 0)
		return 17;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "inb80") == 0) {
		unsigned char v;

		__asm__ volatile("inb $0x80, %0" : "=a"(v));
		return 0;
	}
	int status = check(argc, argv);

	initialized++;
	zeroed++;
	return status;
}
