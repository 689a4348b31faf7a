"""keys.py - type on the guest's PS/2 keyboard through the QEMU monitor.

QEMU's `sendkey` presses a key (with modifiers: "shift-a", "ctrl-c"),
holds it hold_ms milliseconds and releases it. The emulated i8042 queues
at most 16 bytes of scan codes and drops what comes while it is full; a key
costs 2 to 6 of them (press and release, E0 prefixes, Shift around it). So
keys go a few at a time, and after each group the helpers wait until the
guest has taken every byte of it, as QEMU's own trace events show (a fixed
pause lost an Enter on a loaded host): QEMU logs each key event reaching
the keyboard (ps2_keyboard_event), each byte put in its queue
(ps2_put_keycode, ps2_write_keyboard's acknowledgement) and each byte the
guest takes out (ps2_read_data). A group not taken within GROUP_TIMEOUT
seconds fails the test, naming the keys and the counts.
    press(m, "up")                 one key by its QEMU name
    type_text(m, "echo hi\\n")     characters, as US-layout keys
    send_names(m, ["up", "ret"])   keys by name
    key_names(text)                the QEMU key names for text
    trace_log(m)                   the file QEMU's trace events go to (tests
                                   may turn more events on: it is QEMU's log)
Invariants:
  [x] no key is sent while the queue may hold more than one group's bytes
  [x] a helper returns only once the guest has taken every byte it caused
  [x] the trace log is the machine's only QEMU log file (set once per machine)
Python 3 standard library only.
"""
import os
import re
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
GROUP_TIMEOUT = 20   # seconds for the guest to take one group (a loaded host is slow)
HOLD_MS = 10
TRACE_EVENTS = ("ps2_keyboard_event", "ps2_put_keycode", "ps2_write_keyboard", "ps2_read_data")
_LINE = re.compile(r"(ps2_keyboard_event|ps2_put_keycode|ps2_write_keyboard|ps2_read_data)"
                   r" (\S+)(?: qcode \d+ down \d+ .* xlate (\d+)| keycode 0x([0-9a-f]+))?")


class _Trace:
    """Counts of the keyboard's trace events in QEMU's log, read as it grows."""

    def __init__(self, m):
        self.path = os.path.join(m.dir, "keys-trace.log")
        m.monitor("logfile " + self.path)
        for event in TRACE_EVENTS:
            m.monitor("trace-event %s on" % event)
        self.offset = 0
        self.rest = ""
        self.kbd = None       # the keyboard's state pointer, from its first key event
        self.xlate = True     # the i8042 translates set 2 (a release's F0 queues nothing)
        self.counts = {}      # (pointer, kind) -> count
        self.events = 0       # key events the keyboard got
        self.expect_events = 0  # key events sent (2 per key of a name: press, release)
        self.queued = 0       # bytes the keyboard put in its queue

    def poll(self):
        try:
            with open(self.path) as f:
                f.seek(self.offset)
                data = f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return
        lines = (self.rest + data).split("\n")
        self.rest = lines.pop()
        for line in lines:
            hit = _LINE.search(line)
            if not hit:
                continue
            kind, ptr, xlate, code = hit.groups()
            if kind == "ps2_keyboard_event":
                self.kbd = ptr
                self.xlate = xlate != "0"
                self.events += 1
            elif kind == "ps2_put_keycode":
                if not (self.xlate and code == "f0"):
                    self.queued += 1
            elif kind == "ps2_write_keyboard":
                self.queued += 1  # its acknowledgement (0xfa)
            else:
                self.counts[ptr] = self.counts.get(ptr, 0) + 1

    def taken(self):
        return self.counts.get(self.kbd, 0)


def trace(m):
    """The machine's key trace (started at the first key)."""
    if getattr(m, "keys_trace", None) is None:
        m.keys_trace = _Trace(m)
    return m.keys_trace


def trace_log(m):
    return trace(m).path


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


def wait_taken(m, sent, timeout=GROUP_TIMEOUT):
    """Wait until the keyboard got every key event of sent (key names) and the
    guest took every byte they queued; raise AssertionError if not in time."""
    t = trace(m)
    deadline = time.monotonic() + timeout
    while True:
        t.poll()
        if t.events >= t.expect_events and t.taken() >= t.queued:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                "keys: the guest did not take keys %s within %ss: %d of %d key events reached "
                "the keyboard, the guest read %d of the %d bytes queued (a full i8042 queue "
                "drops bytes; is IRQ 1 served?)"
                % (" ".join(sent), timeout, t.events, t.expect_events, t.taken(), t.queued))
        time.sleep(0.01)


def _send(m, name, hold_ms):
    t = trace(m)
    t.expect_events += 2 * len(name.split("-"))
    m.monitor("sendkey %s %d" % (name, hold_ms))


def press(m, name, hold_ms=HOLD_MS):
    """Press and release one key (a QEMU key name, e.g. "up", "ctrl-c"); return
    when the guest has taken its scan codes."""
    send_names(m, [name], hold_ms)


def send_names(m, names, hold_ms=HOLD_MS, per_group=KEYS_PER_GROUP):
    """Press each named key in turn, a group at a time, each group taken by the
    guest before the next is sent."""
    for start in range(0, len(names), per_group):
        group = names[start:start + per_group]
        for name in group:
            _send(m, name, hold_ms)
        wait_taken(m, group)


def type_text(m, text, **kw):
    """Type text on the keyboard ("\\n" is Enter, "\\b" Backspace)."""
    send_names(m, key_names(text), **kw)
