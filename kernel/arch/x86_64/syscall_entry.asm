; syscall_entry.asm - the `syscall` instruction's way into the kernel and
; the way back out (LSTAR points at syscall_entry: user_mode.c).
;
; `syscall` leaves RIP in RCX and RFLAGS in R11, loads CS/SS from STAR,
; clears the FMASK bits of RFLAGS (IF, TF, DF, AC, NT: interrupts off,
; string operations up, SMAP shut - so no clac is needed here) and jumps
; here in ring 0, with the user's RSP and GS still loaded. The entry:
;   1. swapgs: GS base = this CPU's struct percpu;
;   2. parks the user RSP in percpu->user_rsp and loads percpu->syscall_stack,
;      the running thread's kernel stack top (arch_switch_user_state);
;   3. pushes a struct trap_frame (trap.h) as an interrupt would have left
;      it: ss, rsp, rflags (R11), cs, rip (RCX), error (RAX), SYSCALL_VECTOR,
;      then the general registers - so every path that sees a frame from
;      ring 3 sees the same thing (the error code slot holds RAX, the call's
;      number, as Linux's orig_ax: signal_deliver restarts a call with it);
;   4. turns interrupts on and calls syscall_dispatch(frame), which leaves
;      the result in frame->rax; then, interrupts off again,
;      signal_deliver(frame) (a pending kill ends the process there).
;      ipc_call and ipc_reply_recv first go, interrupts still off, to IPC's
;      fast path (kernel/ipc/fastpath.c); what it declines goes on as above;
;   5. returns with sysretq when that restores the frame exactly: RIP below
;      USER_HALF_END (sysret with a non-canonical RCX raises #GP in ring 0,
;      on the user's stack: Intel's sysret pitfall), CS and SS the user
;      selectors, and no RFLAGS bit sysret would change (RF, VM, IOPL,
;      reserved ones) or IF clear, and RCX and R11 equal RIP and RFLAGS
;      (what sysret loads them with). Otherwise through iretq, after
;      user_mode_check_frame (isr.asm's isr_return_to_user).
; The frame is 22 quadwords and the stack top is 16-byte aligned, so RSP is
; aligned at each call. RCX and R11 come back as RIP and RFLAGS (the Linux
; ABI says the call clobbers them).
;
; Invariants:
;   [x] between syscall_entry and swapgs, and between the exit's swapgs and
;       sysretq, interrupts are off (NMI and #MC check GS themselves: isr.asm);
;   [x] sysretq runs only with RCX < USER_HALF_END and CS/SS/RFLAGS as above.
; Context: ring 3 `syscall` on a thread with a process; runs on its kernel stack.

bits 64
section .text

%include "kernel/arch/x86_64/smap.inc"
%include "kernel/arch/x86_64/trap_frame.inc"

extern syscall_dispatch
extern ipc_fastpath_call
extern ipc_fastpath_reply_recv
extern signal_deliver
extern user_mode_check_frame
extern isr_return_to_user

SYS_IPC_CALL       equ 4100     ; pagoda/ipc_abi.h's SYS_ipc_call, SYS_ipc_reply_recv
SYS_IPC_REPLY_RECV equ 4102     ; (user_mode.c asserts them)
IPC_FASTPATH_DONE_QUIET equ 2   ; kernel/ipc/fastpath.h's (user_mode.c asserts it)
TF_R11      equ 4 * 8           ; struct trap_frame's r11 and rcx (user_mode.c asserts them)
TF_RCX      equ 12 * 8

global syscall_entry
syscall_entry:
    swapgs
    mov [gs:PERCPU_OFFSET_USER_RSP], rsp
    mov rsp, [gs:PERCPU_OFFSET_SYSCALL_STACK]
    push GDT_USER_DATA                      ; ss
    push qword [gs:PERCPU_OFFSET_USER_RSP]  ; rsp
    push r11                                ; rflags
    push GDT_USER_CODE                      ; cs
    push rcx                                ; rip
    push rax                                ; error code slot: the call's number (restarts)
    push SYSCALL_VECTOR                     ; vector
    PUSH_REGS                               ; rax: the call's number, and its result
    xor ebp, ebp                ; end of the kernel's frame-pointer chain (backtraces)
    mov rdi, rsp                ; struct trap_frame *
    cmp eax, SYS_IPC_CALL       ; IPC's fast path, interrupts still off (the number
    je .ipc_call                ; is eax, as syscall_dispatch reads it)
    cmp eax, SYS_IPC_REPLY_RECV
    je .ipc_reply_recv
.dispatch:
    sti
    call syscall_dispatch
.exit:
    cli
    mov rdi, rsp
    call signal_deliver
    USER_FRAME_CHECK .iret, SYSRET_RFLAGS_OK   ; sysret, or iretq?
    mov rax, [rsp + TF_RCX]     ; sysret loads RCX and R11 from RIP and RFLAGS: a frame
    cmp rax, [rsp + TF_RIP]     ; whose RCX or R11 differ (rt_sigreturn restored them,
    jne .iret                   ; a handler's entry) needs iretq to come back exact
    mov rax, [rsp + TF_R11]
    cmp rax, [rsp + TF_RFLAGS]
    jne .iret
.sysret:                        ; a frame sysret restores exactly (checked, or known)
    POP_REGS                    ; (RCX and R11 then replaced by RIP and RFLAGS)
    mov rcx, [rsp + TF_RIP - TF_GPRS * 8]
    mov r11, [rsp + TF_RFLAGS - TF_GPRS * 8]
    mov rsp, [rsp + TF_RSP - TF_GPRS * 8]
    swapgs
    o64 sysret
.iret:
    mov rdi, rsp
    call user_mode_check_frame  ; a frame iretq would fault on kills the process
    jmp isr_return_to_user
; The fast path (kernel/ipc/fastpath.h) returns, interrupts off, DONE with
; the call's result in the frame, DONE_QUIET when moreover signal_deliver
; would do nothing, or DECLINED having changed nothing: then the general
; path runs the call from the start. DONE_QUIET also skips most checks
; before sysret: nothing rewrote the frame's CS, SS, RFLAGS, RCX or R11
; since this entry pushed them (the fast path writes the message registers
; only): RCX and R11 are RIP and RFLAGS, and RFLAGS is what ring 3 had
; (it cannot clear IF or set IOPL or VM; RF, which sysret drops, only
; suppresses one instruction breakpoint). RIP is still checked.
.ipc_call:
    call ipc_fastpath_call
    jmp .ipc_done
.ipc_reply_recv:
    call ipc_fastpath_reply_recv
.ipc_done:
    cmp eax, IPC_FASTPATH_DONE_QUIET
    jne .ipc_signals
    mov rax, [rsp + TF_RIP]     ; the frame is this entry's own (see above): only the
    shr rax, 47                 ; pitfall's check is left, a `syscall` in the user
    jz .sysret                  ; half's last bytes has RIP at USER_HALF_END
    jmp .iret
.ipc_signals:
    mov rdi, rsp
    test eax, eax
    jnz .exit
    jmp .dispatch

; __noreturn void user_mode_enter_frame(const struct trap_frame *src, uint64_t top)
; (arch_enter_user, interrupts off): copy *src to [top - 176, top) and leave
; through isr_return_to_user. src and the destination may both lie in the
; live part of this very stack, so the frame is first pushed below RSP (below
; everything live), then moved up from its highest quadword down (the
; destination is above the copy: overlap-safe in that order).
global user_mode_enter_frame
user_mode_enter_frame:
    mov ecx, TF_QWORDS
.push:
    push qword [rdi + rcx * 8 - 8]
    dec ecx
    jnz .push
    lea rdi, [rsi - TF_QWORDS * 8]
    mov ecx, TF_QWORDS
.move:
    mov rax, [rsp + rcx * 8 - 8]
    mov [rdi + rcx * 8 - 8], rax
    dec ecx
    jnz .move
    mov rsp, rdi
    jmp isr_return_to_user
