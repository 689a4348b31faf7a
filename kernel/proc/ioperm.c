/*
 * ioperm.c - a process's I/O bitmap: granted, copied at fork, freed at
 * exit (see ioperm.h). The range rules and bit updates are io_bitmap.c's;
 * the TSS is the arch layer's (arch_io_bitmap_load, gdt_io_load).
 *
 * A process has one thread, so only that thread changes its bitmap; a
 * switch reads it with interrupts off, and the change is made with
 * interrupts off too, so no switch sees a half-made bitmap or a bitmap
 * with an older generation.
 *
 * Invariants:
 *   [x] the bitmap and generation change together, interrupts off, and
 *       this CPU's TSS is reloaded before interrupts come back on.
 * Context: process context, no spinlock held.
 */
#include "kernel/proc/ioperm.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/proc/io_bitmap.h"
#include "kernel/proc/process.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/kmalloc.h"

_Static_assert(IO_BITMAP_BYTES == GDT_IO_BITMAP_BYTES, "ioperm.c: the TSS holds a whole bitmap");

static uint64_t last_generation; /* atomic: the last generation handed out */

static uint64_t next_generation(void)
{
	return __atomic_add_fetch(&last_generation, 1, __ATOMIC_RELAXED);
}

long process_ioperm(uint64_t from, uint64_t num, int turn_on)
{
	struct process *p = process_current();
	int err = io_bitmap_check(from, num, turn_on != 0);
	uint8_t *fresh = NULL;

	if (err)
		return err;
	if (!p->io_bitmap) {
		if (!turn_on)
			return 0; /* nothing granted: nothing to take back */
		fresh = kmalloc(IO_BITMAP_BYTES, 0);
		if (!fresh)
			return -ENOMEM;
		io_bitmap_deny_all(fresh);
	}
	unsigned long flags = arch_irq_save();
	if (fresh)
		p->io_bitmap = fresh;
	io_bitmap_update(p->io_bitmap, (uint32_t)from, (uint32_t)num, turn_on != 0);
	p->io_generation = next_generation();
	arch_io_bitmap_load(p);
	arch_irq_restore(flags);
	return 0;
}

int process_io_fork(struct process *child, const struct process *parent)
{
	if (!parent->io_bitmap)
		return 0;
	child->io_bitmap = kmalloc(IO_BITMAP_BYTES, 0);
	if (!child->io_bitmap)
		return -ENOMEM;
	memcpy(child->io_bitmap, parent->io_bitmap, IO_BITMAP_BYTES);
	child->io_generation = next_generation();
	return 0;
}

void process_io_release(struct process *p)
{
	unsigned long flags = arch_irq_save();
	uint8_t *map = p->io_bitmap;

	p->io_bitmap = NULL;
	p->io_generation = 0;
	arch_irq_restore(flags);
	kfree(map);
}
