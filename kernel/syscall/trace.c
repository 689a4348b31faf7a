/*
 * trace.c - the decoder of `run -t` (trace.h): one line per system call,
 * in strace's format, from the argument registers and the result.
 *
 * Each number that Pagoda implements, or that programs are likely to try,
 * has a signature: one kind per argument (a descriptor, a path, open flags,
 * a protection, a signal...) and how its result reads (a number, an
 * address, nothing). A number without a signature is shown with six hex
 * arguments; one without a name as syscall_0xNNN. Strings and buffers come
 * from user memory through the caller's read function, a page at a time,
 * so a bad pointer is shown as the number it is. Flag sets are split into
 * Linux's names, unknown bits left as hex ("O_RDONLY|0x40000000").
 *
 * Invariants:
 *   [x] every write into a line goes through out_put / out_char, which
 *       stop at the line's end and mark it truncated with "..."; the call
 *       part stops TRACE_RESULT_ROOM earlier, so the result is always shown;
 *   [x] a string is read in pieces that never cross a page boundary, so a
 *       readable string next to an unmapped page is shown up to its NUL;
 *   [x] output arguments are decoded only after a successful call.
 * Pure code: any context, kernel and host (tests/host/test_trace.c).
 */
#include "kernel/syscall/trace.h"

#include <stdarg.h>

#include "kernel/proc/signal.h"
#include "kernel/syscall/syscall_list.h"
#include "kernel/syscall/syscall_names.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/uapi.h"

#define TRACE_PAGE 4096ull
#define TRACE_RESULT_ROOM 64  /* kept free for " = RESULT": the longest is ERESTARTSYS's */
#define TRACE_ERRNO_MAX 4095  /* results in [-4095, -1] are errors */

/* ---- The line being written ---- */

/* The line is full: it ends in "..." from now on. */
static void out_cut(struct trace_line *t)
{
	t->len = t->cap - 1;
	memcpy(t->text + t->len - 3, "...", 3);
	t->text[t->len] = '\0';
}

/* Append formatted text; what does not fit is dropped and the line ends in "...". */
static void __printf(2, 3) out_put(struct trace_line *t, const char *fmt, ...)
{
	va_list ap;
	size_t room = t->cap - t->len;

	if (room <= 1) {
		out_cut(t);
		return;
	}
	va_start(ap, fmt);
	int n = kvsnprintf(t->text + t->len, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room)
		t->len += (size_t)n;
	else
		out_cut(t);
}

static void out_char(struct trace_line *t, char c)
{
	out_put(t, "%c", c);
}

/* ---- Argument kinds and the signature table ---- */

enum trace_kind {
	TA_END = 0,     /* no more arguments */
	TA_INT,         /* int, signed decimal (low 32 bits) */
	TA_LONG,        /* long, signed decimal */
	TA_ULONG,       /* size or count, unsigned decimal */
	TA_HEX,         /* 0x... */
	TA_PTR,         /* NULL or 0x... */
	TA_DIRFD,       /* AT_FDCWD or a descriptor */
	TA_STR,         /* NUL-terminated string */
	TA_BUF,         /* buffer of the next argument's length, shown as a string */
	TA_OUT_BUF,     /* buffer filled by the call: result bytes shown after success */
	TA_IOVEC,       /* struct iovec[next argument], each base shown as a string */
	TA_ARGV,        /* NULL-terminated array of strings */
	TA_ENVP,        /* the same, shown as its address and count (strace's default) */
	TA_OPEN_FLAGS,  /* O_RDONLY|O_CLOEXEC... */
	TA_OPEN_MODE,   /* octal mode, shown only with O_CREAT in the previous argument */
	TA_FD_FLAGS,    /* pipe2/dup3 flags: O_CLOEXEC, O_NONBLOCK */
	TA_PROT,        /* PROT_* */
	TA_MMAP_FLAGS,  /* MAP_* */
	TA_WHENCE,      /* SEEK_* */
	TA_MADVISE,     /* MADV_* */
	TA_CLOCK,       /* CLOCK_* */
	TA_SIGNAL,      /* SIGINT... */
	TA_SIGHOW,      /* SIG_BLOCK... */
	TA_SIGSET,      /* pointer to a 64-bit set: [INT TERM] */
	TA_SIGACTION,   /* pointer to struct linux_sigaction */
	TA_WAIT_OPTIONS,/* WNOHANG|WUNTRACED... */
	TA_CLONE_FLAGS, /* CLONE_*|SIGCHLD */
	TA_ARCH_PRCTL,  /* ARCH_SET_FS... */
	TA_FCNTL_CMD,   /* F_DUPFD... */
	TA_IOCTL,       /* TCGETS... */
	TA_RUSAGE_WHO,  /* RUSAGE_SELF... */
	TA_GRND_FLAGS,  /* GRND_* */
	TA_TIMESPEC,    /* pointer to a struct timespec read by the call */
	TA_OUT_TIMESPEC,/* pointer to one it fills */
	TA_OUT_FDS,     /* int[2] it fills (pipe) */
	TA_OUT_STATUS,  /* int * it fills with a wait status (wait4) */
};

enum trace_result {
	TR_INT = 0,     /* a number (or -1 ERRNO) */
	TR_HEX,         /* an address */
	TR_NONE,        /* never returns: "= ?" */
};

struct trace_signature {
	bool known;     /* the row exists (a call without arguments has only this) */
	bool at_entry;  /* decode before the call: it replaces or ends the image */
	uint8_t result; /* enum trace_result */
	uint8_t args[TRACE_ARGS]; /* enum trace_kind, TA_END after the last */
};

#define SIG(nr, ...) [SYS_##nr] = { .known = true, .args = { __VA_ARGS__ } }
#define SIG_HEX(nr, ...) [SYS_##nr] = { .known = true, .result = TR_HEX, .args = { __VA_ARGS__ } }
#define SIG_ENDS(nr, ...)                                                              \
	[SYS_##nr] = { .known = true, .at_entry = true, .result = TR_NONE, .args = { __VA_ARGS__ } }
#define SIG_VOID(nr) [SYS_##nr] = { .known = true }

/* By number, for the dense range of Linux's numbers (the later ones have no row). */
static const struct trace_signature signatures[SYSCALL_LINUX_LAST_LEGACY + 1] = {
	SIG(read, TA_INT, TA_OUT_BUF, TA_ULONG),
	SIG(write, TA_INT, TA_BUF, TA_ULONG),
	SIG(open, TA_STR, TA_OPEN_FLAGS, TA_OPEN_MODE),
	SIG(close, TA_INT),
	SIG(stat, TA_STR, TA_PTR),
	SIG(fstat, TA_INT, TA_PTR),
	SIG(lstat, TA_STR, TA_PTR),
	SIG(poll, TA_PTR, TA_ULONG, TA_INT),
	SIG(lseek, TA_INT, TA_LONG, TA_WHENCE),
	SIG_HEX(mmap, TA_PTR, TA_ULONG, TA_PROT, TA_MMAP_FLAGS, TA_INT, TA_HEX),
	SIG(mprotect, TA_PTR, TA_ULONG, TA_PROT),
	SIG(munmap, TA_PTR, TA_ULONG),
	SIG_HEX(brk, TA_PTR),
	SIG(rt_sigaction, TA_SIGNAL, TA_SIGACTION, TA_PTR, TA_ULONG),
	SIG(rt_sigprocmask, TA_SIGHOW, TA_SIGSET, TA_PTR, TA_ULONG),
	SIG_VOID(rt_sigreturn),
	SIG(ioctl, TA_INT, TA_IOCTL, TA_HEX),
	SIG(pread64, TA_INT, TA_OUT_BUF, TA_ULONG, TA_LONG),
	SIG(pwrite64, TA_INT, TA_BUF, TA_ULONG, TA_LONG),
	SIG(readv, TA_INT, TA_PTR, TA_ULONG),
	SIG(writev, TA_INT, TA_IOVEC, TA_ULONG),
	SIG(access, TA_STR, TA_INT),
	SIG(pipe, TA_OUT_FDS),
	SIG_VOID(sched_yield),
	SIG_HEX(mremap, TA_PTR, TA_ULONG, TA_ULONG, TA_HEX, TA_PTR),
	SIG(msync, TA_PTR, TA_ULONG, TA_HEX),
	SIG(mincore, TA_PTR, TA_ULONG, TA_PTR),
	SIG(madvise, TA_PTR, TA_ULONG, TA_MADVISE),
	SIG(dup, TA_INT),
	SIG(dup2, TA_INT, TA_INT),
	SIG_VOID(pause),
	SIG(nanosleep, TA_TIMESPEC, TA_PTR),
	SIG(alarm, TA_ULONG),
	SIG_VOID(getpid),
	SIG(clone, TA_CLONE_FLAGS, TA_PTR, TA_PTR, TA_PTR, TA_HEX),
	SIG_VOID(fork),
	SIG_VOID(vfork),
	[SYS_execve] = { .known = true, .at_entry = true, .args = { TA_STR, TA_ARGV, TA_ENVP } },
	SIG_ENDS(exit, TA_INT),
	SIG(wait4, TA_INT, TA_OUT_STATUS, TA_WAIT_OPTIONS, TA_PTR),
	SIG(kill, TA_INT, TA_SIGNAL),
	SIG(uname, TA_PTR),
	SIG(fcntl, TA_INT, TA_FCNTL_CMD, TA_HEX),
	SIG(getcwd, TA_PTR, TA_ULONG),
	SIG(chdir, TA_STR),
	SIG(getrusage, TA_RUSAGE_WHO, TA_PTR),
	SIG_VOID(getuid),
	SIG_VOID(getgid),
	SIG_VOID(geteuid),
	SIG_VOID(getegid),
	SIG(setpgid, TA_INT, TA_INT),
	SIG_VOID(getppid),
	SIG_VOID(getpgrp),
	SIG_VOID(setsid),
	SIG(getpgid, TA_INT),
	SIG(getsid, TA_INT),
	SIG(rt_sigpending, TA_PTR, TA_ULONG),
	SIG(rt_sigsuspend, TA_SIGSET, TA_ULONG),
	SIG(sigaltstack, TA_PTR, TA_PTR),
	SIG(arch_prctl, TA_ARCH_PRCTL, TA_HEX),
	SIG(ioperm, TA_HEX, TA_ULONG, TA_INT),
	SIG_VOID(gettid),
	SIG(tkill, TA_INT, TA_SIGNAL),
	SIG(futex, TA_PTR, TA_INT, TA_INT, TA_PTR, TA_PTR, TA_INT),
	SIG(set_tid_address, TA_PTR),
	SIG(clock_gettime, TA_CLOCK, TA_OUT_TIMESPEC),
	SIG(clock_getres, TA_CLOCK, TA_OUT_TIMESPEC),
	SIG(clock_nanosleep, TA_CLOCK, TA_INT, TA_TIMESPEC, TA_PTR),
	SIG_ENDS(exit_group, TA_INT),
	SIG(tgkill, TA_INT, TA_INT, TA_SIGNAL),
	SIG(openat, TA_DIRFD, TA_STR, TA_OPEN_FLAGS, TA_OPEN_MODE),
	SIG(newfstatat, TA_DIRFD, TA_STR, TA_PTR, TA_HEX),
	SIG(set_robust_list, TA_PTR, TA_ULONG),
	SIG(dup3, TA_INT, TA_INT, TA_FD_FLAGS),
	SIG(pipe2, TA_OUT_FDS, TA_FD_FLAGS),
	SIG(prlimit64, TA_INT, TA_INT, TA_PTR, TA_PTR),
	SIG(getrandom, TA_PTR, TA_ULONG, TA_GRND_FLAGS),
	SIG(rseq, TA_PTR, TA_ULONG, TA_HEX, TA_HEX),
};

/* nr's signature, or NULL (shown with six hex arguments). */
static const struct trace_signature *signature_of(uint64_t nr)
{
	if (nr >= ARRAY_SIZE(signatures) || !signatures[nr].known)
		return NULL;
	return &signatures[nr];
}

/* ---- Flag sets and named values ---- */

struct trace_name {
	uint64_t value;
	const char *name;
};

/* A set of bits: the names present, '|'-joined, then leftover bits as hex; "0" when empty. */
static void out_flags(struct trace_line *t, uint64_t v, const struct trace_name *names, size_t n,
		      bool any_before)
{
	bool first = !any_before;

	for (size_t i = 0; i < n; i++) {
		if (names[i].value && (v & names[i].value) == names[i].value) {
			out_put(t, "%s%s", first ? "" : "|", names[i].name);
			v &= ~names[i].value;
			first = false;
		}
	}
	if (v || first)
		out_put(t, "%s%#lx", first ? "" : "|", (unsigned long)v);
}

/* One of several values by name, else the number in decimal. */
static void out_value(struct trace_line *t, int64_t v, const struct trace_name *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((int64_t)names[i].value == v) {
			out_put(t, "%s", names[i].name);
			return;
		}
	}
	out_put(t, "%ld", (long)v);
}

#define N(x) { x, #x }

static const struct trace_name open_flags[] = {
	N(O_CREAT), N(O_EXCL), N(O_NOCTTY), N(O_TRUNC), N(O_APPEND), N(O_NONBLOCK),
	{ 010000, "O_DSYNC" }, { 020000, "O_ASYNC" }, { 040000, "O_DIRECT" }, N(O_LARGEFILE),
	N(O_DIRECTORY), { 0400000, "O_NOFOLLOW" }, { 01000000, "O_NOATIME" }, N(O_CLOEXEC),
	{ 04000000, "__O_SYNC" }, { 010000000, "O_PATH" }, { 020000000, "__O_TMPFILE" },
};
static const struct trace_name fd_flags[] = { N(O_NONBLOCK), N(O_CLOEXEC) };
static const struct trace_name prot_flags[] = {
	N(PROT_READ), N(PROT_WRITE), N(PROT_EXEC), { 0x01000000, "PROT_GROWSDOWN" },
	{ 0x02000000, "PROT_GROWSUP" },
};
static const struct trace_name mmap_flags[] = {
	N(MAP_FIXED), N(MAP_ANONYMOUS), N(MAP_GROWSDOWN), N(MAP_DENYWRITE), N(MAP_EXECUTABLE),
	{ 0x2000, "MAP_LOCKED" }, N(MAP_NORESERVE), N(MAP_POPULATE), { 0x10000, "MAP_NONBLOCK" },
	N(MAP_STACK), { 0x40000, "MAP_HUGETLB" }, { 0x80000, "MAP_SYNC" }, N(MAP_FIXED_NOREPLACE),
};
static const struct trace_name mmap_types[] = {
	N(MAP_SHARED), N(MAP_PRIVATE), { 0x03, "MAP_SHARED_VALIDATE" },
};
static const struct trace_name whences[] = {
	N(SEEK_SET), N(SEEK_CUR), N(SEEK_END), { 3, "SEEK_DATA" }, { 4, "SEEK_HOLE" },
};
static const struct trace_name advices[] = {
	N(MADV_NORMAL), { 1, "MADV_RANDOM" }, { 2, "MADV_SEQUENTIAL" }, { 3, "MADV_WILLNEED" },
	N(MADV_DONTNEED), { 8, "MADV_FREE" },
};
static const struct trace_name clocks[] = {
	N(CLOCK_REALTIME), N(CLOCK_MONOTONIC), { 2, "CLOCK_PROCESS_CPUTIME_ID" },
	{ 3, "CLOCK_THREAD_CPUTIME_ID" }, { 4, "CLOCK_MONOTONIC_RAW" },
	{ 5, "CLOCK_REALTIME_COARSE" }, { 6, "CLOCK_MONOTONIC_COARSE" }, { 7, "CLOCK_BOOTTIME" },
};
static const struct trace_name sighows[] = { N(SIG_BLOCK), N(SIG_UNBLOCK), N(SIG_SETMASK) };
static const struct trace_name wait_options[] = {
	{ 1, "WNOHANG" }, { 2, "WUNTRACED" }, { 4, "WEXITED" }, { 8, "WCONTINUED" },
	{ 0x01000000, "WNOWAIT" }, { 0x20000000, "__WNOTHREAD" }, { 0x40000000, "__WALL" },
	{ 0x80000000, "__WCLONE" },
};
static const struct trace_name clone_flags[] = {
	{ 0x100, "CLONE_VM" }, { 0x200, "CLONE_FS" }, { 0x400, "CLONE_FILES" },
	{ 0x800, "CLONE_SIGHAND" }, { 0x1000, "CLONE_PIDFD" }, { 0x2000, "CLONE_PTRACE" },
	{ 0x4000, "CLONE_VFORK" }, { 0x8000, "CLONE_PARENT" }, { 0x10000, "CLONE_THREAD" },
	{ 0x20000, "CLONE_NEWNS" }, { 0x40000, "CLONE_SYSVSEM" }, { 0x80000, "CLONE_SETTLS" },
	{ 0x100000, "CLONE_PARENT_SETTID" }, { 0x200000, "CLONE_CHILD_CLEARTID" },
	{ 0x400000, "CLONE_DETACHED" }, { 0x800000, "CLONE_UNTRACED" },
	{ 0x1000000, "CLONE_CHILD_SETTID" },
};
static const struct trace_name arch_prctl_codes[] = {
	N(ARCH_SET_GS), N(ARCH_SET_FS), N(ARCH_GET_FS), N(ARCH_GET_GS),
};
static const struct trace_name fcntl_cmds[] = {
	{ 0, "F_DUPFD" }, { 1, "F_GETFD" }, { 2, "F_SETFD" }, { 3, "F_GETFL" }, { 4, "F_SETFL" },
	{ 1030, "F_DUPFD_CLOEXEC" },
};
static const struct trace_name ioctls[] = { N(TCGETS), { 0x5402, "TCSETS" }, N(TIOCGWINSZ) };
static const struct trace_name rusage_whos[] = {
	N(RUSAGE_SELF), N(RUSAGE_CHILDREN), N(RUSAGE_THREAD),
};
static const struct trace_name grnd_flags[] = { N(GRND_NONBLOCK), N(GRND_RANDOM) };
static const struct trace_name sa_flags[] = {
	{ 1, "SA_NOCLDSTOP" }, { 2, "SA_NOCLDWAIT" }, { 4, "SA_SIGINFO" },
	{ 0x08000000, "SA_ONSTACK" }, { 0x10000000, "SA_RESTART" }, { 0x40000000, "SA_NODEFER" },
	{ 0x80000000, "SA_RESETHAND" }, N(SA_RESTORER),
};

#undef N

/* ---- User memory ---- */

/* Index of the first NUL of s[0, n), or n. */
static size_t nul_index(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i])
		i++;
	return i;
}

static void out_pointer(struct trace_line *t, uint64_t p)
{
	if (p)
		out_put(t, "%#lx", (unsigned long)p);
	else
		out_put(t, "NULL");
}

/*
 * Read up to n bytes at src, in pieces that stay within a page, stopping
 * after a NUL when stop_at_nul. Returns the bytes read (fewer when a page
 * cannot be read), or -1 when not even the first byte could.
 */
static long read_user(trace_read_fn read, uint64_t src, uint8_t *dst, size_t n, bool stop_at_nul)
{
	size_t done = 0;

	while (done < n) {
		uint64_t at = src + done;
		if (at < src)
			break; /* wrapped around the address space */
		size_t piece = TRACE_PAGE - (at & (TRACE_PAGE - 1));
		if (piece > n - done)
			piece = n - done;
		if (read(dst + done, at, piece) != 0)
			break;
		if (stop_at_nul && nul_index(dst + done, piece) < piece)
			return (long)(done + piece);
		done += piece;
	}
	return done ? (long)done : -1;
}

/* Bytes as a C string literal, escaped as strace does; "..." after when more follows. */
static void out_escaped(struct trace_line *t, const uint8_t *s, size_t n, bool more)
{
	out_char(t, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		switch (c) {
		case '"': out_put(t, "\\\""); break;
		case '\\': out_put(t, "\\\\"); break;
		case '\t': out_put(t, "\\t"); break;
		case '\n': out_put(t, "\\n"); break;
		case '\v': out_put(t, "\\v"); break;
		case '\f': out_put(t, "\\f"); break;
		case '\r': out_put(t, "\\r"); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				out_char(t, (char)c);
			else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
				out_put(t, "\\%03o", c); /* a digit follows: all three */
			else
				out_put(t, "\\%o", c);
		}
	}
	out_char(t, '"');
	if (more)
		out_put(t, "...");
}

/* A NUL-terminated string at p; its address if unreadable. */
static void out_string(struct trace_line *t, trace_read_fn read, uint64_t p)
{
	uint8_t s[TRACE_STRING_MAX + 1];

	if (!p) {
		out_put(t, "NULL");
		return;
	}
	long n = read_user(read, p, s, sizeof(s), true);
	if (n < 0) {
		out_pointer(t, p);
		return;
	}
	size_t len = nul_index(s, (size_t)n);
	if (len < (size_t)n) {
		out_escaped(t, s, len, false);
		return;
	}
	/* No NUL in what was read: longer than shown, or cut by an unreadable page. */
	size_t shown = (size_t)n < TRACE_STRING_MAX ? (size_t)n : TRACE_STRING_MAX;
	out_escaped(t, s, shown, true);
}

/* len bytes at p as a string, at most TRACE_STRING_MAX of them. */
static void out_buffer(struct trace_line *t, trace_read_fn read, uint64_t p, uint64_t len)
{
	uint8_t s[TRACE_STRING_MAX];
	size_t want = len < TRACE_STRING_MAX ? (size_t)len : TRACE_STRING_MAX;

	if (!p && len) {
		out_put(t, "NULL");
		return;
	}
	long n = want ? read_user(read, p, s, want, false) : 0;
	if (n < 0 || (size_t)n < want) {
		out_pointer(t, p);
		return;
	}
	out_escaped(t, s, want, len > want);
}

static bool read_u64(trace_read_fn read, uint64_t p, uint64_t *v)
{
	return p && read_user(read, p, (uint8_t *)v, sizeof(*v), false) == (long)sizeof(*v);
}

/* argv: ["a", "b"] (at most TRACE_ARRAY_MAX shown); envp: 0x... (N vars). */
static void out_argv(struct trace_line *t, trace_read_fn read, uint64_t p, bool count_only)
{
	uint64_t s;
	size_t i;

	if (!p || !read_u64(read, p, &s)) {
		out_pointer(t, p);
		return;
	}
	if (count_only) {
		for (i = 0; i < 4096 && read_u64(read, p + 8 * i, &s) && s; i++)
			;
		out_put(t, "%#lx /* %zu var%s */", (unsigned long)p, i, i == 1 ? "" : "s");
		return;
	}
	out_char(t, '[');
	for (i = 0; read_u64(read, p + 8 * i, &s) && s; i++) {
		if (i == TRACE_ARRAY_MAX) {
			out_put(t, ", ...");
			break;
		}
		out_put(t, "%s", i ? ", " : "");
		out_string(t, read, s);
	}
	out_char(t, ']');
}

/* writev's vector: [{iov_base="...", iov_len=5}, ...]. */
static void out_iovec(struct trace_line *t, trace_read_fn read, uint64_t p, uint64_t count)
{
	struct linux_iovec v;

	if (!p || count > IOV_MAX ||
	    read_user(read, p, (uint8_t *)&v, sizeof(v), false) != (long)sizeof(v)) {
		out_pointer(t, p);
		return;
	}
	out_char(t, '[');
	for (uint64_t i = 0; i < count; i++) {
		if (i == TRACE_ARRAY_MAX) {
			out_put(t, ", ...");
			break;
		}
		if (read_user(read, p + i * sizeof(v), (uint8_t *)&v, sizeof(v), false) !=
		    (long)sizeof(v)) {
			out_put(t, "%s%#lx", i ? ", " : "", (unsigned long)(p + i * sizeof(v)));
			break;
		}
		out_put(t, "%s{iov_base=", i ? ", " : "");
		out_buffer(t, read, v.iov_base, v.iov_len);
		out_put(t, ", iov_len=%lu}", (unsigned long)v.iov_len);
	}
	out_char(t, ']');
}

/* A signal by name (SIGINT), or its number. */
static void out_signal(struct trace_line *t, int64_t sig)
{
	const char *name = sig > 0 && sig < LINUX_NSIG ? signal_name((int)sig) : NULL;

	if (name)
		out_put(t, "%s", name);
	else
		out_put(t, "%ld", (long)sig);
}

/* A set as strace shows it: [INT TERM], or ~[KILL STOP] when most are set. */
static void out_sigset_value(struct trace_line *t, uint64_t set)
{
	int count = 0;
	bool first = true;

	for (uint64_t bits = set; bits; bits &= bits - 1)
		count++;
	bool inverted = count > 32;

	if (inverted) {
		set = ~set;
		out_char(t, '~');
	}
	out_char(t, '[');
	for (int sig = 1; sig <= LINUX_NSIG; sig++) {
		if (!(set & (1ull << (sig - 1))))
			continue;
		const char *name = signal_name(sig);
		if (name && strncmp(name, "SIG", 3) == 0)
			out_put(t, "%s%s", first ? "" : " ", name + 3);
		else
			out_put(t, "%s%d", first ? "" : " ", sig);
		first = false;
	}
	out_char(t, ']');
}

static void out_sigset(struct trace_line *t, trace_read_fn read, uint64_t p)
{
	uint64_t set;

	if (read_u64(read, p, &set))
		out_sigset_value(t, set);
	else
		out_pointer(t, p);
}

static void out_sigaction(struct trace_line *t, trace_read_fn read, uint64_t p)
{
	struct linux_sigaction sa;

	if (!p || read_user(read, p, (uint8_t *)&sa, sizeof(sa), false) != (long)sizeof(sa)) {
		out_pointer(t, p);
		return;
	}
	out_put(t, "{sa_handler=");
	if (sa.handler == SIG_DFL || sa.handler == SIG_IGN)
		out_put(t, sa.handler == SIG_DFL ? "SIG_DFL" : "SIG_IGN");
	else
		out_pointer(t, sa.handler);
	out_put(t, ", sa_mask=");
	out_sigset_value(t, sa.mask);
	out_put(t, ", sa_flags=");
	out_flags(t, sa.flags, sa_flags, ARRAY_SIZE(sa_flags), false);
	if (sa.flags & SA_RESTORER) {
		out_put(t, ", sa_restorer=");
		out_pointer(t, sa.restorer);
	}
	out_char(t, '}');
}

static void out_timespec(struct trace_line *t, trace_read_fn read, uint64_t p)
{
	struct linux_timespec ts;

	if (!p || read_user(read, p, (uint8_t *)&ts, sizeof(ts), false) != (long)sizeof(ts)) {
		out_pointer(t, p);
		return;
	}
	out_put(t, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts.tv_sec, (long)ts.tv_nsec);
}

static void out_fd_pair(struct trace_line *t, trace_read_fn read, uint64_t p)
{
	int32_t fds[2];

	if (!p || read_user(read, p, (uint8_t *)fds, sizeof(fds), false) != (long)sizeof(fds))
		out_pointer(t, p);
	else
		out_put(t, "[%d, %d]", fds[0], fds[1]);
}

/* wait4's status word: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}]. */
static void out_wait_status(struct trace_line *t, trace_read_fn read, uint64_t p)
{
	int32_t s;

	if (!p || read_user(read, p, (uint8_t *)&s, sizeof(s), false) != (long)sizeof(s)) {
		out_pointer(t, p);
		return;
	}
	if ((s & 0x7f) == 0) {
		out_put(t, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", (s >> 8) & 0xff);
	} else if ((s & 0xff) == 0x7f) {
		out_put(t, "[{WIFSTOPPED(s) && WSTOPSIG(s) == ");
		out_signal(t, (s >> 8) & 0xff);
		out_put(t, "}]");
	} else {
		out_put(t, "[{WIFSIGNALED(s) && WTERMSIG(s) == ");
		out_signal(t, s & 0x7f);
		out_put(t, "%s}]", (s & 0x80) ? " && WCOREDUMP(s)" : "");
	}
}

/* ---- One argument ---- */

/*
 * Argument i of kind k. done: the call has returned with result (output
 * arguments are decoded then, if it succeeded). Returns false when the
 * argument is not shown at all (open's mode without O_CREAT).
 */
static bool out_arg(struct trace_line *t, trace_read_fn read, enum trace_kind k, size_t i,
		    bool done, long result)
{
	const uint64_t *a = t->args;
	uint64_t v = a[i];
	uint64_t next = i + 1 < TRACE_ARGS ? a[i + 1] : 0;
	bool ok = done && result >= 0;

	switch (k) {
	case TA_END:
		return false;
	case TA_INT: out_put(t, "%d", (int)v); break;
	case TA_LONG: out_put(t, "%ld", (long)v); break;
	case TA_ULONG: out_put(t, "%lu", (unsigned long)v); break;
	case TA_HEX: out_put(t, "%#lx", (unsigned long)v); break;
	case TA_PTR: out_pointer(t, v); break;
	case TA_DIRFD:
		if ((int)v == AT_FDCWD)
			out_put(t, "AT_FDCWD");
		else
			out_put(t, "%d", (int)v);
		break;
	case TA_STR: out_string(t, read, v); break;
	case TA_BUF: out_buffer(t, read, v, next); break;
	case TA_OUT_BUF:
		if (ok)
			out_buffer(t, read, v, (uint64_t)result);
		else
			out_pointer(t, v);
		break;
	case TA_IOVEC: out_iovec(t, read, v, next); break;
	case TA_ARGV: out_argv(t, read, v, false); break;
	case TA_ENVP: out_argv(t, read, v, true); break;
	case TA_OPEN_FLAGS: {
		static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
		out_put(t, "%s", modes[v & O_ACCMODE]);
		if (v & ~(uint64_t)O_ACCMODE)
			out_flags(t, v & ~(uint64_t)O_ACCMODE, open_flags, ARRAY_SIZE(open_flags), true);
		break;
	}
	case TA_OPEN_MODE:
		if (i == 0 || !(a[i - 1] & O_CREAT))
			return false;
		out_put(t, "%#lo", (unsigned long)v);
		break;
	case TA_FD_FLAGS: out_flags(t, v, fd_flags, ARRAY_SIZE(fd_flags), false); break;
	case TA_PROT:
		if (v == PROT_NONE)
			out_put(t, "PROT_NONE");
		else
			out_flags(t, v, prot_flags, ARRAY_SIZE(prot_flags), false);
		break;
	case TA_MMAP_FLAGS: {
		/* The type is a value, not bits: a name, or the number in hex. */
		uint64_t type = v & MAP_TYPE;
		size_t i = 0;
		while (i < ARRAY_SIZE(mmap_types) && mmap_types[i].value != type)
			i++;
		if (i < ARRAY_SIZE(mmap_types))
			out_put(t, "%s", mmap_types[i].name);
		else
			out_put(t, "%#lx", (unsigned long)type);
		if (v & ~(uint64_t)MAP_TYPE)
			out_flags(t, v & ~(uint64_t)MAP_TYPE, mmap_flags, ARRAY_SIZE(mmap_flags), true);
		break;
	}
	case TA_WHENCE: out_value(t, (int)v, whences, ARRAY_SIZE(whences)); break;
	case TA_MADVISE: out_value(t, (int)v, advices, ARRAY_SIZE(advices)); break;
	case TA_CLOCK: out_value(t, (int)v, clocks, ARRAY_SIZE(clocks)); break;
	case TA_SIGNAL: out_signal(t, (int)v); break;
	case TA_SIGHOW: out_value(t, (int)v, sighows, ARRAY_SIZE(sighows)); break;
	case TA_SIGSET: out_sigset(t, read, v); break;
	case TA_SIGACTION: out_sigaction(t, read, v); break;
	case TA_WAIT_OPTIONS: out_flags(t, v, wait_options, ARRAY_SIZE(wait_options), false); break;
	case TA_CLONE_FLAGS:
		/* The low byte is the signal sent to the parent at the child's exit. */
		if ((v & ~0xffull) || !(v & 0xff))
			out_flags(t, v & ~0xffull, clone_flags, ARRAY_SIZE(clone_flags), false);
		if (v & 0xff) {
			if (v & ~0xffull)
				out_char(t, '|');
			out_signal(t, (int)(v & 0xff));
		}
		break;
	case TA_ARCH_PRCTL:
		out_value(t, (int)v, arch_prctl_codes, ARRAY_SIZE(arch_prctl_codes));
		break;
	case TA_FCNTL_CMD: out_value(t, (int)v, fcntl_cmds, ARRAY_SIZE(fcntl_cmds)); break;
	case TA_IOCTL: out_value(t, (int64_t)(uint32_t)v, ioctls, ARRAY_SIZE(ioctls)); break;
	case TA_RUSAGE_WHO: out_value(t, (int)v, rusage_whos, ARRAY_SIZE(rusage_whos)); break;
	case TA_GRND_FLAGS: out_flags(t, v, grnd_flags, ARRAY_SIZE(grnd_flags), false); break;
	case TA_TIMESPEC: out_timespec(t, read, v); break;
	case TA_OUT_TIMESPEC:
		if (ok)
			out_timespec(t, read, v);
		else
			out_pointer(t, v);
		break;
	case TA_OUT_FDS:
		if (ok)
			out_fd_pair(t, read, v);
		else
			out_pointer(t, v);
		break;
	case TA_OUT_STATUS:
		if (ok && result > 0)
			out_wait_status(t, read, v);
		else
			out_pointer(t, v);
		break;
	}
	return true;
}

/* "[pid N] name(args)" into a fresh line. */
static void decode_call(struct trace_line *t, trace_read_fn read, bool done, long result)
{
	const struct trace_signature *s = signature_of(t->nr);
	const char *name = syscall_name(t->nr);

	t->len = 0;
	t->text[0] = '\0';
	t->cap = sizeof(t->text) - TRACE_RESULT_ROOM; /* the result always fits after */
	out_put(t, "[pid %d] ", t->pid);
	if (name)
		out_put(t, "%s(", name);
	else
		out_put(t, "syscall_%#lx(", (unsigned long)t->nr);
	if (s) {
		bool first = true;
		for (size_t i = 0; i < TRACE_ARGS && s->args[i] != TA_END; i++) {
			size_t before = t->len;
			if (!first)
				out_put(t, ", ");
			if (out_arg(t, read, (enum trace_kind)s->args[i], i, done, result)) {
				first = false;
			} else {
				t->len = before; /* not shown: take the separator back */
				t->text[t->len] = '\0';
			}
		}
	} else {
		for (size_t i = 0; i < TRACE_ARGS; i++)
			out_put(t, "%s%#lx", i ? ", " : "", (unsigned long)t->args[i]);
	}
	out_char(t, ')');
	t->call_end = t->len;
}

/* ---- Entry points ---- */

bool trace_enter(struct trace_line *t, int pid, uint64_t nr, const uint64_t args[TRACE_ARGS],
		 trace_read_fn read)
{
	const struct trace_signature *s = signature_of(nr);

	t->pid = pid;
	t->nr = nr;
	memcpy(t->args, args, sizeof(t->args));
	t->call_end = 0;
	t->len = 0;
	t->cap = sizeof(t->text);
	t->text[0] = '\0';
	if (!s || !s->at_entry)
		return false;
	decode_call(t, read, false, 0);
	if (s->result != TR_NONE)
		return false;
	out_put(t, " = ?");
	return true;
}

void trace_exit(struct trace_line *t, long result, trace_read_fn read)
{
	const struct trace_signature *s = signature_of(t->nr);

	if (!t->call_end)
		decode_call(t, read, true, result);
	t->len = t->call_end;
	t->text[t->len] = '\0';
	t->cap = sizeof(t->text);
	if (result == -ERESTARTSYS) {
		out_put(t, " = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
	} else if (result < 0 && result >= -TRACE_ERRNO_MAX) {
		const char *text = trace_errno_text((int)-result);
		const char *name = errno_name((int)-result);
		if (strcmp(name, "E?") == 0)
			out_put(t, " = -1 E%ld (%s)", -result, text ? text : "Unknown error");
		else
			out_put(t, " = -1 %s (%s)", name, text ? text : "Unknown error");
	} else if (s && s->result == TR_HEX) {
		out_put(t, " = %#lx", (unsigned long)result);
	} else {
		out_put(t, " = %ld", result);
	}
}

const char *trace_errno_text(int err)
{
	switch (err) {
	case EPERM: return "Operation not permitted";
	case ENOENT: return "No such file or directory";
	case ESRCH: return "No such process";
	case EINTR: return "Interrupted system call";
	case EIO: return "Input/output error";
	case E2BIG: return "Argument list too long";
	case ENOEXEC: return "Exec format error";
	case EBADF: return "Bad file descriptor";
	case ECHILD: return "No child processes";
	case EAGAIN: return "Resource temporarily unavailable";
	case ENOMEM: return "Cannot allocate memory";
	case EACCES: return "Permission denied";
	case EFAULT: return "Bad address";
	case EBUSY: return "Device or resource busy";
	case EEXIST: return "File exists";
	case ENODEV: return "No such device";
	case ENOTDIR: return "Not a directory";
	case EISDIR: return "Is a directory";
	case EINVAL: return "Invalid argument";
	case EMFILE: return "Too many open files";
	case ENOTTY: return "Inappropriate ioctl for device";
	case ENOSPC: return "No space left on device";
	case ESPIPE: return "Illegal seek";
	case EROFS: return "Read-only file system";
	case EPIPE: return "Broken pipe";
	case ERANGE: return "Numerical result out of range";
	case EDEADLK: return "Resource deadlock avoided";
	case ENAMETOOLONG: return "File name too long";
	case ENOSYS: return "Function not implemented";
	case EOVERFLOW: return "Value too large for defined data type";
	case ENOTSUP: return "Operation not supported";
	case ETIMEDOUT: return "Connection timed out";
	default: return NULL;
	}
}
