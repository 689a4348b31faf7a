"""test_mkinitrd.py - scripts/mkinitrd.py packs archives the kernel accepts.

The kernel maps programs straight from the archive, so the packer pads each
name field to a page boundary; the kernel (kernel/fs/cpio.c) refuses a
namesize over CPIO_NAME_MAX (4096). A file whose data ended in the last
~120 bytes of a page used to push the next name field past the following
page boundary, over 4096: the kernel refused the whole initrd and booted
without init, the name server or any program (seen when a line was added to
user/README.md). Checked here: for every way a file's data can end near a
page's end, each data offset is page-aligned, each namesize within the
limit, and the files read back in order.

Part of the structure suite: scripts/run_tests.py runs TESTS through
test_structure.run_structure. Python 3 stdlib only.
"""
import os
import re
import stat
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import mkinitrd  # noqa: E402


def kernel_name_max():
    """CPIO_NAME_MAX as kernel/fs/cpio.h defines it."""
    with open(os.path.join(ROOT, "kernel", "fs", "cpio.h")) as f:
        return int(re.search(r"#define CPIO_NAME_MAX (\d+)", f.read()).group(1))


def namesizes(archive):
    """Every record's namesize, walked here without the packer's own reader."""
    sizes, pos, field = [], 0, 6 + 8 * mkinitrd.FIELDS.index("namesize")
    filesize = 6 + 8 * mkinitrd.FIELDS.index("filesize")
    while True:
        namesize = int(archive[pos + field:pos + field + 8], 16)
        size = int(archive[pos + filesize:pos + filesize + 8], 16)
        sizes.append(namesize)
        name_end = pos + mkinitrd.HEADER_SIZE + namesize
        if archive[pos + mkinitrd.HEADER_SIZE:name_end].startswith(b"TRAILER!!!\0"):
            return sizes
        pos = name_end + mkinitrd.pad_to(name_end, 4) + size
        pos += mkinitrd.pad_to(pos, 4)


def test_data_ending_near_a_page_end():
    mode = stat.S_IFREG | 0o644
    limit = kernel_name_max()
    assert mkinitrd.NAME_MAX == limit, "mkinitrd's NAME_MAX is not CPIO_NAME_MAX %d" % limit
    for tail in range(4096 - 160, 4097, 1):
        files = [("a-first", b"x" * tail, mode), ("b-" + "n" * 40, b"y" * 3, mode),
                 ("c", b"", mode)]
        archive = mkinitrd.pack(files)
        longest = max(namesizes(archive))
        assert longest <= limit, "size %d: a namesize of %d (over %d)" % (tail, longest, limit)
        records = mkinitrd.parse(archive)  # raises on a namesize over NAME_MAX
        names = [r[0] for r in records]
        assert names == [f[0] for f in files], "size %d: read back %s" % (tail, names)
        for (name, offset, size, _), (_, data, _) in zip(records, files):
            assert offset % mkinitrd.PAGE == 0, "size %d: %s at 0x%x" % (tail, name, offset)
            assert archive[offset:offset + size] == data, "size %d: %s's data" % (tail, name)


def test_oversized_name_field_refused():
    mode = stat.S_IFREG | 0o644
    archive = bytearray(mkinitrd.pack([("a", b"z", mode)]))
    # namesize of the first record, made 4097: parse must refuse it as the kernel does.
    at = 6 + 8 * mkinitrd.FIELDS.index("namesize")
    archive[at:at + 8] = b"%08x" % (mkinitrd.NAME_MAX + 1)
    try:
        mkinitrd.parse(bytes(archive))
    except ValueError as e:
        assert "namesize" in str(e), str(e)
        return
    raise AssertionError("a namesize of 4097 was accepted")


TESTS = [
    ("mkinitrd/data_ending_near_a_page_end",
     "a file ending in a page's last bytes: a filler record, every namesize <= 4096",
     test_data_ending_near_a_page_end),
    ("mkinitrd/oversized_name_field_refused",
     "--list refuses a namesize the kernel would refuse", test_oversized_name_field_refused),
]
