; switch.asm - the context switch: from one kernel thread to another.
;
; sched_switch(prev_rsp_slot, next_rsp) is called by schedule() with
; interrupts off. A C call already lets the callee clobber RAX, RCX, RDX,
; RSI, RDI, R8-R11 and the flags, so the compiler saved whatever of those it
; needed; the switch saves only the six callee-saved registers, on the old
; thread's own stack, stores RSP into *prev_rsp_slot, loads the new thread's
; RSP and pops that thread's six registers: its `ret` returns into the new
; thread's own call of sched_switch (or, for a thread never run, into
; thread_entry below). No FPU/SSE state: kernel code has none.
;
; Invariants:
;   [x] the push order here and the pop order match the initial frame
;       thread.c builds for a new thread (r15 at the lowest address);
;   [x] interrupts stay off across the switch: the new thread restores its
;       own saved RFLAGS.IF after it returns from schedule().
;
; The stack of a switched-out thread, from its saved RSP upwards:
;   [rsp+0]  r15   [rsp+8]  r14   [rsp+16] r13   [rsp+24] r12
;   [rsp+32] rbx   [rsp+40] rbp   [rsp+48] return address into schedule()

bits 64
section .text

extern thread_start

global sched_switch
sched_switch:                   ; rdi = &prev->context_rsp, rsi = next->context_rsp
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; A new thread's first `ret` lands here with rbx = its struct thread * and
; RSP 16-byte aligned; thread_start(t) runs fn(arg) and never returns.
global thread_entry
thread_entry:
    mov rdi, rbx
    call thread_start
    ud2                         ; thread_start returned: that is a bug
