/*
 * elf.c - the ELF64 validator (see elf.h for what it accepts and returns).
 *
 * The headers are copied out of the image with memcpy before any field is
 * read, so the image may have any alignment and a header is never read past
 * the file's end. Every sum of two file fields is checked for wrapping before
 * it is compared, so a hostile header cannot make a bound look satisfied.
 * Program headers are numbered as `readelf -l` numbers them (from 0): a
 * refusal says "segment 3 overlaps segment 2", meaning program headers 3 and 2.
 * Invariants:
 *   [x] nothing outside [image, image + size) is read;
 *   [x] every -ENOEXEC fills why with a reason naming the field or segment;
 *   [x] the plan is only returned when every check passed.
 * Context: any; pure; host-compilable.
 */
#include "kernel/proc/elf.h"

#include "lib/align.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/uapi.h"

/* Fill why (ksnprintf: nothing when why_size is 0) and give the error: return MACRO(...). */
#define ELF_REFUSE(why, why_size, ...) (ksnprintf((why), (why_size), __VA_ARGS__), -ENOEXEC)

#define ULL(x) ((unsigned long long)(x))

/* Program header i of the image (already bounds-checked by the caller). */
static void elf_phdr(const void *image, const struct elf64_ehdr *eh, unsigned i,
		     struct elf64_phdr *ph)
{
	memcpy(ph, (const char *)image + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* The checks of the ELF header alone. */
static int elf_check_header(const struct elf64_ehdr *eh, uint64_t size, char *why, size_t why_size)
{
	uint64_t table;

	if (memcmp(eh->e_ident, ELF_MAGIC, 4) != 0)
		return ELF_REFUSE(why, why_size, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return ELF_REFUSE(why, why_size, "not a 64-bit ELF file (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return ELF_REFUSE(why, why_size, "not little endian (data encoding %u)",
				  eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return ELF_REFUSE(why, why_size, "bad ELF version %u/%u (1 expected)",
				  eh->e_ident[EI_VERSION], eh->e_version);
	if (eh->e_ident[EI_OSABI] != ELFOSABI_SYSV && eh->e_ident[EI_OSABI] != ELFOSABI_GNU)
		return ELF_REFUSE(why, why_size, "OS ABI %u is neither System V (0) nor GNU/Linux (3)",
				  eh->e_ident[EI_OSABI]);
	if (eh->e_machine != EM_X86_64)
		return ELF_REFUSE(why, why_size, "machine %u is not x86-64 (62)", eh->e_machine);
	if (eh->e_type == 1)
		return ELF_REFUSE(why, why_size, "a relocatable object (ET_REL), not an executable: link it");
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return ELF_REFUSE(why, why_size,
				  "type %u is not an executable (ET_EXEC 2, or ET_DYN 3 for static-pie)",
				  eh->e_type);
	if (eh->e_ehsize < sizeof(*eh))
		return ELF_REFUSE(why, why_size, "e_ehsize %u is smaller than an ELF64 header (64)",
				  eh->e_ehsize);
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return ELF_REFUSE(why, why_size, "e_phentsize %u is not 56 (an ELF64 program header)",
				  eh->e_phentsize);
	if (eh->e_phnum == 0)
		return ELF_REFUSE(why, why_size, "no program headers (e_phnum 0)");
	if (eh->e_phnum > ELF_PHNUM_MAX)
		return ELF_REFUSE(why, why_size, "%u program headers (at most %u)", eh->e_phnum,
				  ELF_PHNUM_MAX);
	table = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);
	if (eh->e_phoff > size || size - eh->e_phoff < table)
		return ELF_REFUSE(why, why_size,
				  "program headers at 0x%llx (0x%llx bytes) run past the end of the file (0x%llx bytes)",
				  ULL(eh->e_phoff), ULL(table), ULL(size));
	return 0;
}

/* The checks of one PT_LOAD header on its own (n: its index). */
static int elf_check_load(const struct elf64_phdr *ph, unsigned n, uint64_t size, char *why,
			  size_t why_size)
{
	if (ph->p_filesz > ph->p_memsz)
		return ELF_REFUSE(why, why_size, "segment %u: p_filesz 0x%llx > p_memsz 0x%llx", n,
				  ULL(ph->p_filesz), ULL(ph->p_memsz));
	if (ph->p_align > 1 && !IS_POWER_OF_TWO(ph->p_align))
		return ELF_REFUSE(why, why_size, "segment %u: p_align 0x%llx is not a power of two", n,
				  ULL(ph->p_align));
	if (ph->p_offset % PAGE_SIZE != ph->p_vaddr % PAGE_SIZE)
		return ELF_REFUSE(why, why_size,
				  "segment %u: p_offset 0x%llx and p_vaddr 0x%llx differ modulo the page size",
				  n, ULL(ph->p_offset), ULL(ph->p_vaddr));
	if (ph->p_offset > size || size - ph->p_offset < ph->p_filesz)
		return ELF_REFUSE(why, why_size,
				  "segment %u: file bytes [0x%llx, +0x%llx) run past the end of the file (0x%llx bytes)",
				  n, ULL(ph->p_offset), ULL(ph->p_filesz), ULL(size));
	if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
		return ELF_REFUSE(why, why_size, "segment %u: p_vaddr 0x%llx + p_memsz 0x%llx overflows",
				  n, ULL(ph->p_vaddr), ULL(ph->p_memsz));
	if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
		return ELF_REFUSE(why, why_size, "segment %u is both writable and executable (W^X)", n);
	return 0;
}

/*
 * The dynamic section of a static-pie (n: its header's index): musl's rcrt1
 * applies its relative relocations itself, but it cannot load libraries
 * (DT_NEEDED: the file was linked against libc.so, which Debian's
 * `musl-gcc -static-pie` does) nor write to read-only text (DT_TEXTREL).
 */
static int elf_check_dynamic(const void *image, uint64_t size, const struct elf64_phdr *ph,
			     unsigned n, char *why, size_t why_size)
{
	struct elf64_dyn d;
	uint64_t count = ph->p_filesz / sizeof(d);

	if (ph->p_offset > size || size - ph->p_offset < ph->p_filesz)
		return ELF_REFUSE(why, why_size,
				  "segment %u: the dynamic section [0x%llx, +0x%llx) runs past the end of the file",
				  n, ULL(ph->p_offset), ULL(ph->p_filesz));
	for (uint64_t i = 0; i < count && i < ELF_DYNAMIC_MAX; i++) {
		memcpy(&d, (const char *)image + ph->p_offset + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_NEEDED)
			return ELF_REFUSE(why, why_size,
					  "needs shared libraries (DT_NEEDED): link with libc.a (musl-gcc -static)");
		if (d.d_tag == DT_TEXTREL || (d.d_tag == DT_FLAGS && (d.d_val & DF_TEXTREL)))
			return ELF_REFUSE(why, why_size,
					  "relocates its read-only segments (DT_TEXTREL): compile with -fPIE");
	}
	return 0;
}

/* The Linux PROT_* bits of a segment's p_flags. */
static int elf_prot(uint32_t flags)
{
	return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
	       ((flags & PF_X) ? PROT_EXEC : 0);
}

/* Whether [a, a + n) lies inside the file bytes [p_vaddr, p_vaddr + p_filesz) of ph. */
static bool elf_in_file_bytes(const struct elf64_phdr *ph, uint64_t a, uint64_t n)
{
	return a >= ph->p_vaddr && a - ph->p_vaddr <= ph->p_filesz &&
	       ph->p_filesz - (a - ph->p_vaddr) >= n;
}

int elf_check(const void *image, uint64_t size, struct elf_plan *plan, char *why, size_t why_size)
{
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	uint64_t lo = 0, base, limit, table;
	int first_load = -1, prev_load = -1, prev_seg = -1;
	bool entry_ok = false, phdr_ok = false;
	uint64_t prev_vaddr = 0, phdr_vaddr = 0;
	int err;

	if (why && why_size)
		why[0] = '\0';
	if (size < sizeof(eh))
		return ELF_REFUSE(why, why_size, "too small for an ELF header (%llu bytes)", ULL(size));
	memcpy(&eh, image, sizeof(eh));
	err = elf_check_header(&eh, size, why, why_size);
	if (err)
		return err;
	table = (uint64_t)eh.e_phnum * sizeof(struct elf64_phdr);

	/* Pass 1: each header on its own, the order of the PT_LOADs, where the image starts. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		elf_phdr(image, &eh, i, &ph);
		if (ph.p_type == PT_INTERP)
			return ELF_REFUSE(why, why_size,
					  "dynamically linked (PT_INTERP): build with musl-gcc -static");
		if (ph.p_type == PT_GNU_STACK && (ph.p_flags & PF_X))
			return ELF_REFUSE(why, why_size,
					  "asks for an executable stack (PT_GNU_STACK with PF_X): Pagoda's stacks never execute");
		if (ph.p_type == PT_DYNAMIC &&
		    (err = elf_check_dynamic(image, size, &ph, i, why, why_size)) != 0)
			return err;
		if (ph.p_type != PT_LOAD)
			continue;
		err = elf_check_load(&ph, i, size, why, why_size);
		if (err)
			return err;
		if (prev_load >= 0 && ph.p_vaddr < prev_vaddr)
			return ELF_REFUSE(why, why_size,
					  "segment %u: p_vaddr 0x%llx is below segment %d's 0x%llx (PT_LOAD headers must be sorted)",
					  i, ULL(ph.p_vaddr), prev_load, ULL(prev_vaddr));
		prev_load = (int)i;
		prev_vaddr = ph.p_vaddr;
		if (ph.p_memsz == 0)
			continue;
		if (first_load < 0) {
			first_load = (int)i;
			lo = ALIGN_DOWN(ph.p_vaddr, PAGE_SIZE);
		}
		if ((ph.p_flags & PF_X) && elf_in_file_bytes(&ph, eh.e_entry, 1))
			entry_ok = true;
		if (!phdr_ok && eh.e_phoff >= ph.p_offset && eh.e_phoff - ph.p_offset <= ph.p_filesz &&
		    ph.p_filesz - (eh.e_phoff - ph.p_offset) >= table) {
			phdr_ok = true;
			phdr_vaddr = ph.p_vaddr + (eh.e_phoff - ph.p_offset);
		}
	}
	if (first_load < 0)
		return ELF_REFUSE(why, why_size, "no loadable segment (no PT_LOAD with p_memsz > 0)");
	if (!entry_ok)
		return ELF_REFUSE(why, why_size,
				  "entry point 0x%llx is not in the file bytes of an executable segment",
				  ULL(eh.e_entry));
	if (!phdr_ok)
		return ELF_REFUSE(why, why_size,
				  "the program headers (file offset 0x%llx) are in no loaded segment: AT_PHDR would point nowhere",
				  ULL(eh.e_phoff));

	/*
	 * ET_EXEC runs where it was linked. A static-pie is moved so that its
	 * lowest page lands on USER_PIE_BASE: address a becomes a - lo + base,
	 * computed as an offset from lo (a >= lo: the headers are sorted) so
	 * that nothing wraps.
	 */
	memset(plan, 0, sizeof(*plan));
	plan->type = eh.e_type;
	if (eh.e_type == ET_DYN) {
		base = USER_PIE_BASE;
		limit = USER_MMAP_TOP - USER_PIE_BASE;
	} else {
		base = 0;
		lo = 0;
		limit = USER_MMAP_TOP;
	}
	plan->load_bias = base - lo; /* modulo 2^64; addresses are computed as base + (a - lo) */

	/* Pass 2: the segments in memory: inside the user range, disjoint by page. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		struct elf_segment *s;
		uint64_t end_rel;

		elf_phdr(image, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		end_rel = ph.p_vaddr + ph.p_memsz - lo; /* no wrap: checked in pass 1, p_vaddr >= lo */
		if (end_rel > limit || base + (ph.p_vaddr - lo) < USER_START)
			return ELF_REFUSE(why, why_size,
					  "segment %u: [0x%llx, 0x%llx) is outside the user range [0x%llx, 0x%llx)",
					  i, ULL(base + (ph.p_vaddr - lo)), ULL(base + end_rel),
					  ULL(USER_START), ULL(USER_MMAP_TOP));
		if (plan->segment_count == ELF_SEGMENTS_MAX)
			return ELF_REFUSE(why, why_size, "more than %u loadable segments", ELF_SEGMENTS_MAX);
		s = &plan->segments[plan->segment_count];
		s->start = base + ALIGN_DOWN(ph.p_vaddr - lo, PAGE_SIZE); /* lo is page-aligned */
		s->end = base + ALIGN_UP(end_rel, PAGE_SIZE);             /* <= base + limit */
		if (prev_seg >= 0 && s->start < plan->segments[plan->segment_count - 1].end)
			return ELF_REFUSE(why, why_size,
					  "segment %u overlaps segment %d (pages [0x%llx, 0x%llx) and [0x%llx, 0x%llx))",
					  i, prev_seg, ULL(s->start), ULL(s->end),
					  ULL(plan->segments[plan->segment_count - 1].start),
					  ULL(plan->segments[plan->segment_count - 1].end));
		s->prot = elf_prot(ph.p_flags);
		s->file_offset = ALIGN_DOWN(ph.p_offset, PAGE_SIZE);
		s->file_bytes = ph.p_filesz ? ph.p_offset % PAGE_SIZE + ph.p_filesz : 0;
		s->file_end = s->start + ALIGN_UP(s->file_bytes, PAGE_SIZE);
		s->name = (ph.p_flags & PF_X) ? "text" : (ph.p_flags & PF_W) ? "data" : "rodata";
		plan->segment_count++;
		prev_seg = (int)i;
	}
	plan->entry = base + (eh.e_entry - lo);   /* e_entry >= lo: it is in a segment */
	plan->phdr = base + (phdr_vaddr - lo);    /* likewise */
	plan->phent = eh.e_phentsize;
	plan->phnum = eh.e_phnum;
	plan->image_end = plan->segments[plan->segment_count - 1].end;
	return 0;
}
