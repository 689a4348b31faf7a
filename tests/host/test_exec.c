/*
 * test_exec.c - suites "initrd" and "exec": the initrd's file table
 * (kernel/fs/initrd.c) over an archive written into the simulated initrd
 * (tests/host/uaccess_host.h: reserved arena RAM), and exec_load
 * (kernel/proc/exec.c) into a simulated user space (mm/user_space.c with
 * mm/fault.c's fault rules), read back through copy_from_user as the
 * program would see it.
 *
 * Covered (initrd): names with and without "/" and "./", directories and
 * the trailer skipped, data page-aligned, an unaligned file reported and
 * left out, a duplicate left out, a malformed or unaligned module refused.
 * Covered (exec): both musl vectors: each segment a region of the right
 * kind, range and prot; text pages are the initrd's own frames (shared,
 * read-only); data reads the file, a write copies it (the initrd intact);
 * the bytes after p_filesz in the last data page read zero; bss and the
 * rest demand-zero; brk at the image's end; the stack image (argc, argv,
 * envp, AT_PHDR/AT_ENTRY/AT_RANDOM) read back from user memory; refusals
 * (-ENOEXEC, -E2BIG) leave the space empty; execve's exec_find (x bit,
 * root, -ENOENT, -ENOTDIR) and exec_args_copy from user memory (empty
 * argv, -EFAULT, -E2BIG by size and by count); and every frame comes back
 * when the space is destroyed (host_user_end).
 * Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/fs/initrd.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/user_stack.h"
#include "kernel/selftest.h"
#include "kernel/syscall/sys_random.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/uapi.h"
#include "mm/fault.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/uaccess.h"
#include "mm/user_space.h"
#include "tests/host/cpio_build.h"
#include "tests/host/elf_image.h"
#include "tests/host/uaccess_host.h"

static struct user_space us;
static size_t archive_len;

/*
 * The host's stand-in for kernel/syscall/sys_random.c's random_u64 (the
 * CPU's RDRAND or a TSC-seeded generator there): a fixed sequence, so that
 * a test can check AT_RANDOM's bytes.
 */
static uint64_t random_calls;
uint64_t random_u64(void)
{
	return 0x0123456789abcdefull + random_calls++;
}

/* Put the simulated initrd's pattern back over what a test wrote (host_user_end checks it). */
static void restore_initrd(void)
{
	uint8_t *bytes = phys_to_virt(HOST_INITRD_PHYS);

	for (uint64_t i = 0; i < archive_len; i++)
		bytes[i] = host_initrd_byte(i);
	archive_len = 0;
}

#define BEGIN() CHECK_OK(host_user_begin(&us))
#define END() do { initrd_release(); restore_initrd(); return host_user_end(&us); } while (0)

/*
 * A vector's image as a file: its headers and dynamic section, a pattern
 * (byte i is pattern(i)) everywhere else, so that zero bytes in user memory mean
 * "zeroed", never "copied from a zero file".
 */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 13 + 5) | 1;
}

static uint8_t file_bytes[3][40 << 10];

#define NOTES "A text file, longer than an ELF header: exec must say it is not ELF.\n"

static const uint8_t *vector_file(size_t v)
{
	const struct elf_vector *vec = &elf_vectors[v];

	for (uint64_t i = 0; i < vec->file_size; i++)
		file_bytes[v][i] = i < vec->header_size ? vec->head[i] : pattern(i);
	if (vec->dyn)
		memcpy(file_bytes[v] + vec->dyn_offset, vec->dyn, vec->dyn_size);
	return file_bytes[v];
}

/*
 * The static vector with 5 more pages of bss in its last PT_LOAD (as a
 * program with a big zeroed array has): pages past the file's become a
 * "bss" region of their own.
 */
#define BIG_BSS (5 * PAGE_SIZE)
static const uint8_t *big_bss_file(void)
{
	struct elf_image im = {file_bytes[2], elf_vectors[0].file_size};

	memcpy(file_bytes[2], vector_file(0), elf_vectors[0].file_size);
	elf_image_phdr(&im, (unsigned)elf_image_find(&im, PT_LOAD, 3))->p_memsz += BIG_BSS;
	return file_bytes[2];
}

/* Write the test archive into the simulated initrd and load it. */
static const char *make_initrd(void)
{
	uint8_t *out = phys_to_virt(HOST_INITRD_PHYS);
	size_t len = 0;
	bool ok = true;

	_Static_assert(sizeof(file_bytes[0]) >= 37336, "test_exec: room for the vectors");
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, ".", CPIO_S_IFDIR | 0755, NULL, 0, 0);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "./static", CPIO_S_IFREG | 0755, vector_file(0),
		       elf_vectors[0].file_size, PAGE_SIZE);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "bin", CPIO_S_IFDIR | 0755, NULL, 0, 0);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "bin/static_pie", CPIO_S_IFREG | 0755,
		       vector_file(1), elf_vectors[1].file_size, PAGE_SIZE);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "bigbss", CPIO_S_IFREG | 0755, big_bss_file(),
		       elf_vectors[0].file_size, PAGE_SIZE);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "unaligned", CPIO_S_IFREG | 0644, "abc", 3, 0);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "/static", CPIO_S_IFREG | 0755, "dup", 3,
		       PAGE_SIZE);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "empty", CPIO_S_IFREG | 0644, NULL, 0, 0);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, "notes.txt", CPIO_S_IFREG | 0644, NOTES,
		       sizeof(NOTES) - 1, PAGE_SIZE);
	ok &= cpio_add(out, HOST_INITRD_SIZE, &len, CPIO_TRAILER, 0, NULL, 0, 0);
	archive_len = len;
	CHECK(ok);
	int err = initrd_init(HOST_INITRD_PHYS, HOST_INITRD_PHYS + len);
	CHECKF(err == 0, "initrd_init: %d", err);
	return NULL;
}

/* ---- initrd ------------------------------------------------------------- */

static const char *test_initrd_table(void)
{
	BEGIN();
	CHECK_OK(make_initrd());
	/* static, static_pie, bigbss, empty, notes.txt; "unaligned", the second "static" left out */
	CHECKF(initrd_count() == 5, "%zu files", initrd_count());
	const struct initrd_file *f = initrd_find("static");
	CHECK(f && f == initrd_find("/static") && f == initrd_find("./static") && f == initrd_at(0));
	CHECK(!strcmp(f->name, "static") && f->size == elf_vectors[0].file_size);
	CHECK(f->data % PAGE_SIZE == 0 && f->mode == (CPIO_S_IFREG | 0755));
	CHECK(!memcmp(initrd_bytes(f), elf_vectors[0].head, elf_vectors[0].header_size));
	CHECK(initrd_find("bin/static_pie") && initrd_find("/bin/static_pie"));
	CHECK(!initrd_find("static_pie") && !initrd_find("bin") && !initrd_find("unaligned"));
	CHECK(!initrd_find("") && !initrd_find("/") && !initrd_find(NULL) && !initrd_find("nothing"));
	const struct initrd_file *n = initrd_find("notes.txt");
	CHECK(n && n->size == sizeof(NOTES) - 1 && !memcmp(initrd_bytes(n), NOTES, n->size));
	CHECK(initrd_find("empty") && initrd_find("empty")->size == 0);
	CHECK(initrd_at(5) == NULL);
	phys_addr_t s, e;
	CHECK(initrd_range(&s, &e) && s == HOST_INITRD_PHYS && e == HOST_INITRD_PHYS + archive_len);
	END();
}

static const char *test_initrd_refusals(void)
{
	BEGIN();
	CHECK_OK(make_initrd());
	size_t before = initrd_count();
	CHECK(initrd_init(HOST_INITRD_PHYS + 4, HOST_INITRD_PHYS + archive_len) == -EINVAL);
	CHECK(initrd_init(HOST_INITRD_PHYS, HOST_INITRD_PHYS) == -EINVAL);
	/* cut before the trailer: malformed, and the old table stays */
	CHECK(initrd_init(HOST_INITRD_PHYS, HOST_INITRD_PHYS + archive_len - 200) == -EINVAL);
	CHECK(initrd_count() == before && initrd_find("static"));
	END();
}

/* ---- exec --------------------------------------------------------------- */

static const char *const test_argv[] = {"static", "-v", "two words", NULL};
static const char *const test_envp[] = {"HOME=/", "TERM=pagoda", NULL};

/* Read user memory as the program would: 0 or -EFAULT. */
static uint64_t user_u64(virt_addr_t va)
{
	uint64_t v = 0xdeadbeef;

	if (copy_from_user(&v, va, 8) != 0)
		return 0xdeadbeef;
	return v;
}

/* The frame mapped at va after a user read (0: none). */
static phys_addr_t frame_after_read(virt_addr_t va)
{
	uint8_t b;
	struct paging_translation t;

	if (copy_from_user(&b, va, 1) != 0 || paging_translate(&us.as, va, &t) != 0)
		return 0;
	return t.pa & ~(PAGE_SIZE - 1);
}

/* Exec vector v and check the space against the plan. */
static const char *check_exec(size_t v, const char *path)
{
	const struct initrd_file *f = initrd_find(path);
	struct exec_result res;
	struct elf_plan plan;
	char why[160];

	CHECK(f);
	CHECK(elf_check(initrd_bytes(f), f->size, &plan, NULL, 0) == 0);
	int err = exec_load(&us, f, test_argv, test_envp, &res, why, sizeof(why));
	CHECKF(err == 0, "exec_load %s: %d %s", path, err, why);
	CHECK(res.entry == plan.entry && res.brk_start == plan.image_end);
	CHECK(us.brk_start == plan.image_end && us.brk == plan.image_end);
	CHECKF(!region_check_invariants(&us.regions), "%s", region_check_invariants(&us.regions));

	for (size_t i = 0; i < plan.segment_count; i++) {
		const struct elf_segment *s = &plan.segments[i];
		unsigned prot = MAP_USER | ((s->prot & PROT_WRITE) ? MAP_WRITE : 0) |
				((s->prot & PROT_EXEC) ? MAP_EXEC : 0);
		if (s->file_end > s->start) {
			const struct region *r = region_find(&us.regions, s->start);
			CHECKF(r && r->kind == REGION_FILE && r->start == s->start && r->end == s->file_end &&
			       r->prot == prot && r->file_phys == f->data + s->file_offset &&
			       r->file_bytes == s->file_bytes && !strcmp(r->name, f->name),
			       "%s: segment %zu (%s) has no matching file region", path, i, s->name);
			/* each file page: shared initrd frame when read-only and whole */
			for (virt_addr_t va = s->start; va < s->file_end; va += PAGE_SIZE) {
				uint64_t off = s->file_offset + (va - s->start);
				phys_addr_t pa = frame_after_read(va);
				bool whole = va - s->start + PAGE_SIZE <= s->file_bytes;
				CHECKF(pa, "%s: 0x%llx unreadable", path, (unsigned long long)va);
				if (!(s->prot & PROT_WRITE) && whole)
					CHECKF(pa == f->data + off, "%s: 0x%llx is not the initrd's frame",
					       path, (unsigned long long)va);
				else if (!whole)
					CHECKF(pa != f->data + off, "%s: 0x%llx straddles the file's end "
					       "but maps the initrd frame", path, (unsigned long long)va);
			}
			/* the file's bytes, then zero after p_filesz in the last page */
			virt_addr_t last = s->start + s->file_bytes - 1;
			uint8_t b[2];
			CHECK(copy_from_user(b, last, 1) == 0);
			CHECKF(b[0] == ((const uint8_t *)initrd_bytes(f))[s->file_offset + s->file_bytes - 1],
			       "%s: last file byte of segment %zu", path, i);
			if ((s->start + s->file_bytes) % PAGE_SIZE) {
				CHECK(copy_from_user(b, last + 1, 1) == 0);
				CHECKF(b[0] == 0, "%s: segment %zu: byte after p_filesz is 0x%02x, not 0",
				       path, i, b[0]);
			}
		}
		if (s->end > s->file_end) {
			const struct region *r = region_find(&us.regions, s->file_end);
			CHECKF(r && r->kind == REGION_ANON && r->start == s->file_end && r->end == s->end &&
			       r->prot == prot && !strcmp(r->name, "bss"), "%s: no bss region for %zu",
			       path, i);
		}
	}
	/* a write to data copies; the initrd keeps its bytes */
	for (size_t i = 0; i < plan.segment_count; i++) {
		const struct elf_segment *s = &plan.segments[i];
		if (!(s->prot & PROT_WRITE) || s->file_end == s->start)
			continue;
		uint8_t x = 0x5a, y = 0;
		CHECK(copy_to_user(s->start, &x, 1) == 0 && copy_from_user(&y, s->start, 1) == 0 && y == x);
		CHECK(((const uint8_t *)initrd_bytes(f))[s->file_offset] == pattern(s->file_offset) ||
		      s->file_offset < elf_vectors[v].header_size);
		CHECK(frame_after_read(s->start) != f->data + s->file_offset);
	}
	/* the text is not writable from user mode */
	uint8_t x = 0;
	CHECK(copy_to_user(plan.entry, &x, 1) == -EFAULT);

	/* the stack, as musl's _start reads it */
	virt_addr_t sp = res.stack_pointer;
	CHECK(sp % 16 == 0 && sp < USER_STACK_TOP && sp > USER_STACK_TOP - USER_STACK_IMAGE_MAX);
	CHECK(user_u64(sp) == 3);
	char s[32];
	for (int i = 0; i < 3; i++) {
		CHECK(strncpy_from_user(s, user_u64(sp + 8 + 8 * i), sizeof(s)) >= 0);
		CHECKF(!strcmp(s, test_argv[i]), "argv[%d] \"%s\"", i, s);
	}
	CHECK(user_u64(sp + 32) == 0);
	CHECK(strncpy_from_user(s, user_u64(sp + 40), sizeof(s)) >= 0 && !strcmp(s, "HOME=/"));
	CHECK(user_u64(sp + 56) == 0);
	bool phdr = false, entry = false, rnd = false, execfn = false;
	for (virt_addr_t a = sp + 64; user_u64(a) != AT_NULL; a += 16) {
		uint64_t type = user_u64(a), val = user_u64(a + 8);
		if (type == AT_PHDR) {
			struct elf64_phdr ph;
			CHECK(copy_from_user(&ph, val, sizeof(ph)) == 0);
			phdr = val == plan.phdr && !memcmp(&ph, (const uint8_t *)initrd_bytes(f) +
				((const struct elf64_ehdr *)initrd_bytes(f))->e_phoff, sizeof(ph));
		}
		entry |= type == AT_ENTRY && val == plan.entry;
		if (type == AT_RANDOM) {
			uint64_t r[2];
			CHECK(copy_from_user(r, val, 16) == 0);
			rnd = r[1] == r[0] + 1 && (r[0] - 0x0123456789abcdefull) < random_calls;
		}
		if (type == AT_EXECFN)
			execfn = strncpy_from_user(s, val, sizeof(s)) >= 0 && !strcmp(s, f->name);
		CHECK(a < USER_STACK_TOP);
	}
	CHECKF(phdr && entry && rnd && execfn, "auxv: phdr %d entry %d random %d execfn %d", phdr,
	       entry, rnd, execfn);
	/* the stack region and its guard */
	const struct region *r = region_find(&us.regions, USER_STACK_TOP - 1);
	CHECK(r && r->kind == REGION_STACK && r->end == USER_STACK_TOP);
	r = region_find(&us.regions, USER_STACK_TOP - USER_STACK_MAX - 1);
	CHECK(r && r->kind == REGION_GUARD);
	return NULL;
}

static const char *test_exec_static(void)
{
	BEGIN();
	CHECK_OK(make_initrd());
	CHECK_OK(check_exec(0, "static"));
	/* the brk works from where exec put it */
	CHECK(user_brk(&us, us.brk + 3 * PAGE_SIZE) == us.brk_start + 3 * PAGE_SIZE);
	uint8_t x = 7;
	CHECK(copy_to_user(us.brk_start + PAGE_SIZE, &x, 1) == 0);
	END();
}

static const char *test_exec_static_pie(void)
{
	BEGIN();
	CHECK_OK(make_initrd());
	CHECK_OK(check_exec(1, "/bin/static_pie"));
	const struct region *r = region_find(&us.regions, USER_PIE_BASE);
	CHECK(r && r->kind == REGION_FILE);
	END();
}

static const char *test_exec_big_bss(void)
{
	BEGIN();
	CHECK_OK(make_initrd());
	CHECK_OK(check_exec(0, "bigbss"));
	/* the bss region: all zero, writable, resident only where touched */
	virt_addr_t end = us.brk_start;
	const struct region *r = region_find(&us.regions, end - 1);
	CHECKF(r && r->kind == REGION_ANON && !strcmp(r->name, "bss") && r->end == end &&
	       r->end - r->start >= BIG_BSS - PAGE_SIZE, "no bss region below the break");
	uint64_t resident = user_space_resident(&us);
	uint8_t b = 1, x = 9;
	CHECK(copy_from_user(&b, end - 1, 1) == 0 && b == 0);
	CHECK(copy_to_user(r->start + 100, &x, 1) == 0 && copy_from_user(&b, r->start + 100, 1) == 0 &&
	      b == 9);
	CHECKF(user_space_resident(&us) == resident + 2, "%lu pages resident, expected %lu",
	       user_space_resident(&us), resident + 2);
	END();
}

/* Two processes of one program: the same initrd frame behind their text, data their own. */
static const char *test_exec_shared_text(void)
{
	static struct user_space other;
	struct exec_result a, b;
	struct paging_translation ta, tb;
	char why[160];
	const char *reason = NULL;

	BEGIN();
	CHECK_OK(make_initrd());
	const struct initrd_file *f = initrd_find("static");
	CHECK(exec_load(&us, f, test_argv, NULL, &a, why, sizeof(why)) == 0);
	CHECK(user_space_create(&other) == 0);
	if (exec_load(&other, f, test_argv, NULL, &b, why, sizeof(why)) != 0)
		reason = selftest_reason("second exec_load: %s", why);
	/* touch the entry page and a data page in each space, as each process would */
	uint8_t x = 1, y;
	virt_addr_t data = us.brk_start - PAGE_SIZE;
	host_uaccess_use(&other.as);
	if (!reason && (copy_from_user(&y, b.entry, 1) || copy_to_user(data, &x, 1)))
		reason = "the second process cannot read its text or write its data";
	host_uaccess_use(&us.as);
	if (!reason && (copy_from_user(&y, a.entry, 1) || copy_to_user(data, &x, 1)))
		reason = "the first process cannot read its text or write its data";
	if (!reason && (paging_translate(&us.as, a.entry, &ta) || paging_translate(&other.as, b.entry, &tb) ||
			/* the static vector maps file offset v - 0x400000 at v */
			ta.pa != tb.pa || ta.pa >> PAGE_SHIFT != (f->data + (a.entry - 0x400000)) >> PAGE_SHIFT))
		reason = "the two processes' text pages are not the same initrd frame";
	if (!reason && (paging_translate(&us.as, data, &ta) || paging_translate(&other.as, data, &tb) ||
			ta.pa == tb.pa))
		reason = "the two processes share a written data page";
	user_space_destroy(&other);
	if (reason) {
		initrd_release();
		restore_initrd();
		(void)host_user_end(&us);
		return reason;
	}
	END();
}

static const char *test_exec_refusals(void)
{
	static const char *many[USER_ARGS_MAX + 2];
	struct exec_result res;
	char why[160];

	BEGIN();
	CHECK_OK(make_initrd());
	/* not an ELF file */
	int err = exec_load(&us, initrd_find("notes.txt"), test_argv, NULL, &res, why, sizeof(why));
	CHECKF(err == -ENOEXEC && strstr(why, "not an ELF file"), "%d %s", err, why);
	err = exec_load(&us, initrd_find("empty"), test_argv, NULL, &res, why, sizeof(why));
	CHECKF(err == -ENOEXEC && strstr(why, "too small"), "%d %s", err, why);
	CHECK(us.regions.count == 0);
	/* arguments too long: refused before anything is mapped */
	for (size_t i = 0; i <= USER_ARGS_MAX; i++)
		many[i] = "x";
	err = exec_load(&us, initrd_find("static"), many, NULL, &res, why, sizeof(why));
	CHECKF(err == -E2BIG && strstr(why, "too long"), "%d %s", err, why);
	CHECK(us.regions.count == 0 && user_space_resident(&us) == 0);
	END();
}

/* ---- execve's steps before the point of no return ------------------------ */

static const char *test_exec_find(void)
{
	const struct initrd_file *f = NULL;

	BEGIN();
	CHECK_OK(make_initrd());
	CHECK(exec_find("static", false, &f) == 0 && f == initrd_find("static"));
	CHECK(exec_find("notes.txt", false, &f) == -EACCES); /* mode 0644: no execute bit */
	CHECK(exec_find("", false, &f) == -EACCES);          /* the root directory */
	CHECK(exec_find("nothing", false, &f) == -ENOENT);
	CHECK(exec_find("static", true, &f) == -ENOTDIR);    /* "static/" */
	CHECK(exec_find("static/x", false, &f) == -ENOTDIR); /* inside a file */
	CHECK(exec_find("nothing/x", false, &f) == -ENOENT);
	END();
}

#define ARGS_AREA 0x400000ull   /* user memory for the arrays and strings of the tests */
#define ARGS_PAGES 24           /* room for a string longer than USER_STACK_IMAGE_MAX */

/* Write the NULL-terminated array of n strings vec into user memory at va (array, then strings). */
static const char *put_vector(virt_addr_t va, const char *const *vec, size_t n)
{
	virt_addr_t str = va + (n + 1) * sizeof(uint64_t);

	for (size_t i = 0; i <= n; i++) {
		uint64_t ptr = i < n ? str : 0;
		CHECK(user_space_write(&us, va + i * sizeof(ptr), &ptr, sizeof(ptr)) == 0);
		if (i < n) {
			CHECK(user_space_write(&us, str, vec[i], strlen(vec[i]) + 1) == 0);
			str += strlen(vec[i]) + 1;
		}
	}
	return NULL;
}

static const char *test_exec_args_copy(void)
{
	static const char *const argv[] = {"prog", "", "two words"};
	static const char *const envp[] = {"A=1", "PATH=/"};
	struct exec_args a;

	BEGIN();
	CHECK(user_map_anon(&us, ARGS_AREA, ARGS_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			    "args") == 0);
	CHECK_OK(put_vector(ARGS_AREA, argv, 3));
	CHECK_OK(put_vector(ARGS_AREA + PAGE_SIZE, envp, 2));
	CHECK(exec_args_copy(&a, ARGS_AREA, ARGS_AREA + PAGE_SIZE) == 0);
	CHECK(a.argc == 3 && a.envc == 2 && a.argv[3] == NULL && a.envp[2] == NULL);
	for (size_t i = 0; i < 3; i++)
		CHECKF(!strcmp(a.argv[i], argv[i]), "argv[%zu] \"%s\"", i, a.argv[i]);
	CHECK(!strcmp(a.envp[0], "A=1") && !strcmp(a.envp[1], "PATH=/"));
	exec_args_free(&a);
	CHECK(a.buf == NULL);

	/* NULL arrays: argv becomes {""} (Linux 6.1), envp empty. */
	CHECK(exec_args_copy(&a, 0, 0) == 0);
	CHECK(a.argc == 1 && a.argv[0][0] == '\0' && a.argv[1] == NULL && a.envc == 0 &&
	      a.envp[0] == NULL);
	exec_args_free(&a);

	/* Bad pointers: the array, a string, the environment's array; nothing kept. */
	uint64_t bad = KERNEL_HALF_START;
	CHECK(exec_args_copy(&a, USER_TOP, 0) == -EFAULT && a.buf == NULL);
	CHECK(exec_args_copy(&a, ARGS_AREA, bad) == -EFAULT && a.buf == NULL);
	CHECK(user_space_write(&us, ARGS_AREA + 8, &bad, sizeof(bad)) == 0); /* argv[1] */
	CHECK(exec_args_copy(&a, ARGS_AREA, 0) == -EFAULT && a.buf == NULL);

	/* Too big: one string past the image's size; more than USER_ARGS_MAX strings. */
	virt_addr_t big = ARGS_AREA + 2 * PAGE_SIZE;
	uint64_t vec[2] = {big + 16, 0};
	CHECK(user_space_write(&us, big, vec, sizeof(vec)) == 0);
	for (virt_addr_t va = big + 16; va < ARGS_AREA + ARGS_PAGES * PAGE_SIZE - 1; va += 4096) {
		static const char x[4096] = {[0 ... 4095] = 'x'};
		size_t n = MIN(sizeof(x), ARGS_AREA + ARGS_PAGES * PAGE_SIZE - 1 - va);
		CHECK(user_space_write(&us, va, x, n) == 0);
	}
	CHECK(exec_args_copy(&a, big, 0) == -E2BIG && a.buf == NULL);
	uint64_t ptr = ARGS_AREA + ARGS_PAGES * PAGE_SIZE - 2; /* "x": the big string's last byte */
	for (size_t i = 0; i <= USER_ARGS_MAX; i++)
		CHECK(user_space_write(&us, ARGS_AREA + 3 * PAGE_SIZE + i * 8, &ptr, 8) == 0);
	CHECK(exec_args_copy(&a, ARGS_AREA + 3 * PAGE_SIZE, 0) == -E2BIG && a.buf == NULL);
	END();
}

static const struct selftest initrd_tests[] = {
	{"table", "files, names with / and ./, unaligned and duplicate files left out",
	 test_initrd_table},
	{"refusals", "unaligned or empty module, a cut archive: -EINVAL, old table kept",
	 test_initrd_refusals},
};

static const struct selftest exec_tests[] = {
	{"static", "musl -static: regions, shared text frames, zero tail, stack, auxv, brk",
	 test_exec_static},
	{"static_pie", "musl static-pie at USER_PIE_BASE: the same checks", test_exec_static_pie},
	{"shared_text", "two processes of one program: one text frame, two data copies",
	 test_exec_shared_text},
	{"big_bss", "bss past the file's pages: a demand-zero \"bss\" region up to brk_start",
	 test_exec_big_bss},
	{"refusals", "not ELF, empty, too many arguments: refused with nothing mapped",
	 test_exec_refusals},
	{"find", "execve's file: found, no x bit or the root -EACCES, -ENOENT, -ENOTDIR",
	 test_exec_find},
	{"args_copy", "argv/envp copied in from user memory; empty argv {\"\"}; -EFAULT, -E2BIG, "
	 "nothing kept", test_exec_args_copy},
};

SELFTEST_SUITE(initrd, initrd_tests);
SELFTEST_SUITE(exec, exec_tests);
