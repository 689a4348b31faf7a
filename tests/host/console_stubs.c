/*
 * console_stubs.c - the console driver's API for host test programs.
 *
 * kernel/shell/shell.c calls console_write (line editor echo) and console_getc
 * (shell_run's input). On the host there is no serial port: writes go to
 * stdout so nothing printed is lost, and console_getc reports "no input"
 * with -1, which shell_run skips (host tests never call shell_run: it does
 * not return). Commands run under a recovery point (kernel/recovery.h);
 * a host process has no trap handler to abort to one, so saving one does
 * nothing and it is never returned to. Hosted code: may use libc.
 */
#include <stdio.h>

#include "drivers/console.h"
#include "kernel/recovery.h"

int recovery_save(struct recovery_point *rp)
{
	(void)rp;
	return 0;
}

void recovery_push(struct recovery_point *rp, const char *what)
{
	rp->what = what;
}

void recovery_pop(struct recovery_point *rp)
{
	(void)rp;
}

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	fflush(stdout);
}

int console_getc(void)
{
	return -1;
}
