"""test_trace.py - `run -t PROG`: every system call of a process, as strace prints it.

The decoder itself is tested on the host (tests/host/test_trace.c, suite
trace); here the kernel's side: a traced program's lines come out in order
with the real arguments and results (musl's start-up calls, writev's
vectors with their strings, open's error with errno's text, exit_group's
"= ?"), a forked child inherits the tracing (its lines carry its own pid:
fork, execve with argv, exit_group, and the parent's wait4 with the decoded
status), and an untraced run prints no trace line at all.
"""
import re

from pagoda import Machine, check, machine_test

_machine = None


def trace_machine():
    global _machine
    if _machine is None or not _machine.alive():
        if _machine is not None:
            _machine.close()
        _machine = Machine("trace")
        _machine.wait_prompt()
    return _machine


def traced(m, line, timeout=120):
    """`run -t LINE`: (output, pid of the program) after it ended."""
    out = m.command("run -t " + line, timeout=timeout)
    name = line.split()[0]
    ended = re.search(r"^%s \(pid (\d+)\) (exited with status \d+|killed by \S+)$" % name,
                      out, re.M)
    check(ended, "`run -t %s` did not say how it ended:\n%s" % (line, out))
    return out, int(ended.group(1))


def has_line(out, pattern, what):
    check(re.search(pattern, out, re.M), "no %s line (%s) in:\n%s" % (what, pattern, out))


@machine_test("run -t hello: musl's start-up, writev with its strings, exit_group = ?")
def trace_hello(firmware):
    m = trace_machine()
    out, pid = traced(m, "hello one")
    p = r"^\[pid %d\] " % pid
    has_line(out, p + r"arch_prctl\(ARCH_SET_FS, 0x[0-9a-f]+\) = 0$", "arch_prctl")
    has_line(out, p + r"set_tid_address\(0x[0-9a-f]+\) = %d$" % pid, "set_tid_address")
    has_line(out, p + r'writev\(1, \[\{iov_base="Hello from user mode! \(pid %d, ar"\.\.\., '
             r'iov_len=\d+\}, \{iov_base="\)\\n", iov_len=2\}\], 2\) = \d+$' % pid, "writev")
    has_line(out, p + r'writev\(1, \[\{iov_base="argv\[1\] = one", iov_len=13\}, '
             r'\{iov_base="\\n", iov_len=1\}\], 2\) = 14$', "second writev")
    has_line(out, p + r"exit_group\(0\) = \?$", "exit_group")
    lines = [l for l in out.split("\n") if l.startswith("[pid")]
    check(lines and lines[-1] == "[pid %d] exit_group(0) = ?" % pid,
          "exit_group is not the last call:\n" + out)
    check(all(l.startswith("[pid %d] " % pid) for l in lines), "a line of another pid:\n" + out)


@machine_test("run -t cat nosuch: open's ENOENT with errno's text, the message's writev")
def trace_errors(firmware):
    m = trace_machine()
    out, pid = traced(m, "cat nosuch")
    p = r"^\[pid %d\] " % pid
    has_line(out, p + r'open\("nosuch", O_RDONLY\|O_LARGEFILE\) = -1 ENOENT \(No such file '
             r'or directory\)$', "open ENOENT")
    has_line(out, p + r'writev\(2, \[\{iov_base="cat: nosuch: No such file or dir"\.\.\., '
             r'iov_len=39\}, \{iov_base="", iov_len=0\}\], 2\) = 39$', "the message")
    has_line(out, p + r"exit_group\(1\) = \?$", "exit_group(1)")


@machine_test("run -t: a forked child is traced too (fork, execve, exit_group, wait4's status)")
def trace_children(firmware):
    m = trace_machine()
    out, pid = traced(m, "usertests exec_exit_status")
    check("PASS exec_exit_status" in out, "the test itself failed:\n" + out)
    children = [int(c) for c in re.findall(r"^\[pid %d\] fork\(\) = (\d+)$" % pid, out, re.M)]
    check(len(children) == 2, "expected two fork() = PID lines of pid %d:\n%s" % (pid, out))
    for code, child in zip((3, 4), children):
        c = r"^\[pid %d\] " % child
        has_line(out, c + r'execve\("exitcode", \["exitcode", "%d"\], 0x[0-9a-f]+ /\* 2 vars '
                 r'\*/\) = 0$' % code, "the child's execve")
        has_line(out, c + r"exit_group\(%d\) = \?$" % code, "the child's exit_group")
        has_line(out, r"^\[pid %d\] wait4\(%d, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == %d\}\], "
                 r"0, NULL\) = %d$" % (pid, child, code, child), "the parent's wait4")


@machine_test("run without -t prints no trace line; -t with a bad option or no program refused")
def trace_off(firmware):
    m = trace_machine()
    out = m.command("run hello")
    check("[pid" not in out and "exited with status 0" in out, "untraced run:\n" + out)
    out = m.command("run -t")
    check("needs a program" in out, "`run -t` alone:\n" + out)
    out = m.command("run -x hello")
    check("unknown option -x" in out, "`run -x hello`:\n" + out)
    out = m.command("echo still here")
    check("still here" in out, "the shell stopped answering:\n" + out)
