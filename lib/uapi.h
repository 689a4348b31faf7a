/*
 * uapi.h - the Linux x86-64 user ABI that Pagoda's system calls speak:
 * flag values, structure layouts and numbers exactly as Linux defines them
 * (its include/uapi and arch/x86/include/uapi), so that a program built
 * with musl-gcc -static for Linux runs on Pagoda unchanged.
 *
 * Only what Pagoda implements or checks is here; the names are Linux's, so
 * a student can look any of them up in the man pages. Structures carry a
 * static assertion of their size: the layout is the contract.
 *
 * Invariants:
 *   [x] every value equals Linux's on x86-64 (docs/syscalls.md cites them);
 *   [x] structures have Linux's size and field order (asserted below);
 *   [x] nothing here depends on the kernel: mm/, kernel/ and host tests
 *       include it alike.
 * Pure definitions: any context.
 */
#ifndef LIB_UAPI_H
#define LIB_UAPI_H

#include <stdint.h>

/* mmap/mprotect protection (asm-generic/mman-common.h). */
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4

/* mmap flags (asm-generic/mman-common.h, mman.h). */
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_TYPE 0x0f               /* mask: SHARED, PRIVATE */
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800        /* ignored, as Linux does */
#define MAP_EXECUTABLE 0x1000       /* ignored, as Linux does */
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_STACK 0x20000
#define MAP_FIXED_NOREPLACE 0x100000

/* madvise advice. */
#define MADV_NORMAL 0
#define MADV_DONTNEED 4

/* open flags (asm-generic/fcntl.h; octal, as Linux writes them). */
#define O_ACCMODE 0003
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)             /* openat: relative to the working directory */

/* fcntl commands and descriptor flags (asm-generic/fcntl.h, linux/fcntl.h). */
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define F_GETPIPE_SZ 1032
#define FD_CLOEXEC 1
#define PIPE_BUF 4096               /* writes up to this size to a pipe are atomic */

/* lseek whence. */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* File types in st_mode. */
#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFIFO 0010000

/* struct stat as x86-64 Linux's fstat fills it (arch/x86/include/uapi/asm/stat.h). */
struct linux_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	int64_t st_atime_sec, st_atime_nsec;
	int64_t st_mtime_sec, st_mtime_nsec;
	int64_t st_ctime_sec, st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "uapi: struct stat is 144 bytes on x86-64");

/* writev/readv. */
struct linux_iovec {
	uint64_t iov_base;          /* a user address */
	uint64_t iov_len;
};
#define IOV_MAX 1024

/* Time. */
struct linux_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};
struct linux_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1

/* uname. */
#define UTSNAME_LENGTH 65
struct linux_utsname {
	char sysname[UTSNAME_LENGTH];
	char nodename[UTSNAME_LENGTH];
	char release[UTSNAME_LENGTH];
	char version[UTSNAME_LENGTH];
	char machine[UTSNAME_LENGTH];
	char domainname[UTSNAME_LENGTH];
};

/* ioctl on a terminal. */
#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413
#define FIONREAD 0x541B             /* bytes ready to read (a pipe) */
struct linux_winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* getrusage. */
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1
struct linux_rusage {
	struct linux_timeval ru_utime, ru_stime;
	int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss;
	int64_t ru_minflt, ru_majflt, ru_nswap, ru_inblock, ru_oublock;
	int64_t ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
_Static_assert(sizeof(struct linux_rusage) == 144, "uapi: struct rusage is 144 bytes on x86-64");

/* arch_prctl codes (arch/x86/include/uapi/asm/prctl.h). */
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

/* getrandom flags. */
#define GRND_NONBLOCK 0x1
#define GRND_RANDOM 0x2

/* The auxiliary vector's keys (include/uapi/linux/auxvec.h). */
#define AT_NULL 0
#define AT_IGNORE 1
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31

/* Signals (arch/x86/include/uapi/asm/signal.h). */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define LINUX_NSIG 64               /* signals 1..64 */
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SIG_DFL 0
#define SIG_IGN 1
/* rt_sigaction's struct as the kernel takes it (not libc's). */
struct linux_sigaction {
	uint64_t handler;           /* SIG_DFL, SIG_IGN or a user address */
	uint64_t flags;             /* SA_* */
	uint64_t restorer;          /* SA_RESTORER: where the handler returns */
	uint64_t mask;              /* signals blocked while it runs (bit n-1: signal n) */
};
#define SA_RESTORER 0x04000000
#define SIGSTKFLT 16
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO 0x00000004
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000u
/* si_code values (uapi/asm-generic/siginfo.h). */
#define SI_USER 0                   /* kill */
#define SI_KERNEL 0x80              /* the kernel (Ctrl-C, SIGPIPE, #GP ...) */
#define SI_TKILL (-6)               /* tkill, tgkill */
#define SEGV_MAPERR 1               /* no mapping at the address */
#define SEGV_ACCERR 2               /* a mapping that forbids the access */
#define BUS_ADRALN 1
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define TRAP_BRKPT 1
#define CLD_EXITED 1
#define CLD_KILLED 2
/* sigaltstack (uapi/asm-generic/signal-defs.h, signal.h). */
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

/* wait status, as wait4 reports it and WIFEXITED/WTERMSIG decode it. */
#define WAIT_STATUS_EXITED(code) (((code) & 0xff) << 8)
#define WAIT_STATUS_SIGNALED(sig) ((sig) & 0x7f)
/* wait4's options (Linux's include/uapi/linux/wait.h; a host libc's, when included, agree). */
#ifndef WNOHANG
#define WNOHANG 0x00000001
#define WUNTRACED 0x00000002
#define WCONTINUED 0x00000008
#define __WNOTHREAD 0x20000000
#define __WALL 0x40000000
#define __WCLONE 0x80000000
#endif

#endif
