#!/usr/bin/env python3
"""lab.py - student skeletons from the reference code, by LAB markers.

The reference code marks each part a student re-implements with two
one-line comments; a part is the rest of a function's body:

        /* LAB 1 BEGIN buddy_split: give the unused halves back to the free lists */
        ... the reference code ...
        /* LAB 1 END buddy_split */
        }

What the student tree has in its place, the stub, is the file
tests/labs/stubs/NAME.stub: lines of C, indented as in the function, that
call lab_todo(LAB, "NAME") and do something safe. `lab.py skeleton N DIR`
copies the tree (the files git tracks) to DIR and, for every part of lab N
or later, replaces BEGIN..END by a TODO comment and the stub's lines; parts
of earlier labs keep their reference code, markers removed, so labs build on
each other. `lab.py check` verifies the markers and the stubs: balanced,
numbered as an existing lab, named, each part ending its function, each with a stub that
calls lab_todo() with its lab and name, no stub without a part.

A lab exists when its rubric, tests/labs/labN.py, does (N 1-9): LABS is
derived from those files, so a new lab is its rubric plus its marked parts.

`lab.py parts [N]` lists the parts. In a student tree, where the markers
have become TODO comments, it lists those, each "TODO" while its stub is
still there (the part still calls lab_todo(), or the stub's code still
follows the TODO comment) and "written" once it is replaced. `lab.py files
N` prints the files that hold lab N's parts, one per line: a student's work
(scripts/grade_batch.sh).

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
MAX_LAB = 9                   # lab numbers are 1 .. MAX_LAB, one digit


def existing_labs():
    """The labs that exist: N in 1 .. MAX_LAB with a rubric tests/labs/labN.py."""
    return [n for n in range(1, MAX_LAB + 1)
            if os.path.isfile(os.path.join(ROOT, "tests", "labs", "lab%d.py" % n))]


LABS = existing_labs()
SOURCE_EXT = (".c", ".h")

BEGIN_RE = re.compile(r"^(\s*)/\* LAB (\d+) BEGIN (\w+)(?:: (.*?))? \*/\s*$")
END_RE = re.compile(r"^\s*/\* LAB (\d+) END (\w+) \*/\s*$")
ANY_RE = re.compile(r"LAB \d+ (BEGIN|STUB|END)\b")
TODO_RE = re.compile(r"^\s*/\* LAB (\d+) TODO (\w+)(?:: (.*?))? \(docs/labs/\) \*/\s*$")
LAB_TODO_RE = re.compile(r'\blab_todo\(\s*(\d+)\s*,\s*"(\w+)"\s*\)')
STUB_DIR = os.path.join("tests", "labs", "stubs")


class Part:
    def __init__(self, path, lab, name, what, begin, end, indent):
        self.path, self.lab, self.name, self.what = path, lab, name, what
        self.begin, self.end, self.indent = begin, end, indent


def tracked_files():
    """The tree's files: what git tracks (and untracked ones it does not
    ignore); outside a git checkout (a student tree), every file but build/."""
    if os.path.exists(os.path.join(ROOT, ".git")):  # a directory, or a file in a worktree
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return [f for f in out.splitlines() if os.path.isfile(os.path.join(ROOT, f))]
    files = []
    for top, dirs, names in os.walk(ROOT):
        skip = (".git", "build") if top == ROOT else (".git",)
        dirs[:] = sorted(d for d in dirs if d not in skip)
        files += [os.path.relpath(os.path.join(top, n), ROOT) for n in sorted(names)
                  if n != ".git"]
    return files


def source_files():
    return [f for f in tracked_files() if f.endswith(SOURCE_EXT)]


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
            raise ValueError("%s:%d: lab %d has no rubric (tests/labs/lab%d.py); labs: %s"
                             % (path, i + 1, lab, lab, lab_range()))
        end = None
        for j in range(i + 1, len(lines)):
            if BEGIN_RE.match(lines[j]):
                raise ValueError("%s:%d: part %s has no END before the next BEGIN"
                                 % (path, i + 1, name))
            e = END_RE.match(lines[j])
            if e:
                if (int(e.group(1)), e.group(2)) != (lab, name):
                    raise ValueError("%s:%d: END of lab %s part %s closes lab %d part %s"
                                     % (path, j + 1, e.group(1), e.group(2), lab, name))
                end = j
                break
            if ANY_RE.search(lines[j]):
                raise ValueError("%s:%d: stray marker in part %s" % (path, j + 1, name))
        if end is None:
            raise ValueError("%s:%d: part %s is never ended" % (path, i + 1, name))
        if end + 1 >= len(lines) or lines[end + 1].rstrip() != "}":
            raise ValueError("%s:%d: part %s must end its function: its END is not followed "
                             "by the function's closing brace" % (path, end + 1, name))
        parts.append(Part(path, lab, name, what, i, end, indent))
        i = end + 1
    return parts


def stub_path(name):
    return os.path.join(ROOT, STUB_DIR, name + ".stub")


def read_stub(part):
    """The stub's lines for part; ValueError if it is missing or does not say TODO."""
    path = stub_path(part.name)
    if not os.path.isfile(path):
        raise ValueError("%s:%d: part %s has no stub, %s/%s.stub"
                         % (part.path, part.begin + 1, part.name, STUB_DIR, part.name))
    with open(path) as f:
        lines = f.readlines()
    if (str(part.lab), part.name) not in LAB_TODO_RE.findall(strip_comments("".join(lines))):
        raise ValueError("%s/%s.stub does not call lab_todo(%d, \"%s\")"
                         % (STUB_DIR, part.name, part.lab, part.name))
    return lines


def all_parts():
    parts, names = [], set()
    for path in source_files():
        with open(os.path.join(ROOT, path)) as f:
            lines = f.readlines()
        for p in parse(path, lines):
            if p.name in names:
                raise ValueError("%s: part name %s used twice" % (path, p.name))
            names.add(p.name)
            parts.append(p)
    return parts


def strip_comments(text):
    """text with its C comments blanked (newlines kept, so lines still count)."""
    return re.sub(r"/\*.*?\*/|//[^\n]*",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def code_lines(text):
    """The non-empty lines of text without comments, whitespace squeezed."""
    return [" ".join(line.split()) for line in strip_comments(text).splitlines()
            if line.strip()]


def stub_state(lab, name, body):
    """'TODO' if body (a part's lines in a student tree) still holds its stub:
    the lab_todo() call, or the stub's code right at the start; else 'written'."""
    if (str(lab), name) in LAB_TODO_RE.findall(strip_comments(body)):
        return "TODO"
    path = stub_path(name)
    if os.path.isfile(path):
        with open(path) as f:
            stub = [line for line in code_lines(f.read()) if not LAB_TODO_RE.search(line)]
        if stub and code_lines(body)[:len(stub)] == stub:
            return "TODO"
    return "written"


def todo_parts():
    """The stubbed parts of a student tree: (lab, name, path, line, what, state),
    state 'TODO' or 'written' (stub_state). A lab_todo() call with no TODO
    comment above it, for a part that has a stub, is a part whose comment was
    deleted: TODO, at that line."""
    todos, seen = [], set()
    for path in source_files():
        with open(os.path.join(ROOT, path)) as f:
            lines = f.readlines()
        for i, line in enumerate(lines):
            m = TODO_RE.match(line)
            if not m:
                continue
            end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "}"),
                       len(lines))
            lab, name = int(m.group(1)), m.group(2)
            seen.add((lab, name))
            todos.append((lab, name, path, i, m.group(3) or "",
                          stub_state(lab, name, "".join(lines[i + 1:end]))))
        text = strip_comments("".join(lines))
        for m in LAB_TODO_RE.finditer(text):
            lab, name = int(m.group(1)), m.group(2)
            if (lab, name) not in seen and lab in LABS and os.path.isfile(stub_path(name)):
                seen.add((lab, name))
                todos.append((lab, name, path, text.count("\n", 0, m.start()), "", "TODO"))
    return todos


def transform(lines, parts, body):
    """lines with every part rewritten: body(part) gives a stubbed part's new
    lines (None: keep the reference code)."""
    out, i = [], 0
    for p in sorted(parts, key=lambda p: p.begin):
        out += lines[i:p.begin]
        new = body(p)
        if new is not None:
            out.append("%s/* LAB %d TODO %s%s (docs/labs/) */\n"
                       % (p.indent, p.lab, p.name, ": " + p.what if p.what else ""))
            out += new
        else:
            out += lines[p.begin + 1:p.end]
        i = p.end + 1
    return out + lines[i:]


def check_stubs(parts):
    """ValueError unless each part has its stub and each stub its part."""
    for p in parts:
        read_stub(p)
    names = {p.name for p in parts}
    stub_dir = os.path.join(ROOT, STUB_DIR)
    orphans = sorted(f for f in os.listdir(stub_dir) if f[:-len(".stub")] not in names)
    if orphans:
        raise ValueError("%s: no part is named after %s" % (STUB_DIR, ", ".join(orphans)))


def skeleton(lab, dest, only=None, replace=None):
    """Write the lab `lab` student tree to dest; return the stubbed parts.
    only: stub that part alone. replace: {name: lines} to splice in place of
    those parts' stubs (the test suite plants broken code that way)."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    by_file = {}
    for p in all_parts():
        by_file.setdefault(p.path, []).append(p)
    replace = replace or {}

    def body(p):
        if (only is None and p.lab < lab) or only not in (None, p.name):
            return None
        return replace[p.name] if p.name in replace else read_stub(p)

    stubs = []
    for path in tracked_files():
        src, dst = os.path.join(ROOT, path), os.path.join(dest, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if path in by_file:
            with open(src) as f:
                lines = f.readlines()
            with open(dst, "w") as f:
                f.writelines(transform(lines, by_file[path], body))
            stubs += [p for p in by_file[path] if body(p) is not None]
        else:
            shutil.copy2(src, dst)
    if only is not None and not stubs:
        raise ValueError("no part named %s" % only)
    return stubs


def lab_range():
    """The existing labs in words: "1-9", or "1-5, 7" with a gap."""
    runs = []
    for n in LABS:
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join("%d" % a if a == b else "%d-%d" % (a, b) for a, b in runs) or "none"


def lab_number(word):
    """The lab number word names; ValueError unless that lab exists (LABS)."""
    if word not in [str(n) for n in LABS]:
        raise ValueError("LAB must be a lab number, %s, not '%s'" % (lab_range(), word))
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
            check_stubs(parts)
            print("lab markers: %d parts in %d files, balanced, each with its stub in %s/"
                  % (len(parts), len({p.path for p in parts}), STUB_DIR))
        elif argv[0] == "parts":
            wanted = lab_number(argv[1]) if len(argv) > 1 else None
            for p in parts:
                if wanted in (None, p.lab):
                    print("lab %d  %-24s %s:%d  %s" % (p.lab, p.name, p.path, p.begin + 1,
                                                        p.what))
            todos = [t for t in todo_parts() if wanted in (None, t[0])]
            for lab, name, path, line, what, state in todos:
                print("lab %d  %-24s %s:%d  %-7s %s" % (lab, name, path, line + 1, state, what))
            if todos:
                print("(TODO: the stub is still there, it calls lab_todo() or its code follows "
                      "the TODO comment;\n written: the stub is gone; `make grade` says whether "
                      "the part works)")
        elif argv[0] == "files":
            if len(argv) != 2:
                raise ValueError("usage: lab.py files N")
            lab = lab_number(argv[1])
            paths = {p.path for p in parts if p.lab == lab}
            paths |= {t[2] for t in todo_parts() if t[0] == lab}
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
