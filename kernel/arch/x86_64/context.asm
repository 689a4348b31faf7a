; context.asm - saving and switching execution contexts: the two places where
; C cannot say what it wants done with the stack pointer.
;
; recovery_save(rp)   like setjmp: records the callee-saved registers, the
;                     stack pointer, the return address and RFLAGS in *rp and
;                     returns 0. When a fault later aborts to rp
;                     (kernel/recovery.c rewrites the trap frame with these
;                     values), execution comes back here a second time and
;                     recovery_save "returns" 1.
; stack_call(top, fn) switches to the stack whose top is `top` and calls
;                     fn(); fn must never return (kmain's second half).
; Offsets match struct recovery_point in kernel/recovery.h.

bits 64
section .text

global recovery_save
recovery_save:                  ; rdi = struct recovery_point *
    mov [rdi + 0], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rax, [rsp + 8]          ; the caller's rsp once we have returned
    mov [rdi + 48], rax
    mov rax, [rsp]              ; where we return to
    mov [rdi + 56], rax
    pushfq
    pop rax
    mov [rdi + 64], rax         ; RFLAGS (IF: were interrupts on?)
    xor eax, eax                ; first return: 0
    ret

global stack_call
stack_call:                     ; rdi = top of the new stack, rsi = fn
    mov rsp, rdi                ; 16-byte aligned top: the call below pushes
    xor ebp, ebp                ; the return address, as the ABI expects;
    call rsi                    ; rbp = 0 ends backtraces here
    ud2                         ; fn returned: that is a bug
