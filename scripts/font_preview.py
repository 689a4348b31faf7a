#!/usr/bin/env python3
"""font_preview.py - render the kernel's 8x16 font to a PNG for reviewing it.

Reads drivers/font_8x16.c the way tests/integration/screen.py does (the 16
hex bytes after each `/* 0xNN 'c' */` or `/* replacement */` header), checks
that each row's byte agrees with its `#`/`.` picture, and draws:
  1. every glyph, 0x20..0x7e then the replacement, 16 to a row, enlarged,
     each cell outlined and the cursor rows (14..15) tinted;
  2. sample lines at twice the size, with the cursor underline after the
     prompt, as the text console shows them (light grey on black);
  3. the same lines at their real size.
Exit status 1 when a picture and its byte disagree or a glyph is missing.
Usage: font_preview.py [-o OUT.png] [--scale N] [--text LINE]...
       (default: build/font_preview.png, scale 4, a prompt line, pangrams
       and every printable byte). Standard library only (zlib, struct).
"""
import argparse
import os
import re
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FONT_C = os.path.join(ROOT, "drivers", "font_8x16.c")
WIDTH, HEIGHT = 8, 16
FIRST, LAST = 0x20, 0x7E
HEADER_RE = re.compile(r"/\* (?:0x([0-9a-fA-F]{2}) '.' |replacement )\*/")
ROW_RE = re.compile(r"0x([0-9a-fA-F]{2}),\s*/\* ([#.]{8}) \*/")

BACKGROUND = (0, 0, 0)
TEXT = (0xAA, 0xAA, 0xAA)      # the text console's default colour
GRID = (0x30, 0x30, 0x60)      # cell outlines in the glyph table
CURSOR_ROWS = (0x18, 0x18, 0x18)
SAMPLES = [
    "pagoda> echo Hello, World! 0O1lI|{}[]()",
    "The quick brown fox jumps over the lazy dog.",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG?",
    "if (a[i] <= b->c && *p != '\\0') { x = ~y ^ z % 2; }",
    "`~!@#$%^&*_+-=;:\",.<>/ 0123456789 gjpqy",
]


def parse(path):
    """({byte or 'replacement': [16 ints]}, [error lines]) from the C file."""
    with open(path, encoding="utf-8") as f:
        return parse_text(f.read())


def parse_text(text):
    """parse() on the file's text: a picture disagreeing with its byte is an error."""
    glyphs, errors = {}, []
    headers = list(HEADER_RE.finditer(text))
    for i, h in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        key = int(h.group(1), 16) if h.group(1) else "replacement"
        rows = ROW_RE.findall(text[h.end():end])[:HEIGHT]
        if len(rows) != HEIGHT:
            errors.append("%s: %d rows, want %d" % (name_of(key), len(rows), HEIGHT))
            continue
        for n, (hexbyte, art) in enumerate(rows):
            drawn = int(art.replace("#", "1").replace(".", "0"), 2)
            if drawn != int(hexbyte, 16):
                errors.append("%s row %d: 0x%s but the picture is 0x%02x"
                              % (name_of(key), n, hexbyte, drawn))
        glyphs[key] = [int(b, 16) for b, _ in rows]
    for key in list(range(FIRST, LAST + 1)) + ["replacement"]:
        if key not in glyphs:
            errors.append("%s: missing" % name_of(key))
    return glyphs, errors


def name_of(key):
    """A glyph's name for messages: 0x41 'A', or replacement."""
    return "replacement" if key == "replacement" else "0x%02x %r" % (key, chr(key))


class Canvas:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = [bytearray(BACKGROUND * width) for _ in range(height)]

    def fill(self, x, y, w, h, colour):
        for yy in range(max(0, y), min(self.height, y + h)):
            row = self.pixels[yy]
            for xx in range(max(0, x), min(self.width, x + w)):
                row[3 * xx:3 * xx + 3] = bytes(colour)

    def glyph(self, rows, x, y, scale, colour=TEXT):
        for r, bits in enumerate(rows):
            for c in range(WIDTH):
                if bits & (0x80 >> c):
                    self.fill(x + c * scale, y + r * scale, scale, scale, colour)

    def text(self, glyphs, s, x, y, scale, colour=TEXT):
        for i, ch in enumerate(s):
            key = ord(ch) if FIRST <= ord(ch) <= LAST else "replacement"
            self.glyph(glyphs[key], x + i * WIDTH * scale, y, scale, colour)

    def png(self):
        raw = b"".join(b"\x00" + bytes(row) for row in self.pixels)

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        return (b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def render(glyphs, samples, scale):
    keys = list(range(FIRST, LAST + 1)) + ["replacement"]
    per_row, cell_w, cell_h = 16, WIDTH * scale + 1, HEIGHT * scale + 1
    table_rows = (len(keys) + per_row - 1) // per_row
    longest = max(len(s) for s in samples) + 1
    margin = 8
    width = max(per_row * cell_w + 1, longest * WIDTH * 2) + 2 * margin
    height = (margin + table_rows * cell_h + 1 + margin + len(samples) * HEIGHT * 2
              + margin + len(samples) * HEIGHT + margin)
    canvas = Canvas(width, height)
    y0 = margin
    canvas.fill(margin, y0, per_row * cell_w + 1, table_rows * cell_h + 1, GRID)
    for i, key in enumerate(keys):
        x = margin + 1 + (i % per_row) * cell_w
        y = y0 + 1 + (i // per_row) * cell_h
        canvas.fill(x, y, WIDTH * scale, HEIGHT * scale, BACKGROUND)
        canvas.fill(x, y + 14 * scale, WIDTH * scale, 2 * scale, CURSOR_ROWS)
        canvas.glyph(glyphs[key], x, y, scale)
    y = y0 + table_rows * cell_h + 1 + margin
    for sc in (2, 1):
        for n, s in enumerate(samples):
            canvas.text(glyphs, s, margin, y, sc)
            if n == 0:  # the cursor after the prompt line, as fbcon draws it
                canvas.fill(margin + len(s) * WIDTH * sc, y + 14 * sc, WIDTH * sc, 2 * sc, TEXT)
            y += HEIGHT * sc
        y += margin
    return canvas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=os.path.join(ROOT, "build", "font_preview.png"))
    parser.add_argument("--scale", type=int, default=4, help="size of the glyph table's pixels")
    parser.add_argument("--text", action="append", help="a sample line (repeatable)")
    parser.add_argument("--font", default=FONT_C, help="the C file to read")
    args = parser.parse_args()
    glyphs, errors = parse(args.font)
    for e in errors:
        print("font_preview: " + e, file=sys.stderr)
    if any(k not in glyphs for k in list(range(FIRST, LAST + 1)) + ["replacement"]):
        return 1
    samples = args.text or SAMPLES + ["".join(chr(c) for c in range(FIRST, LAST + 1))[:48],
                                      "".join(chr(c) for c in range(FIRST, LAST + 1))[48:]]
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "wb") as f:
        f.write(render(glyphs, samples, max(1, args.scale)).png())
    print("font_preview: wrote %s" % args.output)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
