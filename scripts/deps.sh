#!/bin/sh
# deps.sh - install the host tools Pagoda needs to build, boot and test.
#
# Called by `make run`, `make test`, `make iso`, `make bench`, `make lab`,
# `make grade` and `make gdb` before they do anything. It checks for each tool
# and installs only the Debian/Ubuntu packages that are missing, with apt-get
# --no-install-recommends: directly as root, through sudo otherwise. When
# everything is present it prints nothing and installs nothing, so it is
# cheap to call on every build.
#
# `sh scripts/deps.sh --check` (plain `make`) installs nothing and never runs
# apt-get or sudo: it names what is missing, and fails only when a tool the
# kernel build itself needs (marked :build below) is absent.
#
# With a display ($DISPLAY or $WAYLAND_DISPLAY) it also installs the QEMU
# window's package, qemu-system-gui.
#
# `sh scripts/deps.sh bench` (from `make bench`) also checks the allocators
# the host heap benchmark compares kmalloc with: mimalloc and jemalloc. The
# benchmark loads them with dlopen, so only their shared libraries matter.
set -eu

# package:probe[:build]. A probe is a command on PATH or an absolute file
# path; :build marks what `make` needs to build build/kernel.elf.
NEEDS="
gcc:gcc:build
make:make:build
nasm:nasm:build
binutils:ld:build
python3:python3:build
xorriso:xorriso
mtools:mformat
grub-common:grub-mkrescue
grub-pc-bin:/usr/lib/grub/i386-pc/multiboot2.mod
grub-efi-amd64-bin:/usr/lib/grub/x86_64-efi/multiboot2.mod
qemu-system-x86:qemu-system-x86_64
ovmf:/usr/share/ovmf/OVMF.fd
gdb:gdb
musl-tools:musl-gcc
cpio:cpio
"

# QEMU's window for `make run` (its gtk and sdl front ends) is in Debian's
# qemu-system-gui, a package --no-install-recommends leaves out: wanted only
# where there is a display to open a window on, never on a headless machine.
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    NEEDS="$NEEDS
qemu-system-gui:/usr/lib/x86_64-linux-gnu/qemu/ui-gtk.so
"
fi

CHECK_ONLY=""
if [ "${1:-}" = "--check" ]; then
    CHECK_ONLY=1
    shift
fi

if [ "${1:-}" = "bench" ]; then
    NEEDS="$NEEDS
libmimalloc-dev:/usr/lib/x86_64-linux-gnu/libmimalloc.so.2
libjemalloc-dev:/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
"
fi

missing=""
missing_build=""
for entry in $NEEDS; do
    pkg=${entry%%:*}
    probe=${entry#*:}
    mark=""
    case "$probe" in
        *:build) probe=${probe%:build}; mark=build ;;
    esac
    case "$probe" in
        /*) [ -e "$probe" ] && continue ;;
        *) command -v "$probe" >/dev/null 2>&1 && continue ;;
    esac
    missing="$missing $pkg"
    [ -n "$mark" ] && missing_build="$missing_build $pkg"
done

[ -z "$missing" ] && exit 0

if [ -n "$CHECK_ONLY" ]; then
    echo "deps.sh: missing packages:$missing" >&2
    echo "deps.sh: \`make run\` and \`make test\` install them (or: sh scripts/deps.sh)" >&2
    if [ -n "$missing_build" ]; then
        echo "deps.sh: the kernel cannot be built without:$missing_build" >&2
        exit 1
    fi
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: missing packages:$missing" >&2
    echo "deps.sh: no apt-get here; install them with your package manager." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps.sh: need root or sudo to install:$missing" >&2
    exit 1
fi

echo "deps.sh: installing missing packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "deps.sh: done"
