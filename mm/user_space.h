/*
 * user_space.h - a process's address space as the memory manager sees it:
 * its own user half (page tables), the kernel half shared with every space,
 * the regions that say what each user range is (mm/region.h), and the heap
 * break. The memory system calls (mmap, munmap, mprotect, brk, madvise,
 * mincore) are implemented here with Linux's semantics, so that the system
 * call layer (kernel/syscall/sys_mm.c) only copies arguments and results.
 *
 * Pages appear lazily: a region is a promise, the page-fault handler
 * (mm/fault.c) keeps it on first touch (demand-zero, file pages, copy-on-
 * write, stack growth). Frames a space maps belong to it (refcounted) except
 * the initrd's own frames, which file regions map read-only and which are
 * never freed (they are reserved memory: PG_RESERVED).
 *
 * Invariants:
 *   [x] as.regions == &regions; every region lies in [USER_START, USER_TOP);
 *   [x] USER_START <= brk_start <= brk <= brk_start + USER_BRK_MAX, and the
 *       heap region (if any) is [brk_start, PAGE_ALIGN(brk));
 *   [x] every mapped user page lies inside a region; a region whose prot
 *       lacks MAP_USER (PROT_NONE) has no user-accessible PTE;
 *   [x] no page is writable and executable (W^X: PROT_WRITE|PROT_EXEC is
 *       refused with -EACCES);
 *   [x] after user_space_destroy, every frame and table it owned is free.
 * Context: process context, interrupts on, no spinlock held: the space's
 * owner (its process's thread, exec, or the process teardown) makes every
 * change, one at a time; the page-fault handler and readers (ps, pmap)
 * take the region set's and the page tables' own locks.
 * Lock order: share database (mm/share.h: munmap of a space with IPC
 * mappings, and another process's revoke, which only unmaps pages of its
 * shared regions here), then region set, then page tables, then zone
 * (each call takes and drops its lock). Host-compilable.
 */
#ifndef MM_USER_SPACE_H
#define MM_USER_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "mm/region.h"

struct share_node;

struct user_space {
	struct address_space as;   /* own user half; kernel half shared; as.regions == &regions */
	struct region_set regions;
	virt_addr_t brk_start;     /* page-aligned end of the image: the heap's start */
	virt_addr_t brk;           /* current break (byte-precise, as Linux) */
	virt_addr_t mmap_top;      /* next top-down mmap search starts below this */
	struct share_node *share_nodes; /* its mappings in the IPC mapping database (mm/share.c,
					 * under the database's lock), or NULL */
};

/* A file of the initrd: its bytes at phys (page-aligned), size of them. */
struct user_file {
	phys_addr_t phys;
	uint64_t size;
	const char *name;
};

/*
 * An empty space: a fresh PML4 sharing kernel_space's kernel half, no
 * regions, brk_start = brk = 0 (exec sets them), mmap_top = USER_MMAP_TOP.
 * Returns 0 or -ENOMEM (nothing kept).
 */
__must_check int user_space_create(struct user_space *us);

/*
 * Free everything us owns: every frame its user pages map (one owner each,
 * page_put; never an initrd frame), every page table, the region array;
 * first it leaves the IPC mapping database (share_space_exit), taking
 * every mapping derived from it along.
 * us must not be active on any CPU (the exiting thread switched to
 * kernel_space first). Afterwards us is as after a failed create.
 * Returns the 4 KiB pages that were mapped (what user_space_resident said
 * just before: an exiting process's resident size, found in the same walk).
 */
uint64_t user_space_destroy(struct user_space *us);

/*
 * fork's copy of a space: make child (not yet created) a copy-on-write
 * twin of parent. Every region is copied (but SHARED and PAGER ones, which
 * are left out: memory passed by IPC, mm/share.h); every page parent maps
 * there is mapped
 * in child too, read-only in both (writable pages are write-protected in
 * parent, with a TLB shootdown wherever parent may be cached), each owned
 * frame gaining one owner (page_get); the first write on either side
 * copies the page (or, for its last owner, makes it writable in place).
 * brk_start, brk and mmap_top are copied. parent is the calling process's
 * own space. Returns 0; -ENOMEM (child left as after a failed create:
 * nothing kept, parent unchanged except pages it may have had
 * write-protected, which its next write makes writable again). Process
 * context, interrupts on; allocates.
 */
__must_check int user_space_fork(struct user_space *child, struct user_space *parent);

/*
 * Move the space src into dst (execve's swap): dst takes everything, src is
 * left as after a failed create. src must be active on no CPU (the
 * page-table engine and the CPUs know a space by its address). dst's old
 * contents are overwritten: destroy or move them first. Any context.
 */
void user_space_move(struct user_space *dst, struct user_space *src);

/*
 * Map [va, va + size) (va page-aligned, size rounded up to pages) as a
 * private REGION_FILE region of f starting offset bytes into f (offset
 * page-aligned): reads see the file, bytes past its end read zero, writes
 * (prot with PROT_WRITE) copy the page first. prot is PROT_* (lib/uapi.h).
 * name is the region's name (e.g. the file's). Returns 0; -EINVAL (bad
 * range, unaligned, offset, prot); -EACCES (PROT_WRITE|PROT_EXEC); -EEXIST
 * (overlaps a region); -ENOMEM.
 */
__must_check int user_map_file(struct user_space *us, virt_addr_t va, uint64_t size, int prot,
			       const struct user_file *f, uint64_t offset, const char *name);

/*
 * Map [va, va + size) as demand-zero anonymous memory (bss, heap), with
 * user_map_file's rules and errors. Named "[heap]", the region is the heap.
 */
__must_check int user_map_anon(struct user_space *us, virt_addr_t va, uint64_t size, int prot,
			       const char *name);

/*
 * The main stack: a read-write REGION_STACK "[stack]" of size bytes ending
 * at top, which grows down on touch to max_size bytes, and a REGION_GUARD
 * page just below that limit. top page-aligned, size and max_size multiples
 * of PAGE_SIZE, 0 < size <= max_size. Returns 0, -EINVAL, -EEXIST, -ENOMEM.
 */
__must_check int user_map_stack(struct user_space *us, virt_addr_t top, uint64_t size,
				uint64_t max_size);

/*
 * Copy len bytes from kernel memory src to user address va of us, which
 * need not be the current space: through the direct map, page by page,
 * resolving each missing or read-only page as a user write fault would
 * (demand-zero, copy-on-write, stack growth). exec writes the new stack
 * with it. Returns 0; -EFAULT (a page a user write may not reach: nothing
 * promised there, read-only, outside the user half); -ENOMEM.
 */
__must_check int user_space_write(struct user_space *us, virt_addr_t va, const void *src,
				  size_t len);

/*
 * mmap(2). flags MAP_PRIVATE or MAP_SHARED (MAP_SHARED_VALIDATE), plus
 * MAP_ANONYMOUS (f ignored), MAP_FIXED, MAP_FIXED_NOREPLACE; MAP_NORESERVE,
 * MAP_POPULATE, MAP_STACK, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE
 * are accepted and ignored. Without MAP_ANONYMOUS f is the file (NULL:
 * -EBADF) mapped from offset. Placement: MAP_FIXED at addr exactly,
 * replacing what is there; MAP_FIXED_NOREPLACE at addr or -EEXIST; else the
 * hint addr (rounded up to a page) when it is free, else the highest free
 * range below USER_MMAP_TOP. Shared anonymous memory is private memory
 * (after fork the child's copy is copy-on-write, not shared: a known
 * difference from Linux); a shared file
 * mapping may not be writable (the initrd is read-only: -EACCES).
 * Returns the address, or -EINVAL (len 0, unaligned MAP_FIXED addr or
 * offset, bad prot or flags), -ENOMEM (len too big, no room, no memory:
 * more pages than free RAM minus the kernel's reserve,
 * fault_user_reserve_pages(): no overcommit past RAM), -EPERM (MAP_FIXED
 * below USER_START), -EEXIST, -EACCES (PROT_WRITE|PROT_EXEC: W^X),
 * -EOVERFLOW (offset + len wraps), -EBADF. As on Linux, a MAP_FIXED that
 * fails with -ENOMEM after removing what was there leaves the range empty.
 */
long user_mmap(struct user_space *us, virt_addr_t addr, uint64_t len, int prot, int flags,
	       const struct user_file *f, uint64_t offset);

/*
 * munmap(2): remove every region part and page in [addr, addr + len) (len
 * rounded up); a region partly inside is trimmed or split; a mapping passed
 * by IPC is trimmed or split in the mapping database too, and every
 * mapping derived from an unmapped page goes (share_unmap). Ranges with
 * nothing mapped are fine. Returns 0; -EINVAL (addr unaligned, len 0, the
 * range leaves the user half); -ENOMEM (a split found no memory: nothing
 * changed).
 */
__must_check int user_munmap(struct user_space *us, virt_addr_t addr, uint64_t len);

/*
 * mprotect(2): give [addr, addr + len) protection prot (PROT_*). Returns 0;
 * -EINVAL (unaligned addr, bad prot); -ENOMEM (some page of the range is in
 * no region or is the stack's guard page, as Linux: nothing changed; or no
 * memory for a split); -EACCES (PROT_WRITE|PROT_EXEC, or PROT_WRITE on a
 * mapping received read-only by IPC: mm/share.h). len 0: 0. Pages
 * already mapped follow at once, except that a frame shared with the file
 * or another mapping stays read-only (the next write copies it). A shared
 * read-only file mapping made writable here becomes a private one. Pages
 * passed by IPC (SHARED, PAGER regions) take the region's protection as
 * they are: they are shared on purpose, never copied.
 */
__must_check int user_mprotect(struct user_space *us, virt_addr_t addr, uint64_t len, int prot);

/*
 * brk(2), Linux's: move the break to new_brk and return it; return the
 * current break unchanged when it cannot move (new_brk 0 or below
 * brk_start, above brk_start + USER_BRK_MAX, the heap would run into
 * another region, more pages than free RAM minus the kernel's reserve).
 * Growing adds demand-zero pages; shrinking frees the pages above the new
 * break (rounded up to a page).
 */
virt_addr_t user_brk(struct user_space *us, virt_addr_t new_brk);

/*
 * madvise(2): MADV_DONTNEED drops every page of [addr, addr + len): the next
 * touch sees zeroes (anonymous) or the file again (file regions).
 * MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED: 0, nothing done.
 * Returns 0; -EINVAL (unaligned addr, unknown advice, DONTNEED on PROT_NONE
 * ... as Linux: only bad arguments; DONTNEED on pages passed by IPC, which
 * would not come back); -ENOMEM (part of the range unmapped).
 */
__must_check int user_madvise(struct user_space *us, virt_addr_t addr, uint64_t len, int advice);

/*
 * mincore(2): vec[i] = 1 if page i of [addr, addr + len) is resident, else
 * 0 (vec is kernel memory: the caller copies it out). Returns 0; -EINVAL
 * (unaligned addr); -ENOMEM (part of the range in no region, or outside the
 * user half).
 */
__must_check int user_mincore(struct user_space *us, virt_addr_t addr, uint64_t len,
			      uint8_t *vec);

/*
 * Where a kernel-placed mapping of size bytes (page-aligned) goes in us:
 * the highest free range below USER_MMAP_TOP (mmap's placement without a
 * hint), or 0 if none. Reserves nothing. IPC map and grant (mm/share.c).
 */
virt_addr_t user_space_place(struct user_space *us, uint64_t size);

/* Does any region of us overlap [start, end)? */
bool user_space_range_used(const struct user_space *us, virt_addr_t start, virt_addr_t end);

/* The user pages mapped now (4 KiB pages: `ps` RSS, getrusage). */
uint64_t user_space_resident(const struct user_space *us);

/* The 4 KiB pages mapped now in [start, end) (page-aligned): `pmap`'s per-region count. */
uint64_t user_space_resident_range(const struct user_space *us, virt_addr_t start,
				   virt_addr_t end);

#endif
