/*
 * bench_commands.c - the `bench` command: run one benchmark by name, or
 * list them all (kernel/bench/bench.h).
 *
 * Benchmarks are found through the linker section "benchmarks" (bracketed
 * by __start_benchmarks and __stop_benchmarks), so adding one never touches
 * this file. Shell context.
 */
#include "kernel/bench/bench.h"

#include "kernel/shell/shell.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

extern const struct benchmark *const __start_benchmarks[], *const __stop_benchmarks[];

static int cmd_bench(int argc, char **argv)
{
	if (argc == 2) {
		for (const struct benchmark *const *b = __start_benchmarks; b < __stop_benchmarks;
		     b++) {
			if (strcmp((*b)->name, argv[1]) == 0) {
				(*b)->run();
				return 0;
			}
		}
		kprintf("bench: no benchmark named '%s'\n", argv[1]);
	}
	kprintf("benchmarks:\n");
	for (const struct benchmark *const *b = __start_benchmarks; b < __stop_benchmarks; b++)
		kprintf("  %-8s %s\n", (*b)->name, (*b)->description);
	return argc == 2 ? -ENOENT : 0;
}

SHELL_COMMAND(bench, SHELL_ARGS(0, 1), "run a benchmark (cycle counts, medians of repeated runs)",
	      "usage: bench [NAME]\n"
	      "  Without NAME, lists the benchmarks. Each prints cycles per operation\n"
	      "  measured with the TSC, as the median of repeated runs. Under QEMU's\n"
	      "  TCG the numbers are emulated cycles: compare them with each other,\n"
	      "  not with real hardware. Booted with `make run ICOUNT=1`, the TSC\n"
	      "  counts executed instructions: the figures are then path lengths,\n"
	      "  the same on every run (docs/benchmarks.md).\n"
	      "examples:\n"
	      "  bench      the list of benchmarks\n"
	      "  bench pmm  the page allocator's operations\n",
	      cmd_bench);
