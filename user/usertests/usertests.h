/*
 * usertests.h - the user test suite's shared declarations: one test is a
 * function returning NULL (pass) or a reason (fail), listed with its name
 * and its tag in its file's table; main.c runs the tables in order.
 *
 * The same static binary runs on Pagoda and on Linux. A test is tagged
 * PORTABLE (Linux must pass it too: a portable test failing on Linux is a
 * wrong test) or PAGODA_ONLY (behaviour Linux does not share: no
 * overcommit, the process limit, which root ignores on Linux, ...; skipped
 * where uname() says Linux). System calls go through raw_syscall() (inline
 * `syscall`, no libc wrapper, errno untouched), so each result is the
 * kernel's own: a value or -errno.
 *
 * Invariants:
 *   [x] a test releases what it mapped, opened or started when it passes,
 *       and never depends on another test having run;
 *   [x] every table ends with a { NULL, NULL, 0 } entry;
 *   [x] test names are unique across the tables (main.c checks).
 * Context: the usertests program, single-threaded (child processes it
 * forks are its own business and are reaped before a test returns).
 */
#ifndef USER_USERTESTS_H
#define USER_USERTESTS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "userlib.h"

#define P 4096l
#define KERNEL_ADDR 0xffffffff80000000ul  /* the kernel image: never user-accessible */
#define NONCANONICAL 0x0000800000000000ul /* first address past the user half */
#define DATA_FILE "usertests.dat"         /* byte i is i % 251 (Makefile) */
#define DATA_SIZE (3 * 4096 + 123)
#define ARCH_SET_FS 0x1002
#define SIGSET_SIZE 8                     /* the kernel's sigset_t: 64 bits */

/* A test's tag. */
enum usertest_tag {
	PORTABLE = 0,    /* must pass on Linux and on Pagoda */
	PAGODA_ONLY = 1, /* Pagoda's own behaviour: skipped on Linux */
};

struct usertest {
	const char *name;
	const char *(*fn)(void);
	unsigned flags;  /* enum usertest_tag */
};

/* The tables, one per file, each ending with { NULL, NULL, 0 } (main.c runs them in this order). */
extern const struct usertest files_tests[];    /* files.c: console, open, read, bad pointers */
extern const struct usertest memory_tests[];   /* memory.c: mmap, munmap, mprotect, brk, ... */
extern const struct usertest process_tests[];  /* process.c: identity, time, CPU state, stack */
extern const struct usertest fork_tests[];     /* fork.c: fork, wait4, exit statuses, orphans */
extern const struct usertest cow_tests[];      /* cow.c: copy-on-write after fork, counted */
extern const struct usertest exec_tests[];     /* exec.c: execve */
extern const struct usertest pipe_tests[];     /* pipes.c: pipe, dup, close-on-exec */
extern const struct usertest signal_tests[];   /* signals.c: kill, handlers, default actions */
extern const struct usertest protect_tests[];  /* protect.c: what ring 3 may not touch */
extern const struct usertest ioport_tests[];   /* ioports.c: ioperm, in and out from ring 3 */
extern const struct usertest ipc_tests[];      /* ipc.c: messages, handles, map, grant, revoke */
extern const struct usertest pager_tests[];    /* pager.c: user-level pagers (pager_region) */
extern const struct usertest syscalls_lab_tests[]; /* syscalls_lab.c: lab 6, copies, brk, mprotect */
extern const struct usertest fork_lab_tests[]; /* fork_lab.c: lab 7, a chain of forks, rss at exit */
extern const struct usertest ipcmem_tests[];   /* ipcmem.c: lab 8, memory passed by IPC */
extern const struct usertest grader_tests[];   /* main.c: the lab grader's channel (-r) */

/* The system call nr with up to six arguments: its raw result (a value or -errno). */
long raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
#define SYS_ARGS(nr, a, b, c, d, e, f, ...)                                              \
	raw_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* sys(SYS_x, args...): the raw result, a value or -errno. */
#define sys(...) SYS_ARGS(__VA_ARGS__, 0, 0, 0, 0, 0, 0)

/* A failure message (printf-style), kept until the next call; a test returns it. */
const char *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A skip: the test cannot run here (a Linux host without a capability), said
 * why; a test returns it and main.c prints SKIP instead of FAIL.
 */
const char *skip(const char *why);
/* Did the test that just returned ask to be skipped? Clears the request. */
int skip_requested(void);
/* A result for a message: "-EFAULT", "4096", "0x7f0000000000" (four rotating buffers). */
const char *ret_name(long v);
/* Is v an error result (-4095 .. -1)? */
int is_err(long v);

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (!(cond))                                                             \
			return fail(__VA_ARGS__);                                        \
	} while (0)
/* expr must equal want; the message names the call and both values. */
#define CHECK_RET(expr, want)                                                            \
	do {                                                                             \
		long got_ = (long)(expr), want_ = (long)(want);                          \
		if (got_ != want_)                                                       \
			return fail("line %d: %s = %s, expected %s", __LINE__, #expr,    \
				    ret_name(got_), ret_name(want_));                    \
	} while (0)

/* n fresh anonymous private pages with protection prot, or NULL. */
char *map_pages(long n, int prot);
void unmap_pages(void *a, long n);
/* Page i of a: do its first, middle and last bytes hold value? / set them to value. */
int page_holds(const volatile char *a, long i, char value);
void fill_page(volatile char *a, long i, char value);
/* A page that was mapped and no longer is (nothing maps in between). */
char *unmapped_page(void);
/*
 * A readable, writable page followed by an unmapped one: *tail points `bytes`
 * bytes before the hole. Returns the page (unmap 1 page) or NULL.
 */
char *straddle(long bytes, char **tail);
/* The data file's byte at offset; 0 if buf holds its bytes [offset, offset + n), else the first bad index + 1. */
int expected_byte(long offset);
long pattern_mismatch(const unsigned char *buf, long offset, long n);
/* Is the console a terminal here? (always on Pagoda) */
int console_is_tty(void);

/* Child processes. A child that runs off the end of its function exits with this. */
#define CHILD_RETURNED 97
/*
 * fn(arg) in a child made by a raw fork; the child ends with
 * exit_group(CHILD_RETURNED) if fn returns. Waits for it: returns its wait
 * status (>= 0), or -errno if fork or wait4 failed.
 */
long child_status(void (*fn)(long), long arg);
/* A wait status in words: "exited with status 3", "killed by SIGSEGV". */
const char *status_name(long status);
/* NULL if status (child_status's result) says killed by sig, else why not, naming what. */
const char *expect_killed(long status, int sig, const char *what);
/* NULL if status says the child's function returned (CHILD_RETURNED), else why not. */
const char *expect_returned(long status, const char *what);

#endif
