"""Lab 8 rubric: memory over IPC, map and grant a page range (challenge: revocation)
(docs/labs/lab8-ipc-memory.md).

Parts (scripts/lab.py parts 8), all in mm/share.c: share_source_check (source_check),
share_map_frames (dest_map_frames), share_grant_move (grant_move), and the challenge
share_revoke (share_revoke). The host tests are tests/host/test_share.c (suite share); the
user tests run on both sides of the IPC: user/usertests/ipcmem.c (a client and the buffer
servers it forks) and the ipc group's (user/usertests/ipc.c).
"""
TITLE = "Memory over IPC: map and grant a page range (challenge: revocation)"

RUBRIC = [
    # what may be passed, and the receiver's rights (share_source_check)
    (4, "host", "test_share:share/source_kinds",
     "which memory map and grant pass (-EFAULT, -EBUSY, -EACCES) and the rights given"),
    (3, "host", "test_share:share/errors",
     "bad ranges and flags refused, nothing changed; SHARE_FIXED placement"),
    (2, "host", "test_share:share/map_file_data",
     "a program's .data passes (private copies first); its text is refused"),
    (3, "user", "usertests:ipcmem_map_rights",
     "both sides: a read-only map kills the writer; -EACCES, -EFAULT, -EBUSY"),
    (2, "user", "usertests:ipc_bad_ranges",
     "unaligned, empty, unmapped, kernel ranges refused; nothing reaches the server"),
    # map (share_map_frames)
    (4, "host", "test_share:share/map_writes_visible",
     "the same frames on both sides, one owner more each, writes seen both ways"),
    (3, "host", "test_share:share/map_refcounts",
     "a frame mapped to two spaces: three owners; each unmap gives one back"),
    (2, "host", "test_share:share/map_read_only",
     "a read-only receiver: its writes refused, no writable mapping passed on"),
    (3, "host", "test_share:share/without_memory",
     "a map's allocations failing in turn: -ENOMEM, nothing changed or leaked"),
    (4, "user", "usertests:ipcmem_map_shared",
     "both sides: the server reads the client's bytes, its writes land in the client's"),
    # grant (share_grant_move)
    (4, "host", "test_share:share/grant_moves",
     "grant: the sender loses pages and region, the receiver owns the frames"),
    (3, "host", "test_share:share/grant_middle",
     "grant of a range's middle: the sender's region splits, AnonPages unchanged"),
    (2, "host", "test_share:share/grant_without_memory",
     "a grant's allocations failing in turn: -ENOMEM, the sender keeps everything"),
    (4, "user", "usertests:ipcmem_grant_round_trip",
     "both sides: granted away (the client's touch faults), written, granted back"),
    # all of it together
    (2, "host", "test_share:share/exit_takes_descendants",
     "a space's exit takes every mapping derived from it; frames back to one owner"),
    (3, "qemu", "test_lab8.ipc_memory_given_back",
     "the map and grant usertests twice: meminfo back, nothing leaked"),
    # challenge (share_revoke)
    (2, "host", "test_share:share/revoke_reaches_grandchild",
     "challenge: revoke takes a child and a grandchild; the root keeps its pages"),
    (2, "host", "test_share:share/revoke_granularity",
     "challenge: whole mappings with a page in the range go, the others stay"),
    (2, "host", "test_share:share/random_operations",
     "challenge: 3,000 random maps, grants, revokes, unmaps: refcounts exact"),
    (2, "user", "usertests:ipcmem_revoke_fanout",
     "challenge: a revoke reaches three servers' mappings as the rule says"),
]


def skeleton_probe(m):
    """A shell command of the lab 8 skeleton that needs a missing part: a map from
    a client to its server (share_source_check, then share_map_frames)."""
    return m.command("run usertests ipcmem_map_shared", timeout=120)
