"""test_grub.py - GRUB's part of the boot (grub.cfg, docs/console.md "Booting").

What GRUB prints on the serial line before the kernel's banner must hold no
error and no warning under BIOS and UEFI, with the framebuffer the kernel's
header tag asks for (boot/boot.asm). The SMBIOS strings tests use reach the
kernel: version = extra command-line words, split at spaces; sku = the video
mode (`bootinfo` prints the framebuffer's size); product = the menu entry
(pagoda-pagepoison, pagoda-slab_debug here; selftest and noapic are booted
by other suites). With no SMBIOS string set, the menu is shown on the serial
line with a countdown, and arrow keys pick an entry: typed on the serial line
(BIOS) or on the PS/2 keyboard through the monitor (UEFI).
"""
import re

import keys
from pagoda import Machine, check, machine_test

BANNER = "Pagoda - a teaching kernel"
ENTRY_TITLES = ("Pagoda", "Pagoda: run the self-tests", "Pagoda: 8259 PIC and PIT",
                "Pagoda: self-tests with the lock-order validator on", "Pagoda: pagepoison",
                "Pagoda: slab_debug")
DOWN = "\x1b[B"  # the down-arrow key as a VT100 terminal sends it


def grub_output(m):
    """Everything on the serial line before the kernel's banner (firmware, GRUB)."""
    m.wait_prompt()
    end = m.buf.find(BANNER)
    check(end >= 0, "no banner in:\n" + m.buf[-1500:])
    return m.buf[:end]


def check_quiet(text, what):
    bad = [line for line in text.split("\n") if re.search(r"(?i)error|warning", line)]
    check(not bad, "%s: GRUB printed:\n%s" % (what, "\n".join(bad)))


def kernel_words(m):
    out = m.command("bootinfo cmdline")
    found = re.search(r'command line: "([^"]*)"', out)
    check(found, "bootinfo cmdline printed:\n" + out)
    return found.group(1).split(" ")


@machine_test("GRUB prints no error or warning; SMBIOS version adds kernel words, sku sets "
              "the framebuffer's mode", firmwares=("bios", "uefi"))
def grub_quiet_words_mode(firmware):
    m = Machine("grub-quiet-" + firmware, firmware=firmware, resolution="800x600",
                cmdline="foo=bar grubtest.word")
    try:
        text = grub_output(m)
        check("Booting `Pagoda'" in text, "GRUB did not boot the default entry:\n" + text[-800:])
        check_quiet(text, firmware)
        words = kernel_words(m)
        for word in ("foo=bar", "grubtest.word", "console=serial"):
            check(word in words, "kernel word %r missing from %r" % (word, words))
        out = m.command("bootinfo")
        check(re.search(r"^framebuffer:.*\b800x600\b", out, re.M),
              "sku=800x600 did not give an 800x600 framebuffer:\n" + out)
    finally:
        m.close()


@machine_test("no SMBIOS strings: GRUB's menu and countdown on the serial line; arrow keys "
              "boot the pagepoison entry (BIOS: typed on the serial line, UEFI: on the "
              "PS/2 keyboard)", firmwares=("bios", "uefi"))
def grub_menu_keys(firmware):
    # screen=True: no console=serial, so no SMBIOS string at all (the menu stays up).
    m = Machine("grub-menu-" + firmware, firmware=firmware, screen=True)
    try:
        m.expect(r"automatically in 3s", 90)
        menu = m.buf
        for title in ENTRY_TITLES:
            check(title in menu, "menu entry %r not on the serial line:\n%s"
                  % (title, menu[-2000:]))
        # Both inputs work on both firmwares; each firmware tests one (no extra boot).
        if firmware == "bios":
            m.send(DOWN * 4)
        else:
            keys.send_names(m, ["down"] * 4)
        m.expect(r"\*Pagoda: pagepoison", 15)  # GRUB marks the highlighted entry
        if firmware == "bios":
            m.send("\r")  # (an entry chosen by hand boots without a "Booting" line)
        else:
            keys.press(m, "ret")
        check_quiet(grub_output(m), firmware + ", menu")
        check("pagepoison" in kernel_words(m), "the pagepoison entry lacks its word")
        out = m.command("pagepoison")
        check("poisoning is on" in out, "booted pagepoison, but:\n" + out)
    finally:
        m.close()


@machine_test("SMBIOS product pagoda-pagepoison and pagoda-slab_debug boot those entries")
def grub_entries(firmware):
    for entry, command, state in (("pagepoison", "pagepoison", "poisoning is on"),
                                  ("slab_debug", "slabdebug", "debugging (red zones, "
                                   "poisoning, caller tracking) is on")):
        m = Machine("grub-%s-%s" % (entry, firmware), firmware=firmware,
                    smbios_product="pagoda-" + entry)
        try:
            check_quiet(grub_output(m), entry)
            words = kernel_words(m)
            check(entry in words, "entry %s: kernel words %r" % (entry, words))
            out = m.command(command)
            check(state in out, "entry %s: `%s` printed:\n%s" % (entry, command, out))
        finally:
            m.close()
