#!/usr/bin/env python3
"""lab.py - student skeletons from the reference code, by LAB markers.

The reference code marks each part a student re-implements:

        /* LAB 1 BEGIN buddy_split: give the unused halves back to the free lists */
        ... the reference code ...
        /* LAB 1 STUB
        (void)zone;
        lab_todo(1, "buddy_split");
        return NULL;
           LAB 1 END */

In the reference build the stub is a comment. `lab.py skeleton N DIR` copies
the tree (the files git tracks) to DIR and, for every part of lab N or
later, replaces BEGIN..END by a TODO comment and the stub's lines; parts of
earlier labs keep their reference code, markers removed, so labs build on
each other. `lab.py check` verifies the markers: balanced, numbered 1-5,
named, each with a stub. `lab.py parts [N]` lists them; in a student tree,
where the markers have become TODO comments, it lists those ("TODO"), so a
student sees what is left to do. `lab.py files N` prints the files that hold
lab N's parts, one per line: a student's work (scripts/grade_batch.sh).

Usage: lab.py check | parts [N] | files N | skeleton N DIR [--only NAME]
  --only NAME   stub only the part NAME (the test suite uses it to prove
                that every part has a test that fails without it)
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABS = range(1, 6)
SOURCE_EXT = (".c", ".h")

BEGIN_RE = re.compile(r"^(\s*)/\* LAB (\d+) BEGIN (\w+)(?:: (.*?))? \*/\s*$")
STUB_RE = re.compile(r"^\s*/\* LAB (\d+) STUB\s*$")
END_RE = re.compile(r"^\s*LAB (\d+) END \*/\s*$")
ANY_RE = re.compile(r"LAB \d+ (BEGIN|STUB|END)")
TODO_RE = re.compile(r"^\s*/\* LAB (\d+) TODO (\w+)(?:: (.*?))? \(docs/labs/\) \*/\s*$")


class Part:
    def __init__(self, path, lab, name, what, begin, stub, end, indent):
        self.path, self.lab, self.name, self.what = path, lab, name, what
        self.begin, self.stub, self.end, self.indent = begin, stub, end, indent


def tracked_files():
    """The tree's files: what git tracks (and untracked ones it does not
    ignore); outside a git checkout (a student tree), every file but build/."""
    if os.path.isdir(os.path.join(ROOT, ".git")):
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return [f for f in out.splitlines() if os.path.isfile(os.path.join(ROOT, f))]
    files = []
    for top, dirs, names in os.walk(ROOT):
        skip = (".git", "build") if top == ROOT else (".git",)
        dirs[:] = sorted(d for d in dirs if d not in skip)
        files += [os.path.relpath(os.path.join(top, n), ROOT) for n in sorted(names)]
    return files


def parse(path, lines):
    """The parts of one file; raises ValueError on a malformed marker."""
    parts, i = [], 0
    while i < len(lines):
        m = BEGIN_RE.match(lines[i])
        if not m:
            if ANY_RE.search(lines[i]):
                raise ValueError("%s:%d: marker outside a BEGIN..END part" % (path, i + 1))
            i += 1
            continue
        indent, lab, name, what = m.group(1), int(m.group(2)), m.group(3), m.group(4) or ""
        if lab not in LABS:
            raise ValueError("%s:%d: lab %d is not 1-5" % (path, i + 1, lab))
        stub = end = None
        for j in range(i + 1, len(lines)):
            s, e = STUB_RE.match(lines[j]), END_RE.match(lines[j])
            if BEGIN_RE.match(lines[j]):
                raise ValueError("%s:%d: part %s has no END before the next BEGIN"
                                 % (path, i + 1, name))
            if s:
                if int(s.group(1)) != lab or stub is not None:
                    raise ValueError("%s:%d: stray STUB in part %s" % (path, j + 1, name))
                stub = j
            if e:
                if int(e.group(1)) != lab or stub is None:
                    raise ValueError("%s:%d: END of part %s without its STUB"
                                     % (path, j + 1, name))
                end = j
                break
        if end is None:
            raise ValueError("%s:%d: part %s is never ended" % (path, i + 1, name))
        if "*/" in "".join(lines[stub + 1:end]) or "/*" in "".join(lines[stub + 1:end]):
            raise ValueError("%s:%d: a stub may not contain comments" % (path, stub + 1))
        parts.append(Part(path, lab, name, what, i, stub, end, indent))
        i = end + 1
    return parts


def all_parts():
    parts, names = [], set()
    for path in tracked_files():
        if not path.endswith(SOURCE_EXT):
            continue
        with open(os.path.join(ROOT, path)) as f:
            lines = f.readlines()
        for p in parse(path, lines):
            if p.name in names:
                raise ValueError("%s: part name %s used twice" % (path, p.name))
            names.add(p.name)
            parts.append(p)
    return parts


def todo_parts():
    """The parts a student tree still has as stubs: (lab, name, path, line, what)."""
    todos = []
    for path in tracked_files():
        if not path.endswith(SOURCE_EXT):
            continue
        with open(os.path.join(ROOT, path)) as f:
            for i, line in enumerate(f):
                m = TODO_RE.match(line)
                if m:
                    todos.append((int(m.group(1)), m.group(2), path, i, m.group(3) or ""))
    return todos


def transform(lines, parts, stubbed):
    """lines with every part rewritten: stubbed(part) -> stub, else reference."""
    out, i = [], 0
    for p in sorted(parts, key=lambda p: p.begin):
        out += lines[i:p.begin]
        if stubbed(p):
            out.append("%s/* LAB %d TODO %s%s (docs/labs/) */\n"
                       % (p.indent, p.lab, p.name, ": " + p.what if p.what else ""))
            out += lines[p.stub + 1:p.end]
        else:
            out += lines[p.begin + 1:p.stub]
        i = p.end + 1
    return out + lines[i:]


def skeleton(lab, dest, only=None):
    """Write the lab `lab` student tree to dest; return the stubbed parts."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    by_file = {}
    for p in all_parts():
        by_file.setdefault(p.path, []).append(p)
    if only is not None:
        stubbed = lambda p: p.name == only
    else:
        stubbed = lambda p: p.lab >= lab
    stubs = []
    for path in tracked_files():
        src, dst = os.path.join(ROOT, path), os.path.join(dest, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if path in by_file:
            with open(src) as f:
                lines = f.readlines()
            with open(dst, "w") as f:
                f.writelines(transform(lines, by_file[path], stubbed))
            stubs += [p for p in by_file[path] if stubbed(p)]
        else:
            shutil.copy2(src, dst)
    if only is not None and not stubs:
        raise ValueError("no part named %s" % only)
    return stubs


def lab_number(word):
    """The lab number word names; ValueError unless it is 1-5."""
    if word not in [str(n) for n in LABS]:
        raise ValueError("LAB must be a lab number, 1-5, not '%s'" % word)
    return int(word)


def main(argv):
    if not argv or argv[0] not in ("check", "parts", "files", "skeleton"):
        print(__doc__.split("Usage:")[1].strip(), file=sys.stderr)
        return 2
    try:
        parts = all_parts()
        if argv[0] == "check":
            for lab in LABS:
                if not any(p.lab == lab for p in parts):
                    raise ValueError("lab %d has no marked part" % lab)
            print("lab markers: %d parts in %d files, balanced"
                  % (len(parts), len({p.path for p in parts})))
        elif argv[0] == "parts":
            wanted = lab_number(argv[1]) if len(argv) > 1 else None
            for p in parts:
                if wanted in (None, p.lab):
                    print("lab %d  %-24s %s:%d  %s" % (p.lab, p.name, p.path, p.begin + 1,
                                                        p.what))
            for lab, name, path, line, what in todo_parts():
                if wanted in (None, lab):
                    print("lab %d  %-24s %s:%d  TODO %s" % (lab, name, path, line + 1, what))
        elif argv[0] == "files":
            if len(argv) != 2:
                raise ValueError("usage: lab.py files N")
            lab = lab_number(argv[1])
            paths = {p.path for p in parts if p.lab == lab}
            paths |= {path for n, _, path, _, _ in todo_parts() if n == lab}
            print("\n".join(sorted(paths)))
        else:
            if len(argv) < 3:
                raise ValueError("usage: lab.py skeleton N DIR [--only NAME]")
            lab, dest = lab_number(argv[1]), argv[2]
            if "--only" in argv and argv.index("--only") + 1 >= len(argv):
                raise ValueError("--only needs a part's name (lab.py parts lists them)")
            only = argv[argv.index("--only") + 1] if "--only" in argv else None
            stubs = skeleton(lab, os.path.abspath(dest), only)
            print("lab %d skeleton in %s: %d part(s) stubbed: %s"
                  % (lab, dest, len(stubs), " ".join(p.name for p in stubs)))
    except ValueError as e:
        print("lab.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
