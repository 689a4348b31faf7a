/*
 * test_initrd.c - suite "initrd" in the kernel: the initrd GRUB really
 * loaded (grub.cfg's module2 line) and the programs in it.
 *
 * Checks: there is an initrd; every file's data is page-aligned, inside the
 * module, and found by its name with and without a leading "/"; every ELF
 * file passes elf_check (so every program built by the Makefile's musl rule
 * is one the loader accepts: a refusal names the file and the reason); and
 * each one loads with exec_load into a fresh user space whose destruction
 * gives every frame back. The parsers themselves are tested on the host
 * (tests/host/test_cpio.c, test_elf.c, fuzz_elf.c, test_exec.c).
 */
#include "kernel/fs/initrd.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/exec.h"
#include "kernel/selftest.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/slab.h"
#include "mm/user_space.h"

/* Does file f start with the ELF magic? */
static bool is_elf(const struct initrd_file *f)
{
	return f->size >= 4 && memcmp(initrd_bytes(f), ELF_MAGIC, 4) == 0;
}

static const char *test_files(void)
{
	phys_addr_t start, end;
	char slashed[128];

	CHECKF(initrd_range(&start, &end) && initrd_count() > 0,
	       "no initrd (grub.cfg: module2 /boot/initrd.cpio initrd)");
	for (size_t i = 0; i < initrd_count(); i++) {
		const struct initrd_file *f = initrd_at(i);
		CHECKF(f->data % PAGE_SIZE == 0, "%s: data at 0x%lx not page-aligned", f->name, f->data);
		CHECKF(f->data >= start && f->size <= end - f->data, "%s: outside the module", f->name);
		CHECKF(initrd_find(f->name) == f, "%s: not found by its name", f->name);
		ksnprintf(slashed, sizeof(slashed), "/%s", f->name);
		CHECKF(initrd_find(slashed) == f, "%s: not found as %s", f->name, slashed);
	}
	CHECK(initrd_at(initrd_count()) == NULL && initrd_find("no such file") == NULL);
	return NULL;
}

static const char *test_programs_check(void)
{
	size_t programs = 0;
	char why[160];
	struct elf_plan plan;

	for (size_t i = 0; i < initrd_count(); i++) {
		const struct initrd_file *f = initrd_at(i);
		if (!is_elf(f))
			continue;
		programs++;
		CHECKF(elf_check(initrd_bytes(f), f->size, &plan, why, sizeof(why)) == 0,
		       "%s refused: %s", f->name, why);
	}
	CHECKF(programs > 0, "no ELF program among %zu initrd files", initrd_count());
	return NULL;
}

static struct user_space test_space;

static const char *test_programs_load(void)
{
	char why[160];

	for (size_t i = 0; i < initrd_count(); i++) {
		const struct initrd_file *f = initrd_at(i);
		const char *const argv[] = {f->name, "selftest", NULL};
		const char *const envp[] = {"TERM=pagoda", NULL};
		struct exec_result res;

		if (!is_elf(f))
			continue;
		slab_shrink();
		uint64_t free_before = buddy_free_pages();
		CHECK(user_space_create(&test_space) == 0);
		int err = exec_load(&test_space, f, argv, envp, &res, why, sizeof(why));
		uint64_t resident = user_space_resident(&test_space);
		user_space_destroy(&test_space);
		slab_shrink();
		CHECKF(err == 0, "%s: exec_load %d: %s", f->name, err, why);
		CHECKF(res.stack_pointer % 16 == 0 && res.stack_pointer < USER_STACK_TOP &&
		       res.entry >= USER_START && res.brk_start >= USER_START,
		       "%s: entry 0x%lx rsp 0x%lx brk 0x%lx", f->name, res.entry,
		       res.stack_pointer, res.brk_start);
		CHECKF(resident >= 1 && resident <= 16, "%s: %lu pages resident after exec (the stack's)",
		       f->name, resident);
		CHECKF(buddy_free_pages() == free_before, "%s: %ld pages kept after destroy", f->name,
		       (long)(free_before - buddy_free_pages()));
	}
	return NULL;
}

static const struct selftest initrd_kernel_tests[] = {
	{"files", "every file page-aligned, inside the module, found with and without /",
	 test_files},
	{"programs_check", "every ELF file in the initrd passes the loader's checks",
	 test_programs_check},
	{"programs_load", "each program loads into a fresh space; destroying it frees every frame",
	 test_programs_load},
};

SELFTEST_SUITE(initrd, initrd_kernel_tests);
