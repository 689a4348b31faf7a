/*
 * tty.c - canonical-mode terminal on the console for the foreground
 * process (see tty.h).
 *
 * Two buffers, as Linux's n_tty: the line being edited (edit[], echoed as
 * it is typed, changed by backspace and Ctrl-U) and the cooked ring of
 * complete lines that read() takes from. A line ends in "\n", or in the
 * end-of-file mark (TTY_EOF_MARK, a byte the editor never stores
 * otherwise) when Ctrl-D ends it: read() stops there without returning
 * the mark, and a mark at the start of a read is end of file (0 bytes).
 * Escape sequences (arrow keys send ESC [ A) are swallowed whole.
 *
 * Invariants:
 *   [x] cooked_len <= TTY_COOKED_SIZE; the ring holds tty_lines complete
 *       lines and nothing else (a line that does not fit is dropped whole);
 *   [x] edit_len < TTY_LINE_MAX: room is always left for the "\n";
 *   [x] every field below changes under tty_lock with interrupts off.
 * Context: see tty.h. Lock order: tty_lock -> console_lock (echo), and
 * tty_lock -> what the owner's hook takes (the process table, a process's
 * lock, a wait queue: it signals the owner's whole process group);
 * readers are woken after tty_lock is dropped.
 */
#include "drivers/tty.h"

#include "drivers/arch.h"
#include "drivers/console.h"
#include "drivers/console_lock.h"
#include "lib/errno.h"
#include "lib/string.h"

#define TTY_EOF_MARK 0x04     /* Ctrl-D ended the line (never stored as data) */
#define KEY_CTRL_C 0x03       /* VINTR: SIGINT */
#define KEY_CTRL_D 0x04       /* VEOF */
#define KEY_BACKSPACE 0x08    /* VERASE as some terminals send it */
#define KEY_CTRL_U 0x15       /* VKILL: erase the line */
#define KEY_CTRL_BACKSLASH 0x1c /* VQUIT: SIGQUIT */
#define KEY_ESC 0x1b          /* starts an escape sequence */
#define KEY_DELETE 0x7f       /* VERASE as most terminals send it */

enum esc_state { ESC_NONE, ESC_START, ESC_CSI };

static spinlock_t tty_lock = SPINLOCK_INIT("tty");
static struct wait_queue tty_readers = WAIT_QUEUE_INIT(tty_readers, "tty read");
static void *fg_owner;            /* the foreground owner, or NULL: the shell reads */
static tty_signal_fn fg_hook;
static char edit[TTY_LINE_MAX];
static size_t edit_len;
static char cooked[TTY_COOKED_SIZE];
static size_t cooked_head;        /* index of the oldest byte */
static size_t cooked_len;
static size_t tty_lines;          /* complete lines in the ring */
static enum esc_state esc;

static void echo(const char *s)
{
	console_lock(); /* not in the middle of another CPU's kprintf line */
	console_write(s, strlen(s));
	console_unlock();
}

static void flush_locked(void)
{
	edit_len = 0;
	cooked_head = cooked_len = tty_lines = 0;
	esc = ESC_NONE;
}

/* Move the edited line, ended by end (a "\n" or the EOF mark), into the ring. */
static void commit_line_locked(char end)
{
	if (cooked_len + edit_len + 1 > TTY_COOKED_SIZE) {
		echo("\a"); /* nobody reads: the line is dropped whole */
		edit_len = 0;
		return;
	}
	for (size_t i = 0; i <= edit_len; i++) {
		char c = i < edit_len ? edit[i] : end;
		cooked[(cooked_head + cooked_len++) % TTY_COOKED_SIZE] = c;
	}
	edit_len = 0;
	tty_lines++;
}

/*
 * Cook one byte for the foreground owner. Returns a signal to send (0:
 * none) and whether a line completed (*woke) so the caller wakes readers
 * once the lock is dropped.
 */
static int cook_locked(char c, bool *woke)
{
	if (esc != ESC_NONE) {
		if (esc == ESC_START)
			esc = c == '[' ? ESC_CSI : ESC_NONE;
		else if (c >= 0x40 && c <= 0x7e)
			esc = ESC_NONE; /* the final byte of a CSI sequence */
		return 0;
	}
	switch (c) {
	case KEY_ESC:
		esc = ESC_START;
		return 0;
	case KEY_CTRL_C:
	case KEY_CTRL_BACKSLASH:
		echo(c == KEY_CTRL_C ? "^C\n" : "^\\\n");
		flush_locked(); /* as n_tty without NOFLSH */
		*woke = true;
		return c == KEY_CTRL_C ? SIGINT : SIGQUIT;
	case '\r':
	case '\n':
		echo("\n");
		commit_line_locked('\n');
		*woke = true;
		return 0;
	case KEY_CTRL_D:
		commit_line_locked(TTY_EOF_MARK);
		*woke = true;
		return 0;
	case KEY_BACKSPACE:
	case KEY_DELETE:
		if (edit_len > 0) {
			edit_len--;
			echo("\b \b");
		}
		return 0;
	case KEY_CTRL_U:
		while (edit_len > 0) {
			edit_len--;
			echo("\b \b");
		}
		return 0;
	default:
		break;
	}
	if ((unsigned char)c < 0x20 && c != '\t')
		return 0; /* other control keys mean nothing here */
	if (edit_len + 1 >= TTY_LINE_MAX) {
		echo("\a"); /* full: room is kept for the "\n" */
		return 0;
	}
	edit[edit_len++] = c;
	char s[2] = {c, 0};
	echo(s);
	return 0;
}

/* Cook c, signal the owner (its hook runs under tty_lock), then wake readers. */
static void cook_and_deliver(char c)
{
	bool woke = false;
	unsigned long flags = spin_lock_irqsave(&tty_lock);
	if (!fg_owner) {
		spin_unlock_irqrestore(&tty_lock, flags);
		return;
	}
	int sig = cook_locked(c, &woke);
	if (sig && fg_hook)
		fg_hook(fg_owner, sig); /* under the lock: the owner cannot leave meanwhile */
	spin_unlock_irqrestore(&tty_lock, flags);
	if (woke)
		wait_queue_wake_all(&tty_readers);
}

bool tty_receive(void)
{
	ASSERT_IRQS_OFF();
	if (!__atomic_load_n(&fg_owner, __ATOMIC_ACQUIRE))
		return false;
	int c;
	while (__atomic_load_n(&fg_owner, __ATOMIC_ACQUIRE) && (c = console_read_nonblock()) >= 0)
		cook_and_deliver((char)c);
	return true;
}

void tty_input_byte(char c)
{
	cook_and_deliver(c);
}

void tty_set_foreground(void *owner, tty_signal_fn hook)
{
	unsigned long flags = spin_lock_irqsave(&tty_lock);
	fg_owner = owner;
	fg_hook = hook;
	flush_locked();
	spin_unlock_irqrestore(&tty_lock, flags);
	if (owner) {
		flags = arch_irq_save();
		tty_receive(); /* keys typed ahead belong to the new owner */
		arch_irq_restore(flags);
	}
	wait_queue_wake_all(&tty_readers);
}

void tty_release_foreground(void *owner)
{
	unsigned long flags = spin_lock_irqsave(&tty_lock);
	bool was = owner && fg_owner == owner;
	if (was) {
		fg_owner = NULL;
		fg_hook = NULL;
		flush_locked();
	}
	spin_unlock_irqrestore(&tty_lock, flags);
	if (was)
		wait_queue_wake_all(&tty_readers);
}

bool tty_is_foreground(const void *owner)
{
	return owner && __atomic_load_n(&fg_owner, __ATOMIC_ACQUIRE) == owner;
}

/* Under tty_lock: is a line ready for owner? */
static bool line_ready(void *owner)
{
	unsigned long flags = spin_lock_irqsave(&tty_lock);
	bool ready = fg_owner == owner && tty_lines > 0;
	spin_unlock_irqrestore(&tty_lock, flags);
	return ready;
}

long tty_read(void *owner, char *buf, size_t len, bool (*interrupted)(void))
{
	if (len == 0)
		return 0;
	for (;;) {
		wait_event(&tty_readers, line_ready(owner) || (interrupted && interrupted()));
		unsigned long flags = spin_lock_irqsave(&tty_lock);
		if (fg_owner != owner || tty_lines == 0) {
			spin_unlock_irqrestore(&tty_lock, flags);
			if (interrupted && interrupted())
				return -EINTR;
			continue; /* another reader took the line, or the owner changed */
		}
		size_t n = 0;
		while (n < len) {
			char c = cooked[cooked_head];
			cooked_head = (cooked_head + 1) % TTY_COOKED_SIZE;
			cooked_len--;
			if (c == TTY_EOF_MARK) {
				tty_lines--;
				break; /* end of the line; at its start, end of file */
			}
			buf[n++] = c;
			if (c == '\n') {
				tty_lines--;
				break;
			}
		}
		spin_unlock_irqrestore(&tty_lock, flags);
		return (long)n;
	}
}

void tty_wake_readers(void)
{
	wait_queue_wake_all(&tty_readers);
}

struct wait_queue *tty_read_queue(void)
{
	return &tty_readers;
}

void tty_winsize(struct linux_winsize *ws)
{
	ws->ws_row = TTY_ROWS;
	ws->ws_col = TTY_COLS;
	ws->ws_xpixel = ws->ws_ypixel = 0;
}

size_t tty_pending_bytes(void)
{
	return __atomic_load_n(&cooked_len, __ATOMIC_RELAXED);
}

size_t tty_pending_lines(void)
{
	return __atomic_load_n(&tty_lines, __ATOMIC_RELAXED);
}
