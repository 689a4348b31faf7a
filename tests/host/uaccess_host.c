/*
 * uaccess_host.c - the host's arch_copy_user, kernel_space and
 * current_space() (uaccess_host.h has the idea).
 *
 * Why simulate page by page: the kernel's primitive is one rep movsb that
 * faults where the CPU says; here nothing faults, so each page is looked
 * up in the page tables first and the fault the CPU would raise is made
 * explicit. The numbers of bytes "not copied" match the kernel's at page
 * granularity, which is all the callers depend on.
 * Invariants:
 *   [x] a copy never touches host memory outside dst/src and the arena;
 *   [x] a page is faulted in at most twice per copy (a resolved fault
 *       that still leaves the page unusable ends the copy).
 * Context: host tests, interrupts "on" (saved and restored around faults).
 */
#include "tests/host/uaccess_host.h"

#include "kernel/selftest.h"
#include "lib/align.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/buddy.h"
#include "mm/failinject.h"
#include "mm/fault.h"
#include "mm/kernel_space.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "mm/slab.h"
#include "tests/host/arena.h"

struct address_space kernel_space; /* a test creates it (paging_create(&kernel_space, NULL)) */
int host_copy_to_user;
uint64_t host_copy_faults;
uint64_t host_copy_violations;

struct address_space *current_space(void)
{
	return *arch_current_space_slot();
}

void host_uaccess_use(struct address_space *as)
{
	*arch_current_space_slot() = as;
}

/* Can the kernel access user page va as the copy wants, in t? */
static bool page_usable(const struct paging_translation *t, bool present, bool write)
{
	return present && (!write || (t->flags & MAP_WRITE));
}

size_t arch_copy_user(void *dst, const void *src, size_t n)
{
	bool write = host_copy_to_user;
	virt_addr_t user = write ? (uintptr_t)dst : (uintptr_t)src;
	struct address_space *as = current_space();
	size_t done = 0;

	while (done < n) {
		virt_addr_t va = user + done;
		size_t chunk = MIN(n - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		struct paging_translation t;
		bool present;
		int faults = 0;

		if (va >= USER_HALF_END)
			return n - done; /* a kernel page: the copy's caller never lets one through */
		while (!page_usable(&t, present = paging_translate(as, va, &t) == 0, write)) {
			struct fault f;
			if (faults++ == 2)
				return n - done;
			host_copy_faults++;
			unsigned long irq = arch_irq_save();
			int err = fault_handle(as, va, FAULT_USER | (write ? FAULT_WRITE : 0) |
						   (present ? FAULT_PRESENT : 0), &f);
			arch_irq_restore(irq);
			if (err) {
				host_copy_violations++;
				return n - done;
			}
		}
		if (write)
			memcpy(phys_to_virt(t.pa), (const uint8_t *)src + done, chunk);
		else
			memcpy((uint8_t *)dst + done, phys_to_virt(t.pa), chunk);
		done += chunk;
	}
	return 0;
}

static uint64_t free_at_start, anon_at_start, file_at_start;

/* The arena of every user-space test, built once per process. */
static bool arena_ready(void)
{
	static const struct arena_range ram[] = {{0, 64ull << 20}};
	static const struct arena_range initrd[] = {
		{HOST_INITRD_PHYS, HOST_INITRD_PHYS + HOST_INITRD_SIZE}};
	static const struct arena_layout layout = {ram, 1, initrd, 1};
	static int built; /* 0 not yet, 1 built, -1 failed */

	if (built == 0) {
		built = arena_build(&layout) == 0 ? 1 : -1;
		for (int z = 0; built == 1 && z < ZONE_COUNT; z++) {
			zones[z].watermark_min = 0;
			zones[z].watermark_low = 0;
			zones[z].watermark_high = 0;
		}
		uint8_t *bytes = phys_to_virt(HOST_INITRD_PHYS);
		for (uint64_t i = 0; built == 1 && i < HOST_INITRD_SIZE; i++)
			bytes[i] = host_initrd_byte(i);
	}
	return built == 1;
}

const char *host_user_begin(struct user_space *us)
{
	CHECKF(arena_ready(), "cannot build the arena allocator");
	slab_init();
	CHECK(slab_set_debug(false) == 0);
	kmalloc_init();
	failinject_off();
	host_copy_faults = host_copy_violations = 0;
	free_at_start = buddy_free_pages();
	anon_at_start = fault_user_anon_pages();
	file_at_start = fault_user_file_pages();
	CHECK(paging_create(&kernel_space, NULL) == 0);
	CHECK(user_space_create(us) == 0);
	host_uaccess_use(&us->as);
	return NULL;
}

const char *host_user_end(struct user_space *us)
{
	host_uaccess_use(&kernel_space);
	user_space_destroy(us);
	paging_destroy(&kernel_space);
	slab_shrink();
	CHECKF(buddy_free_pages() == free_at_start, "%ld pages leaked",
	       (long)(free_at_start - buddy_free_pages()));
	CHECKF(fault_user_anon_pages() == anon_at_start && fault_user_file_pages() == file_at_start,
	       "user page counters: AnonPages %lu (was %lu), Mapped %lu (was %lu)",
	       fault_user_anon_pages(), anon_at_start, fault_user_file_pages(), file_at_start);
	const char *why = buddy_check_invariants();
	CHECKF(!why, "buddy invariant: %s", why);
	const uint8_t *bytes = phys_to_virt(HOST_INITRD_PHYS);
	for (uint64_t i = 0; i < HOST_INITRD_SIZE; i++)
		CHECKF(bytes[i] == host_initrd_byte(i), "initrd byte %lu changed to 0x%02x", i,
		       bytes[i]);
	return NULL;
}

int host_user_touch(struct user_space *us, virt_addr_t va, unsigned access, struct fault *out)
{
	struct paging_translation t;
	struct fault f;
	bool present = paging_translate(&us->as, va, &t) == 0;
	unsigned long irq = arch_irq_save();
	int err = fault_handle(&us->as, va, FAULT_USER | access | (present ? FAULT_PRESENT : 0), &f);

	arch_irq_restore(irq);
	if (out)
		*out = f;
	return err;
}

phys_addr_t host_user_frame(struct user_space *us, virt_addr_t va, unsigned *flags)
{
	struct paging_translation t;

	if (paging_translate(&us->as, va, &t) != 0)
		return 0;
	if (flags)
		*flags = t.flags;
	return t.pa & ~(PAGE_SIZE - 1);
}

const char *host_user_poke(struct user_space *us, virt_addr_t va, uint8_t value)
{
	unsigned flags = 0;

	if (!host_user_frame(us, va, &flags) || !(flags & MAP_WRITE))
		CHECKF(host_user_touch(us, va, FAULT_WRITE, NULL) == 0,
		       "a user write to 0x%lx was refused", va);
	CHECK(host_user_frame(us, va, &flags) && (flags & MAP_WRITE));
	*(uint8_t *)phys_to_virt(host_user_frame(us, va, NULL) + (va & (PAGE_SIZE - 1))) = value;
	return NULL;
}

int host_user_peek(struct user_space *us, virt_addr_t va)
{
	if (!host_user_frame(us, va, NULL) && host_user_touch(us, va, 0, NULL) != 0)
		return -1;
	return *(uint8_t *)phys_to_virt(host_user_frame(us, va, NULL) + (va & (PAGE_SIZE - 1)));
}
