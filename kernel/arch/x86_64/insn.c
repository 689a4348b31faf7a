/*
 * insn.c - a small x86-64 instruction decoder: length and memory operand.
 *
 * It walks an instruction's bytes in the order the hardware defines (SDM
 * Vol. 2A 2.1, "Instruction Format"), finds its length and evaluates its
 * memory operand with the saved registers:
 *     prefixes | REX | opcode (1-3 bytes) | ModR/M | SIB | displacement | immediate
 * Why: a #GP carries no address, so the fault report recomputes the
 * non-canonical address from the instruction at RIP (see insn.h).
 * Limits: 64-bit mode only; FS/GS segment bases are not added; the bytes are
 * trusted to be a valid instruction (an undefined opcode among ModR/M ones
 * decodes as if it had one). Rejected with -EINVAL: VEX, EVEX and XOP
 * (AVX and later), AMD's 3DNow! and SSE4a EXTRQ/INSERTQ, anything invalid in
 * 64-bit mode. Implicit stack accesses (push, pop, call, ret) report no
 * address: a non-canonical RSP raises #SS, not #GP.
 */
#include "kernel/arch/x86_64/insn.h"

#include <stdbool.h>

#include "lib/errno.h"

/*
 * ---- The opcode maps ------------------------------------------------------
 *
 * What follows an opcode depends only on the opcode (and a few prefixes), so
 * one table per opcode map says, for each opcode, whether a ModR/M byte and
 * how many immediate bytes follow. The tables mirror the SDM's opcode maps
 * (Vol. 2D, Appendix A: Table A-2 one-byte, Table A-3 two-byte "0F xx"),
 * 8 opcodes per row, as 64-bit mode sees them: Table A-2's "i64" entries
 * (push es, daa, ...) are invalid there.
 */
#define NO    0x0000 /* nothing follows the opcode */
#define MR    0x0001 /* a ModR/M byte follows (SDM 2.1.3) */
#define IB    0x0002 /* 1-byte immediate (or rel8) */
#define IW    0x0004 /* 2-byte immediate */
#define IZ    0x0008 /* 4-byte immediate, 2 with operand size 16 (66 prefix, no REX.W) */
#define IV    0x0010 /* IZ, but 8 bytes with REX.W: only mov r64, imm64 (SDM 2.2.1.5) */
#define ID    0x0020 /* 4-byte rel32 of a near branch, whatever the operand size */
#define TEST  0x0040 /* F6/F7: the immediate is there only for /0 and /1 (TEST) */
#define NOMEM 0x0080 /* the ModR/M address is computed, never accessed (LEA, prefetch) */
#define CTRL  0x0100 /* mov to/from CRn/DRn: ModR/M's mod is ignored, always registers */
#define SRC   0x0200 /* string instruction reading [RSI] (lods, outs; movs, cmps) */
#define DST   0x0400 /* string instruction writing [RDI] (stos, ins; scas reads it) */
#define MOFFS 0x0800 /* A0-A3: an absolute 8-byte address follows (4 with 67) */
#define XLAT  0x1000 /* D7: reads [RBX + AL] */
#define PFX   0x2000 /* a prefix (handled before the table is consulted) */
#define ESC   0x4000 /* escape to another map: 0F, then 0F 38 / 0F 3A */
#define BAD   0x8000 /* invalid in 64-bit mode, or an encoding this decoder rejects */

/* clang-format off */
static const uint16_t one_byte_map[256] = {
	/*       +0     +1     +2     +3     +4     +5     +6     +7 */
	/* 00 */ MR,    MR,    MR,    MR,    IB,    IZ,    BAD,   BAD,   /* add; push/pop es */
	/* 08 */ MR,    MR,    MR,    MR,    IB,    IZ,    BAD,   ESC,   /* or; push cs; 0F */
	/* 10 */ MR,    MR,    MR,    MR,    IB,    IZ,    BAD,   BAD,   /* adc; push/pop ss */
	/* 18 */ MR,    MR,    MR,    MR,    IB,    IZ,    BAD,   BAD,   /* sbb; push/pop ds */
	/* 20 */ MR,    MR,    MR,    MR,    IB,    IZ,    PFX,   BAD,   /* and; es:; daa */
	/* 28 */ MR,    MR,    MR,    MR,    IB,    IZ,    PFX,   BAD,   /* sub; cs:; das */
	/* 30 */ MR,    MR,    MR,    MR,    IB,    IZ,    PFX,   BAD,   /* xor; ss:; aaa */
	/* 38 */ MR,    MR,    MR,    MR,    IB,    IZ,    PFX,   BAD,   /* cmp; ds:; aas */
	/* 40 */ PFX,   PFX,   PFX,   PFX,   PFX,   PFX,   PFX,   PFX,   /* REX */
	/* 48 */ PFX,   PFX,   PFX,   PFX,   PFX,   PFX,   PFX,   PFX,   /* REX */
	/* 50 */ NO,    NO,    NO,    NO,    NO,    NO,    NO,    NO,    /* push reg */
	/* 58 */ NO,    NO,    NO,    NO,    NO,    NO,    NO,    NO,    /* pop reg */
	/* 60 */ BAD,   BAD,   BAD,   MR,    PFX,   PFX,   PFX,   PFX,   /* EVEX; movsxd */
	/* 68 */ IZ,    MR|IZ, IB,    MR|IB, DST,   DST,   SRC,   SRC,   /* push, imul; ins, outs */
	/* 70 */ IB,    IB,    IB,    IB,    IB,    IB,    IB,    IB,    /* jcc rel8 */
	/* 78 */ IB,    IB,    IB,    IB,    IB,    IB,    IB,    IB,    /* jcc rel8 */
	/* 80 */ MR|IB, MR|IZ, BAD,   MR|IB, MR,    MR,    MR,    MR,    /* group 1; test; xchg */
	/* 88 */ MR,    MR,    MR,    MR,    MR,    MR|NOMEM, MR,  MR,    /* mov; lea; pop r/m */
	/* 90 */ NO,    NO,    NO,    NO,    NO,    NO,    NO,    NO,    /* nop, xchg */
	/* 98 */ NO,    NO,    BAD,   NO,    NO,    NO,    NO,    NO,    /* cbw; call far; pushf */
	/* A0 */ MOFFS, MOFFS, MOFFS, MOFFS, SRC,   SRC,   SRC,   SRC,   /* mov moffs; movs, cmps */
	/* A8 */ IB,    IZ,    DST,   DST,   SRC,   SRC,   DST,   DST,   /* test; stos lods scas */
	/* B0 */ IB,    IB,    IB,    IB,    IB,    IB,    IB,    IB,    /* mov r8, imm8 */
	/* B8 */ IV,    IV,    IV,    IV,    IV,    IV,    IV,    IV,    /* mov reg, imm */
	/* C0 */ MR|IB, MR|IB, IW,    NO,    BAD,   BAD,   MR|IB, MR|IZ, /* shift; ret; VEX; mov */
	/* C8 */ IW|IB, NO,    IW,    NO,    NO,    IB,    BAD,   NO,    /* enter, leave; int */
	/* D0 */ MR,    MR,    MR,    MR,    BAD,   BAD,   BAD,   XLAT,  /* shift; aam, aad; xlat */
	/* D8 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* x87 */
	/* E0 */ IB,    IB,    IB,    IB,    IB,    IB,    IB,    IB,    /* loop, jrcxz; in, out */
	/* E8 */ ID,    ID,    BAD,   IB,    NO,    NO,    NO,    NO,    /* call, jmp; in, out */
	/* F0 */ PFX,   NO,    PFX,   PFX,   NO,    NO,    MR|IB|TEST, MR|IZ|TEST, /* group 3 */
	/* F8 */ NO,    NO,    NO,    NO,    NO,    NO,    MR,    MR,    /* clc..std; group 4, 5 */
};

static const uint16_t two_byte_map[256] = {
	/*       +0     +1     +2     +3     +4     +5     +6     +7 */
	/* 00 */ MR,    MR,    MR,    MR,    BAD,   NO,    NO,    NO,    /* group 6, 7; syscall */
	/* 08 */ NO,    NO,    BAD,   NO,    BAD,   MR|NOMEM, NO,  BAD,   /* ud2; prefetchw */
	/* 10 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* SSE moves */
	/* 18 */ MR|NOMEM, MR|NOMEM, MR|NOMEM, MR|NOMEM,    /* prefetch, hint nops */
	         MR|NOMEM, MR|NOMEM, MR|NOMEM, MR|NOMEM,
	/* 20 */ MR|CTRL, MR|CTRL, MR|CTRL, MR|CTRL,        /* mov cr, dr */
	         BAD,   BAD,   BAD,   BAD,
	/* 28 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* SSE */
	/* 30 */ NO,    NO,    NO,    NO,    NO,    NO,    BAD,   NO,    /* wrmsr, rdtsc, ... */
	/* 38 */ ESC,   BAD,   ESC,   BAD,   BAD,   BAD,   BAD,   BAD,   /* three-byte maps */
	/* 40 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* cmovcc */
	/* 48 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* cmovcc */
	/* 50 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* SSE */
	/* 58 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* SSE */
	/* 60 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* MMX, SSE */
	/* 68 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* MMX, SSE */
	/* 70 */ MR|IB, MR|IB, MR|IB, MR|IB, MR,    MR,    MR,    NO,    /* pshuf, shifts; emms */
	/* 78 */ MR,    MR,    BAD,   BAD,   MR,    MR,    MR,    MR,    /* vmread, vmwrite; SSE3 */
	/* 80 */ ID,    ID,    ID,    ID,    ID,    ID,    ID,    ID,    /* jcc rel32 */
	/* 88 */ ID,    ID,    ID,    ID,    ID,    ID,    ID,    ID,    /* jcc rel32 */
	/* 90 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* setcc */
	/* 98 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* setcc */
	/* A0 */ NO,    NO,    NO,    MR,    MR|IB, MR,    BAD,   BAD,   /* fs; cpuid; bt; shld */
	/* A8 */ NO,    NO,    NO,    MR,    MR|IB, MR,    MR,    MR,    /* gs; bts; shrd; grp 15 */
	/* B0 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* cmpxchg, ..., movzx */
	/* B8 */ MR,    MR,    MR|IB, MR,    MR,    MR,    MR,    MR,    /* popcnt; grp 8; movsx */
	/* C0 */ MR,    MR,    MR|IB, MR,    MR|IB, MR|IB, MR|IB, MR,    /* xadd; cmpps; group 9 */
	/* C8 */ NO,    NO,    NO,    NO,    NO,    NO,    NO,    NO,    /* bswap */
	/* D0 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* MMX, SSE */
	/* D8 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,
	/* E0 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,
	/* E8 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,
	/* F0 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,
	/* F8 */ MR,    MR,    MR,    MR,    MR,    MR,    MR,    MR,    /* ...; ud0 */
};
/* clang-format on */

/*
 * The three-byte maps (SDM Tables) need no table: every legacy-
 * encoded instruction in 0F 38 xx has a ModR/M byte and nothing else, every
 * one in 0F 3A xx a ModR/M byte and an imm8.
 */
#define MAP_0F38_FLAGS MR
#define MAP_0F3A_FLAGS (MR | IB)

/* ---- Decoding ------------------------------------------------------------ */

/* REX prefix bits (SDM 2.2.1.2, Table 2-4): 0100WRXB. */
#define REX_W 0x08 /* 64-bit operand size */
#define REX_R 0x04 /* extends ModR/M reg (a register operand: not needed here) */
#define REX_X 0x02 /* extends SIB index */
#define REX_B 0x01 /* extends ModR/M rm, SIB base (or the register in the opcode) */

/* The opcode maps: xx, 0F xx, 0F 38 xx, 0F 3A xx. */
enum insn_map { MAP_ONE_BYTE, MAP_0F, MAP_0F38, MAP_0F3A };

/* Everything the decoder learns about one instruction. */
struct insn {
	const uint8_t *code; /* the bytes */
	size_t available;    /* how many of them may be read (at most 15) */
	size_t length;	     /* bytes consumed so far; the full length at the end */

	bool operand_size_16;	   /* 66 prefix (and no REX.W) */
	bool address_size_32;	   /* 67 prefix: 32-bit addresses */
	bool prefix_66, prefix_f2; /* as mandatory prefixes, they select SSE4a (0F 78) */
	uint8_t rex;		   /* the REX byte, or 0 */
	enum insn_map map;	   /* which opcode map the opcode is in */
	uint8_t opcode;		   /* the last opcode byte */
	uint16_t flags;		   /* the opcode's entry in its map */

	uint8_t modrm; /* valid if flags & MR */
	bool has_sib;
	uint8_t sib;
	int32_t displacement; /* sign-extended disp8, or disp32; 0 if none */
	uint64_t moffs;	      /* A0-A3's absolute address */
};

/* Read the next n (1-8) bytes, little-endian. -EINVAL if they are not all there. */
static int take(struct insn *insn, unsigned n, uint64_t *value)
{
	if (insn->length + n > insn->available)
		return -EINVAL;
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)insn->code[insn->length + i] << (8 * i);
	insn->length += n;
	*value = v;
	return 0;
}

/*
 * Prefixes (SDM 2.1.1): legacy prefixes in any order and number (the 15-
 * byte limit bounds them), then at most one REX prefix (SDM 2.2.1), which
 * counts only if it comes right before the opcode: a REX followed by a
 * legacy prefix is ignored. Segment overrides 2E 36 3E 26 are no-ops in
 * 64-bit mode; 64 and 65 (FS, GS) add a segment base we do not know, so
 * they are skipped too (see the limits at the top). F0 (lock) and F2/F3
 * (rep, or mandatory prefixes of SSE instructions) change what the
 * instruction does, not where its operand is.
 */
static int decode_prefixes(struct insn *insn)
{
	for (;;) {
		uint64_t byte;
		int err = take(insn, 1, &byte);

		if (err)
			return err;
		if (byte >= 0x40 && byte <= 0x4f) {
			insn->rex = (uint8_t)byte;
			continue;
		}
		if (!(one_byte_map[byte] & PFX))
			break;
		insn->rex = 0; /* a REX before a legacy prefix does not count */
		if (byte == 0x66)
			insn->prefix_66 = true;
		else if (byte == 0x67)
			insn->address_size_32 = true;
		else if (byte == 0xf2)
			insn->prefix_f2 = true;
	}
	insn->opcode = insn->code[insn->length - 1]; /* the first opcode byte */
	insn->operand_size_16 = insn->prefix_66 && !(insn->rex & REX_W);
	return 0;
}

/*
 * Opcode (SDM 2.1.2): one byte, or the escape 0F and a second byte, or
 * 0F 38 / 0F 3A and a third. Looks the opcode up in its map.
 */
static int decode_opcode(struct insn *insn)
{
	uint64_t byte;
	int err;

	insn->map = MAP_ONE_BYTE;
	insn->flags = one_byte_map[insn->opcode];
	if (insn->opcode != 0x0f)
		return 0;

	if ((err = take(insn, 1, &byte)))
		return err;
	insn->map = MAP_0F;
	insn->opcode = (uint8_t)byte;
	insn->flags = two_byte_map[insn->opcode];
	if (insn->opcode == 0x78 && (insn->prefix_66 || insn->prefix_f2))
		insn->flags = BAD; /* AMD SSE4a EXTRQ/INSERTQ: two immediates */
	if (insn->opcode != 0x38 && insn->opcode != 0x3a)
		return 0;

	insn->map = insn->opcode == 0x38 ? MAP_0F38 : MAP_0F3A;
	if ((err = take(insn, 1, &byte)))
		return err;
	insn->opcode = (uint8_t)byte;
	insn->flags = insn->map == MAP_0F38 ? MAP_0F38_FLAGS : MAP_0F3A_FLAGS;
	return 0;
}

/* ModR/M's reg field: a register, or for group opcodes ("/digit") more opcode bits. */
static unsigned modrm_reg(const struct insn *insn)
{
	return (insn->modrm >> 3) & 7;
}

/*
 * ModR/M, SIB and displacement (SDM 2.1.3, 2.1.5, Tables 2-2 and 2-3):
 *     ModR/M = mod(7:6) reg(5:3) rm(2:0)
 *     mod 11: rm is a register, no memory operand
 *     mod 00: [register rm]    mod 01: [register rm] + disp8    mod 10: + disp32
 *     rm 100: a SIB byte follows = scale(7:6) index(5:3) base(2:0)
 *     mod 00 with rm 101: no base register but disp32, which in 64-bit mode
 *         means RIP + disp32 (SDM 2.2.1.6)
 *     mod 00 with SIB base 101: no base register, disp32
 * REX.B, REX.X and REX.R add a fourth bit to rm/base, index and reg, but the
 * special cases above look at the three ModR/M/SIB bits only (SDM Table 2-5),
 * so r12 as base needs a SIB byte and r13 as base a displacement, like
 * rsp and rbp.
 */
static int decode_modrm(struct insn *insn)
{
	uint64_t byte, disp;
	int err;

	if ((err = take(insn, 1, &byte)))
		return err;
	insn->modrm = (uint8_t)byte;
	unsigned mod = insn->modrm >> 6, rm = insn->modrm & 7;

	if (mod == 3 || (insn->flags & CTRL))
		return 0; /* registers only; mov cr/dr ignores mod (SDM, MOV Control Registers) */
	if (rm == 4) {
		if ((err = take(insn, 1, &byte)))
			return err;
		insn->has_sib = true;
		insn->sib = (uint8_t)byte;
	}
	if (mod == 1) {
		if ((err = take(insn, 1, &disp)))
			return err;
		insn->displacement = (int8_t)disp;
	} else if (mod == 2 || (mod == 0 && rm == 5) ||
		   (mod == 0 && insn->has_sib && (insn->sib & 7) == 5)) {
		if ((err = take(insn, 4, &disp)))
			return err;
		insn->displacement = (int32_t)(uint32_t)disp;
	}
	return 0;
}

/* The size of the immediate (SDM 2.1.4, 2.2.1.5) that follows, from the opcode flags. */
static unsigned immediate_size(const struct insn *insn)
{
	uint16_t f = insn->flags;
	unsigned size = 0;

	if ((f & TEST) && modrm_reg(insn) > 1)
		return 0; /* F6/F7 /2../7: not, neg, mul, div: no immediate */
	if (f & IB)
		size += 1;
	if (f & IW)
		size += 2; /* with IB: enter imm16, imm8 */
	if (f & ID)
		size += 4; /* Intel ignores 66 on near branches in 64-bit mode (AMD: rel16) */
	if (f & IZ)
		size += insn->operand_size_16 ? 2 : 4;
	if (f & IV)
		size += (insn->rex & REX_W) ? 8 : insn->operand_size_16 ? 2 : 4;
	return size;
}

/*
 * Decode the whole instruction: fills *insn, whose length is then the
 * instruction's length. 0, or -EINVAL if it is not decodable (see the top).
 */
static int insn_decode(const uint8_t *code, size_t len, struct insn *insn)
{
	uint64_t immediate; /* read only to step over it */
	int err;

	*insn = (struct insn){.code = code, .available = len};
	if (!code)
		return -EINVAL;
	if (insn->available > INSN_MAX_LENGTH)
		insn->available = INSN_MAX_LENGTH; /* longer ones raise #GP (SDM 2.3.11) */
	if ((err = decode_prefixes(insn)) || (err = decode_opcode(insn)))
		return err;
	if (insn->flags & BAD)
		return -EINVAL;
	if ((insn->flags & MR) && (err = decode_modrm(insn)))
		return err;
	/* 8F /0 is pop r/m; other reg values make 8F the XOP prefix (AMD). */
	if (insn->map == MAP_ONE_BYTE && insn->opcode == 0x8f && modrm_reg(insn) != 0)
		return -EINVAL;
	if (insn->flags & MOFFS) /* SDM 2.2.1.4: 64-bit offset, 32-bit with 67 */
		return take(insn, insn->address_size_32 ? 4 : 8, &insn->moffs);
	unsigned size = immediate_size(insn);
	return size ? take(insn, size, &immediate) : 0;
}

int insn_length(const uint8_t *code, size_t len)
{
	struct insn insn;
	int err = insn_decode(code, len, &insn);

	return err ? err : (int)insn.length;
}

/* Register number 0-15 (the encoding order of SDM Table 2-4) to its saved value. */
static uint64_t reg_value(const struct insn_regs *regs, unsigned n)
{
	/* clang-format off */
	const uint64_t *by_number[16] = {
		&regs->rax, &regs->rcx, &regs->rdx, &regs->rbx,
		&regs->rsp, &regs->rbp, &regs->rsi, &regs->rdi,
		&regs->r8,  &regs->r9,  &regs->r10, &regs->r11,
		&regs->r12, &regs->r13, &regs->r14, &regs->r15,
	};
	/* clang-format on */

	return *by_number[n & 15];
}

/*
 * base + index * scale + displacement, per the rules at decode_modrm(). Only
 * called for a memory form (mod != 11). RIP-relative addresses count from
 * the end of the instruction, which is why the whole length, immediates
 * included, must be known (SDM 2.2.1.6): c7 05 <disp32> <imm32> is
 * "movl $imm, disp(%rip)" and addresses rip + 10 + disp.
 */
static uint64_t modrm_address(const struct insn *insn, const struct insn_regs *regs)
{
	unsigned mod = insn->modrm >> 6, rm = insn->modrm & 7;
	uint64_t address = (uint64_t)(int64_t)insn->displacement;

	if (!insn->has_sib) {
		if (mod == 0 && rm == 5)
			return regs->rip + insn->length + address;
		return reg_value(regs, rm | ((insn->rex & REX_B) ? 8 : 0)) + address;
	}
	unsigned scale = insn->sib >> 6;
	unsigned index = ((insn->sib >> 3) & 7) | ((insn->rex & REX_X) ? 8 : 0);
	unsigned base = (insn->sib & 7) | ((insn->rex & REX_B) ? 8 : 0);

	if (index != 4) /* 100 without REX.X: no index (r12 can be one) */
		address += reg_value(regs, index) << scale;
	if (!(mod == 0 && (base & 7) == 5)) /* else no base (rbp and r13 alike) */
		address += reg_value(regs, base);
	return address;
}

int insn_memory_address(const uint8_t *code, size_t len, const struct insn_regs *regs,
			uint64_t *address)
{
	struct insn insn;
	uint64_t result;
	int err;

	if (!regs || !address)
		return -EINVAL;
	if ((err = insn_decode(code, len, &insn)))
		return err;

	if ((insn.flags & MR) && !(insn.flags & (NOMEM | CTRL)) && (insn.modrm >> 6) != 3)
		result = modrm_address(&insn, regs);
	else if (insn.flags & SRC) /* movs and cmps also touch [rdi]; we report [rsi] */
		result = regs->rsi;
	else if (insn.flags & DST)
		result = regs->rdi;
	else if (insn.flags & MOFFS)
		result = insn.moffs;
	else if (insn.flags & XLAT)
		result = regs->rbx + (regs->rax & 0xff);
	else
		return -ENOENT;

	/*
	 * With 67, 64-bit mode computes addresses in 32 bits, registers
	 * included, and zero-extends the result (SDM Vol. 1 3.3.7): truncating
	 * the 64-bit sum gives the same value, RIP-relative ones included.
	 */
	if (insn.address_size_32)
		result = (uint32_t)result;
	*address = result;
	return 0;
}
