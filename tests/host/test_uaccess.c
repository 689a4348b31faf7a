/*
 * test_uaccess.c - suite "uaccess": copy_from_user, copy_to_user,
 * strncpy_from_user and user_range_ok (mm/uaccess.c) over simulated user
 * memory. The simulated arch_copy_user (tests/host/uaccess_host.c) walks
 * the current space page by page and passes what the CPU would fault on to
 * fault_handle(), so the copies here take real demand-zero, copy-on-write
 * and stack-growth faults, and end at real violations.
 *
 * Covered: the range arithmetic (USER_TOP, wrap-around, n == 0); copies
 * into untouched memory (demand-zero), below the stack (growth) and into a
 * private file page still mapped from the initrd (a copy on write); kernel
 * addresses (refused before any access: no fault taken); unmapped pages;
 * a range straddling the end of a mapping (the prefix copied, -EFAULT);
 * read-only pages for writes; PROT_NONE pages that are still mapped, and
 * a range meeting one past other regions (refused before any byte moves);
 * strings: normal, empty, exactly fitting, one too long, without a NUL
 * before an unmapped page, with a NUL just before one, at USER_TOP.
 * Every test ends with the space destroyed and every frame back.
 * Hosted code: may use libc, but uses only mm/ here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"
#include "tests/host/uaccess_host.h"

#define RW (PROT_READ | PROT_WRITE)
#define BASE 0x600000ull /* the tests' user mappings */

static struct user_space us;

#define BEGIN() CHECK_OK(host_user_begin(&us))
#define END() return host_user_end(&us)

static uint8_t *bytes_at(virt_addr_t va)
{
	struct paging_translation t;

	if (paging_translate(&us.as, va, &t) != 0)
		return NULL;
	return phys_to_virt(t.pa);
}

/* Put s (with its NUL) at user address va, through the space (faults resolved). */
static const char *put_string(virt_addr_t va, const char *s, size_t n)
{
	CHECKF(user_space_write(&us, va, s, n) == 0, "cannot write the test string at 0x%lx", va);
	return NULL;
}

static const char *test_range_ok(void)
{
	CHECK(user_range_ok(0, 0) && user_range_ok(0, USER_TOP));
	CHECK(user_range_ok(USER_TOP - 1, 1) && user_range_ok(USER_TOP, 0));
	CHECK(!user_range_ok(USER_TOP - 1, 2) && !user_range_ok(USER_TOP, 1));
	CHECK(!user_range_ok(0, USER_TOP + 1));
	CHECK(!user_range_ok(USER_HALF_END, 1) && !user_range_ok(KERNEL_VMA, 8));
	CHECK(!user_range_ok(0x1000, ~(size_t)0) && !user_range_ok(~0ull - 3, 8)); /* wrap */
	return NULL;
}

static const char *test_copy_demand_zero(void)
{
	BEGIN();
	CHECK(user_map_anon(&us, BASE, 4 * PAGE_SIZE, RW, "buf") == 0);
	char out[3 * PAGE_SIZE];
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 13);
	/* Straddles three untouched pages: three demand-zero faults during the copy. */
	CHECK(copy_to_user(BASE + 100, out, sizeof(out) - 200) == 0);
	CHECKF(host_copy_faults == 3 && host_copy_violations == 0,
	       "the copy took %lu faults (%lu violations), expected 3 demand-zero",
	       host_copy_faults, host_copy_violations);
	CHECK(user_space_resident(&us) == 3);
	char back[sizeof(out)];
	memset(back, 0x55, sizeof(back));
	CHECK(copy_from_user(back, BASE + 100, sizeof(out) - 200) == 0);
	CHECK(memcmp(back, out, sizeof(out) - 200) == 0);
	/* Reading an untouched page reads zeroes (and maps it). */
	CHECK(copy_from_user(back, BASE + 3 * PAGE_SIZE, 64) == 0);
	for (int i = 0; i < 64; i++)
		CHECK(back[i] == 0);
	CHECK(copy_to_user(BASE, out, 0) == 0 && copy_from_user(back, BASE, 0) == 0);
	END();
}

static const char *test_copy_grows_stack(void)
{
	BEGIN();
	CHECK(user_map_stack(&us, USER_STACK_TOP, PAGE_SIZE, 8 * PAGE_SIZE) == 0);
	uint64_t value = 0x1122334455667788ull;
	virt_addr_t below = USER_STACK_TOP - 3 * PAGE_SIZE - 4; /* straddles two pages */
	CHECK(copy_to_user(below, &value, sizeof(value)) == 0);
	const struct region *stack = region_find(&us.regions, below);
	CHECK(stack && stack->start == USER_STACK_TOP - 4 * PAGE_SIZE);
	uint64_t back = 0;
	CHECK(copy_from_user(&back, below, sizeof(back)) == 0 && back == value);
	/* Past the growth limit: the guard. */
	CHECK(copy_to_user(USER_STACK_TOP - 9 * PAGE_SIZE, &value, 8) == -EFAULT);
	END();
}

/* A copy into a private file page that is mapped read-only (the initrd's frame) copies it first. */
static const char *test_copy_to_private_file_page(void)
{
	BEGIN();
	struct user_file f = {.phys = HOST_INITRD_PHYS, .size = 2 * PAGE_SIZE, .name = "f"};
	long a = user_mmap(&us, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE, &f, 0);
	CHECK(a > 0);
	char byte;
	CHECK(copy_from_user(&byte, a + 5, 1) == 0 && (uint8_t)byte == host_initrd_byte(5));
	struct paging_translation t;
	CHECK(paging_translate(&us.as, a, &t) == 0 && (t.pa & ~(PAGE_SIZE - 1)) == HOST_INITRD_PHYS);
	CHECK(!(t.flags & MAP_WRITE)); /* the initrd's own frame, read-only */
	uint64_t faults = host_copy_faults;
	CHECK(copy_to_user(a + 5, "Z", 1) == 0);
	CHECKF(host_copy_faults == faults + 1, "the write took %lu faults, expected 1 (the copy)",
	       host_copy_faults - faults);
	CHECK(paging_translate(&us.as, a, &t) == 0 && (t.pa & ~(PAGE_SIZE - 1)) != HOST_INITRD_PHYS);
	CHECK(bytes_at(a + 5)[0] == 'Z' && bytes_at(a + 6)[0] == host_initrd_byte(6));
	END(); /* checks the initrd's bytes are as they were */
}

static const char *test_copy_bad_addresses(void)
{
	BEGIN();
	CHECK(user_map_anon(&us, BASE, 2 * PAGE_SIZE, RW, "buf") == 0);
	char buf[256];
	memset(buf, 'k', sizeof(buf));
	/* Kernel addresses, wrap-around: refused before any access. */
	static const virt_addr_t kernel[] = {KERNEL_VMA, DIRECT_MAP_BASE, USER_HALF_END,
					     USER_TOP, ~0ull - 7};
	for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
		CHECKF(copy_from_user(buf, kernel[i], 8) == -EFAULT &&
			       copy_to_user(kernel[i], buf, 8) == -EFAULT,
		       "a copy at 0x%lx was not refused", kernel[i]);
	}
	CHECK(copy_to_user(USER_TOP - 4, buf, 8) == -EFAULT);
	CHECK(host_copy_faults == 0); /* nothing reached the copy */
	/* NULL and unmapped pages: -EFAULT through a violation. */
	CHECK(copy_from_user(buf, 0, 8) == -EFAULT);
	CHECK(copy_to_user(BASE + 10 * PAGE_SIZE, buf, 8) == -EFAULT);
	CHECK(host_copy_violations == 2);
	/* Straddling the end of the mapping: the prefix is copied, then -EFAULT. */
	memset(buf, 'z', sizeof(buf));
	CHECK(copy_to_user(BASE + 2 * PAGE_SIZE - 100, buf, 200) == -EFAULT);
	CHECK(bytes_at(BASE + 2 * PAGE_SIZE - 100)[0] == 'z' &&
	      bytes_at(BASE + 2 * PAGE_SIZE - 1)[0] == 'z');
	memset(buf, 0, sizeof(buf));
	CHECK(copy_from_user(buf, BASE + 2 * PAGE_SIZE - 100, 200) == -EFAULT);
	CHECK(buf[0] == 'z' && buf[99] == 'z');
	END();
}

static const char *test_copy_protections(void)
{
	BEGIN();
	CHECK(user_map_anon(&us, BASE, PAGE_SIZE, PROT_READ, "ro") == 0);
	char buf[16] = "abc";
	CHECK(copy_from_user(buf, BASE, sizeof(buf)) == 0 && buf[0] == 0); /* zero page */
	CHECK(copy_to_user(BASE, "x", 1) == -EFAULT);
	/* PROT_NONE over a page that stays mapped: no copy either way. */
	long a = user_mmap(&us, BASE + 4 * PAGE_SIZE, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS |
			   MAP_FIXED, NULL, 0);
	CHECK(a == (long)(BASE + 4 * PAGE_SIZE));
	CHECK(copy_to_user(a, "secret", 7) == 0);
	CHECK(user_mprotect(&us, a, PAGE_SIZE, PROT_NONE) == 0);
	CHECK(bytes_at(a) != NULL); /* still mapped, for the kernel only */
	CHECK(copy_from_user(buf, a, 7) == -EFAULT && copy_to_user(a, "x", 1) == -EFAULT);
	CHECK(copy_from_user(buf, a - 8, 16) == -EFAULT); /* reaching into it */
	CHECK(user_mprotect(&us, a, PAGE_SIZE, PROT_READ) == 0);
	CHECK(copy_from_user(buf, a, 7) == 0 && strcmp(buf, "secret") == 0);
	END();
}

/*
 * A range that meets a PROT_NONE region anywhere is refused before any
 * byte moves: no fault taken, not even the prefix in the regions before it
 * copied. Regions around it, and holes (the fault path decides there), are
 * not refused.
 */
static const char *test_prot_none_refused_first(void)
{
	BEGIN();
	/* Five regions: RW, R, RW (named apart), NONE (mapped, holding a secret), RW. */
	CHECK(user_map_anon(&us, BASE, 3 * PAGE_SIZE, RW, "a") == 0);
	CHECK(user_map_anon(&us, BASE + 3 * PAGE_SIZE, PAGE_SIZE, PROT_READ, "b") == 0);
	CHECK(user_map_anon(&us, BASE + 4 * PAGE_SIZE, PAGE_SIZE, RW, "c") == 0);
	CHECK(user_map_anon(&us, BASE + 5 * PAGE_SIZE, PAGE_SIZE, RW, "d") == 0);
	CHECK(user_map_anon(&us, BASE + 6 * PAGE_SIZE, PAGE_SIZE, RW, "e") == 0);
	virt_addr_t none = BASE + 5 * PAGE_SIZE;
	CHECK(copy_to_user(none, "secret", 7) == 0);
	CHECK(copy_to_user(BASE, "prefix", 7) == 0);
	CHECK(user_mprotect(&us, none, PAGE_SIZE, PROT_NONE) == 0);
	CHECK(bytes_at(none) != NULL); /* still mapped, for the kernel only */
	uint64_t faults = host_copy_faults;
	char buf[6 * PAGE_SIZE];
	memset(buf, '.', sizeof(buf));
	/* From the first region's start across four regions into the PROT_NONE one. */
	CHECKF(copy_from_user(buf, BASE, 5 * PAGE_SIZE + 7) == -EFAULT,
	       "a read reaching a PROT_NONE region 5 pages on was not refused");
	CHECKF(buf[0] == '.', "the refused read copied its prefix (\"%.6s\"): check the regions "
	       "before copying", buf);
	CHECK(copy_from_user(buf, none - 1, 2) == -EFAULT && buf[0] == '.');
	CHECK(copy_from_user(buf, none + PAGE_SIZE - 1, 2) == -EFAULT);
	CHECK(copy_to_user(BASE + 4 * PAGE_SIZE, buf, 2 * PAGE_SIZE) == -EFAULT);
	CHECK(bytes_at(BASE + 4 * PAGE_SIZE) == NULL); /* not even faulted in */
	CHECKF(host_copy_faults == faults, "refused copies took %lu faults, expected none",
	       host_copy_faults - faults);
	/* Around it: allowed. Region after region up to it, and the one after it. */
	CHECK(copy_from_user(buf, BASE, 5 * PAGE_SIZE) == 0 && memcmp(buf, "prefix", 7) == 0);
	CHECK(copy_to_user(none + PAGE_SIZE, "after", 6) == 0);
	/* A hole is no refusal: the copy faults there (a violation), after the prefix. */
	memset(buf, '.', sizeof(buf));
	CHECK(copy_from_user(buf, BASE + 7 * PAGE_SIZE - 3, 6) == -EFAULT);
	CHECKF(host_copy_violations == 1, "a copy running into a hole took %lu violations, "
	       "expected 1 (it must reach the copy, not be refused)", host_copy_violations);
	END();
}

static const char *test_strncpy(void)
{
	BEGIN();
	CHECK(user_map_anon(&us, BASE, 2 * PAGE_SIZE, RW, "strings") == 0);
	char dst[16];
	CHECK_OK(put_string(BASE, "hello", 6));
	CHECK(strncpy_from_user(dst, BASE, sizeof(dst)) == 5 && strcmp(dst, "hello") == 0);
	CHECK_OK(put_string(BASE + 64, "", 1));
	CHECK(strncpy_from_user(dst, BASE + 64, sizeof(dst)) == 0 && dst[0] == 0);
	/* Exactly fitting: 15 characters and the NUL in 16 bytes. */
	CHECK_OK(put_string(BASE + 128, "fifteen-chars!!", 16));
	CHECK(strncpy_from_user(dst, BASE + 128, 16) == 15 && strcmp(dst, "fifteen-chars!!") == 0);
	/* One too long: -ENAMETOOLONG, dst still a string. */
	CHECK_OK(put_string(BASE + 192, "sixteen-chars!!!", 17));
	CHECK(strncpy_from_user(dst, BASE + 192, 16) == -ENAMETOOLONG && strlen(dst) == 15);
	CHECK(strncpy_from_user(dst, BASE, 0) == -ENAMETOOLONG);
	/* The NUL is the last byte of the mapping: fine, the page after is never read. */
	virt_addr_t end = BASE + 2 * PAGE_SIZE;
	CHECK_OK(put_string(end - 4, "abc", 4));
	CHECK(strncpy_from_user(dst, end - 4, sizeof(dst)) == 3 && strcmp(dst, "abc") == 0);
	/* No NUL before the unmapped page: -EFAULT, dst empty. */
	CHECK_OK(put_string(end - 4, "abcd", 4));
	CHECK(strncpy_from_user(dst, end - 4, sizeof(dst)) == -EFAULT && dst[0] == 0);
	/* A long string crossing a page boundary inside the mapping. */
	char long_dst[64];
	CHECK_OK(put_string(BASE + PAGE_SIZE - 10, "across-the-page-boundary", 25));
	CHECK(strncpy_from_user(long_dst, BASE + PAGE_SIZE - 10, sizeof(long_dst)) == 24);
	/* Longer than one chunk, across a page: fits in 201 bytes, not in 200. */
	char text[201], got[201];
	for (int i = 0; i < 200; i++)
		text[i] = (char)('a' + i % 26);
	text[200] = 0;
	CHECK_OK(put_string(BASE + PAGE_SIZE - 70, text, sizeof(text)));
	CHECK(strncpy_from_user(got, BASE + PAGE_SIZE - 70, 201) == 200 && strcmp(got, text) == 0);
	CHECK(strncpy_from_user(got, BASE + PAGE_SIZE - 70, 200) == -ENAMETOOLONG &&
	      strlen(got) == 199);
	/* Kernel addresses and the top of the user half. */
	CHECK(strncpy_from_user(dst, KERNEL_VMA, sizeof(dst)) == -EFAULT);
	CHECK(strncpy_from_user(dst, USER_TOP - 2, sizeof(dst)) == -EFAULT);
	END();
}

static const struct selftest uaccess_tests[] = {
	{"range_ok", "user_range_ok: the user half below USER_TOP, no wrap-around", test_range_ok},
	{"copy_demand_zero", "copies into untouched memory fault pages in; reads see zeroes",
	 test_copy_demand_zero},
	{"copy_grows_stack", "a copy below the stack grows it; past its limit -EFAULT",
	 test_copy_grows_stack},
	{"copy_to_private_file_page", "a copy into a read-only mapped initrd page copies it, the "
	 "file stays", test_copy_to_private_file_page},
	{"copy_bad_addresses", "kernel, wrapping, NULL, unmapped, straddling: -EFAULT, prefix copied",
	 test_copy_bad_addresses},
	{"copy_protections", "read-only refuses writes; PROT_NONE refuses both though mapped",
	 test_copy_protections},
	{"prot_none_refused_first", "a range meeting a PROT_NONE region: -EFAULT before any byte "
	 "or fault; holes reach the copy", test_prot_none_refused_first},
	{"strncpy", "strings: fitting, too long, NUL at a mapping's end, none before a hole",
	 test_strncpy},
};

SELFTEST_SUITE(uaccess, uaccess_tests);
