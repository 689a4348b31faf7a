/*
 * fuzz.c - the system-call fuzzer: random system calls with hostile
 * arguments from several processes at once, to show that bad input never
 * hurts the kernel.
 *
 * `fuzz [-n CALLS] [-p PROCS] [-s SEED] [-v]`: PROCS worker processes
 * (fork) share CALLS calls. Each issues calls Pagoda implements and random
 * numbers, with arguments drawn from hostile classes: NULL, kernel and
 * non-canonical addresses, unmapped and PROT_NONE pages, buffers that end
 * at a guard page, read-only pages, huge and negative sizes, random flags
 * and descriptors, signals. A worker may die (a garbage handler, its own
 * stack unmapped, exit, execve): the parent counts how and starts a new
 * generation for the calls left. Workers report through a pipe every
 * FUZZ_REPORT_EVERY calls; one that stops reporting (blocked in pause or
 * on a pipe it holds both ends of) is sent a signal, then SIGKILL. The
 * parent prints the calls made, the results by errno and the deaths.
 * Without fork or pipes (an older kernel) it fuzzes alone, in-process,
 * avoiding the calls that would end it.
 *
 * Invariants:
 *   [x] the sequence of calls of a worker generation depends only on
 *       (SEED, worker, generation) and the results the kernel gives;
 *   [x] nothing a worker calls can end the parent: the pids of kill and of
 *       every call that names a process (drawn from the table or at random)
 *       are the worker's own, its own group's (after setpgid) or
 *       nonexistent ones, and the report descriptor is never an argument;
 *   [x] a worker never runs libc code that uses its TLS after a call: the
 *       calls are raw `syscall` instructions, the children of fork exit in
 *       the same assembly, and the FS base is restored after arch_prctl.
 * Context: `run fuzz ...` in the Pagoda shell (tests/integration/
 * test_fuzz.py), or on Linux (as an unprivileged user).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#define FUZZ_SLOTS 136          /* [0] success, [1..133] errno, [134] >= 512, [135] other */
#define FUZZ_SLOT_RESTART 134
#define FUZZ_SLOT_OTHER 135
#define FUZZ_REPORT_EVERY 8     /* calls between two reports */
#define FUZZ_REPORT_FD 63       /* the write end of the report pipe in a worker */
#define FUZZ_LOG_FD 62          /* -v: the console in a worker */
#define FUZZ_WORKERS_MAX 16
#define FUZZ_HANG_MS 250        /* no report for this long: signal the worker */
#define FUZZ_MAGIC 0x7a7a7546u
#define FUZZ_RUNNING 0
#define FUZZ_DONE 1             /* the budget is spent: the worker exits 0 */
#define FUZZ_BLOCKING 2         /* about to pause: the watchdog need not wait long */
#define FUZZ_BLOCKED_MS 20
#define PAGE 4096ul
#define SCRATCH_PAGES 16        /* read-write; then a PROT_NONE page, a read-only one, a hole */
#define ARENA_PAGES (SCRATCH_PAGES + 4)

/* ---- Raw system calls ---- */

/* The body of a raw call of nr with six arguments: instructions code, result in rax. */
#define RAW_SYSCALL(code)                                                          \
	register long r10 __asm__("r10") = d;                                      \
	register long r8 __asm__("r8") = e;                                        \
	register long r9 __asm__("r9") = f;                                        \
	long ret;                                                                  \
	__asm__ volatile(code                                                      \
			 : "=a"(ret)                                               \
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) \
			 : "rcx", "r11", "memory");                                \
	return ret

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	RAW_SYSCALL("syscall");
}

#define sys0(nr) sys6(nr, 0, 0, 0, 0, 0, 0)
#define sys1(nr, a) sys6(nr, (long)(a), 0, 0, 0, 0, 0)
#define sys2(nr, a, b) sys6(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(nr, a, b, c) sys6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(nr, a, b, c, d) sys6(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/*
 * A call that may create a process (fork, vfork, clone, clone3): the child
 * (rax 0) calls exit_group(0) in the same asm, touching neither its stack
 * nor memory it may share with the parent (clone with CLONE_VM on Linux).
 */
static long sys6_forkish(long nr, long a, long b, long c, long d, long e, long f)
{
	RAW_SYSCALL("syscall\n\t"
		    "test %%rax, %%rax\n\t"
		    "jnz 1f\n\t"
		    "mov $231, %%eax\n\t" /* exit_group */
		    "xor %%edi, %%edi\n\t"
		    "syscall\n\t"
		    "ud2\n"
		    "1:");
}

/* ---- Randomness: splitmix64, one state per worker generation ---- */

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? next() % n : 0;
}

static int chance(unsigned one_in)
{
	return below(one_in) == 0;
}

/* ---- What a worker knows ---- */

struct report {
	uint32_t magic;
	uint16_t worker, gen;
	uint32_t calls;                 /* calls made by this generation so far */
	uint32_t state;                 /* FUZZ_RUNNING, FUZZ_DONE, FUZZ_BLOCKING */
	uint32_t handled;               /* signals its handler caught so far */
	uint32_t counts[FUZZ_SLOTS];    /* results of those calls */
};

static struct {
	int solo;                       /* no fork or no pipe: fuzzing in the parent itself */
	int child;                      /* a child a worker forked: a few calls, no reports */
	uint64_t enosys[8];             /* numbers below 512 that said ENOSYS: drawn less */
	unsigned handled;               /* signals the real handler caught */
	int verbose;                    /* -v: each call on FUZZ_LOG_FD (solo: stdout) first */
	int report_fd;                  /* -1 in solo mode */
	int own_group;                  /* setpgid(0, 0) worked: kill(0, ...) hits only us */
	long pid;
	uint64_t fs_base;               /* restored after every arch_prctl */
	uint8_t *arena;                 /* ARENA_PAGES: scratch, PROT_NONE, read-only, hole */
	uint64_t maps[8];               /* addresses mmap returned lately */
	struct report rep;
} w;

/* Calls and the kind of each argument: d fd, p pointer, n number/size, f flags,
 * s signal, i pid, a address for memory calls, x anything. */
struct call {
	int nr;
	const char *args;
};

static const struct call calls[] = {
	{ SYS_read, "dpn" }, { SYS_write, "dpn" }, { SYS_open, "pfn" }, { SYS_close, "d" },
	{ SYS_fstat, "dp" }, { SYS_lseek, "dnn" }, { SYS_mmap, "anffdn" },
	{ SYS_mprotect, "anf" }, { SYS_munmap, "an" }, { SYS_brk, "a" },
	{ SYS_rt_sigaction, "sppn" }, { SYS_rt_sigprocmask, "nppn" }, { SYS_rt_sigreturn, "" },
	{ SYS_ioctl, "dnp" }, { SYS_pread64, "dpnn" }, { SYS_pwrite64, "dpnn" },
	{ SYS_readv, "dpn" }, { SYS_writev, "dpn" }, { SYS_access, "pn" }, { SYS_pipe, "p" },
	{ SYS_sched_yield, "" }, { SYS_mremap, "annfa" }, { SYS_mincore, "anp" },
	{ SYS_madvise, "ann" }, { SYS_dup, "d" }, { SYS_dup2, "dd" }, { SYS_pause, "" },
	{ SYS_nanosleep, "pp" }, { SYS_getpid, "" }, { SYS_clone, "fppp" }, { SYS_fork, "" },
	{ SYS_vfork, "" }, { SYS_execve, "ppp" }, { SYS_exit, "n" }, { SYS_wait4, "ipfp" },
	{ SYS_kill, "is" }, { SYS_uname, "p" }, { SYS_fcntl, "dnx" }, { SYS_getrusage, "np" },
	{ SYS_getppid, "" }, { SYS_getpgrp, "" }, { SYS_setpgid, "ii" }, { SYS_getpgid, "i" },
	{ SYS_setsid, "" }, { SYS_rt_sigpending, "pn" }, { SYS_rt_sigsuspend, "pn" },
	{ SYS_sigaltstack, "pp" }, { SYS_arch_prctl, "nx" }, { SYS_gettid, "" },
	{ SYS_tkill, "is" }, { SYS_set_tid_address, "p" }, { SYS_clock_gettime, "np" },
	{ SYS_clock_nanosleep, "nfpp" }, { SYS_exit_group, "n" }, { SYS_tgkill, "iis" },
	{ SYS_openat, "dpfn" }, { SYS_pipe2, "pf" }, { SYS_dup3, "ddf" },
	{ SYS_getrandom, "pnf" }, { SYS_getrusage, "np" }, { SYS_mmap, "anffdn" },
	{ SYS_munmap, "an" }, { SYS_write, "dpn" }, { SYS_read, "dpn" },
	/* Calls that name another process: their pids stay ours or nobody's. */
	{ SYS_ptrace, "nipp" }, { SYS_rt_sigqueueinfo, "isp" }, { SYS_rt_tgsigqueueinfo, "iisp" },
	{ SYS_prlimit64, "innp" }, { SYS_process_vm_readv, "ipnpnf" },
	{ SYS_process_vm_writev, "ipnpnf" }, { SYS_kcmp, "iinnn" }, { 434 /* pidfd_open */, "if" },
	{ SYS_setpriority, "nin" }, { SYS_sched_setaffinity, "inp" },
	{ SYS_sched_setscheduler, "inp" }, { SYS_ioprio_set, "nin" }, { SYS_getpgid, "i" },
};

/* The row of nr in calls, or NULL: a random number that names a known call takes its kinds. */
static const struct call *call_of(int nr)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return NULL;
}

/* ---- Hostile values ---- */

static const uint64_t hostile_pointers[] = {
	0, 1, 0xfff, 0x1000, 0x400000, 0x401000, 0x7ffffffff000ull, 0x7fffffffffffull,
	0x800000000000ull, 0x8000000000000000ull, 0xffff800000000000ull,
	0xffff888000000000ull, 0xffffffff80000000ull, 0xffffffff80100000ull,
	0xffffffffff600000ull, 0xfffffffffffff000ull, 0xffffffffffffffffull,
};

static const uint64_t hostile_numbers[] = {
	0, 1, 2, 3, 7, 8, 64, 255, 4095, 4096, 4097, 8192, 65536, 1ull << 20, 1ull << 31,
	0x7fffffff, 0x80000000, 0xffffffff, 1ull << 32, 1ull << 47, 1ull << 63,
	0x7fffffffffffffffull, (uint64_t)-1, (uint64_t)-2, (uint64_t)-4095, (uint64_t)-4096,
	(uint64_t)-100 /* AT_FDCWD */, (uint64_t)INT32_MIN,
};

/* Strings placed in the scratch pages, for paths and argv. */
static const char *const strings[] = {
	"exitcode", "hello", "README.md", "usertests.dat", "nosuch", "", "/", ".", "..",
	"/hello/..", "./exitcode", "//README.md", "README.md/", "exitcode/x",
};
#define STRINGS_AT 0x100 /* offset of the string pool in the scratch pages */
#define IOV_AT 0x800     /* an iovec pool */
#define ARGV_AT 0xa00    /* argv arrays */

static uint64_t scratch(uint64_t off)
{
	return (uint64_t)(uintptr_t)w.arena + off;
}

static uint64_t string_ptr(void)
{
	return scratch(STRINGS_AT + 32 * below(sizeof(strings) / sizeof(strings[0])));
}

/* A pointer: mostly into the scratch pages (good, ending at the guard, read-only). */
static uint64_t pointer(void)
{
	uint64_t r = below(100);
	uint64_t end = scratch(SCRATCH_PAGES * PAGE);

	if (r < 25)
		return scratch(below(SCRATCH_PAGES * PAGE));
	if (r < 35)
		return end - 1 - below(64);                  /* runs into PROT_NONE */
	if (r < 40)
		return end + below(PAGE);                    /* the PROT_NONE page */
	if (r < 45)
		return end + PAGE + below(PAGE);             /* read-only */
	if (r < 50)
		return end + 2 * PAGE + below(2 * PAGE);     /* unmapped */
	if (r < 60)
		return string_ptr();
	if (r < 64)
		return scratch(IOV_AT + 16 * below(8));
	if (r < 68)
		return scratch(ARGV_AT + 8 * below(8));
	if (r < 90)
		return hostile_pointers[below(sizeof(hostile_pointers) / 8)] + (chance(4) ? below(8) : 0);
	if (r < 98 || w.solo)
		return next() & (chance(2) ? 0x7fffffffffffull : ~0ull);
	return (uint64_t)(uintptr_t)&r + below(4096) - 2048; /* our own stack: may kill us */
}

/* An address for the memory calls: scratch, recent mappings, hostile, aligned or not. */
static uint64_t address(void)
{
	uint64_t r = below(100), a;

	if (r < 30)
		a = scratch(below(ARENA_PAGES) * PAGE);
	else if (r < 55)
		a = w.maps[below(8)];
	else if (r < 65)
		a = 0;
	else if (r < 90)
		a = hostile_pointers[below(sizeof(hostile_pointers) / 8)];
	else if (r < 98 || w.solo)
		a = next() & 0x7ffffffff000ull;
	else
		a = 0x400000 + below(64) * PAGE; /* our own image: may kill us */
	return chance(8) ? a + below(PAGE) : a;
}

static uint64_t number(void)
{
	uint64_t r = below(100);

	if (r < 40)
		return below(16);
	if (r < 75)
		return hostile_numbers[below(sizeof(hostile_numbers) / 8)];
	if (r < 85)
		return PAGE * below(64);
	if (r < 95)
		return next();
	return -below(16);
}

static uint64_t flags(void)
{
	switch (below(4)) {
	case 0: return 0;
	case 1: return 1ull << below(32);
	case 2: return next() & 0xffffffff;
	default: return below(256) | (chance(2) ? 02000000 : 0) | (chance(2) ? 04000 : 0);
	}
}

static uint64_t fd(void)
{
	uint64_t r = below(100);

	if (r < 70)
		return below(10);
	if (r < 80)
		return below(70);
	if (r < 90)
		return hostile_numbers[below(sizeof(hostile_numbers) / 8)];
	return next();
}

static uint64_t signal_number(void)
{
	if (chance(2))
		return 0; /* the probe: the target's existence checked, nothing sent */
	return chance(4) ? next() : below(70);
}

/* A pid kill may aim at without reaching the parent: ours, our group, none. */
static uint64_t pid(void)
{
	switch (below(16)) {
	case 0: return (uint64_t)w.pid;
	case 1: return w.own_group ? 0 : (uint64_t)w.pid;
	case 2: return w.own_group ? (uint64_t)-w.pid : 99999;
	case 3: case 4: return (uint64_t)(int64_t)INT32_MIN;
	case 5: case 6: case 7: case 8: case 9: return 100000 + below(1000000);
	default: return (uint64_t)-(int64_t)(100000 + below(1000000));
	}
}

static uint64_t argument(char kind)
{
	if (kind != 'i' && chance(8))
		kind = "dpnfsax"[below(7)]; /* sometimes anything goes */
	switch (kind) {
	case 'd': return fd();
	case 'p': return pointer();
	case 'n': return number();
	case 'f': return flags();
	case 's': return signal_number();
	case 'i': return pid();
	case 'a': return address();
	default: return chance(2) ? pointer() : number();
	}
}

/* ---- The scratch pages ---- */

/* Fill the scratch pages: random bytes, the strings, iovecs and argv arrays. */
static void arena_fill(void)
{
	uint64_t *words = (uint64_t *)w.arena;

	for (size_t i = 0; i < SCRATCH_PAGES * PAGE / 8; i++)
		words[i] = next();
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		memcpy(w.arena + STRINGS_AT + 32 * i, strings[i], strlen(strings[i]) + 1);
	for (size_t i = 0; i < 8; i++) {
		uint64_t *iov = (uint64_t *)(w.arena + IOV_AT + 16 * i);
		iov[0] = pointer();
		iov[1] = chance(2) ? below(64) : number();
	}
	uint64_t *argv = (uint64_t *)(w.arena + ARGV_AT);
	argv[0] = scratch(STRINGS_AT);          /* "exitcode" */
	argv[1] = scratch(STRINGS_AT + 32 * 4); /* "nosuch": exitcode's status 0 */
	argv[2] = 0;
	for (size_t i = 3; i < 8; i++)
		argv[i] = chance(2) ? string_ptr() : pointer();
	/* A string without a NUL up to the PROT_NONE page. */
	memset(w.arena + (SCRATCH_PAGES - 1) * PAGE, 'A', PAGE);
}

static int arena_make(void)
{
	long a = sys6(SYS_mmap, 0, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a < 0 && a > -4096)
		return (int)a;
	w.arena = (uint8_t *)a;
	uint64_t end = scratch(SCRATCH_PAGES * PAGE);
	if (sys3(SYS_mprotect, end, PAGE, PROT_NONE) < 0 ||
	    sys3(SYS_mprotect, end + PAGE, PAGE, PROT_READ) < 0 ||
	    sys2(SYS_munmap, end + 2 * PAGE, 2 * PAGE) < 0)
		return -1;
	for (size_t i = 0; i < 8; i++)
		w.maps[i] = scratch(i * PAGE);
	arena_fill();
	return 0;
}

/* ---- Signal handlers that work ---- */

/* The handler rt_sigaction installs half the time: counts, touches no TLS. */
static void on_signal(int sig)
{
	(void)sig;
	__atomic_add_fetch(&w.handled, 1, __ATOMIC_RELAXED);
}

/* SA_RESTORER's target: rt_sigreturn, as musl's __restore_rt. */
void fuzz_restorer(void);
__asm__(".text\n"
	".global fuzz_restorer\n"
	"fuzz_restorer:\n\t"
	"mov $15, %eax\n\t"
	"syscall\n\t"
	"ud2\n");

/* The watchdog's first, catchable signals: the handler is installed for them often. */
static const int gentle[] = { SIGUSR1, SIGINT, SIGTERM, SIGALRM, SIGHUP, SIGCHLD };

#define SIGACTION_AT 0xc00 /* a struct sigaction (the kernel's) in the scratch pages */

/* A valid action with random flags and mask; returns its address. */
static uint64_t good_sigaction(void)
{
	static const uint64_t flag_bits[] = {
		0x10000000 /* SA_RESTART */, 0x40000000 /* SA_NODEFER */, 0x80000000 /* SA_RESETHAND */,
		4 /* SA_SIGINFO */, 0x08000000 /* SA_ONSTACK */,
	};
	uint64_t *sa = (uint64_t *)(w.arena + SIGACTION_AT);
	uint64_t flags = 0x04000000; /* SA_RESTORER */

	for (size_t i = 0; i < sizeof(flag_bits) / 8; i++)
		if (chance(3))
			flags |= flag_bits[i];
	switch (below(8)) {
	case 0: sa[0] = 0; break; /* SIG_DFL */
	case 1: sa[0] = 1; break; /* SIG_IGN */
	default: sa[0] = (uint64_t)(uintptr_t)on_signal;
	}
	sa[1] = flags;
	sa[2] = (uint64_t)(uintptr_t)fuzz_restorer;
	sa[3] = chance(2) ? 0 : next();
	return scratch(SIGACTION_AT);
}

/* ---- One call ---- */

static void report_send(void);
static void child_run(void);

/* Did nr say ENOSYS in this generation? */
static int said_enosys(int nr)
{
	return nr >= 0 && nr < 512 && (w.enosys[nr / 64] >> (nr % 64)) & 1;
}

static int is_protected_fd(uint64_t v)
{
	uint32_t fd = (uint32_t)v;

	if (w.solo)
		return fd <= 2;
	return fd == FUZZ_REPORT_FD || fd == FUZZ_LOG_FD;
}

static void slot_count(long ret)
{
	unsigned slot;

	if (ret >= 0 || ret < -4095)
		slot = 0;
	else if (-ret < FUZZ_SLOT_RESTART)
		slot = (unsigned)-ret;
	else if (-ret >= 512 && -ret < 520)
		slot = FUZZ_SLOT_RESTART;
	else
		slot = FUZZ_SLOT_OTHER;
	w.rep.counts[slot]++;
}

static void log_call(int nr, const uint64_t a[6])
{
	char line[160];
	int n = snprintf(line, sizeof(line), "fuzz %d/%u #%u: %d(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n",
			 w.rep.worker, w.rep.gen, w.rep.calls, nr, (unsigned long)a[0],
			 (unsigned long)a[1], (unsigned long)a[2], (unsigned long)a[3],
			 (unsigned long)a[4], (unsigned long)a[5]);
	sys3(SYS_write, w.solo ? 1 : FUZZ_LOG_FD, line, n);
}

/* Calls that end or stop a worker: issued one time in eight that they are drawn. */
static int rare(int nr)
{
	switch (nr) {
	case SYS_exit: case SYS_exit_group: case SYS_execve: case SYS_rt_sigreturn:
	case SYS_pause: case SYS_rt_sigsuspend: case SYS_kill: case SYS_tkill: case SYS_tgkill:
		return 1;
	default:
		return 0;
	}
}

/* Calls that may block a worker's child for good, or take it out of the worker's group. */
static int child_forbidden(int nr)
{
	switch (nr) {
	case SYS_pause: case SYS_rt_sigsuspend: case SYS_read: case SYS_readv: case SYS_pread64:
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_wait4: case SYS_nanosleep:
	case SYS_clock_nanosleep: case SYS_setpgid: case SYS_setsid: case SYS_execve:
		return 1;
	default:
		return 0;
	}
}

/* Calls that end the fuzzer in solo mode, or that only make sense as a worker. */
static int solo_forbidden(int nr)
{
	switch (nr) {
	case SYS_exit: case SYS_exit_group: case SYS_kill: case SYS_tkill: case SYS_tgkill:
	case SYS_rt_sigreturn: case SYS_execve: case SYS_pause: case SYS_rt_sigsuspend:
	case SYS_rt_sigaction: case SYS_munmap: case SYS_mprotect: case SYS_mremap:
	case SYS_madvise: case SYS_brk: case SYS_read: case SYS_readv: case SYS_pread64:
	case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_setsid: case SYS_setpgid:
	case SYS_arch_prctl: case SYS_set_tid_address:
		return 1;
	default:
		return 0;
	}
}

static void one_call(void)
{
	uint64_t r = below(100);
	int nr;
	const char *kinds = "xxxxxx";
	uint64_t a[6];

	if (r < 85) {
		const struct call *c;
		do
			c = &calls[below(sizeof(calls) / sizeof(calls[0]))];
		while ((rare(c->nr) || said_enosys(c->nr)) && !chance(8));
		nr = c->nr;
		kinds = c->args;
	} else if (r < 97) {
		do
			nr = (int)below(460);
		while (said_enosys(nr) && !chance(8));
		const struct call *c = call_of(nr);
		if (c) /* kill(2) drawn at random must not aim at the parent either */
			kinds = c->args;
	} else {
		static const int odd[] = { 512, 1000, 0x40000000, 0x40000001, -1, 0x7fffffff };
		nr = odd[below(sizeof(odd) / sizeof(odd[0]))];
	}
	for (int i = 0; i < 6; i++) {
		a[i] = *kinds ? argument(*kinds++) : (chance(2) ? number() : pointer());
		while (is_protected_fd(a[i]))
			a[i] = (a[i] & ~0xffffffffull) | (uint32_t)(a[i] + 3);
	}
	if (w.solo && solo_forbidden(nr))
		nr = SYS_getpid;
	/*
	 * Sleeps are short or invalid: the time is in the scratch pages, set
	 * here, or at an address that cannot be read (a readable one, such as
	 * our own ELF header, could mean years).
	 */
	if (nr == SYS_nanosleep || nr == SYS_clock_nanosleep) {
		int at = nr == SYS_nanosleep ? 0 : 2;
		uint64_t end = scratch(SCRATCH_PAGES * PAGE);
		static const uint64_t unreadable[] = {
			0, 1, 0xfff, 0x800000000000ull, 0xffff800000000000ull, 0xffffffff80000000ull,
		};
		switch (below(4)) {
		case 0: a[at] = end + below(PAGE); break;          /* PROT_NONE */
		case 1: a[at] = end + 2 * PAGE + below(PAGE); break; /* the hole */
		case 2: a[at] = unreadable[below(sizeof(unreadable) / 8)]; break;
		default: {
			a[at] = scratch(below(SCRATCH_PAGES * PAGE / 16) * 16);
			int64_t *ts = (int64_t *)(uintptr_t)a[at];
			ts[0] = chance(4) ? -1 : 0;
			ts[1] = chance(4) ? 1000000000 : (int64_t)below(200000);
		}
		}
		if (nr == SYS_clock_nanosleep)
			a[1] &= ~1ull; /* not TIMER_ABSTIME: an absolute time may be far away */
	}
	if (nr == SYS_rt_sigaction && chance(2)) {
		a[1] = good_sigaction();
		a[3] = 8;
		if (chance(2))
			a[0] = (uint64_t)gentle[below(sizeof(gentle) / sizeof(gentle[0]))];
	}
	/* A worker's child has no watchdog: it neither blocks nor leaves the group. */
	if (w.child && child_forbidden(nr))
		nr = SYS_getppid;
	if (w.verbose)
		log_call(nr, a);
	if (nr == SYS_pause || nr == SYS_rt_sigsuspend) {
		w.rep.state = FUZZ_BLOCKING; /* the parent signals it soon */
		report_send();
		w.rep.state = FUZZ_RUNNING;
	}
	long ret;
	if (nr == SYS_fork && !w.child && !w.solo) {
		/* A child that lives a little: copy-on-write, pipes and waits between two. */
		ret = sys0(SYS_fork);
		if (ret == 0)
			child_run();
	} else if (nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone || nr == 435 /* clone3 */) {
		ret = sys6_forkish(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	} else {
		ret = sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	if (ret == -38 && nr >= 0 && nr < 512)
		w.enosys[nr / 64] |= 1ull << (nr % 64);
	if (nr == SYS_arch_prctl)
		sys2(SYS_arch_prctl, 0x1002 /* ARCH_SET_FS */, w.fs_base);
	if (nr == SYS_mmap && ret > 0 && ret < (long)0x800000000000)
		w.maps[below(8)] = (uint64_t)ret;
	if ((nr == SYS_pipe || nr == SYS_pipe2) && ret == 0 && !chance(4)) {
		/* Mostly no reader-and-writer pair left to block on: drop one end. */
		int32_t *fds = (int32_t *)(uintptr_t)a[0];
		uint64_t lo = scratch(0), hi = scratch(SCRATCH_PAGES * PAGE - 8);
		if (a[0] >= lo && a[0] <= hi && !is_protected_fd((uint64_t)fds[chance(2)]))
			sys1(SYS_close, fds[chance(2)]);
	}
	slot_count(ret);
	w.rep.calls++;
}

/* ---- Workers ---- */

static void report_send(void)
{
	if (w.solo || w.child)
		return;
	w.rep.handled = w.handled;
	for (int tries = 0; tries < 1000; tries++) {
		long n = sys3(SYS_write, FUZZ_REPORT_FD, &w.rep, sizeof(w.rep));
		if (n == (long)sizeof(w.rep))
			return;
		if (n != -11 /* EAGAIN: the parent is behind */)
			break;
		sys0(SYS_sched_yield);
	}
	sys1(SYS_exit_group, 3); /* the report descriptor is gone */
}

/* A forked child of a worker: a few calls of its own stream, then exit_group(0). */
static void child_run(void)
{
	w.child = 1;
	w.pid = sys0(SYS_getpid);
	rng ^= 0xd1b54a32d192ed03ull; /* its own stream, as deterministic as the worker's */
	for (unsigned n = 4 + (unsigned)below(32); n; n--)
		one_call();
	sys1(SYS_exit_group, 0);
}

static void seed_generation(uint64_t seed, unsigned worker, unsigned gen)
{
	rng = seed ^ (0x632be59bd9b4e019ull * (worker + 1)) ^ (0x85ebca77c2b2ae63ull * (gen + 1));
	next();
	memset(&w.rep, 0, sizeof(w.rep));
	memset(w.enosys, 0, sizeof(w.enosys));
	w.handled = 0;
	w.rep.magic = FUZZ_MAGIC;
	w.rep.worker = (uint16_t)worker;
	w.rep.gen = (uint16_t)gen;
}

/* A worker generation: budget calls, then exit 0 (solo: return). */
static void worker_run(uint64_t seed, unsigned worker, unsigned gen, uint32_t budget)
{
	seed_generation(seed, worker, gen);
	w.pid = sys0(SYS_getpid);
	sys2(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &w.fs_base);
	if (!w.solo) {
		w.own_group = sys2(SYS_setpgid, 0, 0) == 0;
		for (int fd = 0; fd <= 2; fd++)
			sys1(SYS_close, fd); /* no console to block on or to write on */
	}
	if (arena_make() != 0) {
		if (w.solo)
			return;
		sys1(SYS_exit_group, 4);
	}
	while (w.rep.calls < budget) {
		one_call();
		if (chance(512))
			arena_fill();
		if (w.rep.calls % FUZZ_REPORT_EVERY == 0)
			report_send();
	}
	w.rep.state = FUZZ_DONE;
	report_send();
	if (!w.solo)
		sys1(SYS_exit_group, 0);
}

/* ---- The parent ---- */

struct slot {
	long pid;                       /* 0: none running */
	unsigned gen;
	uint32_t budget;                /* calls this generation is to make */
	uint32_t left;                  /* calls of this worker not yet made by ended generations */
	struct report last;             /* its latest report */
	uint64_t last_ms;               /* when it last reported (or started) */
	int signalled;                  /* watchdog signals sent to this generation */
};

static struct slot slots[FUZZ_WORKERS_MAX];
static uint64_t totals[FUZZ_SLOTS];
static uint64_t total_calls;
static unsigned generations, deaths[65], exits_early, exits_done, watchdog_signals;
static uint64_t total_handled;

static uint64_t now_ms(void)
{
	struct timespec ts;

	sys2(SYS_clock_gettime, 1 /* CLOCK_MONOTONIC */, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };

	sys2(SYS_nanosleep, &ts, 0);
}

static int spawn(uint64_t seed, int i, int report_rd, int verbose_fd)
{
	struct slot *s = &slots[i];

	s->budget = s->left;
	memset(&s->last, 0, sizeof(s->last));
	s->signalled = 0;
	s->last_ms = now_ms();
	for (int tries = 0; tries < 200; tries++) {
		long pid = sys0(SYS_fork);
		if (pid == 0) {
			sys1(SYS_close, report_rd);
			if (verbose_fd >= 0)
				sys2(SYS_dup2, verbose_fd, FUZZ_LOG_FD);
			worker_run(seed, (unsigned)i, s->gen, s->budget);
		}
		if (pid > 0) {
			s->pid = pid;
			generations++;
			return 0;
		}
		if (pid == -38 /* ENOSYS */)
			return -38;
		nap_ms(20); /* the process limit: the workers' children are still going */
	}
	return -1;
}

/* Read the reports waiting in the pipe (whole records; a short read is kept for later). */
static void drain(int rd)
{
	static union {
		struct report r[4];
		uint8_t bytes[4 * sizeof(struct report)];
	} in;
	static size_t have;

	for (;;) {
		long n = sys3(SYS_read, rd, in.bytes + have, sizeof(in.bytes) - have);
		if (n <= 0)
			return; /* EAGAIN: nothing more now */
		have += (size_t)n;
		size_t whole = have / sizeof(struct report);
		for (size_t k = 0; k < whole; k++) {
			struct report *r = &in.r[k];
			if (r->magic != FUZZ_MAGIC || r->worker >= FUZZ_WORKERS_MAX)
				continue;
			struct slot *s = &slots[r->worker];
			if (r->gen == s->gen && r->calls >= s->last.calls) {
				s->last = *r;
				s->last_ms = now_ms();
			}
		}
		have -= whole * sizeof(struct report);
		memmove(in.bytes, in.bytes + whole * sizeof(struct report), have);
	}
}

/* Worker slot i's generation ended with wait status st: count it, maybe respawn. */
static void ended(int i, int st)
{
	struct slot *s = &slots[i];
	uint32_t made = s->last.calls;

	for (int k = 0; k < FUZZ_SLOTS; k++)
		totals[k] += s->last.counts[k];
	total_handled += s->last.handled;
	if (s->last.state == FUZZ_DONE && (st & 0x7f) == 0 && ((st >> 8) & 0xff) == 0) {
		exits_done++;
		made = s->budget;
	} else if ((st & 0x7f) == 0) {
		exits_early++; /* exit, exit_group or execve among its calls */
		made++;        /* the call that ended it */
	} else {
		deaths[(st & 0x7f) <= 64 ? (st & 0x7f) : 0]++;
		made++;
	}
	total_calls += made;
	sys2(SYS_kill, -s->pid, SIGKILL); /* its children still alive, in its group */
	s->left = made >= s->left ? 0 : s->left - made;
	s->pid = 0;
	s->gen++;
}

static const char *errno_name(int e)
{
	static const char *const names[] = {
		[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO",
		[6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD",
		[11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES", [14] = "EFAULT",
		[16] = "EBUSY", [17] = "EEXIST", [19] = "ENODEV", [20] = "ENOTDIR",
		[21] = "EISDIR", [22] = "EINVAL", [24] = "EMFILE", [25] = "ENOTTY",
		[27] = "EFBIG", [28] = "ENOSPC", [29] = "ESPIPE", [30] = "EROFS", [32] = "EPIPE",
		[33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK", [36] = "ENAMETOOLONG",
		[38] = "ENOSYS", [39] = "ENOTEMPTY", [40] = "ELOOP", [75] = "EOVERFLOW",
		[95] = "EOPNOTSUPP",
	};
	return e > 0 && e < (int)(sizeof(names) / sizeof(names[0])) ? names[e] : NULL;
}

static void summary(uint64_t seed, unsigned procs)
{
	printf("fuzz: seed %llu, %llu calls made by %u worker%s (%u generations)\n",
	       (unsigned long long)seed, (unsigned long long)total_calls, procs,
	       procs == 1 ? "" : "s", generations);
	printf("fuzz: results:");
	printf(" ok %llu", (unsigned long long)totals[0]);
	for (int k = 1; k < FUZZ_SLOTS; k++) {
		if (!totals[k])
			continue;
		if (k == FUZZ_SLOT_RESTART)
			printf(", ERESTART* %llu", (unsigned long long)totals[k]);
		else if (k == FUZZ_SLOT_OTHER)
			printf(", other %llu", (unsigned long long)totals[k]);
		else if (errno_name(k))
			printf(", %s %llu", errno_name(k), (unsigned long long)totals[k]);
		else
			printf(", E%d %llu", k, (unsigned long long)totals[k]);
	}
	printf("\n");
	if (!w.solo) {
		printf("fuzz: workers ended: %u done, %u exited early", exits_done, exits_early);
		for (int sig = 0; sig <= 64; sig++)
			if (deaths[sig])
				printf(", %u killed by %s", deaths[sig],
				       sig ? strsignal(sig) : "an unknown signal");
		printf("; %u watchdog signals, %llu caught by handlers\n", watchdog_signals,
		       (unsigned long long)total_handled);
	}
	fflush(stdout);
}

static int fuzz_solo(uint64_t seed, uint32_t budget)
{
	w.solo = 1;
	generations = 1;
	worker_run(seed, 0, 0, budget);
	total_calls = w.rep.calls;
	memcpy(totals, w.rep.counts, sizeof(w.rep.counts));
	/* The FS base may have been moved by arch_prctl: put it back before stdio. */
	sys2(SYS_arch_prctl, 0x1002, w.fs_base);
	return 0;
}

/* Signal workers that stopped reporting: a catchable signal first, then SIGKILL. */
static void watchdog(unsigned procs)
{
	uint64_t now = now_ms();

	for (unsigned i = 0; i < procs; i++) {
		struct slot *s = &slots[i];
		uint64_t patience = s->last.state == FUZZ_BLOCKING ? FUZZ_BLOCKED_MS : FUZZ_HANG_MS;
		if (!s->pid || now - s->last_ms < patience)
			continue;
		int sig = s->signalled ? SIGKILL : gentle[below(sizeof(gentle) / sizeof(gentle[0]))];
		sys2(SYS_kill, s->pid, sig);
		s->signalled++;
		s->last_ms = now;
		watchdog_signals++;
	}
}

static int fuzz_workers(uint64_t seed, unsigned procs, uint32_t budget, int verbose)
{
	int fds[2];
	int verbose_fd = -1;

	if (sys2(SYS_pipe2, fds, O_NONBLOCK) != 0)
		return -1;
	if (sys2(SYS_dup2, fds[1], FUZZ_REPORT_FD) != FUZZ_REPORT_FD) {
		sys1(SYS_close, fds[0]);
		sys1(SYS_close, fds[1]);
		return -1;
	}
	sys1(SYS_close, fds[1]);
	if (verbose)
		verbose_fd = 1;
	for (unsigned i = 0; i < procs; i++)
		slots[i].left = budget / procs + (i < budget % procs);
	rng = seed; /* the watchdog's choices */
	for (;;) {
		int running = 0;
		for (unsigned i = 0; i < procs; i++) {
			int err = !slots[i].pid && slots[i].left ? spawn(seed, (int)i, fds[0], verbose_fd) : 0;
			if (err == -38 && generations == 0) {
				sys1(SYS_close, fds[0]);
				sys1(SYS_close, FUZZ_REPORT_FD);
				return -1; /* no fork: alone, then */
			}
			if (err) {
				printf("fuzz: cannot start a worker (fork keeps failing)\n");
				return 2;
			}
			running += slots[i].pid != 0;
		}
		if (!running)
			break;
		nap_ms(2);
		int st;
		long pid;
		while ((pid = sys4(SYS_wait4, -1, &st, 1 /* WNOHANG */, 0)) > 0) {
			drain(fds[0]);
			for (unsigned i = 0; i < procs; i++)
				if (slots[i].pid == pid)
					ended((int)i, st);
		}
		drain(fds[0]);
		watchdog(procs);
	}
	sys1(SYS_close, fds[0]);
	sys1(SYS_close, FUZZ_REPORT_FD);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	unsigned procs = 4;
	uint32_t budget = 1000;
	int verbose = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
			budget = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (i + 1 < argc && strcmp(argv[i], "-p") == 0)
			procs = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: fuzz [-n CALLS] [-p PROCS] [-s SEED] [-v]\n");
			return 2;
		}
	}
	if (procs > FUZZ_WORKERS_MAX)
		procs = FUZZ_WORKERS_MAX;
	w.verbose = verbose;
	printf("fuzz: %u calls, %u process%s, seed %llu\n", budget, procs, procs == 1 ? "" : "es",
	       (unsigned long long)seed);
	fflush(stdout);
	int err = procs ? fuzz_workers(seed, procs, budget, verbose) : -1;
	if (err < 0) {
		printf("fuzz: no fork or pipes here: fuzzing alone, in this process\n");
		fflush(stdout);
		err = fuzz_solo(seed, budget);
		procs = 1;
	}
	summary(seed, procs);
	printf("fuzz: %s\n", err ? "FAILED" : "done");
	return err;
}
