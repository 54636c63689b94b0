#!/usr/bin/python3
"""Writes test images with the standard library only.

  make_image.py png W H OUT        a valid RGB PNG with a gradient
  make_image.py huge-header W H OUT a PNG with only signature + IHDR (W x H)
  make_image.py corrupt OUT        a PNG whose pixel data is garbage
  make_image.py b64 IN             prints IN as base64 (one line)
"""
import base64
import struct
import sys
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def ihdr(w, h):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))


SIG = b"\x89PNG\r\n\x1a\n"


def png(w, h):
    rows = bytearray()
    for y in range(h):
        rows.append(0)  # filter: none
        for x in range(w):
            rows += bytes(((x * 255) // max(w - 1, 1), (y * 255) // max(h - 1, 1), 128))
    return SIG + ihdr(w, h) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")


def main(argv):
    cmd = argv[1]
    if cmd == "png":
        data = png(int(argv[2]), int(argv[3]))
        out = argv[4]
    elif cmd == "huge-header":
        data = SIG + ihdr(int(argv[2]), int(argv[3]))
        out = argv[4]
    elif cmd == "corrupt":
        data = SIG + ihdr(32, 32) + chunk(b"IDAT", b"this is not zlib data") + chunk(b"IEND", b"")
        out = argv[2]
    elif cmd == "b64":
        with open(argv[2], "rb") as f:
            sys.stdout.write(base64.b64encode(f.read()).decode())
        return 0
    else:
        sys.stderr.write(__doc__)
        return 2
    with open(out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
