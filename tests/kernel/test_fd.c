/*
 * test_fd.c - kernel-only checks of the descriptor table's copies and
 * per-descriptor flags (suite `fd`, kernel/proc/fd.h) on tables of console
 * files: fork's clone shares every file (one more reference each) with the
 * same numbers and close-on-exec flags; execve's close-on-exec closes only
 * the marked descriptors and releases a file whose last reference they
 * were; dup2's target is closed and unmarked, F_DUPFD's lowest slot from a
 * minimum, EINVAL/EMFILE/EBADF at the edges; F_GETFL/F_SETFL keep the
 * access mode and change only O_NONBLOCK and O_APPEND.
 */
#include "kernel/proc/fd.h"
#include "kernel/selftest.h"
#include "lib/errno.h"

/* A table with the console on 0, 1 and 2. */
static const char *console_table(struct fd_table *t)
{
	fd_table_init(t);
	CHECK(fd_table_open_console(t) == 0);
	return NULL;
}

static int refs(struct fd_table *t, int fd)
{
	struct file *f;

	if (fd_get(t, fd, &f))
		return -1;
	int n = f->refcount - 1; /* without ours */
	file_put(f);
	return n;
}

static const char *test_clone(void)
{
	struct fd_table a, b;

	CHECK_OK(console_table(&a));
	CHECK(fd_set_flags(&a, 1, FD_CLOEXEC) == 0);
	CHECK(fd_close(&a, 0) == 0); /* a hole the clone must keep */
	fd_table_init(&b);
	CHECK(fd_table_clone(&b, &a) == 0);
	CHECKF(b.open_count == 2, "%u descriptors in the clone", b.open_count);
	CHECK(b.files[0] == NULL && b.files[1] == a.files[1] && b.files[2] == a.files[2]);
	CHECKF(refs(&a, 1) == 2 && refs(&b, 2) == 2, "refcounts %d, %d", refs(&a, 1), refs(&b, 2));
	CHECK(fd_get_flags(&b, 1) == FD_CLOEXEC && fd_get_flags(&b, 2) == 0);
	CHECK(fd_get_flags(&b, 0) == -EBADF);
	/* The copies are independent: closing in one leaves the other's. */
	CHECK(fd_close(&b, 2) == 0);
	CHECK(refs(&a, 2) == 1);
	fd_table_release(&b);
	CHECK(refs(&a, 1) == 1);
	fd_table_release(&a);
	return NULL;
}

static const char *test_close_on_exec(void)
{
	struct fd_table t;
	struct file *f;

	CHECK_OK(console_table(&t));
	CHECK(fd_get(&t, 2, &f) == 0); /* keep 2's file to watch its count */
	file_get(f);
	CHECK(fd_install_from(&t, f, 0, FD_CLOEXEC) == 3);
	file_get(f);
	CHECK(fd_install_from(&t, f, 10, FD_CLOEXEC) == 10);
	file_get(f);
	CHECK(fd_install_from(&t, f, PROCESS_FDS_MAX - 1, FD_CLOEXEC) == PROCESS_FDS_MAX - 1);
	CHECK(fd_set_flags(&t, 0, FD_CLOEXEC) == 0);
	CHECK(f->refcount == 5); /* slots 2, 3, 10, 63 and ours */
	fd_table_close_on_exec(&t);
	CHECKF(t.open_count == 2, "%u left open", t.open_count);
	CHECK(t.files[0] == NULL && t.files[3] == NULL && t.files[10] == NULL);
	CHECK(t.files[PROCESS_FDS_MAX - 1] == NULL && t.files[1] && t.files[2] == f);
	CHECK(f->refcount == 2 && t.cloexec == 0);
	file_put(f);
	fd_table_close_on_exec(&t); /* nothing marked: nothing closed */
	CHECK(t.open_count == 2);
	fd_table_release(&t);
	return NULL;
}

static const char *test_dup(void)
{
	struct fd_table t;
	struct file *f;

	CHECK_OK(console_table(&t));
	CHECK(fd_get(&t, 0, &f) == 0);
	CHECK(fd_install_from(&t, f, -1, 0) == -EINVAL);
	CHECK(fd_install_from(&t, f, PROCESS_FDS_MAX, 0) == -EINVAL);
	CHECK(fd_install_from(&t, f, 5, 0) == 5);
	/* dup2 onto an open, close-on-exec slot: replaced, unmarked. */
	CHECK(fd_set_flags(&t, 1, FD_CLOEXEC) == 0);
	struct file *old1 = t.files[1];
	file_get(old1);
	CHECK(fd_dup_to(&t, 5, 1, 0) == 1);
	CHECK(t.files[1] == f && fd_get_flags(&t, 1) == 0 && old1->refcount == 1);
	file_put(old1); /* released here: its last reference */
	CHECK(fd_dup_to(&t, 5, 40, FD_CLOEXEC) == 40 && fd_get_flags(&t, 40) == FD_CLOEXEC);
	CHECK(fd_dup_to(&t, 5, 5, FD_CLOEXEC) == 5 && fd_get_flags(&t, 5) == 0); /* unchanged */
	CHECK(fd_dup_to(&t, 7, 8, 0) == -EBADF && t.files[8] == NULL);
	CHECK(fd_dup_to(&t, 5, PROCESS_FDS_MAX, 0) == -EBADF);
	CHECK(fd_dup_to(&t, -1, 3, 0) == -EBADF);
	CHECK(f->refcount == 4 && t.open_count == 5); /* 0, 1, 5, 40 share it */
	CHECK(fd_get_flags(&t, PROCESS_FDS_MAX) == -EBADF && fd_set_flags(&t, 9, 0) == -EBADF);
	/* Fill every slot: F_DUPFD then finds none. */
	for (int fd = 0; fd < PROCESS_FDS_MAX; fd++)
		if (!t.files[fd])
			CHECK(fd_dup_to(&t, 0, fd, 0) == fd);
	file_get(f);
	CHECK(fd_install_from(&t, f, 0, 0) == -EMFILE);
	file_put(f);
	fd_table_release(&t);
	return NULL;
}

static const char *test_status_flags(void)
{
	struct file *f = file_open_console(O_RDWR);

	CHECK(f != NULL);
	CHECK(file_set_status_flags(f, O_WRONLY | O_NONBLOCK | O_CREAT) == 0);
	CHECKF(file_status_flags(f) == (O_RDWR | O_NONBLOCK), "flags %#o", file_status_flags(f));
	CHECK(file_set_status_flags(f, O_APPEND) == 0);
	CHECK(file_status_flags(f) == (O_RDWR | O_APPEND));
	file_put(f);
	return NULL;
}

static const struct selftest fd_tests[] = {
	{"clone", "fork's copy: same files and flags, independent slots", test_clone},
	{"close_on_exec", "execve closes the marked descriptors only", test_close_on_exec},
	{"dup", "dup2 replaces and unmarks; F_DUPFD's minimum; EINVAL, EMFILE, EBADF", test_dup},
	{"status_flags", "F_SETFL changes O_NONBLOCK and O_APPEND only", test_status_flags},
};

SELFTEST_SUITE(fd, fd_tests);
