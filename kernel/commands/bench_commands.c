/*
 * bench_commands.c - the `bench` command and helpers for benchmarks (see bench.h).
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
	} else if (argc > 2) {
		shell_print_usage(shell_find("bench"));
		return -EINVAL;
	}
	kprintf("benchmarks:\n");
	for (const struct benchmark *const *b = __start_benchmarks; b < __stop_benchmarks; b++)
		kprintf("  %-8s %s\n", (*b)->name, (*b)->description);
	return argc == 2 ? -ENOENT : 0;
}

SHELL_COMMAND(bench, "run a benchmark (cycle counts, medians of repeated runs)",
	      "usage: bench [NAME]\n"
	      "  Without NAME, lists the benchmarks. Each prints cycles per operation\n"
	      "  measured with the TSC, as the median of repeated runs. Under QEMU's\n"
	      "  TCG the numbers are emulated cycles: compare them with each other,\n"
	      "  not with real hardware. Booted with `make run ICOUNT=1`, the TSC\n"
	      "  counts executed instructions: the figures are then path lengths,\n"
	      "  the same on every run (docs/benchmarks.md).\n"
	      "example: bench pmm\n",
	      cmd_bench);
