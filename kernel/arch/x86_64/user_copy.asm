; user_copy.asm - arch_copy_user: the one routine that touches memory a
; program named, with SMAP opened for exactly its duration.
;
; size_t arch_copy_user(void *dst, const void *src, size_t n) copies n
; bytes with `rep movsb` between stac and clac and returns the bytes NOT
; copied (0: all). Either side may fault: the exception table (extable.h)
; names the rep movsb, so page_fault.c treats its #PF as a user access -
; a demand-zero, copy-on-write or stack-growth fault is resolved and the
; copy resumes where it stopped (rep movsb keeps its progress in RCX, RSI,
; RDI) - and a violation (or a #GP: a non-canonical address) continues at
; .fault, which returns RCX, the count still to copy. The range checks
; (user half only) are mm/uaccess.c's: this routine copies what it is told.
;
; Invariants:
;   [x] EFLAGS.AC is set only between the stac and a clac of this file,
;       and every way out of the routine passes a clac;
;   [x] the only instruction here that may fault on a caller's address is
;       the rep movsb, and it is in the exception table.
; Context: process context, interrupts on or off, no spinlock held (a
; fault may need to allocate); DF clear (the kernel's ABI state).

bits 64
section .text

%include "kernel/arch/x86_64/smap.inc"

global arch_copy_user
arch_copy_user:
    mov rcx, rdx                ; n
    SMAP_STAC                   ; open: supervisor accesses to user pages allowed
.copy:
    rep movsb
    SMAP_CLAC
    xor eax, eax                ; everything copied
    ret
.fault:                         ; a fault no handler could resolve: stop here
    SMAP_CLAC
    mov rax, rcx                ; bytes not copied
    ret

; The exception table's entry: (faulting instruction, where to continue).
[section __ex_table progbits alloc noexec write align=8]
    dq .copy, .fault
__SECT__
