/*
 * proc_commands.c - the shell's view of processes: `run` (start a program
 * of the initrd, in the foreground or with -b in the background), `ps`,
 * `kill` (SIGKILL to a process; -t: stop a demo thread), `pmap` (a
 * process's regions in /proc/PID/maps format with resident pages, IPC's
 * shared, granted and pager-backed ranges marked) and
 * `ls` (the initrd's files).
 *
 * `run` in the foreground gives the program the console (drivers/tty.h):
 * its reads get the lines typed, Ctrl-C sends it SIGINT, and the shell
 * sleeps in process_wait until it ends, then says how it ended. Readers
 * of another process (ps, pmap) hold a reference to it and its space
 * mutex (process_space_begin), so a process that exits meanwhile is
 * shown as a zombie, never freed under their feet.
 *
 * Invariants:
 *   [x] every process_get is paired with a process_put, every
 *       process_space_begin that succeeds with a process_space_end;
 *   [x] a foreground `run` returns only after the process is reaped.
 * Calling context: the shell thread (interrupts on, may sleep).
 */
#include "kernel/commands/proc_commands.h"
#include "kernel/fs/initrd.h"
#include "kernel/proc/process.h"
#include "kernel/sched/thread.h"
#include "kernel/shell/shell.h"
#include "kernel/syscall/syscall.h"
#include "kernel/timer.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/user_space.h"

#define RUN_WHY_SIZE 160      /* the loader's reason, one line */
#define PMAP_REGIONS_MAX 128  /* regions pmap shows at most */

/* ---- run ------------------------------------------------------------------ */

static int cmd_run(int argc, char **argv)
{
	bool background = false;
	unsigned trace = 0;
	int first = 1;
	char why[RUN_WHY_SIZE];
	struct process *p;

	/* Options before the program: -b (background), -t (trace its system calls). */
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-b") == 0) {
			background = true;
		} else if (strcmp(argv[first], "-t") == 0) {
			trace = PROCESS_TRACE;
		} else {
			kprintf("run: unknown option %s (see `help run`)\n", argv[first]);
			return -EINVAL;
		}
	}
	if (first >= argc) {
		kprintf("run: %s needs a program (see `ls`)\n", argv[first - 1]);
		return -EINVAL;
	}
	if (trace)
		syscall_trace_arm();
	const char *const *prog_argv = (const char *const *)&argv[first];
	int err = process_spawn(argv[first], prog_argv,
				(background ? PROCESS_BACKGROUND : PROCESS_FOREGROUND) | trace, &p,
				why, sizeof(why));
	if (err) {
		kprintf("run: %s: %s (%s)\n", argv[first], why[0] ? why : "cannot start",
			errno_name(err));
		return err;
	}
	int pid = p->pid;
	char name[PROCESS_NAME_MAX];
	strlcpy(name, p->name, sizeof(name));
	if (background) {
		kprintf("[%d] %s started in the background (see `ps`, `kill %d`)\n", pid, name, pid);
		process_put(p);
		return 0;
	}
	int status = 0;
	MUST_SUCCEED(process_wait(p, &status), "run: waiting for the foreground process");
	char text[48];
	kprintf("%s (pid %d) %s\n", name, pid, process_status_describe(status, text, sizeof(text)));
	return 0;
}

SHELL_COMMAND(run, SHELL_ARGS(1, SHELL_ARGS_ANY), "run a program of the initrd as a process",
	      "usage: run [-b] [-t] PROG [ARG...]\n"
	      "  Starts PROG (a file of the initrd: see `ls`) in its own address space,\n"
	      "  in ring 3, with argv PROG ARG... and the console on descriptors 0, 1\n"
	      "  and 2. In the foreground the program owns the console: it reads the\n"
	      "  lines typed (Ctrl-D at a line's start: end of file), Ctrl-C kills it\n"
	      "  (SIGINT), and run says how it ended: 'exited with status N' or\n"
	      "  'killed by SIGSEGV'. With -b it runs in the background: run returns at\n"
	      "  once, and the process is reaped when it ends (`ps`, `kill PID`).\n"
	      "  With -t every system call of the process (and of its children) is\n"
	      "  printed as strace prints it: [pid N] name(arguments) = result.\n"
	      "  A file the ELF loader refuses is named with the loader's reason.\n"
	      "examples:\n"
	      "  run hello         prints a greeting, exits with status 0\n"
	      "  run hello a b c   with arguments\n"
	      "  run -b pause -q 2  in the background: sleeps 2 s silently, then reaped\n"
	      "  run -t hello      each system call of hello, decoded\n"
	      "  run nosuch        [refused] no such program in the initrd\n",
	      cmd_run);

/* ---- ps ------------------------------------------------------------------- */

static void ps_row(struct process *p, void *arg)
{
	(void)arg;
	uint64_t resident = process_resident(p);
	uint64_t seconds = (timer_ticks() - p->start_tick) / TIMER_HZ;

	kprintf("%5d %5d %-8s %8lu %8lu %6lu:%02lu  %s\n", p->pid, process_ppid(p),
		process_state_name(__atomic_load_n(&p->state, __ATOMIC_ACQUIRE)), resident,
		process_minflt(p), seconds / 60, seconds % 60, p->name);
}

static int cmd_ps(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("  PID  PPID STATE         RSS   FAULTS     TIME  NAME\n");
	process_for_each(ps_row, NULL);
	kprintf("%zu processes (%zu running); RSS in 4 KiB pages, FAULTS = minor faults\n",
		process_count(), process_running_count());
	return 0;
}

SHELL_COMMAND(ps, SHELL_ARGS(0, 0), "list the processes",
	      "usage: ps\n"
	      "  One line per process: pid, parent pid (0: started by the shell or\n"
	      "  the kernel, as init, pid 1, is; 1: an orphan init adopted),\n"
	      "  state (running, or zombie: ended, not yet reaped), resident user\n"
	      "  pages (RSS, 4 KiB each), minor faults so far (pages the fault\n"
	      "  handler provided: demand-zero, file pages, copies, stack growth),\n"
	      "  time since it started, and its name.\n"
	      "examples:\n"
	      "  ps\n",
	      cmd_ps);

/* ---- kill ----------------------------------------------------------------- */

static int kill_thread(const char *arg)
{
	uint64_t id;
	int err = parse_u64(arg, &id);

	if (err) {
		kprintf("kill: bad thread id '%s': %s\n", arg, parse_error_text(err));
		return err;
	}
	err = thread_kill(id);
	if (err == -ENOENT)
		kprintf("kill: thread %lu not found among the live threads (see `threads`)\n", id);
	else if (err == -EPERM)
		kprintf("kill: refused: thread %lu is not a demo thread; only `spawn` threads can be "
			"killed\n", id);
	else
		kprintf("kill: thread %lu asked to stop; it ends at its next check\n", id);
	return err;
}

static int cmd_kill(int argc, char **argv)
{
	uint64_t pid;

	if (strcmp(argv[1], "-t") == 0) {
		if (argc != 3) {
			kprintf("kill: -t needs a thread id (see `threads`)\n");
			return -EINVAL;
		}
		return kill_thread(argv[2]);
	}
	if (argc != 2) {
		kprintf("kill: too many arguments: one PID (or -t TID)\n");
		return -EINVAL;
	}
	int err = parse_u64_range(argv[1], 1, 0x7fffffff, &pid);
	if (err) {
		kprintf("kill: bad pid '%s': %s\n", argv[1], parse_error_text(err));
		return err;
	}
	err = signal_kill((int)pid, SIGKILL);
	if (err == -ESRCH) {
		kprintf("kill: pid %lu not found: no such process (-ESRCH; see `ps`)\n", pid);
		return err;
	}
	if (err == -EPERM) {
		kprintf("kill: pid 1 is init, which adopts orphans: it cannot be killed (-EPERM)\n");
		return err;
	}
	kprintf("kill: SIGKILL sent to pid %lu; it ends at its next return to user mode\n", pid);
	return err;
}

SHELL_COMMAND(kill, SHELL_ARGS(1, 2), "kill a process (SIGKILL), or stop a demo thread",
	      "usage: kill PID\n"
	      "       kill -t TID\n"
	      "  kill PID sends SIGKILL to process PID (see `ps`): it ends at its next\n"
	      "  return towards user mode (at once if it waits for a console line),\n"
	      "  its status is 'killed by SIGKILL'. kill -t TID asks demo thread TID\n"
	      "  (from `spawn` or `threads`) to stop at its next check; other threads\n"
	      "  (the shell, idle) refuse.\n"
	      "examples:\n"
	      "  kill 9999         [refused] no such process\n"
	      "  kill 1            [refused] init cannot be killed\n"
	      "  kill -t 1         [refused] the idle thread is not a demo\n"
	      "  kill -t 9999      [refused] no such thread\n",
	      cmd_kill);

/* ---- pmap ----------------------------------------------------------------- */

struct region_copy {
	struct region *items;
	size_t n, max;
};

static bool copy_region(const struct region *r, void *arg)
{
	struct region_copy *c = arg;
	if (c->n >= c->max)
		return false;
	c->items[c->n++] = *r;
	return true;
}

/* The initrd file whose bytes hold physical address phys, or NULL. */
static const struct initrd_file *file_holding(phys_addr_t phys)
{
	for (size_t i = 0; i < initrd_count(); i++) {
		const struct initrd_file *f = initrd_at(i);
		if (phys >= f->data && phys < f->data + (f->size ? f->size : 1))
			return f;
	}
	return NULL;
}

/*
 * pmap's mark of a region the microkernel's IPC made (docs/ipc.md): S
 * shared (mapped by IPC: frames another space sees too), G granted (moved
 * here by IPC), P pager-backed (its faults go to a user-level pager);
 * blank for the others.
 */
static char pmap_mark(enum region_kind kind)
{
	switch (kind) {
	case REGION_SHARED:
		return 'S';
	case REGION_GRANTED:
		return 'G';
	case REGION_PAGER:
		return 'P';
	default:
		return ' ';
	}
}

/* One /proc/PID/maps line of r plus its resident pages and its mark. */
static uint64_t pmap_line(const struct user_space *us, const struct region *r)
{
	uint64_t resident = user_space_resident_range(us, r->start, r->end), offset = 0, ino = 0;
	const char *name = r->name;
	char path[REGION_NAME_SIZE + 1];

	if (r->kind == REGION_FILE) {
		const struct initrd_file *f = file_holding(r->file_phys);
		if (f) {
			offset = r->file_phys - f->data;
			ino = f->ino;
		}
		ksnprintf(path, sizeof(path), "/%s", r->name[0] == '/' ? r->name + 1 : r->name);
		name = path;
	}
	bool user = r->prot & MAP_USER;
	char mark = pmap_mark(r->kind);
	kprintf("%08lx-%08lx %c%c%c%c %08lx 00:00 %-10lu %-20s %6lu %c\n", r->start, r->end,
		user ? 'r' : '-', user && (r->prot & MAP_WRITE) ? 'w' : '-',
		user && (r->prot & MAP_EXEC) ? 'x' : '-', r->kind == REGION_SHARED ? 's' : 'p',
		offset, ino, name, resident, mark);
	return resident;
}

struct process *shell_process_arg(const char *cmd, const char *arg)
{
	uint64_t pid;
	int err = parse_u64_range(arg, 1, 0x7fffffff, &pid);
	if (err) {
		kprintf("%s: bad pid '%s': %s\n", cmd, arg, parse_error_text(err));
		return NULL;
	}
	struct process *p = process_get((int)pid);
	if (!p)
		kprintf("%s: pid %lu not found: no such process (see `ps`)\n", cmd, pid);
	return p;
}

static int cmd_pmap(int argc, char **argv)
{
	(void)argc;
	struct process *p = shell_process_arg("pmap", argv[1]);
	if (!p)
		return -ESRCH;
	struct region_copy c = {kmalloc(PMAP_REGIONS_MAX * sizeof(struct region), 0), 0,
				PMAP_REGIONS_MAX};
	if (!c.items) {
		kprintf("pmap: out of memory for the region list\n");
		process_put(p);
		return -ENOMEM;
	}
	struct user_space *us = process_space_begin(p);
	if (!us) {
		kprintf("pmap: pid %d (%s) is a zombie: its address space is gone\n", p->pid,
			p->name);
		kfree(c.items);
		process_put(p);
		return 0;
	}
	region_for_each(&us->regions, copy_region, &c);
	kprintf("pid %d (%s): start-end perms offset dev inode name resident-pages mark\n",
		p->pid, p->name);
	uint64_t total = 0, size = 0;
	unsigned marked = 0;
	for (size_t i = 0; i < c.n; i++) {
		total += pmap_line(us, &c.items[i]);
		size += c.items[i].end - c.items[i].start;
		marked += pmap_mark(c.items[i].kind) != ' ';
	}
	uint64_t all = user_space_resident(us);
	process_space_end(p);
	kprintf("%zu regions, %lu KiB; %lu pages resident (%lu KiB)%s\n", c.n, size >> 10, total,
		total * 4, all != total ? " (more outside regions!)" : "");
	if (marked)
		kprintf("marks: S shared (mapped by IPC: perms 's', the frames are another space's "
			"too), G granted (moved here by IPC), P pager-backed (faults go to a pager)\n");
	kfree(c.items);
	process_put(p);
	return 0;
}

SHELL_COMMAND(pmap, SHELL_ARGS(1, 1), "a process's regions, as /proc/PID/maps, with resident pages",
	      "usage: pmap PID\n"
	      "  One line per region of process PID, in Linux's /proc/PID/maps format:\n"
	      "  start-end, permissions (r w x, p: private), offset into the file,\n"
	      "  device, inode (the initrd file's), name (/FILE for a file mapping,\n"
	      "  [heap], [stack], ...), then the pages resident now (mapped in the\n"
	      "  page tables). Regions appear when mapped; pages when first touched.\n"
	      "  The last column marks what the microkernel's IPC made (docs/ipc.md):\n"
	      "  S shared (mapped by IPC map; perms say 's'), G granted (moved here by\n"
	      "  IPC grant), P pager-backed (its faults go to a user-level pager).\n"
	      "examples:\n"
	      "  pmap 9999         [refused] no such process\n",
	      cmd_pmap);

/* ---- ls ------------------------------------------------------------------- */

static void mode_text(uint32_t mode, char out[11])
{
	const char *rwx = "rwxrwxrwx";
	out[0] = (mode & S_IFMT) == S_IFDIR ? 'd' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = mode & (1u << (8 - i)) ? rwx[i] : '-';
	out[10] = '\0';
}

static int cmd_ls(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t total = 0;
	char mode[11];

	if (initrd_count() == 0) {
		kprintf("ls: no initrd was loaded (grub.cfg's module2 line)\n");
		return 0;
	}
	for (size_t i = 0; i < initrd_count(); i++) {
		const struct initrd_file *f = initrd_at(i);
		mode_text(f->mode, mode);
		kprintf("%s %9lu  %s\n", mode, f->size, f->name);
		total += f->size;
	}
	kprintf("%zu files, %lu bytes\n", initrd_count(), total);
	return 0;
}

SHELL_COMMAND(ls, SHELL_ARGS(0, 0), "list the files of the initrd (the programs `run` starts)",
	      "usage: ls\n"
	      "  The initrd is the cpio archive GRUB loads beside the kernel: one line\n"
	      "  per file, its mode, size in bytes and name. Programs are run with\n"
	      "  `run NAME`; text files can be read by programs (open, read, mmap).\n"
	      "examples:\n"
	      "  ls\n",
	      cmd_ls);
