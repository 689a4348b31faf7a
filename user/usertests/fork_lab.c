/*
 * fork_lab.c - usertests of lab 7 (docs/labs/lab7-fork.md): what fork does
 * to memory, seen from processes. A chain of generations, each forked by
 * the one before, each writing its own page of an area and checking that
 * it sees exactly its ancestors' bytes and that its descendants' writes
 * never reach it; and a child's resident pages at exit, as its parent's
 * wait4 reports them (ru_maxrss: Pagoda counts the pages the teardown
 * released, Linux the peak).
 *
 * Invariants:
 *   [x] every child is reaped before a test returns; the test's area is
 *       unmapped when it passes;
 *   [x] a child reports through its exit status only (0, or a code the
 *       test's message explains).
 * Context: the usertests program (usertests.h); both tests are PORTABLE.
 */
#include "usertests.h"

#define CHAIN_GENERATIONS 6 /* processes in the chain, each the child of the one before */
#define CHAIN_PAGES 8       /* > CHAIN_GENERATIONS: the last pages nobody writes */
#define RSS_PAGES 64l       /* pages the child of forklab_exit_rss touches */

static volatile char *chain_area;

/* What generation g must see: its ancestors' pages written, its own page too once
 * written (own), every later page as the test process filled it. */
static int chain_view_ok(int g, int own)
{
	for (long i = 0; i < CHAIN_PAGES; i++) {
		char want = i < g || (i == g && own) ? (char)('A' + i) : 'z';
		if (!page_holds(chain_area, i, want))
			return 0;
	}
	return 1;
}

/*
 * Generation g: check the view inherited, write page g, fork generation g + 1
 * and wait for it, then check that nothing it wrote reached this process.
 * Exit code: 0, or 1 + 4 * g + what failed (0 inherited view, 1 fork or
 * wait4, 2 the view after the descendants ran); a descendant's nonzero code is
 * passed up as it is.
 */
static int chain_member(int g)
{
	if (!chain_view_ok(g, 0))
		return 1 + 4 * g;
	fill_page(chain_area, g, (char)('A' + g));
	if (g + 1 < CHAIN_GENERATIONS) {
		long pid = sys(SYS_fork);
		if (pid == 0)
			sys(SYS_exit_group, chain_member(g + 1));
		int status = 0;
		if (pid < 0 || sys(SYS_wait4, pid, &status, 0, NULL) != pid || !WIFEXITED(status))
			return 2 + 4 * g;
		if (WEXITSTATUS(status) != 0)
			return WEXITSTATUS(status);
	}
	return chain_view_ok(g, 1) ? 0 : 3 + 4 * g;
}

static const char *const chain_why[] = {
	"did not see its ancestors' bytes (or saw a later generation's)",
	"could not fork the next generation or reap it",
	"saw a descendant's write after it exited",
};

static const char *test_forklab_chain(void)
{
	char *a = map_pages(CHAIN_PAGES, PROT_READ | PROT_WRITE);

	CHECK(a, "mmap failed");
	chain_area = a;
	for (long i = 0; i < CHAIN_PAGES; i++)
		fill_page(chain_area, i, 'z');
	long pid = sys(SYS_fork);
	if (pid == 0)
		sys(SYS_exit_group, chain_member(0));
	CHECK(pid > 0, "fork = %s", ret_name(pid));
	int status = 0;
	CHECK(sys(SYS_wait4, pid, &status, 0, NULL) == pid && WIFEXITED(status),
	      "the first generation %s", status_name(status));
	int code = WEXITSTATUS(status);
	CHECK(code == 0, "generation %d %s (exit status %d)", (code - 1) / 4,
	      code >= 1 && code <= 4 * CHAIN_GENERATIONS && (code - 1) % 4 < 3 ?
		      chain_why[(code - 1) % 4] : "?",
	      code);
	for (long i = 0; i < CHAIN_PAGES; i++)
		CHECK(page_holds(chain_area, i, 'z'), "a generation's write reached the test's page %ld",
		      i);
	unmap_pages(a, CHAIN_PAGES);
	return NULL;
}

/* A child that maps and touches RSS_PAGES pages, then exits with them mapped. */
static const char *test_forklab_exit_rss(void)
{
	long pid = sys(SYS_fork);

	if (pid == 0) {
		char *a = map_pages(RSS_PAGES, PROT_READ | PROT_WRITE);
		if (!a)
			sys(SYS_exit_group, 1);
		for (long i = 0; i < RSS_PAGES; i++)
			a[i * P] = (char)i;
		sys(SYS_exit_group, 0);
	}
	CHECK(pid > 0, "fork = %s", ret_name(pid));
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	CHECK(sys(SYS_wait4, pid, &status, 0, &ru) == pid, "wait4 failed");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child %s (1: mmap failed)",
	      status_name(status));
	CHECK(ru.ru_maxrss >= RSS_PAGES * (P / 1024),
	      "wait4 says the child's resident set was %ld KiB; it touched %ld pages (%ld KiB)",
	      (long)ru.ru_maxrss, RSS_PAGES, RSS_PAGES * (P / 1024));
	return NULL;
}

const struct usertest fork_lab_tests[] = {
	{"forklab_chain", test_forklab_chain, PORTABLE},
	{"forklab_exit_rss", test_forklab_exit_rss, PORTABLE},
	{ NULL, NULL, 0 },
};
