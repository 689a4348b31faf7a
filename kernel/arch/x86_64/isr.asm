; isr.asm - the entry stubs for all 256 interrupt vectors.
;
; The CPU pushes SS, RSP, RFLAGS, CS, RIP (and, for some exceptions, an error
; code) and jumps to the vector's stub. Each stub makes the stack look the
; same for every vector - it pushes a zero error code where the CPU did not,
; then the vector number - and jumps to isr_common, which saves the general
; registers to complete a struct trap_frame (kernel/arch/x86_64/trap.h) and
; calls trap_dispatch(frame). On return it restores everything and IRETQs.
; The CPU aligned RSP to 16 before pushing, and the frame is 22 quadwords,
; so RSP is 16-byte aligned again at the call, as the ABI requires. The frame
; is on the interrupted stack (on an IST stack for #DF, NMI and #MC), so a
; fault inside trap_dispatch builds a second frame below this one and
; returns to it: nothing here is global.

bits 64
section .text

extern trap_dispatch

; Vectors where the CPU pushes an error code (SDM Vol. 3A 6.15).
%macro HAS_ERROR_CODE 1
    %if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
        %define ERRCODE 1
    %else
        %define ERRCODE 0
    %endif
%endmacro

%assign vector 0
%rep 256
    HAS_ERROR_CODE vector
isr_stub_ %+ vector:
    %if ERRCODE = 0
    push 0                      ; dummy error code
    %endif
    push vector
    jmp isr_common
%assign vector vector + 1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld                         ; the ABI wants DF clear
    mov rdi, rsp                ; struct trap_frame *
    call trap_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                 ; vector and error code
    iretq

; The stubs' addresses, indexed by vector, for idt_init().
section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign vector 0
%rep 256
    dq isr_stub_ %+ vector
%assign vector vector + 1
%endrep
