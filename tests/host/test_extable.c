/*
 * test_extable.c - suite "extable": extable_search (kernel/arch/x86_64/
 * extable.c), the look-up the #PF and #GP handlers make to learn whether a
 * faulting kernel instruction is a user copy's and where it continues.
 *
 * The kernel's own table has one entry today (arch_copy_user's rep movsb),
 * so these tests give the search tables of their own: empty, one entry,
 * every size up to 64 against a linear model, entries at the ends of the
 * address space (0, the kernel half, UINT64_MAX: comparisons must be
 * unsigned and never subtract), and a table of 2^28 entries (4 GiB of
 * address space, PROT_NONE) whose pages a SIGSEGV handler fills on first
 * touch and counts: a binary search touches about 28 pages, a linear one
 * would touch a million, and is stopped after PROBE_PAGES_MAX.
 * Invariants:
 *   [x] the search must return a pointer into the table given (the entry
 *       itself, not a copy), or NULL;
 *   [x] every test unmaps what it mapped and restores the SIGSEGV action.
 * Hosted code: may use libc and POSIX (mmap, sigaction, sigsetjmp).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel/arch/x86_64/extable.h"
#include "kernel/selftest.h"

#define SMALL_MAX 64
#define HUGE_ENTRIES (1ull << 28) /* 4 GiB of entries: never all touched */
#define PROBE_PAGES_MAX 64        /* log2(2^28) = 28 probes, plus slack */
#define HOST_PAGE 4096ull
#define PER_PAGE (HOST_PAGE / sizeof(struct extable_entry))

/* The insn of entry i of the tests' tables: sorted, gaps of 1-3 words. */
static uint64_t insn_of(uint64_t i)
{
	return 0xffff800000100000ull + i * 16 + (i % 3) * 4; /* no wrap for i < 2^40 */
}

/* Does search(t, n, rip) give exactly what a linear scan of t finds? */
static const char *agrees(const struct extable_entry *t, size_t n, uint64_t rip)
{
	const struct extable_entry *want = NULL;

	for (size_t i = 0; i < n; i++)
		if (t[i].insn == rip)
			want = &t[i];
	const struct extable_entry *got = extable_search(t, n, rip);
	CHECKF(got == want, "in a table of %zu entries, rip 0x%lx: got %s%zd, expected %s%zd", n,
	       (unsigned long)rip, got ? "entry " : "NULL ", got ? got - t : (ssize_t)0,
	       want ? "entry " : "NULL ", want ? want - t : (ssize_t)0);
	return NULL;
}

static const char *test_empty_and_one(void)
{
	struct extable_entry one = {.insn = 0xffffffff80101234ull, .fixup = 0xffffffff80101240ull};

	CHECKF(extable_search(NULL, 0, 0x1234) == NULL, "an empty table found an entry");
	CHECKF(extable_search(&one, 0, one.insn) == NULL,
	       "count 0: the entry past the end was looked at");
	CHECK(extable_search(&one, 1, one.insn) == &one);
	CHECK(extable_search(&one, 1, one.insn - 1) == NULL);
	CHECK(extable_search(&one, 1, one.insn + 1) == NULL);
	CHECK(extable_search(&one, 1, one.fixup) == NULL); /* a fixup is no faulting insn */
	return NULL;
}

/* Every size up to SMALL_MAX: each entry found (itself), each gap and both ends not. */
static const char *test_every_size(void)
{
	static struct extable_entry t[SMALL_MAX];

	for (size_t n = 1; n <= SMALL_MAX; n++) {
		for (size_t i = 0; i < n; i++)
			t[i] = (struct extable_entry){.insn = insn_of(i), .fixup = insn_of(i) + 2};
		for (size_t i = 0; i < n; i++) {
			CHECK_OK(agrees(t, n, t[i].insn));
			CHECK_OK(agrees(t, n, t[i].insn + 1));
			CHECK_OK(agrees(t, n, t[i].insn - 1));
		}
		CHECK_OK(agrees(t, n, 0));
		CHECK_OK(agrees(t, n, UINT64_MAX));
		CHECK_OK(agrees(t, n, insn_of(n))); /* just past the last entry */
	}
	return NULL;
}

/*
 * Addresses at the ends of the address space: a search that subtracts
 * addresses, or compares them as signed numbers (the kernel half is
 * negative as int64_t), goes the wrong way.
 */
static const char *test_extreme_addresses(void)
{
	static const uint64_t insns[] = {
		0, 1, 0x7fffffffffffull, 0x7fffffffffffffffull, 0x8000000000000000ull,
		0xffff800000000000ull, 0xffffffff80000000ull, UINT64_MAX - 1, UINT64_MAX,
	};
	enum { N = sizeof(insns) / sizeof(insns[0]) };
	struct extable_entry t[N];

	for (size_t i = 0; i < N; i++)
		t[i] = (struct extable_entry){.insn = insns[i], .fixup = i};
	for (size_t n = 1; n <= N; n++) {
		for (size_t i = 0; i < N; i++) {
			CHECK_OK(agrees(t, n, insns[i]));
			CHECK_OK(agrees(t, n, insns[i] + 0x10));
		}
		CHECK_OK(agrees(t + N - n, n, insns[0])); /* the last n entries */
		CHECK_OK(agrees(t + N - n, n, UINT64_MAX));
	}
	return NULL;
}

/* ---- A huge table filled on demand: counting the pages a search touches. ---- */

static struct extable_entry *huge;
static uint64_t huge_pages_touched;
static sigjmp_buf too_many;

static void fill_on_touch(int sig, siginfo_t *info, void *context)
{
	uintptr_t addr = (uintptr_t)info->si_addr, base = (uintptr_t)huge;
	(void)sig;
	(void)context;

	if (!huge || addr < base || addr >= base + HUGE_ENTRIES * sizeof(*huge)) {
		signal(SIGSEGV, SIG_DFL); /* a real crash: let it happen */
		return;
	}
	if (++huge_pages_touched > PROBE_PAGES_MAX)
		siglongjmp(too_many, 1);
	uintptr_t page = addr & ~(uintptr_t)(HOST_PAGE - 1);
	struct extable_entry *e = (struct extable_entry *)page;
	uint64_t first = (page - base) / sizeof(*huge);
	if (mprotect((void *)page, HOST_PAGE, PROT_READ | PROT_WRITE) != 0)
		_exit(3);
	for (uint64_t i = 0; i < PER_PAGE; i++)
		e[i] = (struct extable_entry){.insn = insn_of(first + i), .fixup = first + i};
	mprotect((void *)page, HOST_PAGE, PROT_READ);
}

/*
 * Search the huge table for rip: false if the search was stopped for
 * touching more than PROBE_PAGES_MAX pages not touched before, else true
 * with *found its answer.
 */
static bool search_counted(uint64_t rip, const struct extable_entry **found)
{
	huge_pages_touched = 0;
	if (sigsetjmp(too_many, 1) != 0)
		return false;
	*found = extable_search(huge, HUGE_ENTRIES, rip);
	return true;
}

static const char *test_logarithmic(void)
{
	struct sigaction sa = {.sa_sigaction = fill_on_touch, .sa_flags = SA_SIGINFO}, old;
	const char *why = NULL;

	huge = mmap(NULL, HUGE_ENTRIES * sizeof(*huge), PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECKF(huge != MAP_FAILED, "cannot reserve 4 GiB of address space for the table");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	static const uint64_t wanted[] = {0, 1, 12345, HUGE_ENTRIES / 2, HUGE_ENTRIES - 2,
					  HUGE_ENTRIES - 1};
	for (size_t k = 0; !why && k < sizeof(wanted) / sizeof(wanted[0]); k++) {
		const struct extable_entry *e = NULL;
		uint64_t rip = insn_of(wanted[k]);
		if (!search_counted(rip, &e))
			why = selftest_reason("looking up entry %lu of 2^28 touched more than %d "
					      "pages of the table: not a binary search",
					      (unsigned long)wanted[k], PROBE_PAGES_MAX);
		else if (e != huge + wanted[k])
			why = selftest_reason("entry %lu of 2^28 not found (got %s)",
					      (unsigned long)wanted[k], e ? "another entry" : "NULL");
		else if (!search_counted(rip + 1, &e))
			why = selftest_reason("looking up rip 0x%lx, just after entry %lu, touched "
					      "more than %d pages of the table: not a binary search",
					      (unsigned long)rip + 1, (unsigned long)wanted[k],
					      PROBE_PAGES_MAX);
		else if (e)
			why = selftest_reason("rip 0x%lx, just after entry %lu: found an entry, "
					      "expected NULL", (unsigned long)rip + 1,
					      (unsigned long)wanted[k]);
	}
	sigaction(SIGSEGV, &old, NULL);
	munmap(huge, HUGE_ENTRIES * sizeof(*huge));
	huge = NULL;
	return why;
}

static const struct selftest extable_tests[] = {
	{"empty_and_one", "no entries: NULL; one entry: found at its insn only", test_empty_and_one},
	{"every_size", "tables of 1-64 entries: each entry itself, gaps and ends NULL",
	 test_every_size},
	{"extreme_addresses", "insns at 0, the kernel half, UINT64_MAX: unsigned comparisons",
	 test_extreme_addresses},
	{"logarithmic", "a table of 2^28 entries: a look-up touches at most 64 of its pages",
	 test_logarithmic},
};

SELFTEST_SUITE(extable, extable_tests);
