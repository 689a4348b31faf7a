"""test_make_run.py - `make run` opens QEMU's window only where it can.

`make -n run` (nothing built, nothing run) prints the QEMU command line. A
stand-in qemu-system-x86_64 on PATH answers `-display help` with the front
ends a test wants, so each case is checked without QEMU or a display:
  - no $DISPLAY nor $WAYLAND_DISPLAY (or `make run DISPLAY=`): -display
    none, whatever QEMU offers;
  - $DISPLAY or $WAYLAND_DISPLAY and a gtk (or only sdl) front end: that one;
  - a display but a QEMU without qemu-system-gui (none, curses): none;
  - RES= reaches GRUB as SMBIOS sku (default 1024x768); `make gdb` stays
    headless;
  - COM1 is the console (the first -serial), COM2 the second (COM2=, default
    a pty), in `make run` and `make gdb`.
Part of the structure suite: scripts/run_tests.py runs TESTS through
test_structure.run_structure. Python 3 stdlib only.
"""
import os
import re
import shutil
import stat
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_n(goal, front_ends, env_extra, args=()):
    """The qemu-system-x86_64 line `make -n GOAL` prints, with a stand-in QEMU."""
    tmp = tempfile.mkdtemp(prefix="pagoda-makerun-")
    try:
        fake = os.path.join(tmp, "qemu-system-x86_64")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\n[ \"$1 $2\" = \"-display help\" ] || exit 1\n"
                    "echo 'Available display backend types:'\n")
            for name in front_ends:
                f.write("echo %s\n" % name)
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(env_extra)
        env["PATH"] = tmp + os.pathsep + env.get("PATH", "")
        out = subprocess.run(["make", "-n", "--no-print-directory", goal] + list(args),
                             cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = out.stdout.replace("\\\n", " ")  # a recipe line continued with a backslash
    lines = [line for line in text.splitlines() if line.startswith("qemu-system-x86_64 ")]
    if len(lines) != 1:
        raise AssertionError("make -n %s printed %d QEMU lines:\n%s"
                             % (goal, len(lines), out.stdout[-1500:]))
    return lines[0]


def display_of(line):
    found = re.findall(r"-display (\S+)", line)
    if len(found) != 1:
        raise AssertionError("not one -display option in: " + line)
    return found[0]


def expect_display(want, front_ends, env, goal="run", args=()):
    line = make_n(goal, front_ends, env, args)
    got = display_of(line)
    if got != want:
        raise AssertionError("QEMU offers %s, env %s, make %s %s picked -display %s, not %s"
                             % (front_ends, env, goal, " ".join(args), got, want))


def test_headless():
    expect_display("none", ["none", "gtk", "sdl"], {})
    # `make run DISPLAY=`: the command line beats the environment.
    expect_display("none", ["none", "gtk", "sdl"], {"DISPLAY": ":0"}, args=["DISPLAY="])


def test_x11_gtk():
    expect_display("gtk", ["none", "egl-headless", "sdl", "gtk"], {"DISPLAY": ":0"})


def test_wayland_sdl():
    expect_display("sdl", ["none", "sdl"], {"WAYLAND_DISPLAY": "wayland-0"})


def test_display_without_gui():
    expect_display("none", ["none", "curses", "spice-app"], {"DISPLAY": ":0"})


def test_resolution():
    line = make_n("run", ["none"], {})
    if "sku=1024x768" not in line:
        raise AssertionError("make run does not pass RES's default 1024x768: " + line)
    line = make_n("run", ["none"], {}, ["RES=800x600"])
    if "sku=800x600" not in line:
        raise AssertionError("make run RES=800x600 does not pass it: " + line)


def test_gdb_headless():
    expect_display("none", ["none", "gtk"], {"DISPLAY": ":0"}, goal="gdb")


def test_com2():
    for goal, first in (("run", "mon:stdio"), ("gdb", "file:")):
        serials = re.findall(r"-serial (\S+)", make_n(goal, ["none"], {}))
        if len(serials) != 2 or not serials[0].startswith(first) or serials[1] != "pty":
            raise AssertionError("make %s: -serial %s, expected %s... then pty (COM2)"
                                 % (goal, " -serial ".join(serials), first))
    serials = re.findall(r"-serial (\S+)", make_n("run", ["none"], {}, ["COM2=null"]))
    if serials != ["mon:stdio", "null"]:
        raise AssertionError("make run COM2=null: -serial %s" % " -serial ".join(serials))


TESTS = [
    ("make_run/headless", "no display (or DISPLAY= given to make): -display none",
     test_headless),
    ("make_run/x11_gtk", "$DISPLAY and gtk: QEMU's gtk window", test_x11_gtk),
    ("make_run/wayland_sdl", "$WAYLAND_DISPLAY and only sdl: the sdl window", test_wayland_sdl),
    ("make_run/display_without_gui", "a display but no gtk/sdl in QEMU: -display none",
     test_display_without_gui),
    ("make_run/resolution", "RES= reaches GRUB as SMBIOS sku", test_resolution),
    ("make_run/gdb_headless", "make gdb never opens a window", test_gdb_headless),
    ("make_run/com2", "COM1 the console, COM2 a second -serial (default a pty)", test_com2),
]
