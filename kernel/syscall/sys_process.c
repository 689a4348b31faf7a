/*
 * sys_process.c - exit, exit_group, getpid, gettid, getppid, sched_yield,
 * set_tid_address, arch_prctl, ioperm, getrusage, uname, fork, vfork, clone,
 * wait4, getpgid, setpgid, getpgrp (see sys_process.h).
 *
 * Most read or set a field of the process or its thread; fork and wait4
 * check and copy, the work is kernel/proc/process.c's. getrusage fills
 * the fields Pagoda counts: CPU time (the thread's run time; Pagoda does not
 * split user from kernel time, so it is all ru_utime), the process's faults
 * (ru_minflt: resolved user faults, space.as.minflt; ru_majflt: faults that
 * had to read a file, 0 while the initrd is in RAM), the resident set (now,
 * not its peak) and context switches (voluntary: the thread gave the CPU up;
 * involuntary: the timer took it). The rest stays 0, as Linux leaves the
 * fields it does not maintain.
 *
 * Invariants:
 *   [x] nothing here takes a lock: these are the cheap calls;
 *   [x] a structure goes out whole through copy_to_user, zeroed first (no
 *       kernel stack bytes leak through padding or unused fields).
 * Context: a process's thread in a system call (interrupts on, no lock held).
 */
#include "kernel/syscall/sys_process.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/proc/ioperm.h"
#include "kernel/proc/process.h"
#include "kernel/sched/schedule.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"

__noreturn long sys_exit(int code)
{
	process_exit(code); /* the only thread: ending it ends the process */
}

__noreturn long sys_exit_group(int code)
{
	process_exit(code);
}

long sys_getpid(void)
{
	return process_current()->pid;
}

long sys_gettid(void)
{
	return process_current()->pid; /* the main thread's id is the pid */
}

long sys_getppid(void)
{
	return process_ppid(process_current()); /* 0: started by the kernel, as Linux's init */
}

long sys_sched_yield(void)
{
	thread_yield();
	return 0;
}

long sys_set_tid_address(virt_addr_t tidptr)
{
	thread_current()->clear_child_tid = tidptr; /* used when threads come: written 0 at exit */
	return sys_gettid();
}

long sys_ioperm(uint64_t from, uint64_t num, int turn_on)
{
	return process_ioperm(from, num, turn_on); /* the rules: kernel/proc/io_bitmap.h */
}

long sys_arch_prctl(int code, uint64_t addr)
{
	switch (code) {
	case ARCH_SET_FS:
		if (addr >= USER_TOP)
			return -EPERM; /* Linux: a base at or above TASK_SIZE_MAX */
		arch_set_fs_base(addr);
		return 0;
	case ARCH_GET_FS: {
		uint64_t base = thread_current()->fs_base;
		return copy_to_user(addr, &base, sizeof(base)) ? -EFAULT : 0;
	}
	default:
		return -EINVAL; /* GS is the kernel's (swapgs): not offered to programs */
	}
}

static struct linux_timeval timeval_from_us(uint64_t us)
{
	return (struct linux_timeval){(int64_t)(us / 1000000), (int64_t)(us % 1000000)};
}

/* A process's usage (ended, or its children's) as Linux's struct rusage. */
static void rusage_from(const struct process_usage *u, struct linux_rusage *ru)
{
	ru->ru_utime = timeval_from_us(timer_tsc_to_us(u->cycles));
	ru->ru_maxrss = (int64_t)(u->maxrss_pages * (PAGE_SIZE / 1024));
	ru->ru_minflt = (int64_t)u->minflt;
	ru->ru_majflt = (int64_t)u->majflt;
	ru->ru_nvcsw = (int64_t)u->nvcsw;
	ru->ru_nivcsw = (int64_t)u->nivcsw;
}

/* The calling thread's figures, its current stretch on the CPU included. */
static void rusage_self(struct process *p, struct linux_rusage *ru)
{
	const struct thread *t = thread_current();
	uint64_t cycles = t->run_cycles + (rdtsc() - t->last_switch_in);

	ru->ru_utime = timeval_from_us(timer_tsc_to_us(cycles));
	ru->ru_maxrss = (int64_t)(paging_user_pages(&p->space.as) * (PAGE_SIZE / 1024));
	ru->ru_minflt = (int64_t)process_minflt(p);
	ru->ru_majflt = (int64_t)p->majflt;
	ru->ru_nivcsw = (int64_t)t->preemptions;
	ru->ru_nvcsw = (int64_t)(t->switches - t->preemptions);
}

long sys_getrusage(int who, virt_addr_t usage)
{
	struct linux_rusage ru;

	memset(&ru, 0, sizeof(ru));
	switch (who) {
	case RUSAGE_SELF:
	case RUSAGE_THREAD: /* one thread: the same figures */
		rusage_self(process_current(), &ru);
		break;
	case RUSAGE_CHILDREN: /* the children wait4 reaped, and their reaped children */
		rusage_from(&process_current()->child_usage, &ru);
		break;
	default:
		return -EINVAL;
	}
	return copy_to_user(usage, &ru, sizeof(ru)) ? -EFAULT : 0;
}

long sys_uname(virt_addr_t buf)
{
	struct linux_utsname u;

	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, "Pagoda", sizeof(u.sysname));
	strlcpy(u.nodename, "pagoda", sizeof(u.nodename));
	strlcpy(u.release, PAGODA_RELEASE, sizeof(u.release));
	strlcpy(u.version, "#15 SMP", sizeof(u.version));
	strlcpy(u.machine, "x86_64", sizeof(u.machine));
	strlcpy(u.domainname, "(none)", sizeof(u.domainname));
	return copy_to_user(buf, &u, sizeof(u)) ? -EFAULT : 0;
}

long sys_fork(struct trap_frame *frame)
{
	return process_fork(frame);
}

long sys_vfork(struct trap_frame *frame)
{
	return process_fork(frame); /* a full copy-on-write fork is a valid vfork */
}

long sys_clone(struct trap_frame *frame)
{
	uint64_t flags = frame->rdi, newsp = frame->rsi;

	/* Only fork's form: no sharing flags, SIGCHLD to the parent at the end. */
	if (flags != SIGCHLD)
		return -EINVAL;
	if (newsp == 0)
		return process_fork(frame);
	if (newsp >= USER_TOP)
		return -EINVAL;
	struct trap_frame child = *frame;
	child.rsp = newsp; /* the child's stack, as Linux's clone gives it */
	return process_fork(&child);
}

long sys_wait4(int pid, virt_addr_t status, unsigned options, virt_addr_t usage)
{
	int st = 0;
	struct process_usage u;
	long ret = process_wait_child(pid, &st, options, &u);

	if (ret <= 0)
		return ret;
	/* As Linux: the child is reaped even when a result cannot be stored. */
	if (status && copy_to_user(status, &st, sizeof(st)))
		return -EFAULT;
	if (usage) {
		struct linux_rusage ru;
		memset(&ru, 0, sizeof(ru));
		rusage_from(&u, &ru);
		if (copy_to_user(usage, &ru, sizeof(ru)))
			return -EFAULT;
	}
	return ret;
}

long sys_getpgid(int pid)
{
	return process_getpgid(pid);
}

long sys_setpgid(int pid, int pgid)
{
	return process_setpgid(pid, pgid);
}

long sys_getpgrp(void)
{
	return process_getpgid(0);
}
