/*
 * tty.h - the console as a terminal for processes: canonical mode.
 *
 * While a process owns the console (the foreground process, set by the
 * shell's `run`), the keys that arrive go through the terminal instead of
 * waiting for the shell: they are edited into a line (backspace, Ctrl-U
 * erase the line), echoed, and handed to read() a whole line at a time
 * ("\n" included); Ctrl-D at the start of a line makes read() return 0
 * (end of file), elsewhere it hands over the line typed so far; Ctrl-C
 * (SIGINT) and Ctrl-\ (SIGQUIT) call the foreground owner's signal hook
 * from the interrupt (kernel/proc/ sends the signal to the owner's process
 * group: the program and its children) and throw away what was typed, as
 * Linux's n_tty does.
 * Without a foreground owner the keys stay in the input rings for the
 * shell's console_getc: the shell keeps working when no process reads.
 *
 * The terminal knows nothing of processes (drivers/ sits below kernel/):
 * the owner is an opaque pointer with a hook, set by kernel/proc/.
 *
 * Invariants:
 *   [x] the cooked ring holds complete lines only, each ending in "\n" or
 *       the end-of-file mark; tty_lines counts them;
 *   [x] keys are cooked only while an owner is set; the line being edited
 *       and the cooked lines are dropped when the owner changes.
 * Context: tty_receive from the serial or keyboard interrupt (interrupts off);
 * tty_read from a thread (sleeps); the rest any context. One spinlock
 * ("tty"), taken with interrupts off, never held across console output
 * of more than an echo or across a sleep.
 */
#ifndef DRIVERS_TTY_H
#define DRIVERS_TTY_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/uapi.h"

#define TTY_LINE_MAX 256            /* bytes of one line, its "\n" included (Linux: 4096) */
#define TTY_COOKED_SIZE 1024        /* bytes of complete lines waiting for read() */
#define TTY_ROWS 25                 /* TIOCGWINSZ: the VGA text screen's size */
#define TTY_COLS 80

/*
 * Called from the interrupt with a signal (SIGINT, SIGQUIT) for the owner,
 * under the terminal's lock (so the owner cannot be released meanwhile):
 * it must only mark and wake, never sleep or call back into the tty.
 */
typedef void (*tty_signal_fn)(void *owner, int sig);

/*
 * Make owner the foreground (keys are cooked for it; its hook gets Ctrl-C).
 * Keys already waiting in the input rings are cooked at once. owner NULL:
 * the shell reads raw keys again. Any context.
 */
void tty_set_foreground(void *owner, tty_signal_fn hook);

/* If owner is the foreground, make it nobody (owner is going away). */
void tty_release_foreground(void *owner);

/* Is owner the foreground now? */
bool tty_is_foreground(const void *owner);

/*
 * The input interrupts' part (console_interrupt and
 * console_keyboard_interrupt): cook every byte of the input rings when
 * there is a foreground owner. Returns false when there
 * is none (the bytes stay for console_getc). Interrupts off.
 */
bool tty_receive(void);

/*
 * Read one line (or its first len bytes; the rest stays for the next
 * read) into buf for owner: waits until owner is the foreground and a
 * line is complete, or until interrupted() is true (then -EINTR, when
 * nothing was read). Returns the bytes read, 0 at end of file (Ctrl-D at
 * a line's start). A reader that is not the foreground waits, like a
 * background job stopped by SIGTTIN on Linux. From a thread, interrupts on.
 */
long tty_read(void *owner, char *buf, size_t len, bool (*interrupted)(void));

/* Wake every tty_read so that it rechecks interrupted(). Any context. */
void tty_wake_readers(void);

/* The readers' wait queue (a kill wakes it: kernel/proc/process.h). */
struct wait_queue *tty_read_queue(void);

/* The terminal's size, for TIOCGWINSZ. */
void tty_winsize(struct linux_winsize *ws);

/* Bytes of complete lines waiting, lines waiting (tests, ps-like views). */
size_t tty_pending_bytes(void);
size_t tty_pending_lines(void);

/*
 * Feed one byte as if typed (tests): the same cooking tty_receive does.
 * Interrupts off or on; ignored without a foreground owner.
 */
void tty_input_byte(char c);

#endif
