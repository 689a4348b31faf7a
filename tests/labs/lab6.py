"""Lab 6 rubric: system calls and user memory (docs/labs/lab6-syscalls.md).

Parts (scripts/lab.py parts 6): extable_search (kernel/arch/x86_64/extable.c),
uaccess_pages_allowed, uaccess_copy, uaccess_strncpy (mm/uaccess.c), user_brk,
user_mprotect (mm/user_space.c).

The user rows run programs of the usertests suite (user/usertests/): none
forks or passes memory by IPC, so a lab 6 tree whose labs 7 and 8 are still
stubs gets full marks once lab 6 is done.
"""
import re

TITLE = "System calls and user memory: user copies with their exception-table fix-up, brk, mprotect"

RUBRIC = [
    # the exception table (extable_search)
    (2, "host", "test_extable:extable/empty_and_one",
     "no entries: NULL; one entry: found at its instruction only"),
    (3, "host", "test_extable:extable/every_size",
     "tables of 1-64 entries: each entry itself, gaps and both ends NULL"),
    (2, "host", "test_extable:extable/extreme_addresses",
     "instructions at 0, in the kernel half, at UINT64_MAX: unsigned comparisons"),
    (3, "host", "test_extable:extable/logarithmic",
     "2^28 entries: a look-up touches at most 64 pages of the table (binary search)"),
    # which pages a process may reach (uaccess_pages_allowed)
    (3, "host", "test_uaccess:uaccess/copy_protections",
     "read-only refuses writes; PROT_NONE refuses both, though still mapped"),
    (3, "host", "test_uaccess:uaccess/prot_none_refused_first",
     "a range meeting PROT_NONE: -EFAULT before any byte or fault; holes reach the copy"),
    (2, "user", "usertests:prot_none_copy",
     "write/read/open on a PROT_NONE page: -EFAULT, nothing leaks into a pipe"),
    # the checked copies (uaccess_copy)
    (3, "host", "test_uaccess:uaccess/copy_demand_zero",
     "a copy into untouched pages faults them in (3 faults); a read sees zeroes"),
    (2, "host", "test_uaccess:uaccess/copy_grows_stack",
     "a copy below the stack grows it; past its limit -EFAULT"),
    (2, "host", "test_uaccess:uaccess/copy_to_private_file_page",
     "a copy into a private file page copies it first; the file keeps its bytes"),
    (3, "host", "test_uaccess:uaccess/copy_bad_addresses",
     "kernel, wrapping, NULL, unmapped, straddling: -EFAULT, the prefix copied"),
    (2, "user", "usertests:copy_untouched",
     "read() into and write() from pages never touched; a read-only page -EFAULT"),
    (2, "user", "usertests:copy_cow_file",
     "read() into an untouched private file mapping copies the page; file unchanged"),
    (1, "user", "usertests:copy_grows_stack",
     "read() 7 MiB below the stack pointer grows the stack"),
    # strings (uaccess_strncpy)
    (4, "host", "test_uaccess:uaccess/strncpy",
     "fitting, too long, NUL at a mapping's end, none before a hole, kernel addresses"),
    (2, "user", "usertests:string_at_hole",
     "open() of a path whose NUL is the last byte before a hole; -EFAULT; -ENAMETOOLONG"),
    # brk (user_brk)
    (4, "host", "test_user_space:user_space/brk",
     "Linux's brk: new or old break; limits, collisions, shrink frees, zero regrow"),
    (2, "host", "test_sys_calls:sys_mm/brk",
     "the system call: grow to a byte, refuse below the start (old break), shrink"),
    (3, "user", "usertests:brk_syscall",
     "syscall(SYS_brk, ...): byte-precise break, refusals answer the old one, shrink unmaps"),
    # mprotect (user_mprotect)
    (4, "host", "test_user_space:user_space/mprotect",
     "splits and merges, PTEs follow, holes -ENOMEM, PROT_NONE keeps data"),
    (2, "host", "test_user_space:user_space/mprotect_keeps_file_frames_read_only",
     "mprotect to read-write never makes an initrd frame writable"),
    (1, "host", "test_sys_calls:sys_mm/mprotect_prot",
     "prot bits above 30 -EINVAL, not dropped"),
    (3, "user", "usertests:mprotect_syscall",
     "read-only and PROT_NONE pages fault, contents kept; -EINVAL, -ENOMEM"),
]


def skeleton_probe(m):
    """Shell commands of the lab 6 skeleton that need a missing part: a
    program's output goes through copy_from_user (uaccess_copy)."""
    return m.command("run hello")
