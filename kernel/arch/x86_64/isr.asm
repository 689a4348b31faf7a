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
;
; User mode: a frame whose CS has RPL 3 came from ring 3 (on the thread's
; kernel stack, through TSS.RSP0): swapgs on the way in, so GS is the
; kernel's percpu; on the way out signal_deliver(frame) (a pending
; kill ends the process there), USER_FRAME_CHECK (trap_frame.inc; a frame
; a handler changed goes to user_mode_check_frame(frame) in C), swapgs,
; iretq (isr_return_to_user, also the syscall path's slow exit). `clac` at
; every entry: an interrupt does not clear EFLAGS.AC, so a user copy's
; open SMAP window would otherwise stay open in the handler. NMI, #DF and
; #MC (isr_paranoid) may arrive in ring 0 while GS is still the user's
; (between syscall and its swapgs, or before sysret): they read
; IA32_GS_BASE and swapgs only when it is not a kernel address.
;
; Invariants:
;   [x] trap_dispatch always runs with GS base = this CPU's struct percpu
;       and EFLAGS.AC clear;
;   [x] every iretq to ring 3 follows a swapgs, and only frames that
;       user_mode_check_frame accepted reach it.
; Context: any interrupt or exception, interrupts off (interrupt gates).

bits 64
section .text

%include "kernel/arch/x86_64/smap.inc"
%include "kernel/arch/x86_64/trap_frame.inc"

extern trap_dispatch
extern signal_deliver
extern user_mode_check_frame

MSR_GS_BASE     equ 0xc0000101  ; SDM Vol. 4 2.1: IA32_GS_BASE
TF_CS_STUB      equ TF_CS - TF_GPRS * 8 ; cs before PUSH_REGS (above vector, error, rip)

; The vectors whose stack is an IST stack and which can interrupt the few
; instructions where ring 0 runs with the user's GS (SDM Vol. 3A 6.14.5).
%macro IS_PARANOID 1
    %if %1 = 2 || %1 = 8 || %1 = 18
        %define PARANOID 1
    %else
        %define PARANOID 0
    %endif
%endmacro

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
    IS_PARANOID vector
isr_stub_ %+ vector:
    %if ERRCODE = 0
    push 0                      ; dummy error code
    %endif
    push vector
    %if PARANOID
    jmp isr_paranoid
    %else
    jmp isr_common
    %endif
%assign vector vector + 1
%endrep

isr_common:
    test qword [rsp + TF_CS_STUB], 3
    jz .from_kernel
    swapgs                      ; from ring 3: GS base = this CPU's percpu
.from_kernel:
    PUSH_REGS
    SMAP_CLAC                   ; AC may be set (a user copy, or user code)
    cld                         ; the ABI wants DF clear
    mov rdi, rsp                ; struct trap_frame *
    call trap_dispatch
    test qword [rsp + TF_CS], 3
    jnz .to_user
    POP_REGS
    add rsp, 16                 ; vector and error code
    iretq
.to_user:
    mov rdi, rsp
    call signal_deliver    ; a pending kill ends the process here
    USER_FRAME_CHECK isr_user_frame_slow, IRET_RFLAGS_OK
global isr_return_to_user
isr_return_to_user:             ; RSP = a checked ring-3 struct trap_frame
    POP_REGS
    add rsp, 16
    swapgs                      ; GS base = the user's again
    iretq
isr_user_frame_slow:            ; a frame a handler changed: let C judge it
    mov rdi, rsp
    call user_mode_check_frame  ; a frame iretq would fault on kills the process
    jmp isr_return_to_user

; NMI, #DF, #MC: GS may be the user's even in ring 0. Decide by the GS base
; itself: a kernel address (bit 63 set) is this CPU's percpu. R12 remembers
; whether to swap back (callee-saved: trap_dispatch keeps it). These vectors
; do not run signal_deliver: they may have interrupted anything.
isr_paranoid:
    PUSH_REGS
    SMAP_CLAC
    cld
    mov ecx, MSR_GS_BASE
    rdmsr                       ; EDX = the high half of the GS base
    xor r12d, r12d
    test edx, edx
    js .kernel_gs
    swapgs
    mov r12d, 1
.kernel_gs:
    mov rdi, rsp
    call trap_dispatch
    test r12d, r12d
    jz .done
    swapgs
.done:
    POP_REGS
    add rsp, 16
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
