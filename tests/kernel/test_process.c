/*
 * test_process.c - kernel-only checks of processes, file descriptors and
 * the terminal (suite `process`, kernel/proc/process.h, fd.h, drivers/tty.h)
 * on the running machine: the descriptor table's Linux rules (lowest free
 * slot, EBADF, EMFILE), the errors of what a file cannot do (ESPIPE,
 * ENOTTY, EBADF, ENODEV), an initrd file's lseek and fstat; canonical
 * cooking (backspace, Ctrl-U, Ctrl-D, Ctrl-C, a line read in pieces); and
 * whole processes from the initrd: `hello` exits with status 0, a missing
 * program and a non-ELF file are refused with a reason, a process killed
 * while it waits for a console line ends "killed by SIGKILL", Ctrl-C ends
 * the foreground reader with SIGINT, thirty runs give back every page, and
 * a reader's reference (ps, pmap) keeps a process readable past its reaping
 * while a zombie shows no space.
 * The process tests need the initrd; without one they pass with nothing
 * to check and say so in their reason-free way (no initrd: no programs).
 */
#include "drivers/tty.h"
#include "kernel/fs/initrd.h"
#include "kernel/proc/fd.h"
#include "kernel/proc/process.h"
#include "kernel/sched/schedule.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/region.h"

/* ---- Descriptors. ---- */

static const char *test_fd_table_rules(void)
{
	struct fd_table t;
	struct file *f;

	fd_table_init(&t);
	CHECK(fd_table_open_console(&t) == 0);
	CHECK(t.open_count == 3);
	CHECK(fd_get(&t, 0, &f) == 0 && file_is_console(f));
	CHECK(f->refcount == 2); /* the slot's and ours */
	file_put(f);
	CHECK(fd_get(&t, 3, &f) == -EBADF && f == NULL);
	CHECK(fd_get(&t, -1, &f) == -EBADF);
	CHECK(fd_get(&t, PROCESS_FDS_MAX, &f) == -EBADF);
	CHECK(fd_close(&t, 1) == 0);
	CHECK(fd_close(&t, 1) == -EBADF);
	/* The lowest free slot: 1 again, then 3, 4, ... up to the limit. */
	struct file *c = file_open_console(O_RDWR);
	CHECK(c != NULL);
	CHECK(fd_install(&t, c) == 1);
	int installed = 3;
	for (;;) {
		c = file_open_console(O_RDWR);
		CHECK(c != NULL);
		int fd = fd_install(&t, c);
		if (fd < 0) {
			CHECKF(fd == -EMFILE, "fd_install on a full table: %d", fd);
			file_put(c);
			break;
		}
		CHECKF(fd == installed, "got fd %d, expected %d", fd, installed);
		installed++;
	}
	CHECKF(installed == PROCESS_FDS_MAX, "the table took %d descriptors", installed);
	fd_table_release(&t);
	CHECK(t.open_count == 0);
	return NULL;
}

static const char *test_file_errors(void)
{
	struct file *c = file_open_console(O_RDWR);
	struct linux_stat st;
	struct user_file uf;

	CHECK(c != NULL);
	CHECK(file_lseek(c, 0, SEEK_SET) == -ESPIPE);
	CHECK(file_fstat(c, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR);
	CHECK(file_mmap_source(c, &uf) == -ENODEV);
	CHECK(file_ioctl(c, 0x1234, 0) == -ENOTTY);
	file_put(c);
	c = file_open_console(O_WRONLY);
	CHECK(c != NULL);
	CHECK(file_read(c, 0, 1) == -EBADF);
	file_put(c);
	if (initrd_count() == 0)
		return NULL; /* no initrd: no file to open */
	const struct initrd_file *rf = initrd_at(0);
	struct file *f = file_open_initrd(rf);
	CHECK(f != NULL);
	CHECK(file_write(f, 0, 1) == -EBADF);
	CHECK(file_ioctl(f, TIOCGWINSZ, 0) == -ENOTTY);
	CHECK(file_fstat(f, &st) == 0);
	CHECK((st.st_mode & S_IFMT) == S_IFREG && st.st_size == (int64_t)rf->size);
	CHECK(file_lseek(f, 0, SEEK_END) == (int64_t)rf->size);
	CHECK(file_lseek(f, -1, SEEK_SET) == -EINVAL);
	CHECK(file_lseek(f, 0, SEEK_CUR) == (int64_t)rf->size); /* unchanged by the refusal */
	CHECK(file_lseek(f, 10, 7) == -EINVAL);
	CHECK(file_lseek(f, 5, SEEK_SET) == 5 && file_lseek(f, 3, SEEK_CUR) == 8);
	CHECK(file_lseek(f, INT64_MAX, SEEK_CUR) == -EOVERFLOW);
	CHECK(file_mmap_source(f, &uf) == 0 && uf.phys == rf->data && uf.size == rf->size);
	CHECK(file_read(f, 0, 0) == 0); /* nothing asked: nothing checked, as Linux */
	file_put(f);
	return NULL;
}

/* ---- The terminal. ---- */

static int owner_token;
static int signalled;

static void record_signal(void *owner, int sig)
{
	if (owner == &owner_token)
		signalled = sig;
}

static void type(const char *s)
{
	while (*s)
		tty_input_byte(*s++);
}

/* Read what is cooked (a line must be ready: never waits). */
static long read_now(char *buf, size_t len)
{
	if (tty_pending_lines() == 0)
		return -EAGAIN;
	return tty_read(&owner_token, buf, len, NULL);
}

static const char *test_tty_canonical(void)
{
	char buf[64];
	long n;

	tty_set_foreground(&owner_token, record_signal);
	CHECK(tty_is_foreground(&owner_token));
	type("abx\b\r"); /* backspace erases the x */
	n = read_now(buf, sizeof(buf));
	CHECKF(n == 3 && memcmp(buf, "ab\n", 3) == 0, "backspace: read %ld", n);
	type("zz\x15q\x7f" "q\n"); /* Ctrl-U erases the line, DEL a character */
	n = read_now(buf, sizeof(buf));
	CHECKF(n == 2 && memcmp(buf, "q\n", 2) == 0, "Ctrl-U: read %ld", n);
	type("\x04"); /* Ctrl-D at a line's start: end of file */
	CHECK(read_now(buf, sizeof(buf)) == 0);
	type("ab\x04"); /* elsewhere: the line so far, no newline */
	n = read_now(buf, sizeof(buf));
	CHECKF(n == 2 && memcmp(buf, "ab", 2) == 0, "Ctrl-D mid-line: read %ld", n);
	type("hello\r"); /* a line read in pieces */
	CHECK(read_now(buf, 2) == 2 && memcmp(buf, "he", 2) == 0);
	n = read_now(buf, sizeof(buf));
	CHECKF(n == 4 && memcmp(buf, "llo\n", 4) == 0, "the rest: read %ld", n);
	type("\x1b[Axy\r"); /* an arrow key's escape sequence is swallowed */
	n = read_now(buf, sizeof(buf));
	CHECKF(n == 3 && memcmp(buf, "xy\n", 3) == 0, "escape: read %ld", n);
	signalled = 0;
	type("doomed\r" "half\x03"); /* Ctrl-C: SIGINT, everything typed thrown away */
	CHECK(signalled == SIGINT);
	CHECK(tty_pending_lines() == 0 && tty_pending_bytes() == 0);
	tty_release_foreground(&owner_token);
	CHECK(!tty_is_foreground(&owner_token));
	type("ignored\r"); /* no owner: nothing is cooked */
	CHECK(tty_pending_lines() == 0);
	struct linux_winsize ws;
	tty_winsize(&ws);
	CHECK(ws.ws_row == TTY_ROWS && ws.ws_col == TTY_COLS);
	return NULL;
}

static const char *test_status_text(void)
{
	char buf[48];

	CHECK(strcmp(process_status_describe(WAIT_STATUS_EXITED(3), buf, sizeof(buf)),
		     "exited with status 3") == 0);
	CHECK(strcmp(process_status_describe(WAIT_STATUS_SIGNALED(SIGSEGV), buf, sizeof(buf)),
		     "killed by SIGSEGV") == 0);
	CHECK(strcmp(process_status_describe(WAIT_STATUS_SIGNALED(40), buf, sizeof(buf)),
		     "killed by signal 40") == 0);
	CHECK(signal_kill(0x7ffffff0, SIGKILL) == -ESRCH);
	CHECK(signal_kill(1, 0) == -EINVAL && signal_kill(1, LINUX_NSIG) == -EINVAL);
	CHECK(process_current() == NULL); /* the shell is a kernel thread */
	CHECK(!signal_pending());
	return NULL;
}

/* ---- Whole processes. ---- */

#define HELLO "hello"
#define READER "cat"   /* a program that reads the console until end of file */
#define SLEEPER "pause" /* a program that sleeps until killed */

/* Run path in the foreground and return its wait status, or a negative error. */
static int run_status(const char *path, const char *const argv[])
{
	struct process *p;
	int status = 0;
	int err = process_spawn(path, argv, PROCESS_FOREGROUND, &p, NULL, 0);
	if (err)
		return err;
	err = process_wait(p, &status);
	return err ? err : status;
}

/* Wait up to 2 s for pid to leave the table (reaped); true if it did. */
static bool gone_within_2s(int pid)
{
	struct process *seen = NULL;
	for (int i = 0; i < 400 && (seen = process_get(pid)) != NULL; i++) {
		process_put(seen);
		thread_sleep_ms(5);
	}
	return seen == NULL;
}

static const char *test_run_hello(void)
{
	if (!initrd_find(HELLO))
		return NULL; /* no initrd */
	int status = run_status(HELLO, NULL);
	CHECKF(status == WAIT_STATUS_EXITED(0), "hello ended with status 0x%x", status);
	const char *const argv[] = {HELLO, "one", "two", NULL};
	status = run_status(HELLO, argv);
	CHECKF(status == WAIT_STATUS_EXITED(0), "hello one two ended with status 0x%x", status);
	return NULL;
}

static const char *test_spawn_refusals(void)
{
	char why[120];
	struct process *p = NULL;

	CHECK(process_spawn("no-such-program", NULL, 0, &p, why, sizeof(why)) == -ENOENT);
	CHECK(p == NULL && why[0] != '\0');
	CHECK(process_spawn(HELLO, NULL, PROCESS_BACKGROUND | PROCESS_FOREGROUND, &p, why,
			    sizeof(why)) == -EINVAL);
	/* A file of the initrd that is not an ELF program: the loader says why. */
	for (size_t i = 0; i < initrd_count(); i++) {
		const struct initrd_file *f = initrd_at(i);
		const unsigned char *bytes = initrd_bytes(f);
		if (f->size >= 4 && memcmp(bytes, "\x7f" "ELF", 4) == 0)
			continue;
		why[0] = '\0';
		int err = process_spawn(f->name, NULL, 0, &p, why, sizeof(why));
		CHECKF(err == -ENOEXEC, "%s: spawn gave %d", f->name, err);
		CHECKF(why[0] != '\0', "%s: refused without a reason", f->name);
		break;
	}
	return NULL;
}

/* Spawn the reader in the foreground; wait until it blocks in its read. */
static struct process *start_reader(void)
{
	struct process *p;
	const char *const argv[] = {READER, NULL};

	if (process_spawn(READER, argv, PROCESS_FOREGROUND, &p, NULL, 0))
		return NULL;
	for (int i = 0; i < 200 && !__atomic_load_n(&p->signals.interruptible, __ATOMIC_SEQ_CST); i++)
		thread_sleep_ms(5);
	return p;
}

static const char *test_kill_reader(void)
{
	if (!initrd_find(READER))
		return NULL;
	struct process *p = start_reader();
	CHECK(p != NULL);
	CHECKF(p->signals.interruptible != NULL, "%s never waited for input", READER);
	CHECK(signal_kill(p->pid, SIGKILL) == 0);
	int status = 0;
	CHECK(process_wait(p, &status) == 0);
	CHECKF(status == WAIT_STATUS_SIGNALED(SIGKILL), "status 0x%x", status);
	return NULL;
}

static const char *test_ctrl_c_reader(void)
{
	if (!initrd_find(READER))
		return NULL;
	struct process *p = start_reader();
	CHECK(p != NULL);
	CHECKF(p->signals.interruptible != NULL, "%s never waited for input", READER);
	tty_input_byte(0x03); /* Ctrl-C */
	int status = 0;
	CHECK(process_wait(p, &status) == 0);
	CHECKF(status == WAIT_STATUS_SIGNALED(SIGINT), "status 0x%x", status);
	/* The reader again: a line, then end of file; it exits normally. */
	p = start_reader();
	CHECK(p != NULL);
	const char *keys = "line\r\x04";
	while (*keys)
		tty_input_byte(*keys++);
	CHECK(process_wait(p, &status) == 0);
	CHECKF(status == WAIT_STATUS_EXITED(0), "after end of file: status 0x%x", status);
	return NULL;
}

/*
 * Slab caches warm up on each CPU the runs land on (a few pages the first
 * times), so one batch may keep pages; a leak of even one page per run
 * keeps at least LEAK_BATCH pages in every batch. Pass: some batch keeps
 * nothing and all of them together fewer than LEAK_BATCH.
 */
#define LEAK_BATCH 10
#define LEAK_BATCHES 3

static const char *test_no_leak(void)
{
	if (!initrd_find(HELLO))
		return NULL;
	CHECK(run_status(HELLO, NULL) == WAIT_STATUS_EXITED(0)); /* caches warm */
	size_t count_before = process_count();
	int64_t kept_total = 0;
	bool clean_batch = false;
	for (int batch = 0; batch < LEAK_BATCHES; batch++) {
		uint64_t free_before = buddy_free_pages();
		for (int i = 0; i < LEAK_BATCH; i++)
			CHECK(run_status(HELLO, NULL) == WAIT_STATUS_EXITED(0));
		int64_t kept = (int64_t)free_before - (int64_t)buddy_free_pages();
		kept_total += kept;
		clean_batch |= kept <= 0;
	}
	/* Not ==: a background process started before the test (`run -b`) may end meanwhile. */
	CHECKF(process_count() <= count_before, "%zu processes before the runs, %zu after",
	       count_before, process_count());
	CHECKF(clean_batch && kept_total < LEAK_BATCH,
	       "%d runs of hello kept %ld pages, none of %d batches kept none",
	       LEAK_BATCH * LEAK_BATCHES, (long)kept_total, LEAK_BATCHES);
	return NULL;
}

static const char *test_background_reaped(void)
{
	if (!initrd_find(HELLO))
		return NULL;
	size_t count_before = process_count();
	struct process *p;
	CHECK(process_spawn(HELLO, NULL, PROCESS_BACKGROUND, &p, NULL, 0) == 0);
	int pid = p->pid;
	CHECK(process_wait(p, NULL) == -EINVAL); /* not waitable; the reference is dropped */
	CHECKF(gone_within_2s(pid), "background pid %d not reaped within 2 s", pid);
	CHECK(process_count() <= count_before); /* an earlier `run -b` may have ended too */
	return NULL;
}

/* What ps, pmap and ptdump rely on: a live space to read, a zombie's gone. */
static bool count_region(const struct region *r, void *arg)
{
	(void)r;
	(*(size_t *)arg)++;
	return true;
}

static const char *test_readers(void)
{
	if (!initrd_find(HELLO))
		return NULL;
	struct process *p;
	CHECK(process_spawn(HELLO, NULL, 0, &p, NULL, 0) == 0);
	int pid = p->pid;
	struct process *seen = process_get(pid);
	CHECK(seen == p); /* a second reference: the reader's */
	for (int i = 0; i < 400 && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != PROCESS_ZOMBIE;
	     i++)
		thread_sleep_ms(5);
	CHECK(p->state == PROCESS_ZOMBIE);
	CHECK(process_space_begin(p) == NULL); /* the space is gone with the process */
	CHECK(process_resident(p) == 0);
	CHECKF(process_minflt(p) > 0, "a zombie that never faulted? minflt %lu", process_minflt(p));
	int status = -1;
	CHECK(process_wait(p, &status) == 0 && status == WAIT_STATUS_EXITED(0));
	/* Reaped: gone from the table, but the reader's reference still holds it. */
	CHECK(process_get(pid) == NULL);
	CHECK(seen->pid == pid && seen->reaped);
	process_put(seen);
	if (!initrd_find(SLEEPER))
		return NULL;
	CHECK(process_spawn(SLEEPER, NULL, PROCESS_BACKGROUND, &p, NULL, 0) == 0);
	struct user_space *us = process_space_begin(p);
	CHECK(us != NULL);
	size_t regions = 0;
	region_for_each(&us->regions, count_region, &regions);
	process_space_end(p);
	CHECKF(regions >= 3, "%zu regions (text, data, stack expected)", regions);
	CHECK(signal_kill(p->pid, SIGKILL) == 0);
	pid = p->pid;
	process_put(p);
	CHECKF(gone_within_2s(pid), "killed background pid %d not reaped within 2 s", pid);
	return NULL;
}

#define LIMIT_SLEEPER_ARGS {SLEEPER, "-q", "30", NULL}

/* Kill every pid of pids[0 .. n) and wait for each to be reaped; false if one stays. */
static bool kill_all(const int *pids, int n)
{
	bool ok = true;
	for (int i = 0; i < n; i++)
		ok &= signal_kill(pids[i], SIGKILL) != -EINVAL; /* -ESRCH: ended already */
	for (int i = 0; i < n; i++)
		ok &= gone_within_2s(pids[i]);
	return ok;
}

static const char *test_spawn_limit(void)
{
	if (!initrd_find(SLEEPER))
		return NULL;
	static int pids[PROCESS_MAX + 1];
	const char *const argv[] = LIMIT_SLEEPER_ARGS;
	char why[120];
	int n = 0, err;
	struct process *p;

	/* Background sleepers until the table is full (all PROCESS_MAX when no init runs). */
	while ((err = process_spawn(SLEEPER, argv, PROCESS_BACKGROUND, &p, why, sizeof(why))) == 0) {
		pids[n++] = p->pid;
		process_put(p);
		if (n > PROCESS_MAX)
			break; /* no limit: the check below says so */
	}
	size_t full = process_count();
	bool killed = kill_all(pids, n);
	CHECKF(err == -EAGAIN, "spawn number %d gave %d, expected -EAGAIN", n + 1, err);
	CHECKF(full == PROCESS_MAX, "%zu processes when spawn refused, limit %d", full,
	       PROCESS_MAX);
	CHECKF(strstr(why, "PROCESS_MAX") != NULL, "the refusal's reason: '%s'", why);
	CHECK(killed);
	CHECK(run_status(HELLO, NULL) == WAIT_STATUS_EXITED(0)); /* below the limit again */
	return NULL;
}

/* process_for_each: the pids of running processes named arg->name, but arg->skip. */
struct named {
	const char *name;
	int skip;
	int pids[PROCESS_MAX];
	int ppids[PROCESS_MAX];
	int n;
};

static void collect_named(struct process *p, void *arg)
{
	struct named *c = arg;
	if (strcmp(p->name, c->name) != 0 || p->pid == c->skip ||
	    __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != PROCESS_RUNNING || c->n == PROCESS_MAX)
		return;
	c->pids[c->n] = p->pid;
	c->ppids[c->n++] = process_ppid(p);
}

#define TREE "forkbomb"
#define TREE_SIZE 7

static const char *test_orphans_handed_on(void)
{
	if (!initrd_find(TREE) || !initrd_find(HELLO))
		return NULL;
	static struct named tree;
	const char *const argv[] = {TREE, "-t", "7", NULL};
	struct process *root, *init = process_get(1);
	bool have_init = init && strcmp(init->name, "init") == 0;

	if (init)
		process_put(init);
	CHECK(process_spawn(TREE, argv, 0, &root, NULL, 0) == 0);
	tree = (struct named){TREE, root->pid, {0}, {0}, 0};
	for (int i = 0; i < 400 && tree.n < TREE_SIZE - 1; i++) {
		thread_sleep_ms(5);
		tree.n = 0;
		process_for_each(collect_named, &tree);
	}
	CHECK(signal_kill(root->pid, SIGKILL) == 0);
	int status = 0;
	CHECK(process_wait(root, &status) == 0);
	CHECKF(status == WAIT_STATUS_SIGNALED(SIGKILL), "the root's status 0x%x", status);
	CHECKF(tree.n == TREE_SIZE - 1, "the tree has %d processes below its root", tree.n);
	/* The root's two children lost their parent: init's now (or the kernel's: 0). */
	int orphans = 0;
	for (int i = 0; i < tree.n; i++) {
		struct process *c = process_get(tree.pids[i]);
		CHECKF(c != NULL, "pid %d ended with its parent", tree.pids[i]);
		if (tree.ppids[i] == root->pid) {
			orphans++;
			CHECKF(process_ppid(c) == (have_init ? 1 : 0), "orphan %d has parent %d",
			       c->pid, process_ppid(c));
		} else {
			CHECKF(process_ppid(c) == tree.ppids[i], "pid %d changed parent", c->pid);
		}
		process_put(c);
	}
	CHECKF(orphans == 2, "%d children of the root", orphans);
	CHECK(kill_all(tree.pids, tree.n)); /* init (or the reaper) takes them all */
	return NULL;
}

static const struct selftest process_tests[] = {
	{"fd_table", "lowest free descriptor, EBADF, EMFILE at PROCESS_FDS_MAX", test_fd_table_rules},
	{"file_errors", "ESPIPE/ENOTTY/EBADF/ENODEV; initrd lseek and fstat", test_file_errors},
	{"tty_canonical", "backspace, Ctrl-U, Ctrl-D, Ctrl-C, escapes, pieces of a line",
	 test_tty_canonical},
	{"status_text", "wait statuses described; kill of no process is -ESRCH", test_status_text},
	{"run_hello", "hello from the initrd exits with status 0", test_run_hello},
	{"spawn_refusals", "missing program -ENOENT, non-ELF -ENOEXEC with a reason",
	 test_spawn_refusals},
	{"kill_reader", "SIGKILL interrupts a console read: killed by SIGKILL", test_kill_reader},
	{"ctrl_c_reader", "Ctrl-C ends the foreground reader; Ctrl-D is its end of file",
	 test_ctrl_c_reader},
	{"no_leak", "30 runs of hello give back every page (caches aside)", test_no_leak},
	{"background_reaped", "a run -b process is reaped without a wait", test_background_reaped},
	{"readers", "a referenced process outlives its reaping; a zombie has no space",
	 test_readers},
	{"spawn_limit", "spawn past PROCESS_MAX is -EAGAIN with a reason; fine again after",
	 test_spawn_limit},
	{"orphans_handed_on", "a killed parent's children go to init (or the kernel), all reaped",
	 test_orphans_handed_on},
};

SELFTEST_SUITE(process, process_tests);
