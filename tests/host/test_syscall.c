/*
 * test_syscall.c - the system-call layer's pure parts on the host: suites
 * "syscall_names" (Linux's table: complete, sorted, names right),
 * "syscall_iovec" (writev's vector checks in Linux's order), "syscall_path"
 * (path reduction for open), "syscall_sigmask" (rt_sigprocmask's rules) and
 * "rtc_time" (CMOS decoding and dates to Unix time, checked against libc's
 * timegm over every day from 1970 to 2400 and random times).
 * The handlers themselves need a process: the user programs test them
 * (user/usertests/), and tests/kernel/test_syscall.c what needs none.
 * Hosted code: may use libc.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "drivers/rtc_time.h"
#include "kernel/selftest.h"
#include "kernel/syscall/iovec.h"
#include "kernel/syscall/path.h"
#include "kernel/syscall/sigmask.h"
#include "kernel/syscall/syscall_list.h"
#include "kernel/syscall/syscall_names.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/uapi.h"
#include "user/include/pagoda/ipc_abi.h"

/* ---- syscall_names ---- */

static const char *test_names_sorted(void)
{
	size_t n = syscall_name_count();

	CHECKF(n == 362, "%zu rows, Linux 6.1 has 362 x86-64 system calls", n);
	for (size_t i = 0; i + 1 < n; i++)
		CHECKF(syscall_name_at(i)->nr < syscall_name_at(i + 1)->nr,
		       "row %zu (%u %s) is not below row %zu (%u %s)", i, syscall_name_at(i)->nr,
		       syscall_name_at(i)->name, i + 1, syscall_name_at(i + 1)->nr,
		       syscall_name_at(i + 1)->name);
	CHECK(syscall_name_at(n) == NULL);
	return NULL;
}

static const char *test_names_complete(void)
{
	for (uint64_t nr = 0; nr < 600; nr++) {
		bool assigned = nr <= SYSCALL_LINUX_LAST_LEGACY ||
				(nr >= SYSCALL_LINUX_FIRST_NEW && nr <= SYSCALL_LINUX_LAST);
		const char *name = syscall_name(nr);
		CHECKF(assigned == (name != NULL), "number %lu: name %s", (unsigned long)nr,
		       name ? name : "(none)");
		CHECKF(!name || name[0], "number %lu has an empty name", (unsigned long)nr);
	}
	CHECK(syscall_name(UINT64_MAX) == NULL);
	return NULL;
}

static const char *test_names_known(void)
{
	static const struct syscall_name known[] = {
		{0, "read"}, {1, "write"}, {9, "mmap"}, {12, "brk"}, {13, "rt_sigaction"},
		{20, "writev"}, {39, "getpid"}, {60, "exit"}, {63, "uname"}, {110, "getppid"},
		{156, "_sysctl"}, {158, "arch_prctl"}, {186, "gettid"}, {202, "futex"},
		{218, "set_tid_address"}, {228, "clock_gettime"}, {231, "exit_group"},
		{257, "openat"}, {262, "newfstatat"}, {302, "prlimit64"}, {318, "getrandom"},
		{332, "statx"}, {334, "rseq"}, {424, "pidfd_send_signal"}, {435, "clone3"},
		{439, "faccessat2"}, {450, "set_mempolicy_home_node"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const char *name = syscall_name(known[i].nr);
		CHECKF(name && strcmp(name, known[i].name) == 0, "%u is %s, expected %s",
		       known[i].nr, name ? name : "(none)", known[i].name);
	}
	/* Pagoda's own numbers have names too (`run -t`), each its own. */
	CHECK(strcmp(syscall_name(SYS_ipc_call), "ipc_call") == 0);
	for (uint64_t nr = PAGODA_SYS_BASE; nr <= PAGODA_SYS_LAST; nr++)
		CHECKF(syscall_name(nr) && syscall_name(nr)[0], "Pagoda call %lu has no name",
		       (unsigned long)nr);
	CHECK(syscall_name(PAGODA_SYS_LAST + 1) == NULL);
	/* The enum and the table agree (both come from one list). */
	CHECK(SYS_getppid == 110 && SYS_openat == 257 && SYS_rseq == 334 && SYS_clone3 == 435);
	return NULL;
}

/* ---- syscall_iovec ---- */

#define FAKE_TOP 0x7ffffffff000ull

static bool fake_range_ok(virt_addr_t va, size_t n)
{
	return n <= FAKE_TOP && va <= FAKE_TOP - n;
}

static const char *test_iovec_ok(void)
{
	struct linux_iovec iov[3] = {{0x1000, 10}, {0, 0}, {0x2000, 5}};

	CHECK(iovec_check(iov, 3, fake_range_ok) == 15);
	CHECK(iov[0].iov_len == 10 && iov[2].iov_len == 5);
	CHECK(iovec_check(iov, 0, fake_range_ok) == 0);
	struct linux_iovec edge = {FAKE_TOP - 16, 16}; /* ends exactly at the top */
	CHECK(iovec_check(&edge, 1, fake_range_ok) == 16);
	struct linux_iovec null_empty = {0, 0};        /* NULL with length 0 is fine */
	CHECK(iovec_check(&null_empty, 1, fake_range_ok) == 0);
	return NULL;
}

static const char *test_iovec_errors(void)
{
	struct linux_iovec bad_range[2] = {{0x1000, 10}, {FAKE_TOP - 4, 8}};
	CHECK(iovec_check(bad_range, 2, fake_range_ok) == -EFAULT);
	struct linux_iovec kernel[1] = {{0xffff800000000000ull, 1}};
	CHECK(iovec_check(kernel, 1, fake_range_ok) == -EFAULT);
	struct linux_iovec wraps[1] = {{0x1000, UINT64_MAX / 2}};
	CHECK(iovec_check(wraps, 1, fake_range_ok) == -EFAULT);
	/* Negative length: -EINVAL, even after a segment that is -EFAULT (Linux's order). */
	struct linux_iovec both[2] = {{0xffff800000000000ull, 1}, {0x1000, (uint64_t)-1}};
	CHECK(iovec_check(both, 2, fake_range_ok) == -EINVAL);
	struct linux_iovec top_bit[1] = {{0x1000, 1ull << 63}};
	CHECK(iovec_check(top_bit, 1, fake_range_ok) == -EINVAL);
	return NULL;
}

static const char *test_iovec_cap(void)
{
	struct linux_iovec iov[3] = {
		{0x1000, IOVEC_MAX_RW_COUNT - 100}, {0x100000000ull, 1000}, {0x200000000ull, 50}};

	CHECK(iovec_check(iov, 3, fake_range_ok) == (long)IOVEC_MAX_RW_COUNT);
	CHECK(iov[0].iov_len == IOVEC_MAX_RW_COUNT - 100);
	CHECKF(iov[1].iov_len == 100, "the crossing segment is %lu bytes, not 100",
	       (unsigned long)iov[1].iov_len);
	CHECK(iov[2].iov_len == 0);
	return NULL;
}

/* ---- syscall_path ---- */

static const char *expect_path(const char *in, int ret, const char *out, bool trailing)
{
	char buf[64];
	struct path_info info = {false};
	int got = path_normalize(in, buf, sizeof(buf), &info);

	CHECKF(got == ret, "\"%s\": %s, expected %s", in, errno_name(got), errno_name(ret));
	if (ret == 0) {
		CHECKF(strcmp(buf, out) == 0, "\"%s\" -> \"%s\", expected \"%s\"", in, buf, out);
		CHECKF(info.trailing_slash == trailing, "\"%s\": trailing slash %d", in,
		       info.trailing_slash);
	}
	return NULL;
}

static const char *test_path_forms(void)
{
	CHECK_OK(expect_path("hello", 0, "hello", false));
	CHECK_OK(expect_path("/hello", 0, "hello", false));
	CHECK_OK(expect_path("./hello", 0, "hello", false));
	CHECK_OK(expect_path("//./hello", 0, "hello", false));
	CHECK_OK(expect_path("dir/file", 0, "dir/file", false));
	CHECK_OK(expect_path("dir//file/", 0, "dir/file", true));
	CHECK_OK(expect_path("dir/../hello", 0, "hello", false));
	CHECK_OK(expect_path("/../../hello", 0, "hello", false));
	CHECK_OK(expect_path("a/b/c/../../d", 0, "a/d", false));
	CHECK_OK(expect_path("/", 0, "", true));
	CHECK_OK(expect_path(".", 0, "", true));
	CHECK_OK(expect_path("dir/..", 0, "", true));
	CHECK_OK(expect_path("hello/.", 0, "hello", true));
	CHECK_OK(expect_path("...", 0, "...", false)); /* a name, not "." or ".." */
	CHECK_OK(expect_path("", -ENOENT, "", false));
	return NULL;
}

static const char *test_path_limits(void)
{
	char name[300], buf[512];

	memset(name, 'x', sizeof(name));
	name[PATH_NAME_MAX] = '\0';
	CHECK(path_normalize(name, buf, sizeof(buf), NULL) == 0); /* 255: the limit */
	name[PATH_NAME_MAX] = 'x';
	name[PATH_NAME_MAX + 1] = '\0';
	CHECK(path_normalize(name, buf, sizeof(buf), NULL) == -ENAMETOOLONG);
	char small[4];
	CHECK(path_normalize("abc", small, sizeof(small), NULL) == 0);
	CHECK(path_normalize("abcd", small, sizeof(small), NULL) == -ENAMETOOLONG);
	CHECK(path_normalize("ab/c", small, sizeof(small), NULL) == -ENAMETOOLONG);
	CHECK(path_normalize("ab/../c", small, sizeof(small), NULL) == 0 && strcmp(small, "c") == 0);
	return NULL;
}

/* ---- syscall_sigmask ---- */

static const char *test_sigmask_how(void)
{
	uint64_t mask = 0;

	CHECK(sigmask_update(&mask, SIG_BLOCK, SIGMASK_BIT(SIGINT) | SIGMASK_BIT(SIGTERM)) == 0);
	CHECK(mask == (SIGMASK_BIT(SIGINT) | SIGMASK_BIT(SIGTERM)));
	CHECK(sigmask_update(&mask, SIG_UNBLOCK, SIGMASK_BIT(SIGINT)) == 0);
	CHECK(mask == SIGMASK_BIT(SIGTERM));
	CHECK(sigmask_update(&mask, SIG_SETMASK, SIGMASK_BIT(SIGUSR1)) == 0);
	CHECK(mask == SIGMASK_BIT(SIGUSR1));
	CHECK(sigmask_update(&mask, 3, ~0ull) == -EINVAL);
	CHECK(sigmask_update(&mask, -1, ~0ull) == -EINVAL);
	CHECK(mask == SIGMASK_BIT(SIGUSR1)); /* unchanged by the refusals */
	return NULL;
}

static const char *test_sigmask_unblockable(void)
{
	uint64_t mask = 0;

	CHECK(sigmask_update(&mask, SIG_SETMASK, ~0ull) == 0);
	CHECK(mask == ~SIGMASK_UNBLOCKABLE);
	CHECK(!(mask & SIGMASK_BIT(SIGKILL)) && !(mask & SIGMASK_BIT(SIGSTOP)));
	CHECK(sigaction_signal_ok(SIGINT, true) && sigaction_signal_ok(64, true));
	CHECK(!sigaction_signal_ok(SIGKILL, true) && sigaction_signal_ok(SIGKILL, false));
	CHECK(!sigaction_signal_ok(SIGSTOP, true));
	CHECK(!sigaction_signal_ok(0, false) && !sigaction_signal_ok(65, false));
	CHECK(!sigaction_signal_ok(-1, false));
	return NULL;
}

/* ---- rtc_time ---- */

static const char *test_rtc_bcd(void)
{
	CHECK(rtc_bcd_to_binary(0x00) == 0 && rtc_bcd_to_binary(0x59) == 59);
	CHECK(rtc_bcd_to_binary(0x99) == 99 && rtc_bcd_to_binary(0x1a) == 0xff);
	CHECK(rtc_bcd_to_binary(0xa0) == 0xff);
	CHECK(rtc_hour_from_12(12, false) == 0 && rtc_hour_from_12(12, true) == 12);
	CHECK(rtc_hour_from_12(1, false) == 1 && rtc_hour_from_12(1, true) == 13);
	CHECK(rtc_hour_from_12(11, true) == 23);
	CHECK(rtc_hour_from_12(0, false) == 0xff && rtc_hour_from_12(13, true) == 0xff);
	return NULL;
}

static const char *test_rtc_known_dates(void)
{
	struct rtc_date epoch = {1970, 1, 1, 0, 0, 0};
	struct rtc_date y2k = {2000, 1, 1, 0, 0, 0};
	struct rtc_date leap = {2024, 2, 29, 12, 34, 56};
	struct rtc_date y2038 = {2038, 1, 19, 3, 14, 8};

	CHECK(rtc_date_to_unix(&epoch) == 0);
	CHECK(rtc_date_to_unix(&y2k) == 946684800);
	CHECK(rtc_date_to_unix(&leap) == 1709210096);
	CHECK(rtc_date_to_unix(&y2038) == 2147483648ll);
	struct rtc_date bad[] = {
		{2023, 2, 29, 0, 0, 0}, {1900, 2, 29, 0, 0, 0}, {2024, 13, 1, 0, 0, 0},
		{2024, 4, 31, 0, 0, 0}, {2024, 1, 0, 0, 0, 0}, {2024, 1, 1, 24, 0, 0},
		{2024, 1, 1, 0, 60, 0}, {2024, 1, 1, 0, 0, 60}, {1969, 12, 31, 23, 59, 59},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(rtc_date_to_unix(&bad[i]) == -1, "%u-%u-%u %u:%u:%u accepted", bad[i].year,
		       bad[i].month, bad[i].day, bad[i].hour, bad[i].minute, bad[i].second);
	struct rtc_date leap2000 = {2000, 2, 29, 0, 0, 0};
	CHECK(rtc_date_valid(&leap2000));
	return NULL;
}

static const char *test_rtc_against_libc(void)
{
	uint64_t rng = 0x5eed15;

	for (unsigned year = 1970; year < 2400; year++)
		for (unsigned month = 1; month <= 12; month++)
			for (unsigned day = 1; day <= rtc_days_in_month(year, month); day++) {
				struct rtc_date d = {year, month, day,
						     (unsigned)random_below(&rng, 24),
						     (unsigned)random_below(&rng, 60),
						     (unsigned)random_below(&rng, 60)};
				struct tm tm = {.tm_year = (int)year - 1900,
						.tm_mon = (int)month - 1,
						.tm_mday = (int)day,
						.tm_hour = (int)d.hour,
						.tm_min = (int)d.minute,
						.tm_sec = (int)d.second};
				int64_t want = (int64_t)timegm(&tm);
				CHECKF(rtc_date_to_unix(&d) == want,
				       "%u-%02u-%02u %02u:%02u:%02u: %lld, libc says %lld", year,
				       month, day, d.hour, d.minute, d.second,
				       (long long)rtc_date_to_unix(&d), (long long)want);
			}
	return NULL;
}

static const struct selftest syscall_names_tests[] = {
	{"sorted", "362 rows, strictly ascending by number", test_names_sorted},
	{"complete", "0..334 and 424..450 named, 335..423 and beyond not", test_names_complete},
	{"known", "spot checks against Linux's syscall_64.tbl; SYS_* agree", test_names_known},
};
SELFTEST_SUITE(syscall_names, syscall_names_tests);

static const struct selftest syscall_iovec_tests[] = {
	{"ok", "valid vectors total their lengths; empty and edge segments", test_iovec_ok},
	{"errors", "out of range -EFAULT; negative length -EINVAL first", test_iovec_errors},
	{"cap", "the total is capped at MAX_RW_COUNT by shortening segments", test_iovec_cap},
};
SELFTEST_SUITE(syscall_iovec, syscall_iovec_tests);

static const struct selftest syscall_path_tests[] = {
	{"forms", "/, ./, //, .., trailing slash reduce to the initrd's names", test_path_forms},
	{"limits", "a 256-byte component or a small buffer is -ENAMETOOLONG", test_path_limits},
};
SELFTEST_SUITE(syscall_path, syscall_path_tests);

static const struct selftest syscall_sigmask_tests[] = {
	{"how", "SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK; bad how -EINVAL, mask kept",
	 test_sigmask_how},
	{"unblockable", "SIGKILL and SIGSTOP never masked nor given an action",
	 test_sigmask_unblockable},
};
SELFTEST_SUITE(syscall_sigmask, syscall_sigmask_tests);

static const struct selftest rtc_time_tests[] = {
	{"bcd", "BCD bytes and 12-hour hours decode; invalid ones give 0xff", test_rtc_bcd},
	{"known_dates", "epoch, Y2K, a leap day, 2^31; invalid dates -1", test_rtc_known_dates},
	{"against_libc", "every day 1970..2399 at a random time equals timegm",
	 test_rtc_against_libc},
};
SELFTEST_SUITE(rtc_time, rtc_time_tests);
