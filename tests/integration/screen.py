"""screen.py - read a Pagoda VM's screen back as text, with the kernel's own font.

The QEMU monitor's `screendump FILE` writes the guest's display as a binary
PPM (P6). This module parses it with the standard library and decodes the
framebuffer console's text grid: cell (col, row) is the 8x16 pixels at
(8*col, 16*row); a cell's background is its most common colour and every
other pixel is ink; the ink of pixel rows 0..13 is matched against the
glyphs parsed from drivers/font_8x16.c (rows 14 and 15 are left blank in
every glyph and hold the cursor's underline, so they are ignored). A cell
that matches no glyph exactly takes the one nearest glyph within
MAX_DISTANCE differing pixels, else decodes as '?' (so does a tie).
    shot = screendump(m)          a Screenshot of Machine m (the PPM in m.dir)
    shot.pixel(x, y)              (r, g, b)
    shot.text()                   the grid's rows as strings (trailing blanks kept)
    shot.cell(col, row)           (char, ink colour or None, background colour)
    screen_text(m)                screendump(m).text()
    save_png(shot, path)          a PNG for humans (zlib + struct, no imaging library)
    self_check()                  the decoder on synthetic screens; raises AssertionError
Python 3 standard library only.
"""
import collections
import os
import re
import struct
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FONT_PATH = os.path.join(ROOT, "drivers", "font_8x16.c")
CELL_W = 8
CELL_H = 16
ROWS_USED = 14          # pixel rows 14..15 of a cell: the cursor; never ink in a glyph
MAX_DISTANCE = 4        # differing pixels still read as the nearest glyph (if only one)
UNKNOWN = "?"
SETTLE = 0.2            # seconds: fbcon may draw up to 50 ms after the output


# -- the font ---------------------------------------------------------------------

GLYPH_HEADER_RE = re.compile(r"/\*\s*(?:0x([0-9a-fA-F]{2})\b[^\n]*?|replacement\s*)\*/\s*\{"
                             r"([^}]*)\}")
HEX_RE = re.compile(r"0x([0-9a-fA-F]{2})\b")


def parse_font(text):
    """{character: 16 row bytes} from font_8x16.c's text; key None = the replacement.

    Each glyph is written `/* 0x41 'A' */ { 0x00, /* ........ */ ... }`:
    the 16 hex bytes after the header, the top row first, bit 7 leftmost.
    """
    glyphs = {}
    for m in GLYPH_HEADER_RE.finditer(text):
        body = re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.S)  # the ASCII-art comments
        rows = bytes(int(h, 16) for h in HEX_RE.findall(body))
        if len(rows) != CELL_H:
            raise ValueError("glyph %s has %d rows, not %d" % (m.group(1) or "replacement",
                                                              len(rows), CELL_H))
        glyphs[chr(int(m.group(1), 16)) if m.group(1) else None] = rows
    missing = [chr(c) for c in range(0x20, 0x7f) if chr(c) not in glyphs]
    if missing:
        raise ValueError("font lacks glyphs for %r" % "".join(missing))
    return glyphs


_FONT = None


def kernel_font():
    """The glyphs of drivers/font_8x16.c (parsed once)."""
    global _FONT
    if _FONT is None:
        if not os.path.exists(FONT_PATH):
            raise FileNotFoundError("no kernel font at %s" % FONT_PATH)
        with open(FONT_PATH) as f:
            _FONT = parse_font(f.read())
    return _FONT


class Decoder:
    """Matches a cell's ink (14 row bytes) to a character of one font."""

    def __init__(self, glyphs):
        self.exact = {}
        self.printable = []
        for ch, rows in glyphs.items():
            if ch is None or not " " <= ch <= "~":
                continue
            key = bytes(rows[:ROWS_USED])
            self.exact.setdefault(key, ch)
            self.printable.append((ch, int.from_bytes(key, "big")))

    def match(self, key):
        """The character whose glyph is key (or nearest within MAX_DISTANCE), else UNKNOWN."""
        ch = self.exact.get(key)
        if ch is not None:
            return ch
        bits = int.from_bytes(key, "big")
        ranked = sorted((bin(bits ^ glyph).count("1"), ch) for ch, glyph in self.printable)
        (distance, best), (runner_up, _) = ranked[0], ranked[1]
        if distance > MAX_DISTANCE or distance == runner_up:  # too far, or a tie (',' '.')
            return UNKNOWN
        return best


# -- the image ----------------------------------------------------------------------

def parse_ppm(data):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255)."""
    fields = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments between them
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while end < len(data) and not data[end:end + 1].isspace():
            end += 1
        if end == pos:
            raise ValueError("PPM header ends early")
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6":
        raise ValueError("not a binary PPM (magic %r)" % fields[0])
    width, height, maxval = (int(f) for f in fields[1:])
    if maxval != 255:
        raise ValueError("PPM maxval %d, expected 255" % maxval)
    pos += 1  # exactly one whitespace byte after maxval
    pixels = data[pos:pos + width * height * 3]
    if len(pixels) != width * height * 3:
        raise ValueError("PPM has %d pixel bytes, expected %d" % (len(pixels),
                                                                 width * height * 3))
    return width, height, pixels


def colour(rgb):
    return "#%02x%02x%02x" % rgb


class Screenshot:
    """One screendump: pixels, and the text grid decoded on demand."""

    def __init__(self, width, height, pixels, glyphs=None, path=None):
        self.width = width
        self.height = height
        self.pixels = pixels
        self.path = path
        self.cols = width // CELL_W
        self.rows = height // CELL_H
        self._glyphs = glyphs
        self._cells = None

    @classmethod
    def from_ppm(cls, data, glyphs=None, path=None):
        width, height, pixels = parse_ppm(data)
        return cls(width, height, pixels, glyphs, path)

    def pixel(self, x, y):
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise IndexError("pixel (%d,%d) outside %dx%d" % (x, y, self.width, self.height))
        i = (y * self.width + x) * 3
        return tuple(self.pixels[i:i + 3])

    def _decode_cell(self, col, row, decoder):
        stride = self.width * 3
        base = row * CELL_H * stride + col * CELL_W * 3
        slices = [self.pixels[base + y * stride: base + y * stride + CELL_W * 3]
                  for y in range(ROWS_USED)]
        first = slices[0][:3]
        flat = first * CELL_W
        if all(s == flat for s in slices):
            return " ", None, tuple(first)
        counts = collections.Counter()
        for s in slices:
            for x in range(0, CELL_W * 3, 3):
                counts[s[x:x + 3]] += 1
        ranked = counts.most_common()
        background = ranked[0][0]
        ink = ranked[1][0]
        key = bytes(sum(0x80 >> (x // 3) for x in range(0, CELL_W * 3, 3)
                        if s[x:x + 3] != background) for s in slices)
        ch = decoder.match(key)
        if ch == UNKNOWN:  # mostly ink (e.g. a filled glyph): try the other reading
            inverse = bytes(b ^ 0xFF for b in key)
            if decoder.match(inverse) != UNKNOWN:
                return decoder.match(inverse), tuple(background), tuple(ink)
        return ch, tuple(ink), tuple(background)

    def cells(self):
        """[[ (char, ink or None, background) per column ] per row], decoded once."""
        if self._cells is None:
            decoder = Decoder(self._glyphs if self._glyphs is not None else kernel_font())
            self._cells = [[self._decode_cell(c, r, decoder) for c in range(self.cols)]
                           for r in range(self.rows)]
        return self._cells

    def cell(self, col, row):
        return self.cells()[row][col]

    def text(self):
        return ["".join(cell[0] for cell in line) for line in self.cells()]

    def find(self, needle):
        """(col, row) of the first occurrence of needle in the decoded text, or None."""
        for row, line in enumerate(self.text()):
            col = line.find(needle)
            if col >= 0:
                return col, row
        return None

    def dump(self):
        """The decoded rows, trailing blanks and empty bottom rows dropped (for messages)."""
        lines = [line.rstrip() for line in self.text()]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)


# -- the monitor --------------------------------------------------------------------

def screendump(m, settle=SETTLE, glyphs=None):
    """A Screenshot of Machine m's display, taken through the QEMU monitor.

    Waits settle seconds first (the screen console may draw a little after
    the serial output). The PPM is written into the machine's own directory.
    """
    if settle:
        time.sleep(settle)
    m.screendumps = getattr(m, "screendumps", 0) + 1
    path = os.path.join(m.dir, "screen-%d.ppm" % m.screendumps)
    out = m.monitor("screendump " + path)
    if not os.path.exists(path):
        raise RuntimeError("screendump wrote no file: %s" % out)
    with open(path, "rb") as f:
        data = f.read()
    return Screenshot.from_ppm(data, glyphs, path)


def screen_text(m):
    return screendump(m).text()


def pixel(m, x, y):
    return screendump(m).pixel(x, y)


# -- PNG, for humans ---------------------------------------------------------------

def png_bytes(width, height, pixels):
    """A PNG (8-bit RGB, filter 0 on every row) of width x height RGB pixels."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    stride = width * 3
    raw = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def save_png(shot, path):
    with open(path, "wb") as f:
        f.write(png_bytes(shot.width, shot.height, shot.pixels))
    return path


# -- synthetic screens (the decoder's own test) ----------------------------------------

def render(lines, cols, rows, glyphs, ink=(0xAA, 0xAA, 0xAA), background=(0, 0, 0),
           colours=None, cursor=None, extra=0):
    """A Screenshot of text drawn with glyphs, as the kernel's console would draw it.

    colours: {(col, row): (ink, background)} for some cells; cursor: (col, row)
    gets an underline on pixel rows 14..15; extra: pixels below and right of
    the grid that no whole cell covers.
    """
    width, height = cols * CELL_W + extra, rows * CELL_H + extra
    image = bytearray(bytes(background) * (width * height))
    for row in range(rows):
        line = lines[row] if row < len(lines) else ""
        for col in range(cols):
            ch = line[col] if col < len(line) else " "
            fg, bg = (colours or {}).get((col, row), (ink, background))
            rows_bits = glyphs.get(ch, glyphs.get(None))
            for y in range(CELL_H):
                bits = rows_bits[y]
                if cursor == (col, row) and y >= ROWS_USED:
                    bits = 0xFF
                for x in range(CELL_W):
                    i = ((row * CELL_H + y) * width + col * CELL_W + x) * 3
                    image[i:i + 3] = bytes(fg if bits & (0x80 >> x) else bg)
    return Screenshot(width, height, bytes(image), glyphs)


def test_font():
    """A made-up font in font_8x16.c's format: each glyph is its code in binary."""
    parts = []
    for code in list(range(0x20, 0x7f)) + [None]:
        header = "/* replacement */" if code is None else "/* 0x%02x %r */" % (code, chr(code))
        rows = [0] * CELL_H
        if code is not None and code != 0x20:
            rows[2] = code
            rows[3] = 0x81
            rows[5 + code % 7] = 0x3C
        elif code is None:
            rows[1:13] = [0x7E] * 12
        body = "".join("    0x%02x, /* %s */\n" % (b, format(b, "08b").replace("0", ".")
                                                    .replace("1", "#")) for b in rows)
        parts.append("%s\n{\n%s},\n" % (header, body))
    return "static const uint8_t font[][16] = {\n" + "".join(parts) + "};\n"


def self_check():
    """Round trips through the decoder; raises AssertionError on the first failure."""
    made_up = parse_font(test_font())
    assert len(made_up) == 96, "parsed %d glyphs from the made-up font" % len(made_up)
    assert made_up["A"][2] == 0x41 and made_up[None][1] == 0x7E, "rows parsed wrong"
    fonts = [("made-up", made_up)]
    if os.path.exists(FONT_PATH):
        fonts.append(("kernel", kernel_font()))
    printable = "".join(chr(c) for c in range(0x20, 0x7f))
    for name, glyphs in fonts:
        lines = ["pagoda> echo hello", printable[:40], printable[40:80], printable[80:],
                 "", "  indented and trailing  "]
        red, blue, white = (0xAA, 0, 0), (0, 0, 0xAA), (0xFF, 0xFF, 0xFF)
        shot = render(lines, 40, 7, glyphs, colours={(0, 1): (red, blue), (1, 1): (white, red)},
                      cursor=(18, 0), extra=5)
        assert (shot.cols, shot.rows) == (40, 7), "%s: grid %dx%d" % (name, shot.cols,
                                                                       shot.rows)
        text = shot.text()
        expected = [line.ljust(40) for line in lines] + [" " * 40]
        assert text == expected, "%s font: decoded\n%s\nexpected\n%s" % (
            name, "\n".join(text), "\n".join(expected))
        assert shot.cell(0, 1) == (" ", None, blue), "%s: blank cell (0,1) read as %r" % (
            name, shot.cell(0, 1))
        ch, ink, bg = shot.cell(1, 1)
        assert (ch, ink, bg) == (printable[1], white, red), "%s: cell (1,1) read as %r" % (
            name, (ch, ink, bg))
        assert shot.pixel(0, 16) == blue and shot.pixel(0, 0) == (0, 0, 0), "pixel() wrong"
        assert shot.find("echo hello") == (8, 0), "find() gave %r" % (shot.find("echo"),)
        # A damaged glyph still reads as the nearest; a blob reads as unknown.
        decoder = Decoder(glyphs)
        damaged = bytearray(glyphs["k"][:ROWS_USED])
        damaged[0] ^= 0x01
        assert decoder.match(bytes(damaged)) == "k", "%s: one flipped pixel" % name
        assert decoder.match(bytes([0x5A, 0xA5] * 7)) == UNKNOWN, "%s: noise matched" % name
    # Equally near two glyphs: unknown, not a guess.
    pair = Decoder({"x": bytes([0x03]) + bytes(15), "y": bytes(16), "z": bytes([0xF0] * 16)})
    assert pair.match(bytes([0x01]) + bytes(13)) == UNKNOWN, "a tie was decided"
    assert pair.match(bytes([0x07]) + bytes(13)) == "x", "the nearest of three"
    # The PPM parser: comments in the header; a PNG of it is well formed.
    shot = render(["hi"], 2, 1, made_up)
    ppm = b"P6\n# made by a test\n16 16\n255\n" + shot.pixels
    again = Screenshot.from_ppm(ppm, made_up)
    assert again.text() == ["hi"], "PPM round trip read %r" % again.text()
    png = png_bytes(again.width, again.height, again.pixels)
    assert png.startswith(b"\x89PNG") and png[12:16] == b"IHDR", "PNG header"
    idat = png[33 + 8:33 + 8 + struct.unpack(">I", png[33:37])[0]]
    assert zlib.decompress(idat)[:1] == b"\x00" and len(zlib.decompress(idat)) == 16 * 49, \
        "PNG data"
    for bad in (b"P3\n1 1\n255\n\0\0\0", b"P6\n2 2\n255\n\0\0\0"):
        try:
            parse_ppm(bad)
        except ValueError:
            continue
        raise AssertionError("parse_ppm accepted %r" % bad)
