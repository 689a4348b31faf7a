/*
 * insn.h - find the memory address an x86-64 instruction accesses.
 *
 * A general-protection fault (#GP) pushes an error code of 0 and no address:
 * the CPU does not say which address was non-canonical. The address can be
 * recomputed from the faulting instruction itself, by decoding its bytes at
 * RIP and evaluating its memory operand with the saved registers, so the
 * report can say "general protection fault: non-canonical address
 * 0x8000000000000000" (Linux does the same in get_kernel_gp_address()).
 * insn.c explains the instruction format and the decoder's limits. Pure
 * computation on the bytes and registers passed in: any context, and it also
 * builds on the host.
 */
#ifndef ARCH_X86_64_INSN_H
#define ARCH_X86_64_INSN_H

#include <stddef.h>
#include <stdint.h>

/* The longest instruction the CPU accepts (SDM Vol. 2A 2.3.11); longer raises #GP. */
#define INSN_MAX_LENGTH 15

/* The general registers at the instruction, in the CPU's encoding order (0-15). */
struct insn_regs {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip; /* the address of the instruction's first byte */
};

/*
 * Decode the instruction in code[0..len) (only the first INSN_MAX_LENGTH
 * bytes are looked at; bytes after the instruction are ignored) located at
 * regs->rip. If it reads or writes memory through a ModR/M memory operand, a
 * string instruction's RSI/RDI, a moffs absolute address (A0-A3) or XLAT,
 * store that address in *address and return 0. The address is the offset
 * within the segment: an FS or GS prefix's segment base is not added.
 * Returns -ENOENT for an instruction without such an operand (register
 * forms, LEA and prefetches, which compute an address but do not access
 * it, implicit stack accesses of push/pop/call/ret), -EINVAL for bytes it
 * cannot decode (VEX/EVEX/XOP, opcodes invalid in 64-bit mode, len too
 * small for the instruction, longer than 15 bytes) or a NULL argument.
 * Context: any; reads only code[0..len) and *regs.
 */
int insn_memory_address(const uint8_t *code, size_t len, const struct insn_regs *regs,
			uint64_t *address);

/*
 * The length in bytes (1-15) of the instruction in code[0..len), or the same
 * -EINVAL as insn_memory_address() when it cannot be decoded. Context: any.
 */
int insn_length(const uint8_t *code, size_t len);

#endif
