#!/usr/bin/env python3
"""mkinitrd.py - pack the user programs into the initrd: a cpio archive (newc).

GRUB loads build/initrd.cpio as a multiboot2 module (grub.cfg: `module2
/boot/initrd.cpio initrd`) and the kernel (kernel/fs/cpio.c, initrd.c) finds
its files by name. Programs are mapped straight from the archive's pages
(text and read-only data shared, never copied), so every file's data must
start on a page boundary of the archive, and GRUB puts the module itself on
a page boundary.

The newc format, one record per file, then the trailer:

    +------------------+----------------------------+---------------------+
    | header 110 bytes | name, NUL, extra NULs      | data, NULs to 4     |
    | "070701" + 13    | (namesize counts them all; |                     |
    | fields, 8 hex    |  the name is the string up | starts on a 4 KiB   |
    | digits each      |  to its first NUL)         | boundary (here)     |
    +------------------+----------------------------+---------------------+
    ... "TRAILER!!!" record last (namesize 11, no data).

newc itself pads header+name to 4 bytes; this packer pads further, with NUL
bytes inside the name field, up to the next page boundary. When the header
and name would not fit before the end of the page the previous file's data
ends in, a filler record comes first: a "." directory with no data, whose
name field runs to that page's end (readers skip "."; GNU cpio extracts it
as the current directory). Without it the name field would have to run past
the NEXT page boundary, longer than CPIO_NAME_MAX (4096, Linux's PATH_MAX),
and the kernel would refuse the whole archive. Readers that take
the name up to its first NUL (GNU cpio, Linux's initramfs, Pagoda) see the
plain name. The archive is deterministic: files sorted by name, mtime 0,
uid/gid 0, inode numbers 1, 2, ... in that order.

Invariants (checked by --list, which `make` runs on the archive it writes):
  [x] every file's data starts at an offset that is a multiple of PAGE;
  [x] names are unique, flat (no '/'), and TRAILER!!! is the last record;
  [x] every namesize is at most NAME_MAX (the kernel's CPIO_NAME_MAX).

Usage: mkinitrd.py -o OUT [NAME=]PATH...   (NAME defaults to PATH's basename)
       mkinitrd.py --list ARCHIVE           (name, data offset, size, mode;
                                             exit 1 if a rule above is broken)
Standard library only.
"""
import os
import stat
import sys

PAGE = 4096
MAGIC = b"070701"
HEADER_SIZE = 110          # 6 magic + 13 fields x 8 hex digits
TRAILER = "TRAILER!!!"
FILLER = "."               # a directory record that only pads (see above)
NAME_MAX = 4096            # kernel/fs/cpio.h CPIO_NAME_MAX: the longest namesize read
FIELDS = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor",
          "devminor", "rdevmajor", "rdevminor", "namesize", "check")


def header(ino, mode, filesize, namesize):
    values = {"ino": ino, "mode": mode, "uid": 0, "gid": 0, "nlink": 1, "mtime": 0,
              "filesize": filesize, "devmajor": 0, "devminor": 0, "rdevmajor": 0,
              "rdevminor": 0, "namesize": namesize, "check": 0}
    return MAGIC + b"".join(b"%08x" % values[f] for f in FIELDS)


def pad_to(offset, align):
    return (align - offset % align) % align


def pack(files):
    """files: [(name, bytes, mode)] sorted by name. Returns the archive's bytes."""
    out = bytearray()
    for ino, (name, data, mode) in enumerate(files, 1):
        raw = name.encode()
        if pad_to(len(out), PAGE) < HEADER_SIZE + len(raw) + 1 and len(out) % PAGE:
            # Not enough room left in this page: a filler record ends it.
            filler = FILLER.encode()
            size = len(filler) + 1 + pad_to(len(out) + HEADER_SIZE + len(filler) + 1, PAGE)
            out += header(0, stat.S_IFDIR | 0o755, 0, size)
            out += filler + b"\0" * (size - len(filler))
        # The name field ends where the data starts: the next page boundary
        # after the header and the name with its NUL.
        namesize = len(raw) + 1
        namesize += pad_to(len(out) + HEADER_SIZE + namesize, PAGE)
        out += header(ino, mode, len(data), namesize)
        out += raw + b"\0" * (namesize - len(raw))
        assert len(out) % PAGE == 0, "mkinitrd: data of %s not page-aligned" % name
        out += data
        out += b"\0" * pad_to(len(out), 4)
    raw = TRAILER.encode()
    out += header(0, 0, 0, len(raw) + 1) + raw + b"\0"
    out += b"\0" * pad_to(len(out), 4)
    return bytes(out)


def parse(archive):
    """[(name, data offset, size, mode)] of every record before the trailer; raises ValueError."""
    records = []
    pos = 0
    while True:
        if pos + HEADER_SIZE > len(archive):
            raise ValueError("no %s record (archive ends at %d)" % (TRAILER, pos))
        head = archive[pos:pos + HEADER_SIZE]
        if head[:6] != MAGIC:
            raise ValueError("bad magic %r at offset %d" % (head[:6], pos))
        values = {f: int(head[6 + 8 * i:14 + 8 * i], 16) for i, f in enumerate(FIELDS)}
        name_start = pos + HEADER_SIZE
        field = archive[name_start:name_start + values["namesize"]]
        name = field.split(b"\0", 1)[0].decode()
        data = name_start + values["namesize"]
        data += pad_to(data, 4)
        if name == TRAILER:
            return records
        if values["namesize"] > NAME_MAX:
            raise ValueError("%s: namesize %d is over %d (the kernel refuses it)"
                             % (name, values["namesize"], NAME_MAX))
        if name == FILLER and values["filesize"] == 0:
            pos = data
            continue
        if data + values["filesize"] > len(archive):
            raise ValueError("%s: data runs past the end of the archive" % name)
        records.append((name, data, values["filesize"], values["mode"]))
        pos = data + values["filesize"]
        pos += pad_to(pos, 4)


def list_archive(path):
    with open(path, "rb") as f:
        archive = f.read()
    try:
        records = parse(archive)
    except ValueError as e:
        print("mkinitrd: %s: %s" % (path, e), file=sys.stderr)
        return 1
    status = 0
    names = set()
    for name, offset, size, mode in records:
        print("%-20s offset 0x%08x  %8d bytes  mode %06o" % (name, offset, size, mode))
        if offset % PAGE:
            print("mkinitrd: %s: data at 0x%x is not page-aligned" % (name, offset),
                  file=sys.stderr)
            status = 1
        if "/" in name or name in names:
            print("mkinitrd: %s: name repeated or not flat" % name, file=sys.stderr)
            status = 1
        names.add(name)
    return status


def main(argv):
    if len(argv) == 2 and argv[0] == "--list":
        return list_archive(argv[1])
    if len(argv) < 2 or argv[0] != "-o":
        print(__doc__.split("Usage:")[1].split("Standard")[0], file=sys.stderr)
        return 2
    out_path, specs = argv[1], argv[2:]
    files = {}
    for spec in specs:
        name, _, path = spec.rpartition("=")
        name = name or os.path.basename(path)
        if not name or "/" in name or name == TRAILER or name in files:
            print("mkinitrd: bad or repeated name %r" % name, file=sys.stderr)
            return 2
        with open(path, "rb") as f:
            data = f.read()
        # Regular files only; executables keep their x bits, everything else 0644.
        perm = 0o755 if os.stat(path).st_mode & stat.S_IXUSR else 0o644
        files[name] = (data, stat.S_IFREG | perm)
    archive = pack([(n, files[n][0], files[n][1]) for n in sorted(files)])
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(archive)
    os.replace(tmp, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
