"""test_lab8.py - lab 8 (docs/labs/lab8-ipc-memory.md) from the shell: memory passed
by IPC leaves nothing behind.

The usertests of the lab's required parts (map and grant between a client and its buffer
servers, user/usertests/ipcmem.c, and the ipc group's map and grant) run twice on the
shared machine; all must pass, and the second run must leave meminfo's free memory, slabs
and page tables where the first left them: every frame a map gave one more owner, and
every page a grant moved, is given back once both sides have exited. The challenge
(revoke) has its own usertest and is left out here, so that the required parts can get
full marks without it.
"""
from pagoda import shell_test
from test_faults import settled_meminfo
from test_user import check_memory_back, run_named_usertests

# The required parts' user tests (the revoke challenge's are not among them).
REQUIRED = ("ipcmem_map_shared", "ipcmem_map_rights", "ipcmem_grant_round_trip", "ipc_map",
            "ipc_grant")


@shell_test("lab 8: the map and grant usertests twice; meminfo back after the second",
            firmwares=("bios",))
def ipc_memory_given_back(m):
    run_named_usertests(m, REQUIRED, "the lab 8 usertests")
    before = settled_meminfo(m)
    run_named_usertests(m, REQUIRED, "the lab 8 usertests, again")
    check_memory_back(before, settled_meminfo(m), "the lab 8 usertests")
