/*
 * backtrace.c - frame-pointer backtraces (see backtrace.h for the layout).
 *
 * Invariants (each frame must satisfy them before it is read):
 *   [x] rbp is 8-byte aligned;
 *   [x] [rbp, rbp + 16) lies inside one registered kernel stack
 *       (kernel/stack_registry.h: the boot stack, the static IST stacks and
 *       every guarded stack);
 *   [x] each frame is above the previous one (stacks grow down, so callers'
 *       frames have higher addresses), which also rules out loops.
 */
#include "kernel/arch/x86_64/backtrace.h"

#include <stdbool.h>

#include "kernel/ksyms.h"
#include "kernel/stack_registry.h"
#include "lib/printf.h"

#define OPCODE_PUSH_RBP 0x55 /* the first byte of a standard prologue */

/* Whether [addr, addr + size) lies inside one registered kernel stack. */
static bool on_known_stack(uint64_t addr, uint64_t size)
{
	return kernel_stack_find(addr, size) != NULL;
}

static void print_frame(int depth, uint64_t addr)
{
	uint64_t offset;
	const char *name = ksyms_lookup(addr, &offset);

	if (name)
		kprintf("  #%-2d 0x%016lx <%s+0x%lx>\n", depth, addr, name, offset);
	else
		kprintf("  #%-2d 0x%016lx <?>\n", depth, addr);
}

/* Follow the RBP chain from rbp, numbering frames from depth. */
static void walk_frames(uint64_t rbp, int depth)
{
	while (rbp && depth < BACKTRACE_MAX_FRAMES) {
		if ((rbp & 7) || !on_known_stack(rbp, 16)) {
			kprintf("  (frame pointer 0x%lx is not on a kernel stack; stopping)\n", rbp);
			return;
		}
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
		uint64_t next = frame[0], ret = frame[1];
		if (ret == 0)
			break;
		/* ret points after the call; ret-1 lies inside the calling line. */
		print_frame(depth++, ret - 1);
		if (next && next <= rbp) {
			kprintf("  (frame chain goes backwards; stopping)\n");
			return;
		}
		rbp = next;
	}
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	kprintf("Backtrace:\n");
	print_frame(0, rip);
	walk_frames(rbp, 1);
}

void backtrace_print_trap(uint64_t rip, uint64_t rsp, uint64_t rbp)
{
	uint64_t offset, slot = 0;
	int depth = 1;

	kprintf("Backtrace:\n");
	print_frame(0, rip);
	if (ksyms_lookup(rip, &offset)) {
		const uint8_t *function = (const uint8_t *)(uintptr_t)(rip - offset);
		if (offset == 0 || function[0] != OPCODE_PUSH_RBP)
			slot = rsp;      /* no frame of its own: return address on top */
		else if (offset == 1)
			slot = rsp + 8;  /* pushed RBP, not yet moved RSP into it */
	}
	if (slot && on_known_stack(slot, 8))
		print_frame(depth++, *(const uint64_t *)(uintptr_t)slot - 1);
	walk_frames(rbp, depth);
}

void backtrace_print_here(void)
{
	uint64_t rbp;

	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	backtrace_print((uint64_t)(uintptr_t)__builtin_return_address(0), rbp);
}
