"""test_help.py - every example in every `help CMD` works as shown.

Regression for issue 12, defect 1.4: `help translate`, `walk` and `peek`
showed an unmapped address and `help selftest` a suite that did not exist.
The examples are read from the machine itself: `help` lists the commands,
`help CMD` shows each one's "examples:" block (format in kernel/shell/shell.h:
two spaces, the command line, two or more spaces and an optional comment).
A comment may start with a mark:
  [refused]            the example shows a refusal: it must print one;
  [disturbs]           it faults on purpose or takes all free memory for a
                       moment: run on a machine of its own, the shell must
                       answer afterwards;
  [ends the machine]   halt, reboot, poweroff: each on a machine of its own,
                       which must stop answering or exit.
The others run in `help` order, each command's in its order, on one freshly
booted machine (examples may rely on a fresh boot: the first `lazy` region
starts at the same address every time), and must print no refusal or error.
"""
import re

from pagoda import PROMPT_RE, Machine, MachineError, check, machine_test

# A refusal or an error: a message line "WHO: ..." with words of one (the
# shell's messages start with the command's name or the address concerned;
# indented lines, such as the descriptions `selftest list` shows, are not
# messages), or a marker that needs no words.
FAILURE_RE = re.compile(
    r"^(?!selftest: PASS)\S+:.*(?:not mapped|no suite|\bbad\b|refus|cannot|invalid|canonical|"
    r"no room|(?<!\b0 )out of memory|error|too many|no command|nothing was|not found|"
    r"not present|not the start|double free|violation|not allocated|did not allocate|"
    r"not inside)|\*\*\*|^unknown command|^usage:|^selftest: FAIL|\b[1-9][0-9]* failed|TODO",
    re.M)
MARK_RE = re.compile(r"^\[(refused|disturbs|ends the machine)\]")
EXAMPLE_TIMEOUT = 120  # `selftest` and `exhaust` take a while under TCG


def parse_examples(usage):
    """[(command line, mark or None)] from one `help CMD` output."""
    examples = []
    lines = usage.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^examples?:\s*(.*)$", line)
        if not m:
            continue
        block = [m.group(1)] if m.group(1) else []
        for more in lines[i + 1:]:
            if not more.startswith("  "):
                break
            block.append(more.strip())
        for text in block:
            parts = re.split(r"\s{2,}", text.strip(), maxsplit=1)
            comment = parts[1] if len(parts) > 1 else ""
            mark = MARK_RE.match(comment)
            examples.append((parts[0], mark.group(1) if mark else None))
    return examples


def all_examples(m):
    """[(command, example, mark)] for every command `help` lists, in its order."""
    listing = m.command("help")
    names = re.findall(r"^  (\S+)\s", listing, re.M)
    check(len(names) > 20, "`help` lists too few commands:\n" + listing)
    found = []
    for name in names:
        usage = m.command("help " + name)
        check("usage:" in usage, "`help %s` shows no usage:\n%s" % (name, usage))
        found += [(name, line, mark) for line, mark in parse_examples(usage)]
    return found


def marked(m, mark):
    """[(command, example)] of the examples carrying mark."""
    return [(name, line) for name, line, its in all_examples(m) if its == mark]


def check_valid_line(name, line, out):
    check("unknown command" not in out and "usage:" not in out,
          "`help %s`: `%s` is not a valid command line:\n%s" % (name, line, out))


def boot(name, firmware):
    m = Machine(name, firmware=firmware)
    m.wait_prompt()
    return m


@machine_test("every example of every `help CMD` runs on a fresh boot without an error")
def help_examples_work(firmware):
    m = boot("help-examples-" + firmware, firmware)
    try:
        examples = all_examples(m)
        marks = {mark for _, _, mark in examples}
        check({"refused", "disturbs", "ends the machine"} <= marks,
              "the help texts use the marks %s; expected all three" % sorted(m for m in marks if m))
        check(len(examples) > 60, "only %d examples found" % len(examples))
        for name, line, mark in examples:
            if mark in ("disturbs", "ends the machine"):
                continue
            out = m.command(line, EXAMPLE_TIMEOUT)
            if line.startswith("help "):
                out = out.replace("usage:", "")  # what help shows; a refusal says "no command"
            bad = FAILURE_RE.search(out)
            if mark == "refused":
                check(bad, "`help %s`: `%s` is marked [refused] but printed no refusal:\n%s"
                      % (name, line, out))
                check(m.alive(), "`help %s`: the shell does not answer after `%s`" % (name, line))
            else:
                check(not bad, "`help %s`: example `%s` printed %r:\n%s"
                      % (name, line, bad.group(0) if bad else "", out))
    finally:
        m.close()


@machine_test("`help` examples marked [disturbs] run on a machine of their own; the shell goes on")
def help_examples_that_disturb_run_alone(firmware):
    m = boot("help-disturbs-" + firmware, firmware)
    try:
        examples = marked(m, "disturbs")
        check(examples, "no example is marked [disturbs]")
        for name, line in examples:
            check_valid_line(name, line, m.command(line, EXAMPLE_TIMEOUT))
            check(m.alive(), "`help %s`: the shell does not answer after `%s`" % (name, line))
    finally:
        m.close()


@machine_test("`help` examples marked [ends the machine] each stop a machine of their own")
def help_examples_that_end_the_machine_run_alone(firmware):
    m = boot("help-ends-" + firmware, firmware)
    try:
        examples = marked(m, "ends the machine")
    finally:
        m.close()
    check(len(examples) >= 4, "expected halt, reboot, poweroff and crash ... halt to be "
          "marked [ends the machine], found %s" % examples)
    for name, line in examples:
        m = boot("help-ends-" + firmware, firmware)
        try:
            start = m.pos
            m.send(line + "\r")
            try:
                m.expect(re.escape(line) + r"[^\n]*\n")
                m.expect(PROMPT_RE, 8)  # a command that returns is back well within this
                stopped = False
            except MachineError:
                stopped = True  # QEMU exited, or the prompt never came back
            out = m.output_since(start)
            check_valid_line(name, line, out)
            check(stopped, "`help %s`: the machine still answers after `%s`:\n%s"
                  % (name, line, out))
        finally:
            m.close()
