#!/usr/bin/env python3
"""check_structure.py - the tree's layering and layout rules, checked.

Three checks, each returning a list of error lines (empty: the rule holds):

  includes  (the layering rules; each error names the file, line and include)
    1. a file in lib/ includes only lib/ headers (and the compiler's <...>);
    2. a host-built mm/ file (one the Makefile compiles into a host program)
       reaches kernel/ only through mm/arch.h, the door the host build
       replaces (see mm/arch.h); mm/ headers it includes are followed too;
    3. folders do not include each other in a circle. The folders are the
       top-level ones (lib, mm, drivers, kernel with all its subfolders,
       boot); an include from folder A to folder B is an edge A -> B.
       Includes made by a door header (DOORS) are not edges: they are the
       arch layer implementing that folder's declared interface.
       Of the includes in a circle, those going up the intended order
       (LAYERS) are named. KNOWN_CYCLE_EDGES lists the includes of the
       circles still open; any
       other include that closes a circle is an error, and so is a listed
       include that is gone (the list only shrinks).
  layout    mm/layout.h's table agrees with its constants, the table in
            docs/memory-layout.md agrees with both, and the linked kernel
            (nm of build/kernel.elf) agrees with them: the KERNEL_VMA and
            KERNEL_PHYS_BASE it was linked with and the page-table slots
            boot.asm computed. And no code outside mm/layout.h spells a
            range's address as a number (comments and strings, such as
            help examples, may).
  link      the panic path cannot reach panic(): no object reachable from
            lib/panic.o through the kernel's symbol references calls panic.

Usage: check_structure.py [includes|layout|link]...  (default: all three;
run from the top of the tree after `make`). scripts/run_tests.py runs these
checks and their self-tests as the suite "structure".
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Headers through which a folder reaches the CPU layer; their includes of
# kernel/arch/ are not folder edges (rule 3) and are allowed for rule 2.
DOORS = {"mm/arch.h", "drivers/arch.h"}

# Includes that still close a circle, each (file, included), with why.
KNOWN_CYCLE_EDGES = set()  # none today; add only with a reason and a plan

SOURCE_DIRS = ("boot", "drivers", "kernel", "lib", "mm")  # tests/ may include anything
# The intended order of the folders, lowest first: in a circle, the includes
# that go from a lower folder to a higher one are the offending ones.
LAYERS = ("lib", "mm", "drivers", "kernel", "boot")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def includes_of(root, path):
    """[(line number, included path)] of the quoted includes in root/path."""
    result = []
    try:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if m:
                    result.append((number, m.group(1)))
    except OSError:
        pass
    return result


def source_files(root):
    """Every .c and .h file under the source folders, relative to root."""
    files = []
    for top in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                if name.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(files)


def check_lib(root, files):
    errors = []
    for path in files:
        if not path.startswith("lib/"):
            continue
        for number, inc in includes_of(root, path):
            if not inc.startswith("lib/"):
                errors.append('%s:%d: includes "%s": lib/ may include only lib/' %
                              (path, number, inc))
    return errors


def check_host_mm(root, host_sources):
    """Rule 2, following mm/ headers from each host-built mm/ file."""
    errors = []
    seen = set()
    todo = [s for s in host_sources if s.startswith("mm/")]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for number, inc in includes_of(root, path):
            if inc.startswith("kernel/") and path not in DOORS:
                errors.append('%s:%d: includes "%s": mm/ code built for the host reaches '
                              'kernel/ only through mm/arch.h' % (path, number, inc))
            elif inc.startswith("mm/"):
                todo.append(inc)
    return sorted(set(errors))


def folder_of(path):
    return path.split("/", 1)[0] if "/" in path else ""


def folder_edges(root, files):
    """{(from folder, to folder): [(file, line, include)]}, doors left out."""
    edges = {}
    for path in files:
        if path in DOORS:
            continue
        here = folder_of(path)
        for number, inc in includes_of(root, path):
            there = folder_of(inc)
            if there and there != here:
                edges.setdefault((here, there), []).append((path, number, inc))
    return edges


def strongly_connected(nodes, edges):
    """Tarjan's algorithm: {node: component id}."""
    index, low, comp, stack, on_stack = {}, {}, {}, [], set()
    counter = [0]
    succ = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in succ.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp[w] = v
                if w == v:
                    break

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return comp


def check_cycles(root, files, known=frozenset()):
    edges = folder_edges(root, files)
    nodes = {n for e in edges for n in e}
    # Known edges are taken out first: whatever circle remains is new.
    kept = {e: sites for e, sites in edges.items()
            if any((f, inc) not in known for f, _, inc in sites)}
    comp = strongly_connected(nodes, kept)
    errors = []
    rank = {f: i for i, f in enumerate(LAYERS)}
    for (a, b), sites in sorted(kept.items()):
        if comp[a] != comp[b]:
            continue
        if a in rank and b in rank and rank[a] > rank[b]:
            continue  # downwards: the circle is closed by the other direction
        members = sorted(n for n in nodes if comp[n] == comp[a])
        for path, number, inc in sites:
            if (path, inc) not in known:
                errors.append('%s:%d: includes "%s": %s/ -> %s/ closes a circle of folders '
                              '(%s)' % (path, number, inc, a, b, ", ".join(members)))
    present = {(f, inc) for sites in edges.values() for f, _, inc in sites}
    for path, inc in sorted(set(known) - present):
        errors.append('%s: no longer includes "%s": drop it from KNOWN_CYCLE_EDGES '
                      '(scripts/check_structure.py)' % (path, inc))
    return errors


def check_includes(root, host_sources, known=None):
    files = source_files(root)
    known = KNOWN_CYCLE_EDGES if known is None else known
    return (check_lib(root, files) + check_host_mm(root, host_sources) +
            check_cycles(root, files, known))


# --------------------------------------------------------------------------
# The layout: mm/layout.h, docs/memory-layout.md, the linked image.

DEFINE_RE = re.compile(r"^#define\s+([A-Z][A-Z0-9_]*)\s+(.+?)\s*(/\*.*)?$")
TABLE_RE = re.compile(r"^ \*\s+0x([0-9a-f]{16})\s+0x([0-9a-f]{16})\s+([A-Z][A-Z0-9_]*|-)\s")
DOC_ROW_RE = re.compile(r"^\s*([0-9a-f]{16})\s+(\S+)\s")


def layout_constants(text):
    """{name: value} of the integer #defines in layout.h (expressions evaluated)."""
    raw = {}
    for line in text.splitlines():
        m = DEFINE_RE.match(line)
        if m and "(" not in m.group(1):
            raw[m.group(1)] = m.group(2)
    values = {}

    def value(name, depth=0):
        if name in values:
            return values[name]
        expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)ull\b", r"\1", raw[name])
        expr = re.sub(r"\(uint64_t\)", "", expr)
        if depth > 20 or not re.fullmatch(r"[\sA-Z0-9_x()+\-<>*/|&a-f]+", expr):
            raise ValueError(name)
        expr = re.sub(r"\b([A-Z][A-Z0-9_]*)\b", lambda m: str(value(m.group(1), depth + 1)),
                      expr)
        values[name] = eval(expr, {"__builtins__": {}}) & (2**64 - 1)  # noqa: S307
        return values[name]

    for name in raw:
        try:
            value(name)
        except (ValueError, KeyError, SyntaxError, NameError):
            pass
    return values


def layout_table(text):
    """[(start, end, name)] rows of layout.h's opening table (end 0 means 2^64)."""
    rows = []
    for line in text.split("*/", 1)[0].splitlines():
        m = TABLE_RE.match(line)
        if m:
            rows.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return rows


def range_end(consts, name):
    """The end of the range a table row names, from X_END or X_START + X_SIZE."""
    for prefix in (name[: -len(s)] for s in ("_START", "_BASE", "_VMA") if name.endswith(s)):
        if prefix + "_END" in consts:
            return consts[prefix + "_END"]
        if prefix + "_SIZE" in consts:
            return (consts[name] + consts[prefix + "_SIZE"]) & (2**64 - 1)
    return None


def check_layout_text(layout_text, doc_text):
    errors = []
    consts = layout_constants(layout_text)
    rows = layout_table(layout_text)
    if not rows:
        return ["mm/layout.h: no address table in the opening comment"]
    doc_rows = [m.groups() for m in map(DOC_ROW_RE.match, doc_text.splitlines()) if m]
    doc_starts = {int(start, 16) for start, _ in doc_rows}
    doc_ends = {int(end, 16) for _, end in doc_rows if re.fullmatch(r"[0-9a-f]{16}", end)}
    for start, end, name in rows:
        where = "mm/layout.h table row 0x%016x" % start
        if name != "-":
            if name not in consts:
                errors.append("%s: names %s, which layout.h does not define" % (where, name))
                continue
            if name.endswith("_END"):
                if consts[name] != end:
                    errors.append("%s: ends at 0x%016x but %s is 0x%016x" %
                                  (where, end, name, consts[name]))
            else:
                if consts[name] != start:
                    errors.append("%s: %s is 0x%016x" % (where, name, consts[name]))
                want_end = range_end(consts, name)
                if want_end is not None and want_end != end:
                    errors.append("%s: ends at 0x%016x but %s's range ends at 0x%016x" %
                                  (where, end, name, want_end))
        if start not in doc_starts:
            errors.append("docs/memory-layout.md: no table row starts at %016x (%s)" %
                          (start, name))
        if end and (end - 1) not in doc_ends:
            errors.append("docs/memory-layout.md: no table row ends at %016x (%s)" %
                          (end - 1, name))
    return errors


def nm_symbols(nm_text):
    """{name: value} of an nm listing."""
    symbols = {}
    for line in nm_text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols[parts[2]] = int(parts[0], 16)
    return symbols


def check_image(layout_text, nm_text):
    """The linked kernel against layout.h: what ld and nasm were given and did."""
    consts = layout_constants(layout_text)
    syms = nm_symbols(nm_text)
    vma, phys, direct = consts["KERNEL_VMA"], consts["KERNEL_PHYS_BASE"], consts["DIRECT_MAP_BASE"]
    want = {
        "KERNEL_VMA": vma,                      # ld --defsym
        "KERNEL_PHYS_BASE": phys,
        "_kernel_phys_start": phys,             # kernel.ld starts there
        "PML4_SLOT_DIRECT": (direct >> 39) & 511,  # boot.asm, from nasm -D
        "PML4_SLOT_KERNEL": (vma >> 39) & 511,
        "PDPT_SLOT_KERNEL": (vma >> 30) & 511,
    }
    errors = []
    for name, value in want.items():
        if name not in syms:
            errors.append("build/kernel.elf: no symbol %s" % name)
        elif syms[name] != value:
            errors.append("build/kernel.elf: %s is 0x%x, mm/layout.h says 0x%x" %
                          (name, syms[name], value))
    for name in ("_text_start", "_kernel_end"):
        if name in syms and not vma <= syms[name]:
            errors.append("build/kernel.elf: %s 0x%x is below KERNEL_VMA" % (name, syms[name]))
    if "_kernel_end" in syms and "_kernel_phys_end" in syms and \
            syms["_kernel_end"] - vma != syms["_kernel_phys_end"]:
        errors.append("build/kernel.elf: _kernel_end - KERNEL_VMA != _kernel_phys_end")
    return errors


LAYOUT_ADDRESSES = ("USER_HALF_END", "DIRECT_MAP_BASE", "DIRECT_MAP_END", "EXPERIMENT_START",
                    "EXPERIMENT_END", "ANON_WINDOW_START", "VMALLOC_START", "VMALLOC_END",
                    "KERNEL_VMA")
NUMBER_RE = re.compile(r"\b0[xX]([0-9a-fA-F]+)")
CODE_NOISE_RE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                           re.S)


def code_only(path, text):
    """text with comments and string literals blanked (line numbers kept)."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    if path.endswith(".asm"):
        return re.sub(r";[^\n]*", blank, text)
    return CODE_NOISE_RE.sub(blank, text)


def layout_literal_errors(layout_text, sources):
    """sources: {path: text}. Each number equal to a layout address, outside layout.h."""
    consts = layout_constants(layout_text)
    wanted = {consts[n]: n for n in LAYOUT_ADDRESSES if n in consts}
    errors = []
    for path, text in sorted(sources.items()):
        if path == "mm/layout.h":
            continue
        for number, line in enumerate(code_only(path, text).splitlines(), 1):
            for m in NUMBER_RE.finditer(line):
                name = wanted.get(int(m.group(1), 16))
                if name:
                    errors.append("%s:%d: the literal %s is %s: use the name from mm/layout.h" %
                                  (path, number, m.group(0), name))
    return errors


def check_layout(root):
    def read(path):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            return f.read()

    layout = read("mm/layout.h")
    errors = check_layout_text(layout, read("docs/memory-layout.md"))
    sources = {}
    for top in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                if name.endswith((".c", ".h", ".asm", ".ld")):
                    path = os.path.relpath(os.path.join(dirpath, name), root)
                    sources[path] = read(path)
    errors += layout_literal_errors(layout, sources)
    elf = os.path.join(root, "build", "kernel.elf")
    if not os.path.exists(elf):
        return errors + ["build/kernel.elf: not built (run make first)"]
    nm = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    return errors + check_image(layout, nm)


# --------------------------------------------------------------------------
# The link graph: what the panic path can reach.

def panic_path_errors(objects):
    """objects: {name: (set of defined, set of undefined symbols)}."""
    start = [o for o, (defined, _) in objects.items() if "panic" in defined]
    if len(start) != 1:
        return ["link: expected one object defining panic, found %d" % len(start)]
    definer = {}
    for o, (defined, _) in objects.items():
        for sym in defined:
            definer.setdefault(sym, o)
    parent = {start[0]: None}
    todo = [start[0]]
    errors = []
    while todo:
        o = todo.pop(0)
        for sym in sorted(objects[o][1]):
            if sym == "panic" and o != start[0]:
                chain, p = [], o
                while p:
                    chain.append(p)
                    p = parent[p]
                errors.append("link: the panic path reaches panic again: %s -> panic" %
                              " -> ".join(reversed(chain)))
            d = definer.get(sym)
            if d and d not in parent:
                parent[d] = o
                todo.append(d)
    return errors


def check_link(root, object_paths):
    objects = {}
    for path in object_paths:
        full = os.path.join(root, path)
        out = subprocess.run(["nm", full], capture_output=True, text=True, check=True).stdout
        defined, undefined = set(), set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "U":
                undefined.add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBRVW":
                defined.add(parts[2])
        objects[path] = (defined, undefined)
    return panic_path_errors(objects)


def make_variable(root, name):
    out = subprocess.run(["make", "-s", "--no-print-directory", "print-" + name], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def run(checks, root=ROOT):
    errors = []
    if "includes" in checks:
        errors += check_includes(root, make_variable(root, "HOST_SOURCES"))
    if "layout" in checks:
        errors += check_layout(root)
    if "link" in checks:
        errors += check_link(root, make_variable(root, "KERNEL_OBJS"))
    return errors


def main():
    checks = sys.argv[1:] or ["includes", "layout", "link"]
    errors = run(checks)
    for e in errors:
        print(e)
    print("%s: %s" % (", ".join(checks), "%d error(s)" % len(errors) if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
