"""test_structure.py - the suite "structure": the tree's layering rules, its
one address-space layout and the panic path, as scripts/check_structure.py
checks them; and that checker's own tests on small made-up trees, so that
each rule is seen to fail when it is broken. Also the integration harness's
screen decoder (tests/integration/screen.py) on synthetic screens drawn with
a made-up font and with drivers/font_8x16.c: pure Python and fast, so a
broken decoder shows here rather than as a screen test's false failure.

run_structure(totals) records one PASS/FAIL line per test (run_tests.py).
Needs `make` to have built build/kernel.elf (layout and panic-path tests).
tree/font_pictures: each byte of drivers/font_8x16.c agrees with the picture
drawn beside it (scripts/font_preview.py's parser), and a wrong byte is named.
"""
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import check_structure as cs  # noqa: E402
import screen  # noqa: E402


def fake_tree(files):
    """A temporary tree {path: text}; the caller removes it."""
    root = tempfile.mkdtemp(prefix="pagoda-structure-")
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    return root


def includes_errors(files, host_sources=(), known=frozenset()):
    root = fake_tree(files)
    try:
        return cs.check_includes(root, list(host_sources), known)
    finally:
        shutil.rmtree(root)


def expect_one(errors, *fragments):
    assert len(errors) == 1, "expected one error, got %d: %s" % (len(errors), errors)
    for fragment in fragments:
        assert fragment in errors[0], "%r not in %r" % (fragment, errors[0])


# --- the real tree ------------------------------------------------------------

def test_tree_includes():
    errors = cs.check_includes(ROOT, cs.make_variable(ROOT, "HOST_SOURCES"))
    assert not errors, "\n".join(errors)


def test_tree_layout():
    errors = cs.check_layout(ROOT)
    assert not errors, "\n".join(errors)


def test_tree_panic_path():
    errors = cs.check_link(ROOT, cs.make_variable(ROOT, "KERNEL_OBJS"))
    assert not errors, "\n".join(errors)


def test_tree_font_pictures():
    import font_preview
    with open(font_preview.FONT_C, encoding="utf-8") as f:
        text = f.read()
    glyphs, errors = font_preview.parse_text(text)
    assert not errors, "\n".join(errors)
    assert len(glyphs) == 96, "%d glyphs, want 95 printable and the replacement" % len(glyphs)
    wrong = text.replace("0xfe, /* #######. */", "0xfc, /* #######. */", 1)
    assert wrong != text
    errors = font_preview.parse_text(wrong)[1]
    assert len(errors) == 1 and "0xfc but the picture is 0xfe" in errors[0], errors


# --- the checker on made-up trees ---------------------------------------------

CLEAN = {
    "lib/a.h": '#include "lib/b.h"\n',
    "lib/b.h": "#include <stdint.h>\n",
    "mm/m.c": '#include "lib/a.h"\n#include "mm/arch.h"\n',
    "mm/arch.h": '#ifdef HOST\n#else\n#include "kernel/arch/cpu.h"\n#endif\n',
    "kernel/k.c": '#include "mm/m.h"\n#include "lib/a.h"\n',
    "kernel/arch/cpu.h": "\n",
}


def test_checker_clean_tree():
    errors = includes_errors(CLEAN, host_sources=["mm/m.c"])
    assert errors == [], errors


def test_checker_lib_outside_lib():
    tree = dict(CLEAN, **{"lib/b.h": '#include <stdint.h>\n#include "mm/m.h"\n'})
    errors = includes_errors(tree)
    expect_one([e for e in errors if "only lib/" in e], 'lib/b.h:2: includes "mm/m.h"')
    # lib/ <-> mm/ is also a circle, named by the same include.
    expect_one([e for e in errors if "circle" in e], 'lib/b.h:2: includes "mm/m.h"')


def test_checker_host_mm_includes_kernel():
    tree = dict(CLEAN, **{"mm/m.h": '#include "kernel/arch/cpu.h"\n',
                          "mm/m.c": '#include "mm/m.h"\n'})
    errors = includes_errors(tree, host_sources=["mm/m.c"])
    host = [e for e in errors if "built for the host" in e]
    expect_one(host, 'mm/m.h:1: includes "kernel/arch/cpu.h"')
    # The same file not built for the host breaks only the circle rule.
    assert not [e for e in includes_errors(tree) if "built for the host" in e]


def test_checker_folder_circle():
    tree = dict(CLEAN, **{"mm/m.c": '#include "lib/a.h"\n#include "kernel/k.h"\n'})
    expect_one(includes_errors(tree), 'mm/m.c:2: includes "kernel/k.h"', "mm/ -> kernel/",
               "circle")
    # Listed as known, the same include passes; a listed include that is gone fails.
    assert includes_errors(tree, known={("mm/m.c", "kernel/k.h")}) == []
    expect_one(includes_errors(CLEAN, host_sources=["mm/m.c"],
                               known={("mm/m.c", "kernel/k.h")}),
               "no longer includes", "KNOWN_CYCLE_EDGES")


def test_checker_door_is_not_an_edge():
    # mm/arch.h includes kernel/: no circle, although kernel/ includes mm/.
    assert includes_errors(CLEAN) == []
    tree = dict(CLEAN, **{"mm/other.h": '#include "kernel/arch/cpu.h"\n'})
    expect_one(includes_errors(tree), 'mm/other.h:1: includes "kernel/arch/cpu.h"')


LAYOUT = """/*
 * layout.h
 *   start                end (exclusive)      name                  what
 *   0xffff800000000000   0xffffc00000000000   DIRECT_MAP_BASE       direct map
 *   0xffffc80000000000   0xffffe80000000000   VMALLOC_START         vmalloc
 *   0xffffffff80000000   0x0000000000000000   KERNEL_VMA            kernel image
 */
#define KERNEL_VMA 0xffffffff80000000ull       /* image */
#define KERNEL_PHYS_BASE 0x200000ull
#define DIRECT_MAP_BASE 0xffff800000000000ull
#define DIRECT_MAP_SIZE (64ull << 40)
#define DIRECT_MAP_END (DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
#define VMALLOC_START 0xffffc80000000000ull
#define VMALLOC_SIZE (32ull << 40)
"""
DOC = """ ffff800000000000   ffffbfffffffffff    64 TiB  direct map
 ffffc80000000000   ffffe7ffffffffff    32 TiB  vmalloc
 ffffffff80000000   _text_start                 image
"""
NM = """0000000000200000 A KERNEL_PHYS_BASE
ffffffff80000000 A KERNEL_VMA
0000000000200000 R _kernel_phys_start
0000000000000100 a PML4_SLOT_DIRECT
00000000000001ff a PML4_SLOT_KERNEL
00000000000001fe a PDPT_SLOT_KERNEL
ffffffff80209000 T _text_start
"""


def test_checker_layout_agrees():
    assert cs.check_layout_text(LAYOUT, DOC) == []
    assert cs.check_image(LAYOUT, NM) == []


def test_checker_layout_disagrees():
    wrong_size = LAYOUT.replace("(32ull << 40)", "(16ull << 40)")
    expect_one(cs.check_layout_text(wrong_size, DOC), "VMALLOC_START's range ends")
    moved = LAYOUT.replace("#define VMALLOC_START 0xffffc80000000000ull",
                           "#define VMALLOC_START 0xffffd00000000000ull")
    assert any("VMALLOC_START is 0xffffd00000000000" in e
               for e in cs.check_layout_text(moved, DOC))
    expect_one(cs.check_layout_text(LAYOUT, DOC.replace("ffffc80000000000", "ffffc90000000000")),
               "no table row starts at ffffc80000000000")
    expect_one(cs.check_image(LAYOUT, NM.replace("00000000000001fe a", "00000000000001fd a")),
               "PDPT_SLOT_KERNEL is 0x1fd")
    expect_one(cs.check_image(LAYOUT, NM.replace("ffffffff80000000 A", "ffffffff40000000 A")),
               "KERNEL_VMA is 0xffffffff40000000")


def test_checker_layout_literal():
    sources = {
        "mm/x.c": 'u64 a = 0xffffc80000000000ull; /* 0xffff800000000000 */\n'
                  'const char *help = "map 0xffff800000000000 4K";\n',
        "boot/b.asm": "KV equ 0xffffffff80000000 ; or 0xffff800000000000\n",
        "mm/layout.h": "#define VMALLOC_START 0xffffc80000000000ull\n",
        "kernel/k.c": "u64 b = 0x8000000000000000ull; // non-canonical, not a range\n",
    }
    errors = cs.layout_literal_errors(LAYOUT, sources)
    assert len(errors) == 2, errors
    assert errors[0].startswith("boot/b.asm:1: the literal 0xffffffff80000000 is KERNEL_VMA")
    assert errors[1].startswith("mm/x.c:1: the literal 0xffffc80000000000 is VMALLOC_START")


def test_checker_panic_cycle():
    objects = {
        "lib/panic.o": ({"panic"}, {"panic_stop", "kprintf"}),
        "panic_stop.o": ({"panic_stop"}, {"backtrace_print_here"}),
        "backtrace.o": ({"backtrace_print_here"}, {"kernel_stack_find", "kprintf"}),
        "printf.o": ({"kprintf"}, set()),
        "stack.o": ({"kernel_stack_find"}, {"vmalloc_stack"}),
        "vmalloc.o": ({"vmalloc_stack"}, {"panic"}),
        "shell.o": ({"shell"}, {"panic"}),  # calls panic, but off the panic path
    }
    expect_one(cs.panic_path_errors(objects),
               "lib/panic.o -> panic_stop.o -> backtrace.o -> stack.o -> vmalloc.o -> panic")
    objects["vmalloc.o"] = ({"vmalloc_stack"}, set())
    assert cs.panic_path_errors(objects) == []


TESTS = [
    ("tree/includes", "lib/ only lib/, host mm/ through mm/arch.h, no folder circle",
     test_tree_includes),
    ("tree/layout", "mm/layout.h, docs/memory-layout.md and build/kernel.elf agree",
     test_tree_layout),
    ("tree/panic_path", "nothing reachable from lib/panic.o calls panic", test_tree_panic_path),
    ("tree/font_pictures", "drivers/font_8x16.c's bytes agree with their pictures",
     test_tree_font_pictures),
    ("checker/clean_tree", "a well-layered made-up tree passes", test_checker_clean_tree),
    ("checker/lib_outside_lib", "lib/ including mm/ is named", test_checker_lib_outside_lib),
    ("checker/host_mm_includes_kernel", "a host-built mm/ header including kernel/ is named",
     test_checker_host_mm_includes_kernel),
    ("checker/folder_circle", "mm/ <-> kernel/ is named; known and stale known includes",
     test_checker_folder_circle),
    ("checker/door_is_not_an_edge", "mm/arch.h may include kernel/, no other mm/ file",
     test_checker_door_is_not_an_edge),
    ("checker/layout_agrees", "a consistent table, doc and image pass",
     test_checker_layout_agrees),
    ("checker/layout_disagrees", "a wrong size, start, doc row, slot or VMA is named",
     test_checker_layout_disagrees),
    ("checker/layout_literal", "a range's address as a number in code is named; comments, "
     "strings and layout.h may spell it", test_checker_layout_literal),
    ("checker/panic_cycle", "panic -> ... -> vmalloc -> panic is named with its chain",
     test_checker_panic_cycle),
    ("harness/screen_decoder", "text drawn with a made-up font and with the kernel's font "
     "decodes back (colours, cursor, a damaged glyph); PPM and PNG", screen.self_check),
]


def run_structure(totals, tests=TESTS):
    """Run (name, description, fn) tests: these, or another module's (test_make_run)."""
    for name, description, fn in tests:
        try:
            fn()
            totals.record("structure/" + name, True)
        except Exception as e:  # noqa: BLE001 - any failure is this test's failure
            totals.record("structure/" + name, False, "%s: %s: %s" % (description,
                                                                     type(e).__name__, e))
