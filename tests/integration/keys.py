"""keys.py - type on the guest's PS/2 keyboard through the QEMU monitor.

QEMU's `sendkey` presses a key (with modifiers: "shift-a", "ctrl-c"),
holds it hold_ms milliseconds and releases it. The emulated i8042 queues
at most 16 bytes of scan codes, and a key costs 2 to 6 of them (press and
release, E0 prefixes, Shift around it), so keys go a few at a time with a
pause after each group for the guest's IRQ 1 handler to drain the queue.
    press(m, "up")                 one key by its QEMU name
    type_text(m, "echo hi\\n")     characters, as US-layout keys
    key_names(text)                the QEMU key names for text
Python 3 standard library only.
"""
import time

# Characters that are keys of their own, by QEMU's key names (qcodes).
PLAIN = {" ": "spc", "\n": "ret", "\t": "tab", "-": "minus", "=": "equal",
         "[": "bracket_left", "]": "bracket_right", "\\": "backslash",
         ";": "semicolon", "'": "apostrophe", "`": "grave_accent", ",": "comma",
         ".": "dot", "/": "slash", "\b": "backspace", "\x1b": "esc"}
# Characters typed with Shift held, US layout.
SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7",
           "*": "8", "(": "9", ")": "0", "_": "minus", "+": "equal",
           "{": "bracket_left", "}": "bracket_right", "|": "backslash",
           ":": "semicolon", '"': "apostrophe", "~": "grave_accent", "<": "comma",
           ">": "dot", "?": "slash"}

KEYS_PER_GROUP = 3   # at most 3 keys (<= 12 bytes with Shift) in the 16-byte queue
GROUP_PAUSE = 0.08   # seconds for the guest to take them
HOLD_MS = 10


def key_name(ch):
    """The sendkey name for one character."""
    if "a" <= ch <= "z" or "0" <= ch <= "9":
        return ch
    if "A" <= ch <= "Z":
        return "shift-" + ch.lower()
    if ch in PLAIN:
        return PLAIN[ch]
    if ch in SHIFTED:
        return "shift-" + SHIFTED[ch]
    raise ValueError("no US-layout key types %r" % ch)


def key_names(text):
    return [key_name(ch) for ch in text]


def press(m, name, hold_ms=HOLD_MS):
    """Press and release one key (a QEMU key name, e.g. "up", "ctrl-c")."""
    m.monitor("sendkey %s %d" % (name, hold_ms))


def send_names(m, names, hold_ms=HOLD_MS, per_group=KEYS_PER_GROUP, pause=GROUP_PAUSE):
    """Press each named key in turn, a few at a time."""
    for i, name in enumerate(names):
        press(m, name, hold_ms)
        if (i + 1) % per_group == 0:
            time.sleep(pause)
    time.sleep(pause)


def type_text(m, text, **kw):
    """Type text on the keyboard ("\\n" is Enter, "\\b" Backspace)."""
    send_names(m, key_names(text), **kw)
