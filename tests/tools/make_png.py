#!/usr/bin/env python3
"""Writes test PNGs with the standard library only.

    make_png.py OUT.png WIDTH HEIGHT [--pattern gradient|noise] [--seed S]
    make_png.py OUT.png WIDTH HEIGHT --header-only   # a valid IHDR, no pixel data
"""
import random
import struct
import sys
import zlib


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def rows(w: int, h: int, pattern: str, seed: int):
    rnd = random.Random(seed)
    for y in range(h):
        if pattern == "noise":
            yield b"\x00" + bytes(rnd.randrange(256) for _ in range(3 * w))
        else:
            yield b"\x00" + bytes(v for x in range(w)
                                  for v in ((x * 255) // max(1, w - 1), (y * 255) // max(1, h - 1),
                                            (x + y + seed) % 256))


def main(argv):
    out, w, h = argv[1], int(argv[2]), int(argv[3])
    opts = argv[4:]
    pattern = opts[opts.index("--pattern") + 1] if "--pattern" in opts else "gradient"
    seed = int(opts[opts.index("--seed") + 1]) if "--seed" in opts else 0
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png = b"\x89PNG\r\n\x1a\n" + ihdr
    if "--header-only" not in opts:
        comp = zlib.compressobj(6)
        data = b"".join(comp.compress(r) for r in rows(w, h, pattern, seed)) + comp.flush()
        png += chunk(b"IDAT", data) + chunk(b"IEND", b"")
    with open(out, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main(sys.argv)
