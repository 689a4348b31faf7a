/*
 * proc_commands.h - what the process commands (proc_commands.c) share with
 * other shell commands that take a PID argument (ipc_commands.c: handles).
 * The shell's thread only.
 */
#ifndef KERNEL_COMMANDS_PROC_COMMANDS_H
#define KERNEL_COMMANDS_PROC_COMMANDS_H

struct process;

/*
 * The process a PID argument names, with a reference (process_put it);
 * NULL after printing why not ("cmd: bad pid 'x': ...", "cmd: pid N not
 * found: no such process").
 */
struct process *shell_process_arg(const char *cmd, const char *arg);

#endif
