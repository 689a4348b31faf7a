#!/usr/bin/env python3
"""check_openings.py - the `style` suite: every source file opens the same way.

The house style says every file opens with a comment that says what it
manages, why it is built that way, which invariants it keeps and in which
context it runs. Two parts of that are mechanical, and checked here for
every .c, .h and .asm file under boot/ kernel/ mm/ drivers/ lib/:
  1. the file starts with a comment of at least MIN_OPENING_LINES lines
     (C: "/*" to "*/"; NASM: the leading ";" lines);
  2. invariants in that comment are a checklist, one format everywhere:
         Invariants:                  or  Invariants (of the free lists):
           [x] one invariant per item, continued on lines
               indented to its text;
           [x] the next one.
     Any other way of stating them ("Invariant: ...", "Ring invariants:",
     "... Invariants, all checked by ...", bullets, "[ ]" boxes) fails, with
     the file, the line and what to write instead.
Run by scripts/run_tests.py (suite `style`); `python3 check_openings.py`
alone prints the same PASS/FAIL lines. Standard library only.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = ("boot", "kernel", "mm", "drivers", "lib", "user")
SUFFIXES = (".c", ".h", ".asm")
MIN_OPENING_LINES = 5

HEADING_RE = re.compile(r"^Invariants(?: \([^()]*(?:\([^()]*\)[^()]*)*\))?:$")
ITEM_RE = re.compile(r"^  \[x\] \S")
CONTINUATION_RE = re.compile(r"^      \S")
BULLET_RE = re.compile(r"^\s+(?:- |\* |\[ \] )")
WORD_RE = re.compile(r"\bInvariants?\b")
LABEL_RE = re.compile(r"invariants?(?: \(.*\))?:$", re.IGNORECASE)
EXPECTED = ('write "Invariants:" (or "Invariants (of what):") on a line of its own, '
            'then one "  [x] ..." line per invariant')


def opening(lines, asm):
    """The opening comment as (line number, text without the comment marker) pairs."""
    out = []
    if asm:
        for number, line in enumerate(lines, 1):
            if not line.startswith(";"):
                break
            out.append((number, line[2:] if line.startswith("; ") else line[1:]))
        return out
    if not lines or not lines[0].startswith("/*"):
        return out
    for number, line in enumerate(lines, 1):
        if number == 1:
            text = line[2:].strip()
        elif line.startswith(" * "):
            text = line[3:]
        else:
            text = line.lstrip(" *") if line.strip() != "*/" else ""
        out.append((number, text.replace("*/", "").rstrip()))
        if "*/" in line and (number > 1 or line.rstrip().endswith("*/")):
            break
    return out


def check_text(name, text):
    """Every problem of one file's text, as "name:line: problem" strings."""
    lines = text.split("\n")
    comment = opening(lines, name.endswith(".asm"))
    problems = []
    if len(comment) < MIN_OPENING_LINES:
        problems.append("%s:1: opens with %s; every file opens with a comment of at least %d "
                        "lines (what it manages, why so, invariants, context)" % (
                            name, "a %d-line comment" % len(comment) if comment
                            else "no comment", MIN_OPENING_LINES))
    i = 0
    while i < len(comment):
        number, body = comment[i]
        if "[ ]" in body:
            problems.append('%s:%d: "[ ]" box: checklist items are "[x] ..."' % (name, number))
        if HEADING_RE.match(body):
            if i + 1 >= len(comment) or not ITEM_RE.match(comment[i + 1][1]):
                problems.append('%s:%d: "%s" is not followed by "  [x] ..." lines' % (
                    name, number, body))
            i += 1
            while i < len(comment) and (ITEM_RE.match(comment[i][1]) or
                                        CONTINUATION_RE.match(comment[i][1])):
                i += 1
            if i < len(comment) and BULLET_RE.match(comment[i][1]):
                problems.append("%s:%d: a bullet in an invariants list: every item is "
                                '"  [x] ..."' % (name, comment[i][0]))
            continue
        if WORD_RE.search(body) or LABEL_RE.search(body.strip()):
            problems.append('%s:%d: "%s": %s' % (name, number, body.strip(), EXPECTED))
        i += 1
    return problems


def source_files(root=ROOT):
    for folder in FOLDERS:
        for directory, dirs, files in os.walk(os.path.join(root, folder)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(SUFFIXES):
                    path = os.path.join(directory, f)
                    yield os.path.relpath(path, root), path


def check_tree(root=ROOT):
    """(files checked, problems) for the whole tree."""
    problems, count = [], 0
    for name, path in source_files(root):
        count += 1
        with open(path, encoding="utf-8", errors="replace") as f:
            problems += check_text(name, f.read())
    return count, problems


# The checker's own cases: (name, text, a word every expected problem mentions, or None).
GOOD = """/*
 * good.c - a file that opens well.
 *
 * Invariants (of the example):
 *   [x] the first one, long enough
 *       to be continued;
 *   [x] the second one.
 * Context: any.
 */
"""
SELF_CASES = [
    ("good.c", GOOD, None),
    ("good.asm", "; good.asm - an assembly file\n;\n; Invariants:\n;   [x] one\n; Context: boot.\n",
     None),
    ("short.c", "/*\n * short.c - too short.\n */\n", "at least"),
    ("none.c", "#include <stdint.h>\n", "no comment"),
    ("bullets.c", GOOD.replace("[x] the first", "- the first"), "followed"),
    ("box.c", GOOD.replace("[x] the second", "[ ] the second"), "[ ]"),
    ("bullet_inside.c", GOOD.replace("[x] the second", "- the second"), "bullet"),
    ("prose.c", GOOD.replace("Invariants (of the example):", "Invariant: a[0..i) is sorted."),
     "on a line of its own"),
    ("inline.c", GOOD.replace("Invariants (of the example):",
                              "It is simple. Invariants, all checked:"), "on a line of its own"),
    ("label.c", GOOD.replace("Invariants (of the example):", "Receive ring invariants:"),
     "on a line of its own"),
]


def self_test():
    """NULL-style: None when the checker judges its own cases right, else why not."""
    for name, text, says in SELF_CASES:
        problems = check_text(name, text)
        if says is None and problems:
            return "%s: good text reported: %s" % (name, problems[0])
        if says is not None and not any(says in p for p in problems):
            return "%s: expected a problem mentioning '%s', got %s" % (name, says, problems)
    return None


def run_style(totals):
    """Record the suite's tests in totals (scripts/run_tests.py's Totals)."""
    why = self_test()
    totals.record("style/checker_self_test", why is None, why or "")
    count, problems = check_tree()
    openings = [p for p in problems if "opens with" in p]
    invariants = [p for p in problems if "opens with" not in p]
    totals.record("style/opening_comments", count > 0 and not openings,
                  "\n".join(openings) if count else "no source files found under " + ROOT)
    totals.record("style/invariant_checklists", not invariants, "\n".join(invariants))


class _Totals:
    def __init__(self):
        self.failed = 0

    def record(self, name, ok, reason=""):
        self.failed += not ok
        print("PASS %s" % name if ok else "FAIL %s: %s" % (name, reason))


if __name__ == "__main__":
    t = _Totals()
    run_style(t)
    sys.exit(1 if t.failed else 0)
