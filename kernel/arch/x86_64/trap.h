/*
 * trap.h - what happens after isr.asm: exceptions and hardware interrupts.
 *
 * trap_dispatch() receives every vector. IRQs (32-47) go to the handler the
 * kernel registered with trap_register_irq(), followed by an end-of-
 * interrupt to the local APIC (or to the 8259s where there is no I/O APIC);
 * the APIC's own vectors and IPIs (vectors.h) go to trap_register_vector()'s
 * handlers, also followed by a local APIC EOI. Exceptions (0-31) go first to a registered exception
 * handler (page_fault.c registers #PF, which resolves demand-zero, COW and
 * stack-growth faults, and #GP, which names the address); what no handler
 * resolves gets trap_report(), which prints everything a student needs to
 * find the bug (exception name, decoded error code, RIP as symbol+offset,
 * registers, control registers, backtrace). Then #BP and NMI continue; any
 * other exception aborts the running shell command back to its recovery
 * point (kernel/recovery.h) if there is one, and otherwise halts the CPU;
 * #MC always halts, and so does #DF unless its handler (page_fault.c)
 * recognised a kernel stack overflow and aborted to a recovery point on the
 * overflowed stack itself. Runs with interrupts off.
 *
 * Stacks (idt.c, gdt.h): #DF, NMI and #MC start on their IST stacks; every
 * other vector, #PF included, pushes its frame on the interrupted stack, so
 * a fault inside a fault handler nests below the first frame and both
 * return in order.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* The stack as isr.asm leaves it: pushed registers, then what the CPU pushed. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;     /* pushed by the stub */
	uint64_t error_code; /* pushed by the CPU, or 0 by the stub */
	uint64_t rip, cs, rflags, rsp, ss; /* the interrupt frame (SDM Vol. 3A 6.14.2) */
};

/* Exception vectors the kernel refers to by name (SDM Vol. 3A 6.3.1). */
#define VEC_DIVIDE_ERROR 0
#define VEC_DEBUG 1
#define VEC_NMI 2
#define VEC_BREAKPOINT 3
#define VEC_INVALID_OPCODE 6
#define VEC_DOUBLE_FAULT 8
#define VEC_GENERAL_PROTECTION 13
#define VEC_PAGE_FAULT 14
#define VEC_X87_FP_ERROR 16
#define VEC_ALIGNMENT_CHECK 17
#define VEC_MACHINE_CHECK 18
#define VEC_SIMD_FP 19

/*
 * The vector a system call's frame carries (syscall_entry.asm): above
 * every hardware vector (0-255), so nothing mistakes it for an interrupt.
 */
#define SYSCALL_VECTOR 0x100

/* Page-fault error code bits (SDM Vol. 3A 4.7). */
#define PF_PRESENT (1u << 0)  /* 0: page not present; 1: protection violation */
#define PF_WRITE (1u << 1)    /* the access was a write */
#define PF_USER (1u << 2)     /* the access came from ring 3 */
#define PF_RESERVED (1u << 3) /* a reserved bit was set in a paging entry */
#define PF_INSTRUCTION (1u << 4) /* the access was an instruction fetch */
#define PF_PROTECTION_KEY (1u << 5) /* protection-key violation */
#define PF_SHADOW_STACK (1u << 6)   /* shadow-stack access */

/* Handles an IRQ; runs with interrupts off, must be short. */
typedef void (*irq_handler_t)(void);

/*
 * Handles an exception; returns true if it resolved it (execution resumes at
 * frame->rip, possibly changed), false to fall through to the fatal report.
 */
typedef bool (*exception_handler_t)(struct trap_frame *frame);

/* Route ISA IRQ irq (0-15) to handler and unmask it at the I/O APIC (or the 8259s). */
void trap_register_irq(int irq, irq_handler_t handler);

/*
 * Route vector (VEC_FIRST_FREE .. VEC_LAST_FREE, kernel/arch/x86_64/vectors.h:
 * the LAPIC timer, IPIs, the LAPIC error) to handler. trap_dispatch runs it
 * with interrupts off, then sends the local APIC its EOI and lets the
 * scheduler switch (as for an IRQ). Panics for a vector outside that range.
 * Boot or process context, before the vector can arrive.
 */
void trap_register_vector(uint8_t vector, irq_handler_t handler);

/* Route exception vector (0-31) to handler. */
void trap_register_exception(int vector, exception_handler_t handler);

/* Called by isr.asm for every vector. */
void trap_dispatch(struct trap_frame *frame);

/* "Page Fault" for 14, "reserved" for unassigned vectors. */
const char *trap_exception_name(uint64_t vector);

/* Print the full report for an exception frame (before recovering or halting). */
void trap_report(const struct trap_frame *frame);

#endif
