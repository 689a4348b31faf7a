/*
 * bootinfo_commands.c - the `bootinfo` command: what the boot loader passed,
 * as kernel/bootinfo.c parsed and validated it, whole or one part.
 *
 * The parser and its printers stay in kernel/bootinfo.c, which builds on the
 * host for its tests and fuzzer; this file only maps the words a user types
 * to those printers.
 *
 * Invariants:
 *   [x] reads boot_info only; changes nothing
 *
 * Calling context: the shell thread.
 */
#include "kernel/bootinfo.h"
#include "kernel/shell/shell.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

static const struct {
	const char *word;
	void (*print)(const struct boot_info *bi);
} bootinfo_parts[] = {
	{"mmap", bootinfo_print_mmap},
	{"efi", bootinfo_print_efi},
	{"modules", bootinfo_print_modules},
	{"cmdline", bootinfo_print_cmdline},
};

static int cmd_bootinfo(int argc, char **argv)
{
	if (argc == 1) {
		bootinfo_print(&boot_info);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bootinfo_parts); i++) {
		if (strcmp(argv[1], bootinfo_parts[i].word) == 0) {
			bootinfo_parts[i].print(&boot_info);
			return 0;
		}
	}
	kprintf("bootinfo: unknown part '%s'\n", argv[1]);
	shell_print_usage(shell_find("bootinfo"));
	return -EINVAL;
}

SHELL_COMMAND(bootinfo, SHELL_ARGS(0, 1), "show what the bootloader passed (multiboot2)",
	      "usage: bootinfo [mmap|efi|modules|cmdline]\n"
	      "  no argument  everything the boot loader passed\n"
	      "  mmap         the memory map (Linux e820 style, inclusive ends)\n"
	      "  efi          the UEFI memory map and EFI tags\n"
	      "  modules      the modules loaded with the kernel\n"
	      "  cmdline      the kernel command line\n"
	      "examples:\n"
	      "  bootinfo        everything\n"
	      "  bootinfo mmap   the memory map alone\n",
	      cmd_bootinfo);
