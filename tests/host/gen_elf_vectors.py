#!/usr/bin/env python3
"""gen_elf_vectors.py - write tests/host/elf_vectors.h: real musl executables' headers.

The ELF loader's host tests (test_elf.c, fuzz_elf.c, test_exec.c) check it on
what the toolchain really produces. Only the headers matter to the validator,
so each vector keeps the file's size, its first bytes up to the end of the
program header table and its dynamic section (PT_DYNAMIC); the tests rebuild
an image of that size, zero elsewhere. This script builds a small C program
with musl-gcc three times:
  static      musl-gcc -static          (ET_EXEC at 0x400000)
  static_pie  musl-gcc -fPIE, linked -static-pie with rcrt1.o and libc.a by
              hand (Debian's musl-gcc.specs links -static-pie dynamically)
  needs_libc  what `musl-gcc -static-pie` gives with rcrt1.o and no
              interpreter: ET_DYN with DT_NEEDED libc.so (it crashes on
              Linux too), the loader must refuse it
runs the first two once (each must print the expected line), and writes
the header: elf_vectors[] (accepted) and elf_bad_vectors[] (refused).
Usage: python3 tests/host/gen_elf_vectors.py  (from the top of the tree).
"""
import os
import struct
import subprocess
import sys
import tempfile

MUSL = "/usr/lib/x86_64-linux-musl"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "elf_vectors.h")
PROGRAM = r'''
#include <stdio.h>
int data_var = 42;
int bss_var;
int main(int argc, char **argv)
{
	printf("vector %d %d %d %s\n", data_var, bss_var, argc, argv[0] ? "argv" : "-");
	return 0;
}
'''


def gcc_file(name):
    return subprocess.check_output(["gcc", "-print-file-name=" + name], text=True).strip()


def build(tmp):
    src = os.path.join(tmp, "vector.c")
    with open(src, "w") as f:
        f.write(PROGRAM)
    static = os.path.join(tmp, "static")
    subprocess.check_call(["musl-gcc", "-static", "-O2", "-o", static, src])
    obj = os.path.join(tmp, "vector.o")
    subprocess.check_call(["musl-gcc", "-fPIE", "-O2", "-c", src, "-o", obj])
    pie = os.path.join(tmp, "static_pie")
    subprocess.check_call(["gcc", "-nostdlib", "-static-pie", "-o", pie,
                           MUSL + "/rcrt1.o", MUSL + "/crti.o", gcc_file("crtbeginS.o"), obj,
                           MUSL + "/libc.a", gcc_file("libgcc.a"), gcc_file("crtendS.o"),
                           MUSL + "/crtn.o"])
    for path in (static, pie):
        out = subprocess.check_output([path], text=True)
        if out != "vector 42 0 1 argv\n":
            sys.exit("%s printed %r" % (path, out))
    needs = os.path.join(tmp, "needs_libc")
    subprocess.check_call(["musl-gcc", "-static-pie", "-nostartfiles", "-o", needs,
                           MUSL + "/rcrt1.o", MUSL + "/crti.o", gcc_file("crtbeginS.o"), obj,
                           gcc_file("crtendS.o"), MUSL + "/crtn.o", "-Wl,--no-dynamic-linker"])
    return [("static", static), ("static_pie", pie)], [("needs_libc", needs)]


def dynamic(data):
    """(offset, bytes) of the file's PT_DYNAMIC, or (0, b"")."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data,
                                                                 phoff + i * phentsize)
        if p_type == 2:
            return p_offset, data[p_offset:p_offset + p_filesz]
    return 0, b""


def array(lines, name, data):
    lines.append("static const uint8_t %s[%d] = {" % (name, len(data)))
    for i in range(0, len(data), 12):
        lines.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 12]))
    lines.append("};")
    lines.append("")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        good, bad = build(tmp)
        lines = ["/*",
                 " * elf_vectors.h - headers of real musl executables, written by",
                 " * tests/host/gen_elf_vectors.py (do not edit): each vector is a file's",
                 " * size and its bytes up to the end of the program header table.",
                 " * Rebuild: python3 tests/host/gen_elf_vectors.py",
                 " */",
                 "#ifndef TESTS_HOST_ELF_VECTORS_H",
                 "#define TESTS_HOST_ELF_VECTORS_H",
                 "",
                 "#include <stddef.h>",
                 "#include <stdint.h>",
                 "",
                 "struct elf_vector {",
                 "\tconst char *name;",
                 "\tuint64_t file_size;      /* bytes of the whole file */",
                 "\tuint32_t header_size;    /* bytes of head[] */",
                 "\tconst uint8_t *head;     /* the file's first header_size bytes */",
                 "\tuint64_t dyn_offset;     /* where its dynamic section is (0: none) */",
                 "\tuint32_t dyn_size;       /* bytes of dyn[] */",
                 "\tconst uint8_t *dyn;      /* the dynamic section's bytes, or NULL */",
                 "};",
                 ""]
        tables = {"elf_vectors": [], "elf_bad_vectors": []}
        for table, vectors in (("elf_vectors", good), ("elf_bad_vectors", bad)):
            for name, path in vectors:
                data = open(path, "rb").read()
                phoff, = struct.unpack_from("<Q", data, 32)
                phentsize, phnum = struct.unpack_from("<HH", data, 54)
                n = phoff + phentsize * phnum
                array(lines, "elf_vector_" + name, data[:n])
                dyn_offset, dyn = dynamic(data)
                if dyn:
                    array(lines, "elf_dynamic_" + name, dyn)
                tables[table].append('\t{"%s", %d, %d, elf_vector_%s, %d, %d, %s},' % (
                    name, len(data), n, name, dyn_offset, len(dyn),
                    "elf_dynamic_" + name if dyn else "NULL"))
        for table in ("elf_vectors", "elf_bad_vectors"):
            lines.append("static const struct elf_vector %s[] = {" % table)
            lines += tables[table]
            lines.append("};")
            lines.append("")
        lines.append("#endif")
        with open(OUT, "w") as f:
            f.write("\n".join(lines) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
