/*
 * elf.h - the ELF64 validator of the program loader: it reads an executable
 * and either names what is wrong with it or returns a plan of the mappings
 * to make (kernel/proc/exec.c makes them).
 *
 * Checking everything first and mapping afterwards means a bad file never
 * leaves a half-built address space behind, and the checks live in one pure
 * function that host tests and a fuzzer drive with any bytes. Accepted: x86-64
 * static executables, ET_EXEC (at their link addresses) and static-pie ET_DYN
 * (loaded at USER_PIE_BASE; musl's rcrt1 start-up code relocates itself).
 *
 *   file:  | ELF header | program headers | .text ... | .data |   ...
 *                           (PT_LOAD)          |            |
 *   memory:          USER_START ... [ text r-x ][ data rw- | bss rw- ] brk ->
 *
 * Invariants (of a plan elf_check() returns):
 *   [x] segments are sorted, page-aligned and disjoint, inside
 *       [USER_START, USER_MMAP_TOP);
 *   [x] start <= file_end <= end for each; file bytes lie inside the image;
 *   [x] no segment is both writable and executable;
 *   [x] entry lies in the file bytes of an executable segment;
 *   [x] phdr (AT_PHDR) lies in the file bytes of a loaded segment.
 * Context: any; pure (no allocation, no globals, no output); host-compilable.
 * It reads nothing outside [image, image + size).
 */
#ifndef KERNEL_PROC_ELF_H
#define KERNEL_PROC_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compiler.h"
#include "mm/layout.h"

/* ELF identification (System V gABI, "ELF Header"; e_ident[] indices and values). */
#define ELF_MAGIC "\177ELF"       /* e_ident[0..3] */
#define EI_CLASS 4                /* file class */
#define EI_DATA 5                 /* data encoding */
#define EI_VERSION 6              /* ELF header version */
#define EI_OSABI 7                /* OS ABI: 0 (System V) or 3 (GNU/Linux) */
#define EI_NIDENT 16
#define ELFCLASS64 2              /* 64-bit objects */
#define ELFDATA2LSB 1             /* little endian */
#define EV_CURRENT 1              /* the only version */
#define ELFOSABI_SYSV 0
#define ELFOSABI_GNU 3

/* e_type */
#define ET_EXEC 2                 /* executable at fixed addresses */
#define ET_DYN 3                  /* position independent (static-pie here) */
/* e_machine */
#define EM_X86_64 62              /* AMD x86-64 */

/* p_type */
#define PT_NULL 0
#define PT_LOAD 1                 /* a segment to map */
#define PT_DYNAMIC 2              /* the dynamic section (static-pie: relocations) */
#define PT_INTERP 3               /* the program interpreter: dynamically linked */
#define PT_PHDR 6                 /* the program header table itself, in memory */
#define PT_TLS 7                  /* the thread-local storage template */
#define PT_GNU_STACK 0x6474e551   /* p_flags says whether the stack is executable */
/* d_tag of a PT_DYNAMIC entry (struct elf64_dyn), the ones the loader reads */
#define DT_NULL 0                 /* the last entry */
#define DT_NEEDED 1               /* a shared library the program needs */
#define DT_TEXTREL 22             /* relocations write to read-only segments */
#define DT_FLAGS 30               /* d_val: DF_* bits */
#define DF_TEXTREL 0x4            /* DT_FLAGS: the same as DT_TEXTREL */
#define ELF_DYNAMIC_MAX 1024      /* entries read at most (a static-pie has about 20) */

/* p_flags */
#define PF_X 0x1                  /* execute */
#define PF_W 0x2                  /* write */
#define PF_R 0x4                  /* read */

/* The ELF64 file header, as in the file (little endian). */
struct elf64_ehdr {
	unsigned char e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;         /* virtual address of the first instruction */
	uint64_t e_phoff;         /* file offset of the program headers */
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;     /* size of one program header: 56 */
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

/* One ELF64 program header. */
struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;        /* file offset of the segment's first byte */
	uint64_t p_vaddr;         /* its virtual address */
	uint64_t p_paddr;
	uint64_t p_filesz;        /* bytes in the file */
	uint64_t p_memsz;         /* bytes in memory (>= p_filesz; the rest is zero) */
	uint64_t p_align;
};

/* One entry of the dynamic section (PT_DYNAMIC). */
struct elf64_dyn {
	int64_t d_tag;            /* DT_* */
	uint64_t d_val;           /* a number or an address, by tag */
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "elf64_ehdr: 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "elf64_phdr: 56 bytes");

#define ELF_PHNUM_MAX 64          /* more program headers than this: refused */
#define ELF_SEGMENTS_MAX 16       /* more non-empty PT_LOAD segments: refused */

/*
 * One loadable segment in page terms, load bias applied:
 *
 *   start            file_end                end
 *   | file pages ... | zero pages (bss) ...  |
 *   |<- file_bytes ->| (bytes past file_bytes up to file_end read as zero)
 *
 * [start, file_end) maps the file from file_offset (file_bytes of file, the
 * rest of the last page zero); [file_end, end) is demand-zero.
 */
struct elf_segment {
	virt_addr_t start;        /* page-aligned */
	virt_addr_t file_end;     /* page-aligned; == start when the segment has no file bytes */
	virt_addr_t end;          /* page-aligned, > start */
	int prot;                 /* PROT_READ | PROT_WRITE | PROT_EXEC (lib/uapi.h) */
	uint64_t file_offset;     /* page-aligned offset of the bytes mapped at start */
	uint64_t file_bytes;      /* bytes of file from file_offset; 0 when file_end == start */
	const char *name;         /* "text", "rodata", "data" (the demand-zero part: "bss") */
};

/* What elf_check() found: everything exec needs to map and start the program. */
struct elf_plan {
	uint16_t type;            /* ET_EXEC or ET_DYN */
	virt_addr_t load_bias;    /* added to every p_vaddr: 0 for ET_EXEC */
	virt_addr_t entry;        /* e_entry + load_bias */
	virt_addr_t phdr;         /* AT_PHDR: where the program headers are in memory */
	uint16_t phent;           /* AT_PHENT */
	uint16_t phnum;           /* AT_PHNUM */
	virt_addr_t image_end;    /* page-aligned end of the highest segment: brk starts here */
	size_t segment_count;
	struct elf_segment segments[ELF_SEGMENTS_MAX];
};

/*
 * Check the ELF executable [image, image + size) and fill *plan.
 *   image  the file's bytes; any alignment (headers are copied out before use)
 *   why    on refusal a one-line reason naming the field, e.g. "segment 2
 *          overlaps segment 1" or "dynamically linked (PT_INTERP): build with
 *          musl-gcc -static"; "" on success. May be NULL when why_size is 0.
 * Returns 0, or -ENOEXEC for anything it refuses: not ELF, not 64-bit, not
 * little endian, bad version, not x86-64, not ET_EXEC/ET_DYN, a bad
 * e_phentsize, no or too many program headers, headers outside the file,
 * PT_INTERP, a dynamic section outside the file, or asking for shared
 * libraries (DT_NEEDED: linked against libc.so) or for relocations of
 * read-only segments (DT_TEXTREL: not position independent, the start-up
 * code could not apply them), an executable stack (PT_GNU_STACK with PF_X), a PT_LOAD with
 * p_filesz > p_memsz, p_offset and p_vaddr disagreeing modulo the page size,
 * a bad p_align, sums that overflow, file bytes past the end of the file, a
 * segment outside [USER_START, USER_MMAP_TOP), out of order or overlapping
 * another (by page), writable and executable, no loadable segment, an entry
 * outside the file bytes of every executable segment, program headers that
 * no loaded segment contains (musl needs AT_PHDR).
 * On refusal *plan is unspecified.
 */
__must_check int elf_check(const void *image, uint64_t size, struct elf_plan *plan,
			   char *why, size_t why_size);

#endif
