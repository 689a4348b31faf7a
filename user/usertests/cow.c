/*
 * cow.c - usertests: copy-on-write after fork, counted: the pages parent and
 * child share (mincore), the faults each write costs (getrusage), a fork
 * storm.
 *
 * What both kernels agree on, and so what is checked: after fork the child
 * sees every page the parent had, resident (mincore) without a fault when
 * it reads them; its first write to each page faults once (ru_minflt); the
 * parent's bytes never change under the child's writes nor the child's
 * under the parent's; pages the parent never touched are not resident in
 * the child either. Children report through their exit status.
 *
 * Invariants:
 *   [x] a test reaps every child it starts and unmaps what it maps.
 * Context: the usertests program (usertests.h).
 */
#include <sys/wait.h>

#include "usertests.h"

#define COW_PAGES 16
#define STORM_CHILDREN 12
#define SLACK_FAULTS 6 /* faults besides the pages written: the stack, libc's own pages */

/* Faults of the caller so far (ru_minflt). */
static long minflt(void)
{
	struct rusage ru;

	if (sys(SYS_getrusage, RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_minflt;
}

/* Pages of [a, a + n pages) resident now, or -1. */
static long resident(const char *a, long n)
{
	unsigned char vec[64];
	long count = 0;

	if (n > 64 || sys(SYS_mincore, a, n * P, vec) != 0)
		return -1;
	for (long i = 0; i < n; i++)
		count += vec[i] & 1;
	return count;
}

static char *cow_area;

/*
 * The child of cow_fork_shares_counted: every page resident and readable without a fault,
 * each first write one fault. Status: 0, or 10 + the check that failed.
 */
static void sharing_child(long unused)
{
	(void)unused;
	long before = minflt();
	if (resident(cow_area, COW_PAGES) != COW_PAGES)
		sys(SYS_exit_group, 10);
	for (long i = 0; i < COW_PAGES; i++)
		if (!page_holds(cow_area, i, (char)('a' + i)))
			sys(SYS_exit_group, 11);
	long after_reads = minflt();
	for (long i = 0; i < COW_PAGES; i++)
		fill_page(cow_area, i, (char)('A' + i));
	long after_writes = minflt();
	for (long i = 0; i < COW_PAGES; i++)
		if (!page_holds(cow_area, i, (char)('A' + i)))
			sys(SYS_exit_group, 12);
	if (before < 0 || after_reads - before > SLACK_FAULTS)
		sys(SYS_exit_group, 13); /* reading shared pages faulted */
	if (after_writes - after_reads < COW_PAGES ||
	    after_writes - after_reads > COW_PAGES + SLACK_FAULTS)
		sys(SYS_exit_group, 14); /* not one fault per first write */
	sys(SYS_exit_group, 0);
}

static const char *const sharing_why[] = {
	"the parent's pages are not all resident in the child (mincore)",
	"the child does not see the parent's bytes",
	"the child's writes did not stick",
	"reading the shared pages cost faults",
	"the child's first writes did not cost one fault per page",
};

static const char *test_cow_fork_shares_counted(void)
{
	char *a = map_pages(COW_PAGES, PROT_READ | PROT_WRITE);
	CHECK(a, "mmap failed");
	for (long i = 0; i < COW_PAGES; i++)
		fill_page(a, i, (char)('a' + i));
	cow_area = a;
	long status = child_status(sharing_child, 0);
	CHECK(!is_err(status) && WIFEXITED(status), "the child %s", status_name(status));
	int code = WEXITSTATUS(status);
	CHECK(code == 0, "child: %s (status %d)",
	      code >= 10 && code < 15 ? sharing_why[code - 10] : "?", code);
	/* The parent's bytes are its own; its writes now fault too (the child is gone: reuse). */
	for (long i = 0; i < COW_PAGES; i++)
		CHECK(page_holds(a, i, (char)('a' + i)), "the child's write reached page %ld", i);
	CHECK(resident(a, COW_PAGES) == COW_PAGES, "the parent's pages left memory");
	long before = minflt();
	for (long i = 0; i < COW_PAGES; i++)
		fill_page(a, i, 'p');
	long faults = minflt() - before;
	CHECK(faults >= COW_PAGES && faults <= COW_PAGES + SLACK_FAULTS,
	      "the parent's %d writes after fork cost %ld faults", COW_PAGES, faults);
	unmap_pages(a, COW_PAGES);
	return NULL;
}

/* Pages the parent never touched are not resident in the child; touching one there is local. */
static void untouched_child(long unused)
{
	(void)unused;
	if (resident(cow_area, COW_PAGES) != 1)
		sys(SYS_exit_group, 10);
	cow_area[5 * P] = 'c';
	if (resident(cow_area, COW_PAGES) != 2)
		sys(SYS_exit_group, 11);
	sys(SYS_exit_group, 0);
}

static const char *test_cow_untouched_not_shared(void)
{
	char *a = map_pages(COW_PAGES, PROT_READ | PROT_WRITE);
	CHECK(a, "mmap failed");
	a[0] = 'x';
	cow_area = a;
	long status = child_status(untouched_child, 0);
	CHECK(!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child %s (10: untouched pages resident, 11: its touch not counted)",
	      status_name(status));
	CHECK(resident(a, COW_PAGES) == 1, "the child's touch made a parent page resident");
	unmap_pages(a, COW_PAGES);
	return NULL;
}

/*
 * A fork storm: STORM_CHILDREN children at once, each forking a grandchild; every one
 * writes its own value to its own page and checks the others still hold the parent's.
 */
static int storm_member(long id)
{
	fill_page(cow_area, id % COW_PAGES, (char)(100 + id));
	for (long i = 0; i < COW_PAGES; i++) {
		char want = i == id % COW_PAGES ? (char)(100 + id) : (char)('a' + i);
		if (!page_holds(cow_area, i, want))
			return 1;
	}
	return 0;
}

static const char *test_cow_fork_storm(void)
{
	char *a = map_pages(COW_PAGES, PROT_READ | PROT_WRITE);
	long pids[STORM_CHILDREN];
	int failed = 0, spawned = 0;

	CHECK(a, "mmap failed");
	for (long i = 0; i < COW_PAGES; i++)
		fill_page(a, i, (char)('a' + i));
	cow_area = a;
	for (long c = 0; c < STORM_CHILDREN; c++) {
		long pid = sys(SYS_fork);
		if (pid == 0) {
			long grandchild = sys(SYS_fork);
			if (grandchild == 0)
				sys(SYS_exit_group, storm_member(STORM_CHILDREN + c));
			int mine = storm_member(c), status = 0;
			if (grandchild < 0 || sys(SYS_wait4, grandchild, &status, 0, NULL) != grandchild)
				sys(SYS_exit_group, 2);
			sys(SYS_exit_group, mine || !WIFEXITED(status) || WEXITSTATUS(status) ? 1 : 0);
		}
		if (pid < 0)
			break;
		pids[spawned++] = pid;
	}
	for (int c = 0; c < spawned; c++) {
		int status = 0;
		if (sys(SYS_wait4, pids[c], &status, 0, NULL) != pids[c] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	CHECK(spawned == STORM_CHILDREN, "fork failed after %d children", spawned);
	CHECK(failed == 0, "%d of %d children saw wrong bytes (or their grandchild did)", failed,
	      spawned);
	for (long i = 0; i < COW_PAGES; i++)
		CHECK(page_holds(a, i, (char)('a' + i)), "a child's write reached the parent's page %ld",
		      i);
	unmap_pages(a, COW_PAGES);
	return NULL;
}

/* A private file mapping and the heap: the parent's private copy is the child's until written. */
static void file_child(long unused)
{
	(void)unused;
	if (cow_area[0] != 'W' || cow_area[P] != (char)expected_byte(P))
		sys(SYS_exit_group, 10);
	cow_area[0] = 'C';
	cow_area[P] = 'C';
	long brk_now = sys(SYS_brk, 0);
	if (sys(SYS_brk, brk_now + 4 * P) != brk_now + 4 * P)
		sys(SYS_exit_group, 11);
	((volatile char *)brk_now)[P] = 'h';
	sys(SYS_exit_group, 0);
}

static const char *test_cow_private_file_and_heap(void)
{
	long fd = sys(SYS_open, DATA_FILE, O_RDONLY, 0);
	CHECK(fd >= 0, "open(%s) = %s", DATA_FILE, ret_name(fd));
	char *a = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, (int)fd, 0);
	sys(SYS_close, fd);
	CHECK(a != MAP_FAILED, "mmap of the file failed");
	a[0] = 'W';                           /* a private copy of page 0 */
	CHECK(a[P] == (char)expected_byte(P), "the file's page 1 reads wrong");
	long brk_before = sys(SYS_brk, 0);
	cow_area = a;
	long status = child_status(file_child, 0);
	CHECK(!is_err(status) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child %s (10: it saw wrong bytes, 11: its brk failed)", status_name(status));
	CHECK(a[0] == 'W' && a[P] == (char)expected_byte(P), "the child's writes reached the parent");
	CHECK(sys(SYS_brk, 0) == brk_before, "the child's brk moved the parent's break");
	munmap(a, 2 * P);
	return NULL;
}

const struct usertest cow_tests[] = {
	{"cow_fork_shares_counted", test_cow_fork_shares_counted, PORTABLE},
	{"cow_untouched_not_shared", test_cow_untouched_not_shared, PORTABLE},
	{"cow_fork_storm", test_cow_fork_storm, PORTABLE},
	{"cow_private_file_and_heap", test_cow_private_file_and_heap, PORTABLE},
	{ NULL, NULL, 0 },
};
