/*
 * test_user_space.c - suite "user_space": a process's address space
 * (mm/user_space.c) on the host: create/destroy, the image-building calls
 * exec uses, and mmap, munmap, mprotect, brk, madvise, mincore with
 * Linux's semantics and error numbers, over the simulated RAM arena.
 * Faults are simulated with fault_handle() as the #PF handler would call
 * it (interrupts off, FAULT_USER).
 *
 * Every test runs between BEGIN and END (tests/host/uaccess_host.h): a
 * fresh heap, kernel_space and one user space; END destroys the space and
 * requires the buddy allocator's free page count back where it started
 * and the simulated initrd's bytes untouched: user_space_destroy frees
 * every frame and table the space owned and never an initrd frame.
 * Hosted code: may use libc, but uses only mm/ here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/selftest.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "lib/uapi.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/failinject.h"
#include "mm/fault.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/region.h"
#include "mm/user_space.h"
#include "tests/host/uaccess_host.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define IMAGE 0x400000ull  /* where a test puts "program image" regions */
#define MAP_SHARED_VALIDATE_FOR_TEST 0x03 /* Linux's MAP_SHARED_VALIDATE */

static struct user_space us;

#define BEGIN() CHECK_OK(host_user_begin(&us))
#define END() return host_user_end(&us)

/* A file of the simulated initrd: size bytes from its start. */
static struct user_file initrd_file(uint64_t size)
{
	return (struct user_file){.phys = HOST_INITRD_PHYS, .size = size, .name = "data.bin"};
}

/* A user fault at va (interrupts off, as the #PF handler): 0 resolved, -EFAULT a violation. */
static int touch(virt_addr_t va, unsigned access)
{
	struct paging_translation t;
	struct fault f;
	bool present = paging_translate(&us.as, va, &t) == 0;
	unsigned long irq = arch_irq_save();
	int err = fault_handle(&us.as, va, FAULT_USER | access | (present ? FAULT_PRESENT : 0), &f);

	arch_irq_restore(irq);
	return err;
}

/* The frame behind va (0: not mapped); *flags gets the PTE's MAP_* flags. */
static phys_addr_t frame_of(virt_addr_t va, unsigned *flags)
{
	struct paging_translation t;

	if (paging_translate(&us.as, va, &t) != 0)
		return 0;
	if (flags)
		*flags = t.flags;
	return t.pa & ~(PAGE_SIZE - 1);
}

static uint8_t *bytes_at(virt_addr_t va)
{
	struct paging_translation t;

	if (paging_translate(&us.as, va, &t) != 0)
		return NULL;
	return phys_to_virt(t.pa);
}

/* Write through the user's eyes: fault the page in for writing, then store. */
static const char *poke(virt_addr_t va, uint8_t value)
{
	unsigned flags = 0;

	if (!frame_of(va, &flags) || !(flags & MAP_WRITE))
		CHECKF(touch(va, FAULT_WRITE) == 0, "a user write to 0x%lx was refused", va);
	*bytes_at(va) = value;
	return NULL;
}

static const char *check_regions(void)
{
	const char *why = region_check_invariants(&us.regions);

	CHECKF(!why, "%s", why);
	return NULL;
}

static const char *test_create_destroy(void)
{
	BEGIN();
	CHECK(us.as.regions == &us.regions && us.regions.count == 0);
	CHECK(us.mmap_top == USER_MMAP_TOP && us.brk == 0 && us.brk_start == 0);
	CHECK(user_space_resident(&us) == 0);
	END();
}

/* The layout exec builds: file text, file data (private, written), bss, heap, stack. */
static const char *test_destroy_frees_everything(void)
{
	BEGIN();
	struct user_file f = initrd_file(5 * PAGE_SIZE + 100);
	CHECK(user_map_file(&us, IMAGE, 2 * PAGE_SIZE, PROT_READ | PROT_EXEC, &f, 0, "text") == 0);
	CHECK(user_map_file(&us, IMAGE + 2 * PAGE_SIZE, 4 * PAGE_SIZE, RW, &f, 2 * PAGE_SIZE,
			    "data") == 0);
	CHECK(user_map_anon(&us, IMAGE + 6 * PAGE_SIZE, 3 * PAGE_SIZE, RW, "bss") == 0);
	CHECK(user_map_stack(&us, USER_STACK_TOP, USER_STACK_SIZE, USER_STACK_MAX) == 0);
	CHECK_OK(check_regions());
	us.brk_start = us.brk = IMAGE + 9 * PAGE_SIZE;
	CHECK(user_brk(&us, us.brk + 3 * PAGE_SIZE) == IMAGE + 12 * PAGE_SIZE);

	/* Text: a read maps the initrd's own frame, read-only and executable. */
	CHECK(touch(IMAGE + PAGE_SIZE, FAULT_FETCH) == 0);
	unsigned flags = 0;
	CHECKF(frame_of(IMAGE + PAGE_SIZE, &flags) == HOST_INITRD_PHYS + PAGE_SIZE,
	       "text page 1 maps 0x%lx, not the initrd frame", frame_of(IMAGE + PAGE_SIZE, NULL));
	CHECK((flags & MAP_EXEC) && !(flags & MAP_WRITE) && (flags & MAP_USER));
	/* Data: a write copies; the last page straddles the file's end, past it zeroes. */
	CHECK_OK(poke(IMAGE + 2 * PAGE_SIZE, 'w'));
	CHECK(frame_of(IMAGE + 2 * PAGE_SIZE, NULL) != HOST_INITRD_PHYS + 2 * PAGE_SIZE);
	CHECK(bytes_at(IMAGE + 2 * PAGE_SIZE)[1] == host_initrd_byte(2 * PAGE_SIZE + 1));
	CHECK(touch(IMAGE + 5 * PAGE_SIZE, 0) == 0);
	uint8_t *tail = bytes_at(IMAGE + 5 * PAGE_SIZE);
	CHECKF(tail[99] == host_initrd_byte(5 * PAGE_SIZE + 99) && tail[100] == 0 && tail[4095] == 0,
	       "the page straddling the file's end: byte 99 0x%02x, 100 0x%02x (expected the "
	       "file's, then zero)", tail[99], tail[100]);
	/* bss, heap, stack (and its growth): demand-zero. */
	CHECK_OK(poke(IMAGE + 7 * PAGE_SIZE, 1));
	CHECK_OK(poke(IMAGE + 10 * PAGE_SIZE, 2));
	CHECK_OK(poke(USER_STACK_TOP - 8, 3));
	CHECK_OK(poke(USER_STACK_TOP - USER_STACK_SIZE - 3 * PAGE_SIZE, 4));
	CHECK(user_space_resident(&us) == 7);
	END();
}

static const char *test_map_arguments(void)
{
	BEGIN();
	struct user_file f = initrd_file(PAGE_SIZE);
	CHECK(user_map_anon(&us, IMAGE + 1, PAGE_SIZE, RW, "x") == -EINVAL);
	CHECK(user_map_anon(&us, 0, PAGE_SIZE, RW, "x") == -EINVAL); /* below USER_START */
	CHECK(user_map_anon(&us, USER_TOP, PAGE_SIZE, RW, "x") == -EINVAL);
	CHECK(user_map_anon(&us, IMAGE, 0, RW, "x") == -EINVAL);
	CHECK(user_map_anon(&us, IMAGE, PAGE_SIZE, PROT_WRITE | PROT_EXEC, "x") == -EACCES);
	CHECK(user_map_anon(&us, IMAGE, PAGE_SIZE, 8, "x") == -EINVAL);
	CHECK(user_map_file(&us, IMAGE, PAGE_SIZE, PROT_READ, &f, 12, "x") == -EINVAL);
	CHECK(user_map_file(&us, IMAGE, PAGE_SIZE, PROT_READ, NULL, 0, "x") == -EINVAL);
	CHECK(user_map_anon(&us, IMAGE, 100, RW, "x") == 0); /* rounded up to a page */
	CHECK(user_map_anon(&us, IMAGE, PAGE_SIZE, RW, "y") == -EEXIST);
	CHECK(user_map_stack(&us, USER_STACK_TOP, 0, USER_STACK_MAX) == -EINVAL);
	CHECK(user_map_stack(&us, USER_STACK_TOP, 2 * PAGE_SIZE, PAGE_SIZE) == -EINVAL);
	CHECK(user_map_stack(&us, USER_STACK_TOP + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE) == -EINVAL);
	CHECK(user_map_stack(&us, IMAGE + 4 * PAGE_SIZE, PAGE_SIZE, 4 * PAGE_SIZE) == -EEXIST);
	CHECK(us.regions.count == 1);
	END();
}

static const char *test_mmap_anonymous(void)
{
	BEGIN();
	uint64_t free_before = buddy_free_pages();
	long a = user_mmap(&us, 0, PAGE_SIZE, RW, ANON, NULL, 0);
	CHECKF(a > 0 && (virt_addr_t)a + PAGE_SIZE == USER_MMAP_TOP,
	       "the first mmap is at 0x%lx, expected just below USER_MMAP_TOP", a);
	CHECK(frame_of(a, NULL) == 0); /* lazy */
	const struct region *r = region_find(&us.regions, a);
	CHECK(r && r->kind == REGION_ANON && r->prot == (MAP_USER | MAP_WRITE));
	CHECK_OK(poke(a + 10, 'x'));
	CHECK(user_space_resident(&us) == 1 && bytes_at(a)[0] == 0);
	/* Placement goes down; the regions touch, so they are one. */
	long b = user_mmap(&us, 0, 3 * PAGE_SIZE + 1, RW, ANON, NULL, 0);
	CHECKF(b == a - 4 * (long)PAGE_SIZE, "the second mmap is at 0x%lx, expected 0x%lx", b,
	       a - 4 * PAGE_SIZE);
	CHECK(us.regions.count == 1);
	/* Read-only, and PROT_NONE, are regions too; PROT_NONE has no user access. */
	long ro = user_mmap(&us, 0, PAGE_SIZE, PROT_READ, ANON, NULL, 0);
	long none = user_mmap(&us, 0, PAGE_SIZE, PROT_NONE, ANON, NULL, 0);
	CHECK(ro > 0 && none > 0);
	CHECK(touch(ro, FAULT_WRITE) == -EFAULT && touch(ro, 0) == 0);
	CHECK(touch(none, 0) == -EFAULT && frame_of(none, NULL) == 0);
	/* MAP_SHARED anonymous memory is private memory (documented): it works. */
	long shared = user_mmap(&us, 0, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	CHECK(shared > 0);
	CHECK_OK(poke(shared, 5));
	CHECK(user_munmap(&us, b, 5 * PAGE_SIZE) == 0 && user_munmap(&us, ro, PAGE_SIZE) == 0);
	CHECK(user_munmap(&us, none, PAGE_SIZE) == 0 && user_munmap(&us, shared, PAGE_SIZE) == 0);
	CHECK(us.regions.count == 0 && user_space_resident(&us) == 0);
	/* Only the region array (a slab page) may stay; the frames and tables are back. */
	CHECKF(buddy_free_pages() + 1 >= free_before, "munmap left %ld pages allocated",
	       (long)(free_before - buddy_free_pages()));
	/* The search starts at the top again: the space is empty. */
	CHECK(user_mmap(&us, 0, PAGE_SIZE, RW, ANON, NULL, 0) == a);
	END();
}

static const char *test_mmap_errors(void)
{
	BEGIN();
	struct user_file f = initrd_file(3 * PAGE_SIZE);
	static const struct {
		virt_addr_t addr;
		uint64_t len;
		int prot, flags;
		bool file;
		uint64_t offset;
		long expected;
		const char *what;
	} cases[] = {
		{0, 0, RW, ANON, false, 0, -EINVAL, "zero length"},
		{IMAGE + 1, PAGE_SIZE, RW, ANON | MAP_FIXED, false, 0, -EINVAL, "unaligned MAP_FIXED"},
		{IMAGE + 1, PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, false, 0, -EINVAL,
		 "unaligned MAP_FIXED_NOREPLACE"},
		{0, ~0ull - 100, RW, ANON, false, 0, -ENOMEM, "length that overflows"},
		{0, USER_TOP + PAGE_SIZE, RW, ANON, false, 0, -ENOMEM, "length above the user half"},
		{0, PAGE_SIZE, RW, MAP_ANONYMOUS, false, 0, -EINVAL, "neither private nor shared"},
		{0, PAGE_SIZE, 0x10, ANON, false, 0, -EINVAL, "unknown prot bit"},
		{0, PAGE_SIZE, PROT_WRITE | PROT_EXEC, ANON, false, 0, -EACCES, "write + exec (W^X)"},
		{0, PAGE_SIZE, RW, MAP_SHARED_VALIDATE_FOR_TEST | MAP_ANONYMOUS | 0x40000000, false, 0,
		 -ENOTSUP, "MAP_SHARED_VALIDATE with an unknown flag"},
		{0x1000, PAGE_SIZE, RW, ANON | MAP_FIXED, false, 0, -EPERM, "MAP_FIXED below USER_START"},
		{USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED, false, 0, -ENOMEM,
		 "MAP_FIXED past USER_TOP"},
		{0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, false, 0, -EBADF, "a file mapping without file"},
		{0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, true, 100, -EINVAL, "unaligned offset"},
		{0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, true, ~0ull & ~(PAGE_SIZE - 1), -EOVERFLOW,
		 "offset + length wraps"},
		{0, PAGE_SIZE, RW, MAP_SHARED, true, 0, -EACCES, "writable shared file mapping"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long got = user_mmap(&us, cases[i].addr, cases[i].len, cases[i].prot, cases[i].flags,
				     cases[i].file ? &f : NULL, cases[i].offset);
		CHECKF(got == cases[i].expected, "mmap with %s returned %ld (%s), expected %s",
		       cases[i].what, got, got < 0 ? errno_name((int)got) : "an address",
		       errno_name((int)cases[i].expected));
	}
	/* No overcommit: more than free memory minus the kernel's reserve. */
	uint64_t too_many = buddy_free_pages() - fault_user_reserve_pages() + 1;
	CHECK(user_mmap(&us, 0, too_many * PAGE_SIZE, RW, ANON, NULL, 0) == -ENOMEM);
	long fits = user_mmap(&us, 0, (too_many - 1) * PAGE_SIZE, RW, ANON, NULL, 0);
	CHECKF(fits > 0, "an mmap that leaves exactly the reserve returned %ld", fits);
	/* A read-only file mapping needs no frames of its own: no limit there. */
	CHECK(us.regions.count == 1);
	END();
}

static const char *test_mmap_fixed(void)
{
	BEGIN();
	long a = user_mmap(&us, IMAGE, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0);
	CHECK(a == (long)IMAGE);
	for (int i = 0; i < 4; i++)
		CHECK_OK(poke(IMAGE + i * PAGE_SIZE, 'a' + i));
	uint64_t free_before = buddy_free_pages();
	/* MAP_FIXED over pages 1-2: their frames go, the new pages read zero. */
	CHECK(user_mmap(&us, IMAGE + PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ, ANON | MAP_FIXED, NULL,
			0) == (long)(IMAGE + PAGE_SIZE));
	CHECKF(buddy_free_pages() == free_before + 2, "MAP_FIXED freed %ld frames, expected 2",
	       (long)(buddy_free_pages() - free_before));
	CHECK(frame_of(IMAGE + PAGE_SIZE, NULL) == 0 && touch(IMAGE + PAGE_SIZE, 0) == 0);
	CHECK(bytes_at(IMAGE + PAGE_SIZE)[0] == 0);
	CHECK(bytes_at(IMAGE)[0] == 'a' && bytes_at(IMAGE + 3 * PAGE_SIZE)[0] == 'd');
	CHECK(us.regions.count == 3);
	CHECK_OK(check_regions());
	/* MAP_FIXED_NOREPLACE: -EEXIST over anything, works on free ground. */
	CHECK(user_mmap(&us, IMAGE + 3 * PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE,
			NULL, 0) == -EEXIST);
	CHECK(bytes_at(IMAGE + 3 * PAGE_SIZE)[0] == 'd');
	CHECK(user_mmap(&us, IMAGE + 4 * PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE,
			NULL, 0) == (long)(IMAGE + 4 * PAGE_SIZE));
	/* A hint: taken when free, else the top-down search. */
	CHECK(user_mmap(&us, IMAGE + 8 * PAGE_SIZE + 5, PAGE_SIZE, RW, ANON, NULL, 0) ==
	      (long)(IMAGE + 9 * PAGE_SIZE));
	long moved = user_mmap(&us, IMAGE, PAGE_SIZE, RW, ANON, NULL, 0);
	CHECK(moved > 0 && (virt_addr_t)moved + PAGE_SIZE == USER_MMAP_TOP);
	END();
}

static const char *test_mmap_file(void)
{
	BEGIN();
	struct user_file f = initrd_file(3 * PAGE_SIZE + 10);
	long ro = user_mmap(&us, 0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, &f, PAGE_SIZE);
	CHECK(ro > 0);
	const struct region *r = region_find(&us.regions, ro);
	CHECK(r && r->kind == REGION_FILE && r->file_phys == HOST_INITRD_PHYS + PAGE_SIZE &&
	      r->file_bytes == 2 * PAGE_SIZE + 10);
	CHECK(touch(ro + PAGE_SIZE, 0) == 0);
	CHECKF(frame_of(ro + PAGE_SIZE, NULL) == HOST_INITRD_PHYS + 2 * PAGE_SIZE,
	       "a read-only private file page maps 0x%lx, not the initrd's frame",
	       frame_of(ro + PAGE_SIZE, NULL));
	CHECK(touch(ro, FAULT_WRITE) == -EFAULT);
	/* Private writable: the write copies, the file stays as it was. */
	long rw = user_mmap(&us, 0, 4 * PAGE_SIZE, RW, MAP_PRIVATE, &f, 0);
	CHECK(rw > 0);
	CHECK(touch(rw, 0) == 0 && frame_of(rw, NULL) == HOST_INITRD_PHYS);
	CHECK_OK(poke(rw + 7, 0xee));
	CHECK(frame_of(rw, NULL) != HOST_INITRD_PHYS && bytes_at(rw)[8] == host_initrd_byte(8));
	/* Past the file's end: zero. */
	CHECK(touch(rw + 3 * PAGE_SIZE, 0) == 0);
	CHECK(bytes_at(rw + 3 * PAGE_SIZE)[9] == host_initrd_byte(3 * PAGE_SIZE + 9) &&
	      bytes_at(rw + 3 * PAGE_SIZE)[10] == 0);
	/* A shared read-only file mapping is allowed (nothing can write it). */
	CHECK(user_mmap(&us, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, &f, 0) > 0);
	/* Unmapping the file pages never frees the initrd (END checks its bytes). */
	CHECK(user_munmap(&us, ro, 2 * PAGE_SIZE) == 0);
	END();
}

static const char *test_munmap(void)
{
	BEGIN();
	long a = user_mmap(&us, IMAGE, 3 * PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0);
	CHECK(a == (long)IMAGE);
	for (int i = 0; i < 3; i++)
		CHECK_OK(poke(IMAGE + i * PAGE_SIZE, 'a' + i));
	CHECK(user_munmap(&us, IMAGE + 1, PAGE_SIZE) == -EINVAL);
	CHECK(user_munmap(&us, IMAGE, 0) == -EINVAL);
	CHECK(user_munmap(&us, USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE) == -EINVAL);
	CHECK(user_munmap(&us, IMAGE, ~0ull - 10) == -EINVAL);
	CHECK(us.regions.count == 1 && user_space_resident(&us) == 3);
	/* The middle page: the region splits in two, that page's frame is freed. */
	uint64_t free_before = buddy_free_pages();
	CHECK(user_munmap(&us, IMAGE + PAGE_SIZE, 1) == 0);
	CHECK(us.regions.count == 2 && user_space_resident(&us) == 2);
	CHECK(buddy_free_pages() >= free_before + 1);
	CHECK(touch(IMAGE + PAGE_SIZE, 0) == -EFAULT);
	CHECK(bytes_at(IMAGE)[0] == 'a' && bytes_at(IMAGE + 2 * PAGE_SIZE)[0] == 'c');
	CHECK_OK(check_regions());
	/* Unmapped ranges are fine, so is a range over holes and regions. */
	CHECK(user_munmap(&us, IMAGE + 100 * PAGE_SIZE, PAGE_SIZE) == 0);
	CHECK(user_munmap(&us, IMAGE - PAGE_SIZE, 5 * PAGE_SIZE) == 0);
	CHECK(us.regions.count == 0 && user_space_resident(&us) == 0);
	END();
}

static const char *test_mprotect(void)
{
	BEGIN();
	long a = user_mmap(&us, IMAGE, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0);
	CHECK(a == (long)IMAGE);
	CHECK_OK(poke(IMAGE + PAGE_SIZE, 'p'));
	CHECK_OK(poke(IMAGE + 2 * PAGE_SIZE, 'q'));
	CHECK(user_mprotect(&us, IMAGE + 1, PAGE_SIZE, PROT_READ) == -EINVAL);
	CHECK(user_mprotect(&us, IMAGE, PAGE_SIZE, 0x10) == -EINVAL);
	CHECK(user_mprotect(&us, IMAGE, PAGE_SIZE, PROT_WRITE | PROT_EXEC) == -EACCES);
	CHECK(user_mprotect(&us, IMAGE, 0, PROT_READ) == 0);
	/* A hole in the range: -ENOMEM, and nothing changed. */
	CHECK(user_mprotect(&us, IMAGE, 5 * PAGE_SIZE, PROT_READ) == -ENOMEM);
	CHECK(user_mprotect(&us, IMAGE - PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ) == -ENOMEM);
	CHECK(us.regions.count == 1);
	unsigned flags = 0;
	CHECK(frame_of(IMAGE + PAGE_SIZE, &flags) && (flags & MAP_WRITE));
	/* Read-only in the middle: three regions; the page is read-only now. */
	CHECK(user_mprotect(&us, IMAGE + PAGE_SIZE, PAGE_SIZE, PROT_READ) == 0);
	CHECK(us.regions.count == 3);
	CHECK(frame_of(IMAGE + PAGE_SIZE, &flags) && !(flags & MAP_WRITE) && (flags & MAP_USER));
	CHECK(touch(IMAGE + PAGE_SIZE, FAULT_WRITE) == -EFAULT);
	/* PROT_NONE keeps the contents but takes every user access away. */
	CHECK(user_mprotect(&us, IMAGE + 2 * PAGE_SIZE, PAGE_SIZE, PROT_NONE) == 0);
	CHECK(frame_of(IMAGE + 2 * PAGE_SIZE, &flags) && !(flags & MAP_USER));
	CHECK(touch(IMAGE + 2 * PAGE_SIZE, 0) == -EFAULT);
	CHECK(user_mprotect(&us, IMAGE, 4 * PAGE_SIZE, RW) == 0);
	CHECK(us.regions.count == 1);
	CHECK(frame_of(IMAGE + 2 * PAGE_SIZE, &flags) && (flags & MAP_USER) && (flags & MAP_WRITE));
	CHECK(bytes_at(IMAGE + 2 * PAGE_SIZE)[0] == 'q' && bytes_at(IMAGE + PAGE_SIZE)[0] == 'p');
	/* Executable: the page becomes exec, not writable. */
	CHECK(user_mprotect(&us, IMAGE, PAGE_SIZE * 2, PROT_READ | PROT_EXEC) == 0);
	CHECK(frame_of(IMAGE + PAGE_SIZE, &flags) && (flags & MAP_EXEC) && !(flags & MAP_WRITE));
	/* The stack's guard page is no mapping to change. */
	CHECK(user_map_stack(&us, USER_STACK_TOP, USER_STACK_SIZE, USER_STACK_MAX) == 0);
	CHECK(user_mprotect(&us, USER_STACK_TOP - USER_STACK_MAX - PAGE_SIZE, PAGE_SIZE, RW) ==
	      -ENOMEM);
	END();
}

/* mprotect must not make a shared frame writable: file frames, shared COW frames. */
static const char *test_mprotect_keeps_file_frames_read_only(void)
{
	BEGIN();
	struct user_file f = initrd_file(2 * PAGE_SIZE);
	long a = user_mmap(&us, 0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, &f, 0);
	CHECK(a > 0);
	CHECK(touch(a, 0) == 0 && frame_of(a, NULL) == HOST_INITRD_PHYS);
	CHECK(user_mprotect(&us, a, 2 * PAGE_SIZE, RW) == 0);
	unsigned flags = 0;
	CHECKF(frame_of(a, &flags) == HOST_INITRD_PHYS && !(flags & MAP_WRITE),
	       "mprotect made the initrd's own frame writable");
	CHECK_OK(poke(a, 'z')); /* the write copies */
	CHECK(frame_of(a, &flags) != HOST_INITRD_PHYS && (flags & MAP_WRITE));
	/* Read-only and back: the private copy is made writable again in place. */
	phys_addr_t copy = frame_of(a, NULL);
	CHECK(user_mprotect(&us, a, PAGE_SIZE, PROT_READ) == 0);
	CHECK(user_mprotect(&us, a, PAGE_SIZE, RW) == 0);
	CHECK(frame_of(a, &flags) == copy && (flags & MAP_WRITE) && bytes_at(a)[0] == 'z');
	END();
}

static const char *test_brk(void)
{
	BEGIN();
	CHECK(user_brk(&us, IMAGE + 5 * PAGE_SIZE) == 0); /* no heap before exec sets it */
	CHECK(user_map_anon(&us, IMAGE, 2 * PAGE_SIZE, RW, "bss") == 0);
	const virt_addr_t start = IMAGE + 2 * PAGE_SIZE;
	us.brk_start = us.brk = start;
	CHECK(user_brk(&us, 0) == start);
	CHECK(user_brk(&us, start - 1) == start);
	CHECK(user_brk(&us, start + USER_BRK_MAX + 1) == start);
	/* Byte-precise break, page-granular region. */
	CHECK(user_brk(&us, start + 10) == start + 10);
	const struct region *heap = region_find(&us.regions, start);
	CHECK(heap && heap->end == start + PAGE_SIZE && strcmp(heap->name, "[heap]") == 0);
	CHECK(user_brk(&us, start + 3 * PAGE_SIZE + 1) == start + 3 * PAGE_SIZE + 1);
	CHECK(us.regions.count == 2);
	CHECK_OK(poke(start, 1));
	CHECK_OK(poke(start + 3 * PAGE_SIZE, 2));
	uint64_t free_before = buddy_free_pages();
	/* Shrinking frees the pages above the new break. */
	CHECK(user_brk(&us, start + 5) == start + 5);
	CHECK(buddy_free_pages() == free_before + 1 && user_space_resident(&us) == 1);
	CHECK(touch(start + 3 * PAGE_SIZE, 0) == -EFAULT);
	/* Growing again: zero pages, never the old contents. */
	CHECK(user_brk(&us, start + 4 * PAGE_SIZE) == start + 4 * PAGE_SIZE);
	CHECK(touch(start + 3 * PAGE_SIZE, 0) == 0 && bytes_at(start + 3 * PAGE_SIZE)[0] == 0);
	CHECK(bytes_at(start)[0] == 1);
	/* A mapping in the way: the break stays. */
	CHECK(user_mmap(&us, start + 8 * PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0) > 0);
	CHECK(user_brk(&us, start + 9 * PAGE_SIZE) == start + 4 * PAGE_SIZE);
	CHECK(user_brk(&us, start + 8 * PAGE_SIZE) == start + 8 * PAGE_SIZE);
	/* No overcommit. */
	virt_addr_t far = start + 8 * PAGE_SIZE + (buddy_free_pages() - fault_user_reserve_pages() + 1) *
						      PAGE_SIZE;
	CHECK(user_munmap(&us, start + 8 * PAGE_SIZE, PAGE_SIZE) == 0);
	CHECK(user_brk(&us, far) == start + 8 * PAGE_SIZE);
	CHECK(user_brk(&us, start) == start && user_space_resident(&us) == 0);
	CHECK(us.regions.count == 1);
	END();
}

static const char *test_madvise_dontneed(void)
{
	BEGIN();
	long a = user_mmap(&us, IMAGE, 3 * PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0);
	CHECK(a == (long)IMAGE);
	for (int i = 0; i < 3; i++)
		CHECK_OK(poke(IMAGE + i * PAGE_SIZE, 'a' + i));
	CHECK(user_madvise(&us, IMAGE + 1, PAGE_SIZE, MADV_DONTNEED) == -EINVAL);
	CHECK(user_madvise(&us, IMAGE, PAGE_SIZE, 77) == -EINVAL);
	CHECK(user_madvise(&us, IMAGE, 4 * PAGE_SIZE, MADV_DONTNEED) == -ENOMEM);
	CHECK(user_madvise(&us, IMAGE, PAGE_SIZE, MADV_NORMAL) == 0);
	CHECK(user_space_resident(&us) == 3);
	uint64_t free_before = buddy_free_pages();
	CHECK(user_madvise(&us, IMAGE, 2 * PAGE_SIZE, MADV_DONTNEED) == 0);
	CHECK(user_space_resident(&us) == 1 && buddy_free_pages() == free_before + 2);
	CHECK(us.regions.count == 1); /* the mapping stays */
	CHECK(touch(IMAGE, 0) == 0 && bytes_at(IMAGE)[0] == 0);
	CHECK(bytes_at(IMAGE + 2 * PAGE_SIZE)[0] == 'c');
	/* A private file page: dropped, it reads the file again. */
	struct user_file f = initrd_file(PAGE_SIZE);
	long fa = user_mmap(&us, 0, PAGE_SIZE, RW, MAP_PRIVATE, &f, 0);
	CHECK(fa > 0);
	CHECK_OK(poke(fa, 'x'));
	CHECK(user_madvise(&us, fa, PAGE_SIZE, MADV_DONTNEED) == 0);
	CHECK(touch(fa, 0) == 0 && bytes_at(fa)[0] == host_initrd_byte(0));
	END();
}

static const char *test_mincore(void)
{
	BEGIN();
	long a = user_mmap(&us, IMAGE, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0);
	CHECK(a == (long)IMAGE);
	CHECK_OK(poke(IMAGE + PAGE_SIZE, 1));
	CHECK_OK(poke(IMAGE + 3 * PAGE_SIZE, 1));
	uint8_t vec[5];
	memset(vec, 9, sizeof(vec));
	CHECK(user_mincore(&us, IMAGE, 4 * PAGE_SIZE - 1, vec) == 0);
	CHECKF(vec[0] == 0 && vec[1] == 1 && vec[2] == 0 && vec[3] == 1 && vec[4] == 9,
	       "mincore says %u %u %u %u (%u past the end), expected 0 1 0 1 (9)", vec[0], vec[1],
	       vec[2], vec[3], vec[4]);
	CHECK(user_mincore(&us, IMAGE + 1, PAGE_SIZE, vec) == -EINVAL);
	CHECK(user_mincore(&us, IMAGE, 5 * PAGE_SIZE, vec) == -ENOMEM);
	CHECK(user_mincore(&us, USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE, vec) == -ENOMEM);
	END();
}

static const char *test_space_write(void)
{
	BEGIN();
	CHECK(user_map_stack(&us, USER_STACK_TOP, PAGE_SIZE, 16 * PAGE_SIZE) == 0);
	uint8_t text[6000];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(i % 251);
	/* Down across the stack's start: the stack grows to take it. */
	virt_addr_t va = USER_STACK_TOP - sizeof(text) - 100;
	CHECK(user_space_write(&us, va, text, sizeof(text)) == 0);
	const struct region *stack = region_find(&us.regions, va);
	CHECK(stack && stack->kind == REGION_STACK && stack->start == ALIGN_DOWN(va, PAGE_SIZE));
	for (size_t i = 0; i < sizeof(text); i += 999)
		CHECK(bytes_at(va + i)[0] == text[i]);
	/* Not a stack page, a read-only region, past the top: -EFAULT. */
	CHECK(user_space_write(&us, IMAGE, text, 1) == -EFAULT);
	CHECK(user_map_anon(&us, IMAGE, PAGE_SIZE, PROT_READ, "ro") == 0);
	CHECK(user_space_write(&us, IMAGE, text, 1) == -EFAULT);
	CHECK(user_space_write(&us, USER_TOP - 2, text, 4) == -EFAULT);
	CHECK(user_space_write(&us, USER_STACK_TOP - 16 * PAGE_SIZE - 8, text, 4) == -EFAULT);
	END();
}

/* A split that finds no memory: munmap and mprotect say -ENOMEM and change nothing. */
static const char *test_split_without_memory(void)
{
	BEGIN();
	/* Fill the region array's first 8 slots (regions one page apart never merge). */
	for (int i = 0; i < 8; i++)
		CHECK(user_mmap(&us, IMAGE + i * 4 * PAGE_SIZE, 3 * PAGE_SIZE, RW,
				ANON | MAP_FIXED_NOREPLACE, NULL, 0) == (long)(IMAGE + i * 4 * PAGE_SIZE));
	CHECK(us.regions.count == 8 && us.regions.capacity == 8);
	for (int i = 0; i < 3; i++)
		CHECK_OK(poke(IMAGE + i * PAGE_SIZE, 'a' + i));
	uint64_t free_before = buddy_free_pages();
	CHECK(failinject_arm(FAILINJECT_SLAB, 1) == 0 && failinject_arm(FAILINJECT_PMM, 1) == 0);
	int err = user_munmap(&us, IMAGE + PAGE_SIZE, PAGE_SIZE);
	failinject_off();
	CHECKF(err == -ENOMEM, "munmap splitting a region without memory returned %d", err);
	CHECK(us.regions.count == 8 && user_space_resident(&us) == 3);
	CHECK(bytes_at(IMAGE + PAGE_SIZE)[0] == 'b' && buddy_free_pages() == free_before);
	CHECK(failinject_arm(FAILINJECT_SLAB, 1) == 0 && failinject_arm(FAILINJECT_PMM, 1) == 0);
	err = user_mprotect(&us, IMAGE + PAGE_SIZE, PAGE_SIZE, PROT_READ);
	failinject_off();
	CHECKF(err == -ENOMEM, "mprotect splitting a region without memory returned %d", err);
	unsigned flags = 0;
	CHECK(us.regions.count == 8 && frame_of(IMAGE + PAGE_SIZE, &flags) && (flags & MAP_WRITE));
	/* With memory it works. */
	CHECK(user_munmap(&us, IMAGE + PAGE_SIZE, PAGE_SIZE) == 0 && us.regions.count == 9);
	END();
}

/* ---- random calls against a page-by-page shadow model ------------------- */

#define SHADOW_PAGES 48
#define SHADOW_OPS 4000

/* What the model says about one page of the window at IMAGE. */
struct shadow_page {
	bool mapped;   /* in a region */
	int prot;      /* PROT_* of that region */
	uint8_t value; /* its first byte (0 until written) */
};

static struct shadow_page shadow[SHADOW_PAGES];

static int random_prot(uint64_t *seed)
{
	static const int prots[] = {PROT_NONE, PROT_READ, RW, PROT_READ | PROT_EXEC};

	return prots[random_below(seed, 4)];
}

/* Do the page tables, the regions and the model agree on every page? */
static const char *shadow_agrees(unsigned op)
{
	for (int i = 0; i < SHADOW_PAGES; i++) {
		virt_addr_t va = IMAGE + (uint64_t)i * PAGE_SIZE;
		const struct region *r = region_find(&us.regions, va);
		unsigned flags = 0;
		phys_addr_t frame = frame_of(va, &flags);
		CHECKF(!!r == shadow[i].mapped, "op %u: page %d is %sin a region, the model says "
		       "%smapped", op, i, r ? "" : "not ", shadow[i].mapped ? "" : "not ");
		CHECKF(!frame || r, "op %u: page %d is mapped outside every region", op, i);
		if (!r)
			continue;
		unsigned expected = 0;
		if (shadow[i].prot != PROT_NONE)
			expected |= MAP_USER;
		if (shadow[i].prot & PROT_WRITE)
			expected |= MAP_WRITE;
		if (shadow[i].prot & PROT_EXEC)
			expected |= MAP_EXEC;
		CHECKF(r->prot == expected, "op %u: page %d: region prot 0x%x, expected 0x%x", op, i,
		       r->prot, expected);
		if (frame) {
			CHECKF((flags & (MAP_USER | MAP_WRITE | MAP_EXEC)) == expected,
			       "op %u: page %d: PTE flags 0x%x, region 0x%x", op, i, flags, expected);
			CHECKF(bytes_at(va)[0] == shadow[i].value, "op %u: page %d holds %u, expected %u",
			       op, i, bytes_at(va)[0], shadow[i].value);
		} else {
			CHECKF(shadow[i].value == 0, "op %u: page %d lost its contents (%u)", op, i,
			       shadow[i].value);
		}
	}
	return check_regions();
}

static const char *test_random_against_model(void)
{
	BEGIN();
	uint64_t seed = 0x5eed0015;
	memset(shadow, 0, sizeof(shadow));
	for (unsigned op = 0; op < SHADOW_OPS; op++) {
		int first = (int)random_below(&seed, SHADOW_PAGES);
		int count = 1 + (int)random_below(&seed, (uint64_t)(SHADOW_PAGES - first));
		virt_addr_t va = IMAGE + (uint64_t)first * PAGE_SIZE;
		uint64_t len = (uint64_t)count * PAGE_SIZE;
		bool covered = true;
		for (int i = first; i < first + count; i++)
			covered = covered && shadow[i].mapped;
		int prot = random_prot(&seed);
		switch (random_below(&seed, 5)) {
		case 0: /* mmap MAP_FIXED: replaces */
			CHECK(user_mmap(&us, va, len, prot, ANON | MAP_FIXED, NULL, 0) == (long)va);
			for (int i = first; i < first + count; i++)
				shadow[i] = (struct shadow_page){true, prot, 0};
			break;
		case 1:
			CHECK(user_munmap(&us, va, len) == 0);
			for (int i = first; i < first + count; i++)
				shadow[i] = (struct shadow_page){false, 0, 0};
			break;
		case 2:
			CHECK(user_mprotect(&us, va, len, prot) == (covered ? 0 : -ENOMEM));
			for (int i = first; covered && i < first + count; i++)
				shadow[i].prot = prot;
			break;
		case 3:
			CHECK(user_madvise(&us, va, len, MADV_DONTNEED) == (covered ? 0 : -ENOMEM));
			for (int i = first; covered && i < first + count; i++)
				shadow[i].value = 0;
			break;
		default: { /* a user write of a new value to one page, or a read */
			bool write = random_below(&seed, 2);
			int ok = shadow[first].mapped && shadow[first].prot != PROT_NONE &&
				 (!write || (shadow[first].prot & PROT_WRITE));
			unsigned flags = 0;
			bool allowed = frame_of(va, &flags) && (flags & MAP_USER) &&
				       (!write || (flags & MAP_WRITE)); /* the CPU would not fault */
			int err = allowed ? 0 : touch(va, write ? FAULT_WRITE : 0);
			CHECKF((err == 0) == ok, "op %u: a user %s of page %d returned %d", op,
			       write ? "write" : "read", first, err);
			if (ok && write) {
				shadow[first].value = (uint8_t)(1 + random_below(&seed, 255));
				*bytes_at(va) = shadow[first].value;
			}
			break;
		}
		}
		CHECK_OK(shadow_agrees(op));
	}
	END();
}

static const struct selftest user_space_tests[] = {
	{"create_destroy", "an empty space: no regions, mmap_top at USER_MMAP_TOP, nothing leaked",
	 test_create_destroy},
	{"destroy_frees_everything", "text, data, bss, heap, stack touched: destroy frees all but "
	 "the initrd", test_destroy_frees_everything},
	{"map_arguments", "user_map_anon/file/stack refuse bad ranges, W^X, overlaps",
	 test_map_arguments},
	{"mmap_anonymous", "lazy, top-down, merged; PROT_READ, PROT_NONE, MAP_SHARED; munmap frees",
	 test_mmap_anonymous},
	{"mmap_errors", "every refusal with Linux's error number; no overcommit past the reserve",
	 test_mmap_errors},
	{"mmap_fixed", "MAP_FIXED replaces and frees, MAP_FIXED_NOREPLACE -EEXIST, hints",
	 test_mmap_fixed},
	{"mmap_file", "initrd pages mapped read-only in place; private writes copy; zero tail",
	 test_mmap_file},
	{"munmap", "partial unmap splits; unaligned, zero, out of range -EINVAL; holes fine",
	 test_munmap},
	{"mprotect", "splits and merges, PTEs follow, holes -ENOMEM, PROT_NONE keeps data",
	 test_mprotect},
	{"mprotect_keeps_file_frames_read_only", "mprotect RW never makes an initrd frame writable",
	 test_mprotect_keeps_file_frames_read_only},
	{"brk", "Linux's brk: new or old break; limits, collisions, shrink frees, zero regrow",
	 test_brk},
	{"madvise_dontneed", "dropped pages read zero or the file again; -EINVAL, -ENOMEM",
	 test_madvise_dontneed},
	{"mincore", "one byte per page: resident or not; -EINVAL, -ENOMEM", test_mincore},
	{"split_without_memory", "munmap/mprotect needing a region slot with no memory: -ENOMEM, "
	 "nothing changed", test_split_without_memory},
	{"random_against_model", "4000 seeded mmap/munmap/mprotect/madvise/touches agree with a "
	 "page-by-page model", test_random_against_model},
	{"space_write", "user_space_write grows the stack, refuses read-only and unmapped pages",
	 test_space_write},
};

SELFTEST_SUITE(user_space, user_space_tests);
