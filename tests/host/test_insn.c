/*
 * test_insn.c - suite "insn": the x86-64 instruction decoder
 * (kernel/arch/x86_64/insn.c) on hand-assembled instructions.
 *
 * Every byte sequence below was produced by GNU as from the AT&T text next
 * to it and checked against objdump -d; the few that as does not emit
 * (redundant prefixes, %riz, mod bits that mov CR ignores, invalid opcodes)
 * are marked "raw" or "(bad)" and were checked with objdump alone. Expected
 * addresses are written out as register + index * scale + displacement,
 * computed independently of the decoder. Each memory vector is also decoded
 * from every shorter prefix of its bytes (which must fail with -EINVAL) and
 * with garbage after it (which must not matter).
 * Covered: ModR/M with and without displacement, SIB (scales, no index, no
 * base, rsp/rbp/r12/r13 special cases), REX.B/X/W, RIP-relative after
 * immediates of every size, 66/67/segment/lock/rep prefixes, the 0F, 0F 38
 * and 0F 3A maps, string instructions, moffs, xlat, forms without a memory
 * operand (-ENOENT) and encodings the decoder rejects (-EINVAL).
 * Hosted code: may use libc, but reaches the decoder only through insn.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/x86_64/insn.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"

/*
 * Register n holds 1 << 4n, so an address's hex digits say which registers
 * went into it (rax + rcx * 8 = 0x81): a decoder that picks a wrong register
 * or scale cannot produce the expected value by accident.
 */
#define RAX 0x1ull
#define RCX 0x10ull
#define RDX 0x100ull
#define RBX 0x1000ull
#define RSP 0x10000ull
#define RBP 0x100000ull
#define RSI 0x1000000ull
#define RDI 0x10000000ull
#define R8  0x100000000ull
#define R9  0x1000000000ull
#define R10 0x10000000000ull
#define R11 0x100000000000ull
#define R12 0x1000000000000ull
#define R13 0x10000000000000ull
#define R14 0x100000000000000ull
#define R15 0x1000000000000000ull
#define RIP 0xffffffff81000000ull /* where every test instruction sits */

/* clang-format off */
static const struct insn_regs regs = {
	.rax = RAX, .rcx = RCX, .rdx = RDX, .rbx = RBX,
	.rsp = RSP, .rbp = RBP, .rsi = RSI, .rdi = RDI,
	.r8 = R8,   .r9 = R9,   .r10 = R10, .r11 = R11,
	.r12 = R12, .r13 = R13, .r14 = R14, .r15 = R15,
	.rip = RIP,
};
/* clang-format on */

/* One instruction: its text, its bytes and what the decoder must say about it. */
struct vector {
	const char *text;                 /* AT&T syntax, as objdump -d prints it */
	uint8_t bytes[INSN_MAX_LENGTH];   /* zero after the instruction */
	int length;                       /* the instruction's length in bytes */
	uint64_t address;                 /* the expected address (memory vectors) */
};

/* BYTES(0x48, 0x8b, 0x00) fills .bytes and .length. */
#define BYTES(...) {__VA_ARGS__}, (int)sizeof((uint8_t[]){__VA_ARGS__})

#define COUNT(table) (sizeof(table) / sizeof((table)[0]))

/*
 * Check one memory vector: the address and length, with garbage after the
 * instruction, and -EINVAL for every truncation of it.
 */
static const char *check_memory_vector(const struct vector *v, const struct insn_regs *r)
{
	uint8_t code[INSN_MAX_LENGTH];
	uint64_t address = 0;

	int err = insn_memory_address(v->bytes, sizeof(v->bytes), r, &address);
	CHECKF(err == 0, "%s: returned %d, expected 0", v->text, err);
	CHECKF(address == v->address, "%s: address 0x%llx, expected 0x%llx", v->text,
	       (unsigned long long)address, (unsigned long long)v->address);
	int length = insn_length(v->bytes, sizeof(v->bytes));
	CHECKF(length == v->length, "%s: length %d, expected %d", v->text, length, v->length);

	/* The bytes after the instruction must not matter. */
	memset(code, 0xcc, sizeof(code));
	memcpy(code, v->bytes, (size_t)v->length);
	address = 0;
	err = insn_memory_address(code, sizeof(code), r, &address);
	CHECKF(err == 0 && address == v->address, "%s followed by cc: %d, 0x%llx", v->text, err,
	       (unsigned long long)address);

	/* Cut short anywhere, it cannot be decoded. */
	for (int n = 0; n < v->length; n++) {
		err = insn_memory_address(v->bytes, (size_t)n, r, &address);
		CHECKF(err == -EINVAL, "%s cut to %d bytes: returned %d", v->text, n, err);
		CHECKF(insn_length(v->bytes, (size_t)n) == -EINVAL, "%s cut to %d bytes: length %d",
		       v->text, n, insn_length(v->bytes, (size_t)n));
	}
	return NULL;
}

static const char *check_memory_vectors(const struct vector *table, size_t count,
					const struct insn_regs *r)
{
	for (size_t i = 0; i < count; i++)
		CHECK_OK(check_memory_vector(&table[i], r));
	return NULL;
}

/* ---- the basic case ------------------------------------------------------ */

static const char *test_mov_rax(void)
{
	static const uint8_t code[] = {0x48, 0x8b, 0x00}; /* mov (%rax),%rax */
	struct insn_regs r = regs;
	uint64_t address = 0;

	r.rax = 0xffff888000123450;
	CHECK(insn_memory_address(code, sizeof(code), &r, &address) == 0);
	CHECKF(address == 0xffff888000123450, "address 0x%llx", (unsigned long long)address);
	CHECK(insn_length(code, sizeof(code)) == 3);
	return NULL;
}

/* The reason for the decoder: the address a #GP does not report. */
static const char *test_non_canonical(void)
{
	static const uint8_t code[] = {0x48, 0x8b, 0x00}; /* mov (%rax),%rax */
	struct insn_regs r = regs;
	uint64_t address = 0;

	r.rax = 0x8000000000000000;
	CHECK(insn_memory_address(code, sizeof(code), &r, &address) == 0);
	CHECKF(address == 0x8000000000000000, "address 0x%llx", (unsigned long long)address);
	return NULL;
}

/* ---- ModR/M without SIB -------------------------------------------------- */

static const struct vector modrm_vectors[] = {
	{"mov %al,-0x8(%rbp)", BYTES(0x88, 0x45, 0xf8), RBP - 8},
	{"movb $0x12,0x10(%rbx)", BYTES(0xc6, 0x43, 0x10, 0x12), RBX + 0x10},
	{"mov 0x12345678(%rcx),%edx", BYTES(0x8b, 0x91, 0x78, 0x56, 0x34, 0x12), RCX + 0x12345678},
	{"mov -0x1000(%rsi),%rax", BYTES(0x48, 0x8b, 0x86, 0x00, 0xf0, 0xff, 0xff), RSI - 0x1000},
	{"mov (%r9),%r11", BYTES(0x4d, 0x8b, 0x19), R9},
	{"mov 0x0(%r13),%rax", BYTES(0x49, 0x8b, 0x45, 0x00), R13},
	{"mov 0x100(%r13),%rax", BYTES(0x49, 0x8b, 0x85, 0x00, 0x01, 0x00, 0x00), R13 + 0x100},
};

static const char *test_modrm(void)
{
	return check_memory_vectors(modrm_vectors, COUNT(modrm_vectors), &regs);
}

/* ---- SIB ------------------------------------------------------------------ */

static const struct vector sib_vectors[] = {
	{"mov (%rdx,%rbx,1),%eax", BYTES(0x8b, 0x04, 0x1a), RDX + RBX},
	{"mov (%rdx,%rbx,2),%eax", BYTES(0x8b, 0x04, 0x5a), RDX + 2 * RBX},
	{"mov -0x4(%rdi,%rsi,4),%eax", BYTES(0x8b, 0x44, 0xb7, 0xfc), RDI + 4 * RSI - 4},
	{"mov 0x10(%rax,%rcx,8),%rdx", BYTES(0x48, 0x8b, 0x54, 0xc8, 0x10), RAX + 8 * RCX + 0x10},
	/* rsp as base: only through a SIB (rm 100 means "SIB follows"). */
	{"mov 0x8(%rsp),%rax", BYTES(0x48, 0x8b, 0x44, 0x24, 0x08), RSP + 8},
	/* r12 as base: the same, REX.B does not change the rule. */
	{"mov (%r12),%rax", BYTES(0x49, 0x8b, 0x04, 0x24), R12},
	/* index 100 with REX.X is r12, a real index. */
	{"mov (%rax,%r12,4),%rbx", BYTES(0x4a, 0x8b, 0x1c, 0xa0), RAX + 4 * R12},
	{"mov 0x20(%r8,%r15,2),%r10", BYTES(0x4f, 0x8b, 0x54, 0x78, 0x20), R8 + 2 * R15 + 0x20},
	/* base 101 with mod 00: no base, disp32. */
	{"mov 0x1000(,%rcx,4),%eax", BYTES(0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00),
	 4 * RCX + 0x1000},
	/* raw: the same with REX.B: still no base (r13 is not added). */
	{"rex.B mov 0x1000(,%rcx,4),%eax", BYTES(0x41, 0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00),
	 4 * RCX + 0x1000},
	/* base 101 with mod 01: rbp is the base. */
	{"mov 0x8(%rbp,%rcx,2),%eax", BYTES(0x8b, 0x44, 0x4d, 0x08), RBP + 2 * RCX + 8},
	/* raw: index 100 without REX.X: no index, whatever the scale. */
	{"mov (%rax,%riz,2),%rax", BYTES(0x48, 0x8b, 0x04, 0x60), RAX},
};

static const char *test_sib(void)
{
	return check_memory_vectors(sib_vectors, COUNT(sib_vectors), &regs);
}

/* ---- RIP-relative: rip + length + disp32, so immediates count ------------ */

static const struct vector rip_vectors[] = {
	{"mov 0x100(%rip),%rax", BYTES(0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00), RIP + 7 + 0x100},
	{"mov -0x40(%rip),%rax", BYTES(0x48, 0x8b, 0x05, 0xc0, 0xff, 0xff, 0xff), RIP + 7 - 0x40},
	/* raw (REX.WB): REX.B does not turn rm 101 into r13: still RIP-relative. */
	{"mov 0x100(%rip),%rax", BYTES(0x49, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00), RIP + 7 + 0x100},
	{"movl $0x11223344,0x20(%rip)",
	 BYTES(0xc7, 0x05, 0x20, 0x00, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11), RIP + 10 + 0x20},
	{"cmpb $0x1,0x10(%rip)", BYTES(0x80, 0x3d, 0x10, 0x00, 0x00, 0x00, 0x01), RIP + 7 + 0x10},
	{"addq $0x5,0x10(%rip)", BYTES(0x48, 0x83, 0x05, 0x10, 0x00, 0x00, 0x00, 0x05),
	 RIP + 8 + 0x10},
	{"movw $0x1234,0x10(%rip)", BYTES(0x66, 0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x34, 0x12),
	 RIP + 9 + 0x10},
	{"movq $0xffffffffffffffff,0x30(%rip)",
	 BYTES(0x48, 0xc7, 0x05, 0x30, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff), RIP + 11 + 0x30},
	{"testl $0x55aa55aa,0x30(%rip)",
	 BYTES(0xf7, 0x05, 0x30, 0x00, 0x00, 0x00, 0xaa, 0x55, 0xaa, 0x55), RIP + 10 + 0x30},
	{"testb $0x1,0x30(%rip)", BYTES(0xf6, 0x05, 0x30, 0x00, 0x00, 0x00, 0x01), RIP + 7 + 0x30},
	/* F7 /2 (not) has no immediate, unlike /0 (test). */
	{"notl 0x30(%rip)", BYTES(0xf7, 0x15, 0x30, 0x00, 0x00, 0x00), RIP + 6 + 0x30},
	{"imul $0x3e8,0x30(%rip),%eax",
	 BYTES(0x69, 0x05, 0x30, 0x00, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00), RIP + 10 + 0x30},
	{"shll $0x3,0x30(%rip)", BYTES(0xc1, 0x25, 0x30, 0x00, 0x00, 0x00, 0x03), RIP + 7 + 0x30},
	{"btl $0x3,0x30(%rip)", BYTES(0x0f, 0xba, 0x25, 0x30, 0x00, 0x00, 0x00, 0x03),
	 RIP + 8 + 0x30},
	{"pshufd $0x1b,0x30(%rip),%xmm0",
	 BYTES(0x66, 0x0f, 0x70, 0x05, 0x30, 0x00, 0x00, 0x00, 0x1b), RIP + 9 + 0x30},
	{"cmpltps 0x30(%rip),%xmm0", BYTES(0x0f, 0xc2, 0x05, 0x30, 0x00, 0x00, 0x00, 0x01),
	 RIP + 8 + 0x30},
	{"pshufb 0x30(%rip),%xmm0", BYTES(0x66, 0x0f, 0x38, 0x00, 0x05, 0x30, 0x00, 0x00, 0x00),
	 RIP + 9 + 0x30},
	{"roundps $0x1,0x30(%rip),%xmm0",
	 BYTES(0x66, 0x0f, 0x3a, 0x08, 0x05, 0x30, 0x00, 0x00, 0x00, 0x01), RIP + 10 + 0x30},
};

static const char *test_rip_relative(void)
{
	return check_memory_vectors(rip_vectors, COUNT(rip_vectors), &regs);
}

/* ---- prefixes ------------------------------------------------------------- */

static const struct vector prefix_vectors[] = {
	{"mov (%rax),%dx", BYTES(0x66, 0x8b, 0x10), RAX},
	/* FS/GS: the offset, without the segment base (a documented limit). */
	{"mov %fs:0x28,%rax", BYTES(0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00), 0x28},
	{"mov %gs:(%rax),%rbx", BYTES(0x65, 0x48, 0x8b, 0x18), RAX},
	{"lock addl $0x1,(%rdi)", BYTES(0xf0, 0x83, 0x07, 0x01), RDI},
	{"rep stos %rax,%es:(%rdi)", BYTES(0xf3, 0x48, 0xab), RDI},
	/* raw: a REX followed by a legacy prefix is ignored: (%rax), not (%r8). */
	{"rex.B; mov (%rax),%ax", BYTES(0x41, 0x66, 0x8b, 0x00), RAX},
	/* raw: 15 bytes, the longest instruction there is. */
	{"ds (x13) mov (%rcx),%eax", BYTES(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
					  0x3e, 0x3e, 0x3e, 0x3e, 0x8b, 0x01), RCX},
};

static const char *test_prefixes(void)
{
	return check_memory_vectors(prefix_vectors, COUNT(prefix_vectors), &regs);
}

/* 67: 32-bit address arithmetic, zero-extended. */
static const struct vector address_size_vectors[] = {
	{"mov (%eax),%ecx", BYTES(0x67, 0x8b, 0x08), 0x00001234},
	{"mov -0x4(%eax),%ecx", BYTES(0x67, 0x8b, 0x48, 0xfc), 0x00001230},
	{"mov -0x4(%ebx),%ecx", BYTES(0x67, 0x8b, 0x4b, 0xfc), 0xfffffffc},
	{"mov 0x10(%eip),%eax", BYTES(0x67, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00),
	 (uint32_t)(RIP + 7 + 0x10)},
	{"stos %al,%es:(%edi)", BYTES(0x67, 0xaa), 0x89abcdef},
	{"addr32 mov 0x12345678,%eax", BYTES(0x67, 0xa1, 0x78, 0x56, 0x34, 0x12), 0x12345678},
};

static const char *test_address_size(void)
{
	struct insn_regs r = regs;

	r.rax = 0xffffffff00001234; /* the upper half must not show */
	r.rbx = 0;                  /* 0 - 4 wraps at 32 bits */
	r.rdi = 0x1234567889abcdef;
	return check_memory_vectors(address_size_vectors, COUNT(address_size_vectors), &r);
}

/* ---- the 0F, 0F 38 and 0F 3A maps ------------------------------------------ */

static const struct vector two_byte_vectors[] = {
	{"movzbl 0x8(%rdi),%eax", BYTES(0x0f, 0xb6, 0x47, 0x08), RDI + 8},
	{"movzwl (%rsi,%rdx,2),%ecx", BYTES(0x0f, 0xb7, 0x0c, 0x56), RSI + 2 * RDX},
	{"movdqa %xmm0,0x10(%rax)", BYTES(0x66, 0x0f, 0x7f, 0x40, 0x10), RAX + 0x10},
	{"clflush (%rax)", BYTES(0x0f, 0xae, 0x38), RAX},
	{"cmpxchg16b (%rdi)", BYTES(0x48, 0x0f, 0xc7, 0x0f), RDI},
	{"lgdt (%rax)", BYTES(0x0f, 0x01, 0x10), RAX},
	{"crc32b (%rsi),%eax", BYTES(0xf2, 0x0f, 0x38, 0xf0, 0x06), RSI},
	{"movbe (%rdi),%eax", BYTES(0x0f, 0x38, 0xf0, 0x07), RDI},
};

static const char *test_two_byte(void)
{
	return check_memory_vectors(two_byte_vectors, COUNT(two_byte_vectors), &regs);
}

/* ---- memory operands without ModR/M, and ModR/M ones of push/pop/call ------ */

static const struct vector implicit_vectors[] = {
	{"movsb %ds:(%rsi),%es:(%rdi)", BYTES(0xa4), RSI}, /* source reported */
	{"cmpsq %es:(%rdi),%ds:(%rsi)", BYTES(0x48, 0xa7), RSI},
	{"lods %ds:(%rsi),%eax", BYTES(0xad), RSI},
	{"scas %es:(%rdi),%al", BYTES(0xae), RDI},
	{"insb (%dx),%es:(%rdi)", BYTES(0x6c), RDI},
	{"outsb %ds:(%rsi),(%dx)", BYTES(0x6e), RSI},
	{"movabs 0x1122334455667788,%al",
	 BYTES(0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11), 0x1122334455667788},
	{"movabs %rax,0x8000000000000000",
	 BYTES(0x48, 0xa3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80), 0x8000000000000000},
	{"xlat %ds:(%rbx)", BYTES(0xd7), RBX + RAX},
	{"push 0x8(%rax)", BYTES(0xff, 0x70, 0x08), RAX + 8},
	{"call *0x10(%rbx)", BYTES(0xff, 0x53, 0x10), RBX + 0x10},
	{"pop (%rcx)", BYTES(0x8f, 0x01), RCX},
	{"fldl 0x8(%rsp)", BYTES(0xdd, 0x44, 0x24, 0x08), RSP + 8},
};

static const char *test_implicit(void)
{
	return check_memory_vectors(implicit_vectors, COUNT(implicit_vectors), &regs);
}

/* ---- no memory operand: -ENOENT, but the length is known ------------------- */

static const struct vector no_memory_vectors[] = {
	{"lea 0x8(%rax),%rbx", BYTES(0x48, 0x8d, 0x58, 0x08), 0},
	{"mov %rax,%rbx", BYTES(0x48, 0x89, 0xc3), 0},
	{"add $0x1,%eax", BYTES(0x83, 0xc0, 0x01), 0},
	{"nop", BYTES(0x90), 0},
	{"ret", BYTES(0xc3), 0},
	{"hlt", BYTES(0xf4), 0},
	{"push %rbx", BYTES(0x53), 0},
	{"mov %cr3,%rax", BYTES(0x0f, 0x20, 0xd8), 0},
	/* raw: mod 00 and 01, rm 100, but mov to/from CR ignores mod: registers, no SIB or disp. */
	{"mov %rax,%cr3", BYTES(0x0f, 0x22, 0x18), 0},
	{"mov %rsp,%cr3", BYTES(0x0f, 0x22, 0x5c), 0},
	{"mov %cr0,%rsp", BYTES(0x0f, 0x20, 0x44), 0},
	{"lfence", BYTES(0x0f, 0xae, 0xe8), 0},
	{"prefetcht0 (%rax)", BYTES(0x0f, 0x18, 0x08), 0},
	{"swapgs", BYTES(0x0f, 0x01, 0xf8), 0},
	{"syscall", BYTES(0x0f, 0x05), 0},
	{"ud2", BYTES(0x0f, 0x0b), 0},
	{"endbr64", BYTES(0xf3, 0x0f, 0x1e, 0xfa), 0},
	{"movabs $0x1122334455667788,%rax",
	 BYTES(0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11), 0},
	{"mov $0x1,%eax", BYTES(0xb8, 0x01, 0x00, 0x00, 0x00), 0},
	{"mov $0x1,%ax", BYTES(0x66, 0xb8, 0x01, 0x00), 0},
	{"enter $0x10,$0x0", BYTES(0xc8, 0x10, 0x00, 0x00), 0},
	{"ret $0x8", BYTES(0xc2, 0x08, 0x00), 0},
	{"push $0x12345678", BYTES(0x68, 0x78, 0x56, 0x34, 0x12), 0},
	{"pushw $0x1234", BYTES(0x66, 0x68, 0x34, 0x12), 0},
	{"int $0x80", BYTES(0xcd, 0x80), 0},
	{"add $0x12345678,%eax", BYTES(0x05, 0x78, 0x56, 0x34, 0x12), 0},
	{"add $0x1234,%ax", BYTES(0x66, 0x05, 0x34, 0x12), 0},
	{"add $0x12345678,%rax", BYTES(0x48, 0x05, 0x78, 0x56, 0x34, 0x12), 0},
	{"shld $0x3,%rax,%rbx", BYTES(0x48, 0x0f, 0xa4, 0xc3, 0x03), 0},
	{"test $0x1,%al", BYTES(0xa8, 0x01), 0},
	{"test $0x12345678,%eax", BYTES(0xa9, 0x78, 0x56, 0x34, 0x12), 0},
	{"not %al", BYTES(0xf6, 0xd0), 0},
	{"neg %eax", BYTES(0xf7, 0xd8), 0},
};

static const char *test_no_memory(void)
{
	uint64_t address = 0x5a5a;

	for (size_t i = 0; i < COUNT(no_memory_vectors); i++) {
		const struct vector *v = &no_memory_vectors[i];
		int err = insn_memory_address(v->bytes, sizeof(v->bytes), &regs, &address);
		CHECKF(err == -ENOENT, "%s: returned %d, expected -ENOENT", v->text, err);
		CHECKF(address == 0x5a5a, "%s: wrote the address", v->text);
		int length = insn_length(v->bytes, sizeof(v->bytes));
		CHECKF(length == v->length, "%s: length %d, expected %d", v->text, length,
		       v->length);
		for (int n = 0; n < v->length; n++)
			CHECKF(insn_length(v->bytes, (size_t)n) == -EINVAL,
			       "%s cut to %d bytes decoded", v->text, n);
	}
	return NULL;
}

/* ---- what the decoder rejects: -EINVAL ------------------------------------- */

static const struct vector undecodable_vectors[] = {
	/* VEX, EVEX, XOP (AMD), 3DNow! (AMD), SSE4a with two immediates (AMD). */
	{"vmovdqu (%rax),%ymm0", BYTES(0xc5, 0xfe, 0x6f, 0x00), 0},
	{"vmovdqu64 (%rax),%zmm0", BYTES(0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x00), 0},
	{"vpcmov %xmm1,%xmm2,%xmm3,%xmm4", BYTES(0x8f, 0xe8, 0x60, 0xa2, 0xe2, 0x10), 0},
	{"pfadd (%rax),%mm0", BYTES(0x0f, 0x0f, 0x00, 0x9e), 0},
	{"extrq $0x1,$0x2,%xmm0", BYTES(0x66, 0x0f, 0x78, 0xc0, 0x02, 0x01), 0},
	/* Invalid in 64-bit mode (push es, salc), undefined (0F 04). */
	{"(bad) (push %es)", BYTES(0x06), 0},
	{"(bad) (salc)", BYTES(0xd6), 0},
	{"(bad)", BYTES(0x0f, 0x04), 0},
	/* raw: 16 bytes: one prefix too many (the CPU raises #GP). */
	{"ds (x14) mov (%rcx),%eax", BYTES(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
					  0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x8b), 0},
	/* raw: nothing but prefixes. */
	{"data16 rex.W", BYTES(0x66, 0x48), 0},
};

static const char *test_undecodable(void)
{
	uint64_t address = 0x5a5a;

	for (size_t i = 0; i < COUNT(undecodable_vectors); i++) {
		const struct vector *v = &undecodable_vectors[i];
		size_t len = (size_t)v->length; /* the zeros after the bytes would decode */
		int err = insn_memory_address(v->bytes, len, &regs, &address);
		CHECKF(err == -EINVAL, "%s: returned %d, expected -EINVAL", v->text, err);
		CHECKF(address == 0x5a5a, "%s: wrote the address", v->text);
		err = insn_length(v->bytes, len);
		CHECKF(err == -EINVAL, "%s: length %d, expected -EINVAL", v->text, err);
	}
	/* The 16-byte one even with all 16 bytes there. */
	static const uint8_t too_long[16] = {0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
					     0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x8b, 0x01};
	CHECK(insn_memory_address(too_long, sizeof(too_long), &regs, &address) == -EINVAL);
	CHECK(insn_length(too_long, sizeof(too_long)) == -EINVAL);
	CHECK(insn_length(too_long + 1, sizeof(too_long) - 1) == 15);
	return NULL;
}

static const char *test_bad_arguments(void)
{
	static const uint8_t code[] = {0x48, 0x8b, 0x00};
	uint64_t address = 0;

	CHECK(insn_memory_address(NULL, 3, &regs, &address) == -EINVAL);
	CHECK(insn_memory_address(code, 3, NULL, &address) == -EINVAL);
	CHECK(insn_memory_address(code, 3, &regs, NULL) == -EINVAL);
	CHECK(insn_memory_address(code, 0, &regs, &address) == -EINVAL);
	CHECK(insn_length(NULL, 3) == -EINVAL);
	CHECK(insn_length(code, 0) == -EINVAL);
	return NULL;
}

static const struct selftest insn_tests[] = {
	{"mov_rax", "48 8b 00 (mov (%rax),%rax) reads at rax, 3 bytes", test_mov_rax},
	{"non_canonical", "the #GP case: rax = 0x8000000000000000 comes back as the address",
	 test_non_canonical},
	{"modrm", "ModR/M forms: no, 8- and 32-bit displacements, REX.B, r13 needs a disp8",
	 test_modrm},
	{"sib", "SIB: every scale, rsp/r12 bases, r12 index, no index, no base", test_sib},
	{"rip_relative", "rip + length + disp32, after imm8/16/32 and 0F/0F 38/0F 3A opcodes",
	 test_rip_relative},
	{"prefixes", "66, FS/GS, lock, rep, a REX before a legacy prefix, 15 bytes",
	 test_prefixes},
	{"address_size", "67: 32-bit arithmetic zero-extended, EIP-relative, string, moffs32",
	 test_address_size},
	{"two_byte", "0F xx, 0F 38 xx memory operands (movzx, clflush, cmpxchg16b, crc32)",
	 test_two_byte},
	{"implicit", "string instructions (rsi/rdi), moffs, xlat, push/pop/call r/m, x87",
	 test_implicit},
	{"no_memory", "-ENOENT for lea, register forms, prefetch, mov cr; correct lengths",
	 test_no_memory},
	{"undecodable", "-EINVAL for VEX, EVEX, XOP, 3DNow!, SSE4a, invalid opcodes, > 15 bytes",
	 test_undecodable},
	{"bad_arguments", "-EINVAL for NULL pointers and empty input", test_bad_arguments},
};

SELFTEST_SUITE(insn, insn_tests);
