/*
 * test_elf.c - suite "elf": the ELF64 validator (kernel/proc/elf.c) on real
 * musl executables (tests/host/elf_vectors.h: a static ET_EXEC and a
 * static-pie ET_DYN) and on each way of breaking them.
 *
 * Covered: both vectors accepted with the plan their program headers imply
 * (page-rounded ranges, prot, file offset and bytes, the bss part, entry,
 * AT_PHDR, the brk start; the static-pie moved to USER_PIE_BASE); one
 * mutation per refusal, each refused with -ENOEXEC and its own reason
 * (checked by a word of the message); every truncation of the file refused
 * or accepted without reading past it (ASan); synthetic images with more
 * segments than the plan holds and with empty segments.
 * Hosted code: may use libc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/proc/elf.h"
#include "kernel/selftest.h"
#include "lib/align.h"
#include "lib/errno.h"
#include "lib/uapi.h"
#include "tests/host/elf_image.h"

#define VEC_STATIC (&elf_vectors[0])
#define VEC_PIE (&elf_vectors[1])

/* The plan's invariants (elf.h), whatever the file. */
static const char *check_plan(const struct elf_plan *p, uint64_t file_size)
{
	const char *problem = elf_plan_problem(p, file_size);

	return problem ? selftest_reason("plan: %s", problem) : NULL;
}

/* The plan for vector v must follow from its PT_LOAD headers, moved by bias. */
static const char *check_vector(const struct elf_vector *v, uint16_t type, uint64_t bias)
{
	struct elf_image im = elf_image_of(v);
	struct elf_plan plan;
	char why[160];
	size_t n = 0;
	const char *reason = NULL;

	CHECK(im.bytes);
	int rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
	if (rc != 0) {
		reason = selftest_reason("%s refused: %s", v->name, why);
		goto out;
	}
	if ((reason = check_plan(&plan, im.size)))
		goto out;
	struct elf64_ehdr *eh = elf_image_ehdr(&im);
	if (plan.type != type || plan.load_bias != bias || plan.entry != eh->e_entry + bias ||
	    plan.phdr != eh->e_phoff + elf_image_phdr(&im, 0)->p_vaddr + bias - elf_image_phdr(&im, 0)->p_offset ||
	    plan.phent != 56 || plan.phnum != eh->e_phnum || why[0]) {
		reason = selftest_reason("%s: type %u bias 0x%llx entry 0x%llx phdr 0x%llx", v->name,
					 plan.type, (unsigned long long)plan.load_bias,
					 (unsigned long long)plan.entry, (unsigned long long)plan.phdr);
		goto out;
	}
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const struct elf64_phdr *ph = elf_image_phdr(&im, i);
		const struct elf_segment *s = &plan.segments[n];

		if (ph->p_type != PT_LOAD)
			continue;
		if (s->start != ALIGN_DOWN(ph->p_vaddr, PAGE_SIZE) + bias ||
		    s->end != ALIGN_UP(ph->p_vaddr + ph->p_memsz, PAGE_SIZE) + bias ||
		    s->file_offset != ALIGN_DOWN(ph->p_offset, PAGE_SIZE) ||
		    s->file_bytes != ph->p_offset % PAGE_SIZE + ph->p_filesz ||
		    s->prot != (((ph->p_flags & PF_R) ? PROT_READ : 0) |
				((ph->p_flags & PF_W) ? PROT_WRITE : 0) |
				((ph->p_flags & PF_X) ? PROT_EXEC : 0))) {
			reason = selftest_reason("%s: segment %zu (header %u) is [0x%llx, 0x%llx) "
						 "file 0x%llx+0x%llx prot %d", v->name, n, i,
						 (unsigned long long)s->start, (unsigned long long)s->end,
						 (unsigned long long)s->file_offset,
						 (unsigned long long)s->file_bytes, s->prot);
			goto out;
		}
		n++;
	}
	if (n != plan.segment_count)
		reason = selftest_reason("%s: %zu PT_LOADs, %zu segments", v->name, n, plan.segment_count);
out:
	elf_image_free(&im);
	return reason;
}

static const char *test_static(void)
{
	CHECK_OK(check_vector(VEC_STATIC, ET_EXEC, 0));
	/* musl's static link: text at 0x401000, a data segment with bss after its file bytes */
	struct elf_image im = elf_image_of(VEC_STATIC);
	struct elf_plan plan;
	CHECK(im.bytes && elf_check(im.bytes, im.size, &plan, NULL, 0) == 0);
	elf_image_free(&im);
	CHECK(plan.segments[0].start == 0x400000);
	bool text = false, data = false;
	for (size_t i = 0; i < plan.segment_count; i++) {
		const struct elf_segment *s = &plan.segments[i];
		if (s->prot == (PROT_READ | PROT_EXEC) && !strcmp(s->name, "text"))
			text = plan.entry >= s->start && plan.entry < s->file_end;
		if (s->prot == (PROT_READ | PROT_WRITE) && !strcmp(s->name, "data"))
			data = s->file_bytes > 0 && s->file_bytes % PAGE_SIZE != 0;
	}
	CHECKF(text && data, "text with the entry %d, data with a partial last page %d", text, data);
	return NULL;
}

static const char *test_static_pie(void)
{
	struct elf_image im = elf_image_of(VEC_PIE);
	CHECK(im.bytes);
	uint64_t lo = elf_image_phdr(&im, (unsigned)elf_image_find(&im, PT_LOAD, 0))->p_vaddr;
	CHECKF(elf_image_find(&im, PT_INTERP, 0) < 0 && elf_image_find(&im, PT_DYNAMIC, 0) >= 0,
	       "the static-pie vector has PT_INTERP or lacks PT_DYNAMIC");
	elf_image_free(&im);
	CHECK_OK(check_vector(VEC_PIE, ET_DYN, USER_PIE_BASE - ALIGN_DOWN(lo, PAGE_SIZE)));
	return NULL;
}

/* ---- one mutation per refusal ------------------------------------------- */

struct mutation {
	const char *name;
	const struct elf_vector *vector;
	void (*apply)(struct elf_image *im);
	const char *expect;    /* a piece of the reason */
};

#define EH(im) elf_image_ehdr(im)
#define PH(im, type, n) elf_image_phdr((im), (unsigned)elf_image_find((im), (type), (n)))

static void m_magic(struct elf_image *im) { im->bytes[1] = 'e'; }
static void m_class(struct elf_image *im) { im->bytes[EI_CLASS] = 1; }
static void m_data(struct elf_image *im) { im->bytes[EI_DATA] = 2; }
static void m_version(struct elf_image *im) { EH(im)->e_version = 2; }
static void m_ident_version(struct elf_image *im) { im->bytes[EI_VERSION] = 0; }
static void m_osabi(struct elf_image *im) { im->bytes[EI_OSABI] = 9; }
static void m_machine(struct elf_image *im) { EH(im)->e_machine = 3; }
static void m_rel(struct elf_image *im) { EH(im)->e_type = 1; }
static void m_core(struct elf_image *im) { EH(im)->e_type = 4; }
static void m_ehsize(struct elf_image *im) { EH(im)->e_ehsize = 52; }
static void m_phentsize(struct elf_image *im) { EH(im)->e_phentsize = 32; }
static void m_phnum0(struct elf_image *im) { EH(im)->e_phnum = 0; }
static void m_phnum_big(struct elf_image *im) { EH(im)->e_phnum = 0xffff; }
static void m_phoff(struct elf_image *im) { EH(im)->e_phoff = im->size - 8; }
static void m_phoff_wrap(struct elf_image *im) { EH(im)->e_phoff = ~0ull - 7; }
static void m_tiny(struct elf_image *im) { im->size = 63; }
static void m_interp(struct elf_image *im) { PH(im, PT_GNU_STACK, 0)->p_type = PT_INTERP; }
static void m_exec_stack(struct elf_image *im) { PH(im, PT_GNU_STACK, 0)->p_flags |= PF_X; }
static void m_filesz(struct elf_image *im)
{
	struct elf64_phdr *ph = PH(im, PT_LOAD, 3);
	ph->p_filesz = ph->p_memsz + 1;
}
static void m_align(struct elf_image *im) { PH(im, PT_LOAD, 1)->p_align = 0x3000; }
static void m_congruence(struct elf_image *im) { PH(im, PT_LOAD, 1)->p_vaddr += 0x10; }
static void m_file_past(struct elf_image *im)
{
	PH(im, PT_LOAD, 2)->p_filesz = PH(im, PT_LOAD, 2)->p_memsz = im->size;
}
static void m_offset_wrap(struct elf_image *im)
{
	struct elf64_phdr *ph = PH(im, PT_LOAD, 2);
	ph->p_offset = ~0ull - 0xfff + ph->p_offset % PAGE_SIZE;
}
static void m_vaddr_wrap(struct elf_image *im) { PH(im, PT_LOAD, 3)->p_memsz = ~0ull - 0x100; }
static void m_wx(struct elf_image *im) { PH(im, PT_LOAD, 3)->p_flags |= PF_X; }
static void m_unsorted(struct elf_image *im)
{
	struct elf64_phdr a = *PH(im, PT_LOAD, 1);
	*PH(im, PT_LOAD, 1) = *PH(im, PT_LOAD, 2);
	*PH(im, PT_LOAD, 2) = a;
}
static void m_overlap(struct elf_image *im)
{
	struct elf64_phdr *ph = PH(im, PT_LOAD, 1);
	ph->p_memsz = PH(im, PT_LOAD, 2)->p_vaddr - ph->p_vaddr + 1;
}
static void m_low(struct elf_image *im)
{
	struct elf64_phdr *ph = PH(im, PT_LOAD, 0);
	ph->p_vaddr = ph->p_paddr = 0x1000;
}
static void m_high(struct elf_image *im)
{
	struct elf64_phdr *ph = PH(im, PT_LOAD, 3);
	ph->p_vaddr = USER_MMAP_TOP - PAGE_SIZE + ph->p_vaddr % PAGE_SIZE; /* memsz crosses the top */
}
static void m_pie_high(struct elf_image *im)
{
	PH(im, PT_LOAD, 3)->p_memsz = USER_MMAP_TOP - USER_PIE_BASE;
}
static void m_entry(struct elf_image *im) { EH(im)->e_entry = PH(im, PT_LOAD, 2)->p_vaddr; }
static void m_entry_bss(struct elf_image *im)
{
	struct elf64_phdr *ph = PH(im, PT_LOAD, 1);
	EH(im)->e_entry = ph->p_vaddr + ph->p_filesz;   /* just past the text's file bytes */
}
static void m_phdr(struct elf_image *im) { PH(im, PT_LOAD, 0)->p_filesz = 0x40; }
/* The static-pie's dynamic section, entry i (the vector's bytes are in the image). */
static struct elf64_dyn *dyn_entry(struct elf_image *im, unsigned i)
{
	return (struct elf64_dyn *)(void *)(im->bytes + PH(im, PT_DYNAMIC, 0)->p_offset) + i;
}
static void m_textrel(struct elf_image *im) { dyn_entry(im, 1)->d_tag = DT_TEXTREL; }
static void m_df_textrel(struct elf_image *im)
{
	dyn_entry(im, 2)->d_tag = DT_FLAGS;
	dyn_entry(im, 2)->d_val = DF_TEXTREL | 0x8;
}
static void m_needed(struct elf_image *im) { dyn_entry(im, 3)->d_tag = DT_NEEDED; }
static void m_dynamic_past(struct elf_image *im) { PH(im, PT_DYNAMIC, 0)->p_filesz = im->size; }
static void m_no_load(struct elf_image *im)
{
	for (int i; (i = elf_image_find(im, PT_LOAD, 0)) >= 0;)
		elf_image_phdr(im, (unsigned)i)->p_type = PT_NULL;
}

static const struct mutation mutations[] = {
	{"magic", VEC_STATIC, m_magic, "not an ELF file"},
	{"class", VEC_STATIC, m_class, "not a 64-bit"},
	{"data", VEC_STATIC, m_data, "little endian"},
	{"version", VEC_STATIC, m_version, "ELF version"},
	{"ident_version", VEC_PIE, m_ident_version, "ELF version"},
	{"osabi", VEC_STATIC, m_osabi, "OS ABI 9"},
	{"machine", VEC_STATIC, m_machine, "machine 3 is not x86-64"},
	{"rel", VEC_STATIC, m_rel, "relocatable"},
	{"core", VEC_STATIC, m_core, "type 4 is not an executable"},
	{"ehsize", VEC_STATIC, m_ehsize, "e_ehsize 52"},
	{"phentsize", VEC_STATIC, m_phentsize, "e_phentsize 32"},
	{"phnum0", VEC_STATIC, m_phnum0, "no program headers"},
	{"phnum_big", VEC_STATIC, m_phnum_big, "65535 program headers"},
	{"phoff", VEC_STATIC, m_phoff, "program headers at"},
	{"phoff_wrap", VEC_PIE, m_phoff_wrap, "program headers at"},
	{"tiny", VEC_STATIC, m_tiny, "too small"},
	{"interp", VEC_STATIC, m_interp, "build with musl-gcc -static"},
	{"exec_stack", VEC_PIE, m_exec_stack, "executable stack"},
	{"filesz", VEC_STATIC, m_filesz, "p_filesz"},
	{"align", VEC_STATIC, m_align, "not a power of two"},
	{"congruence", VEC_STATIC, m_congruence, "differ modulo the page size"},
	{"file_past", VEC_STATIC, m_file_past, "run past the end of the file"},
	{"offset_wrap", VEC_PIE, m_offset_wrap, "run past the end of the file"},
	{"vaddr_wrap", VEC_STATIC, m_vaddr_wrap, "overflows"},
	{"wx", VEC_STATIC, m_wx, "both writable and executable"},
	{"unsorted", VEC_STATIC, m_unsorted, "must be sorted"},
	{"overlap", VEC_STATIC, m_overlap, "overlaps segment"},
	{"overlap_pie", VEC_PIE, m_overlap, "overlaps segment"},
	{"low", VEC_STATIC, m_low, "outside the user range"},
	{"high", VEC_STATIC, m_high, "outside the user range"},
	{"pie_high", VEC_PIE, m_pie_high, "outside the user range"},
	{"entry", VEC_STATIC, m_entry, "entry point"},
	{"entry_past_file", VEC_PIE, m_entry_bss, "entry point"},
	{"phdr", VEC_STATIC, m_phdr, "AT_PHDR"},
	{"no_load", VEC_STATIC, m_no_load, "no loadable segment"},
	{"textrel", VEC_PIE, m_textrel, "DT_TEXTREL"},
	{"df_textrel", VEC_PIE, m_df_textrel, "DT_TEXTREL"},
	{"needed", VEC_PIE, m_needed, "DT_NEEDED"},
	{"dynamic_past", VEC_PIE, m_dynamic_past, "dynamic section"},
};

static const char *test_refusals(void)
{
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *m = &mutations[i];
		struct elf_image im = elf_image_of(m->vector);
		struct elf_plan plan;
		char why[200];

		CHECK(im.bytes);
		m->apply(&im);
		memset(why, 'X', sizeof(why));
		int rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
		elf_image_free(&im);
		CHECKF(rc == -ENOEXEC, "%s: returned %d (%s)", m->name, rc, rc ? why : "accepted");
		CHECKF(memchr(why, '\0', sizeof(why)) && strstr(why, m->expect),
		       "%s: reason \"%.150s\" lacks \"%s\"", m->name, why, m->expect);
	}
	return NULL;
}

/* What Debian's `musl-gcc -static-pie` links: no interpreter, but libc.so needed. */
static const char *test_needs_libc(void)
{
	const struct elf_vector *v = &elf_bad_vectors[0];
	struct elf_image im = elf_image_of(v);
	struct elf_plan plan;
	char why[200];

	CHECK(im.bytes && !strcmp(v->name, "needs_libc"));
	CHECK(elf_image_find(&im, PT_INTERP, 0) < 0 && elf_image_find(&im, PT_DYNAMIC, 0) >= 0);
	int rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
	elf_image_free(&im);
	CHECKF(rc == -ENOEXEC && strstr(why, "DT_NEEDED") && strstr(why, "libc.a"), "%d %s", rc, why);
	return NULL;
}

/* The reason names the segments: "segment 2 overlaps segment 1" for the vector's layout. */
static const char *test_reason_names_segments(void)
{
	struct elf_image im = elf_image_of(VEC_STATIC);
	struct elf_plan plan;
	char why[200], expect[64];

	CHECK(im.bytes);
	m_overlap(&im);
	snprintf(expect, sizeof(expect), "segment %d overlaps segment %d",
		 elf_image_find(&im, PT_LOAD, 2), elf_image_find(&im, PT_LOAD, 1));
	CHECK(elf_check(im.bytes, im.size, &plan, why, sizeof(why)) == -ENOEXEC);
	elf_image_free(&im);
	CHECKF(strstr(why, expect), "\"%s\" lacks \"%s\"", why, expect);
	return NULL;
}

/*
 * Every shorter file: refused while it cuts into a segment's file bytes,
 * accepted with a sound plan once only the section headers are cut.
 */
static const char *test_truncations(void)
{
	for (size_t v = 0; v < 2; v++) {
		const struct elf_vector *vec = &elf_vectors[v];
		struct elf_image whole = elf_image_of(vec);
		uint64_t needed = 0;

		CHECK(whole.bytes);
		for (int i = 0, k; (k = elf_image_find(&whole, PT_LOAD, i)) >= 0; i++) {
			const struct elf64_phdr *ph = elf_image_phdr(&whole, (unsigned)k);
			if (ph->p_offset + ph->p_filesz > needed)
				needed = ph->p_offset + ph->p_filesz;
		}
		elf_image_free(&whole);
		for (uint64_t size = 0; size < vec->file_size; size += size < 1024 ? 1 : 509) {
			uint8_t *bytes = malloc(size ? size : 1);
			struct elf_plan plan;
			char why[160];

			CHECK(bytes);
			memcpy(bytes, vec->head, size < vec->header_size ? size : vec->header_size);
			if (size > vec->header_size)
				memset(bytes + vec->header_size, 0, size - vec->header_size);
			int rc = elf_check(bytes, size, &plan, why, sizeof(why));
			free(bytes);
			if (size < needed)
				CHECKF(rc == -ENOEXEC && why[0], "%s cut to %llu bytes: %d", vec->name,
				       (unsigned long long)size, rc);
			else
				CHECKF(rc == 0 && !check_plan(&plan, size), "%s cut to %llu bytes "
				       "(segments end at %llu): %d %s", vec->name, (unsigned long long)size,
				       (unsigned long long)needed, rc, why);
		}
	}
	return NULL;
}

/* A file of header + n PT_LOAD segments of one page each, read-only, entry in the last (executable). */
static struct elf_image synthetic(unsigned n, bool empty_middle)
{
	uint64_t size = PAGE_SIZE * (n + 1);
	struct elf_image im = {calloc(1, size), size};
	struct elf64_ehdr *eh = (void *)im.bytes;

	if (!im.bytes)
		return im;
	memcpy(eh->e_ident, ELF_MAGIC, 4);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(struct elf64_phdr);
	eh->e_phnum = (uint16_t)n;
	for (unsigned i = 0; i < n; i++) {
		struct elf64_phdr *ph = elf_image_phdr(&im, i);
		ph->p_type = PT_LOAD;
		ph->p_flags = i == n - 1 ? PF_R | PF_X : PF_R;
		ph->p_offset = PAGE_SIZE * i;
		ph->p_vaddr = 0x400000 + 2 * PAGE_SIZE * i;
		ph->p_filesz = ph->p_memsz = PAGE_SIZE;
		ph->p_align = PAGE_SIZE;
		if (empty_middle && i == n / 2)
			ph->p_filesz = ph->p_memsz = 0;
	}
	eh->e_entry = 0x400000 + 2 * PAGE_SIZE * (n - 1) + 0x10;
	return im;
}

static const char *test_segment_count(void)
{
	struct elf_plan plan;
	char why[160];
	struct elf_image im = synthetic(ELF_SEGMENTS_MAX, false);

	CHECK(im.bytes);
	int rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
	elf_image_free(&im);
	CHECKF(rc == 0 && plan.segment_count == ELF_SEGMENTS_MAX, "16 segments: %d %s", rc, why);
	CHECK_OK(check_plan(&plan, PAGE_SIZE * (ELF_SEGMENTS_MAX + 1)));

	im = synthetic(ELF_SEGMENTS_MAX + 1, false);
	CHECK(im.bytes);
	rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
	elf_image_free(&im);
	CHECKF(rc == -ENOEXEC && strstr(why, "more than 16"), "17 segments: %d %s", rc, why);

	/* an empty PT_LOAD takes no slot and no pages */
	im = synthetic(ELF_SEGMENTS_MAX + 1, true);
	CHECK(im.bytes);
	rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
	elf_image_free(&im);
	CHECKF(rc == 0 && plan.segment_count == ELF_SEGMENTS_MAX, "17 with one empty: %d %s", rc, why);
	return NULL;
}

/* The program headers in a segment other than the first, and a bss-only segment. */
static const char *test_phdr_and_bss(void)
{
	struct elf_plan plan;
	char why[160];
	struct elf_image im = synthetic(3, false);

	CHECK(im.bytes);
	struct elf64_phdr *ph0 = elf_image_phdr(&im, 0), *ph1 = elf_image_phdr(&im, 1);
	/* segment 0 no longer holds the headers: segment 1 maps file offset 0 at 0x402000 */
	ph0->p_offset = PAGE_SIZE * 2;
	ph1->p_offset = 0;
	ph1->p_memsz = 3 * PAGE_SIZE / 2;    /* half a page of bss after one file page */
	int rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
	elf_image_free(&im);
	CHECKF(rc == 0, "refused: %s", why);
	CHECK_OK(check_plan(&plan, 4 * PAGE_SIZE));
	CHECKF(plan.phdr == 0x402000 + sizeof(struct elf64_ehdr), "phdr 0x%llx",
	       (unsigned long long)plan.phdr);
	const struct elf_segment *s = &plan.segments[1];
	CHECK(s->start == 0x402000 && s->file_end == 0x403000 && s->end == 0x404000 &&
	      s->file_bytes == PAGE_SIZE && s->file_offset == 0);

	/* a segment with no file bytes at all: all of it demand-zero */
	im = synthetic(3, false);
	CHECK(im.bytes);
	elf_image_phdr(&im, 1)->p_filesz = 0;
	elf_image_phdr(&im, 1)->p_flags = PF_R | PF_W;
	rc = elf_check(im.bytes, im.size, &plan, why, sizeof(why));
	elf_image_free(&im);
	CHECKF(rc == 0, "refused: %s", why);
	s = &plan.segments[1];
	CHECK(s->file_end == s->start && s->file_bytes == 0 && !strcmp(s->name, "data"));
	return NULL;
}

static const struct selftest elf_tests[] = {
	{"static", "musl -static (ET_EXEC): the plan its program headers imply", test_static},
	{"static_pie", "musl static-pie (ET_DYN, no PT_INTERP): moved to USER_PIE_BASE",
	 test_static_pie},
	{"refusals", "39 broken files, each -ENOEXEC with its own reason", test_refusals},
	{"needs_libc", "a static-pie linked against libc.so (no PT_INTERP): DT_NEEDED refused",
	 test_needs_libc},
	{"reason_names_segments", "\"segment 2 overlaps segment 1\" names readelf's numbers",
	 test_reason_names_segments},
	{"truncations", "shorter files: refused while segments are cut; nothing read past the end (ASan)",
	 test_truncations},
	{"segment_count", "16 segments fit, 17 refused, empty PT_LOADs take no slot",
	 test_segment_count},
	{"phdr_and_bss", "AT_PHDR from the segment that maps the headers; bss-only segments",
	 test_phdr_and_bss},
};

SELFTEST_SUITE(elf, elf_tests);
