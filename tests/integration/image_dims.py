#!/usr/bin/python3
"""Prints "FORMAT W H" of an encoded image, read from its own headers with the
standard library only (no PIL): PNG's IHDR, JPEG's start-of-frame segment,
WebP's RIFF container with its VP8 (lossy), VP8L (lossless) or VP8X header.
Exits 1 with a message for anything else or a truncated file.

  image_dims.py FILE
  image_dims.py --b64 FILE   FILE holds the image as base64 text
"""
import base64
import struct
import sys


def png(d):
    if len(d) < 24 or d[12:16] != b"IHDR":
        raise ValueError("PNG without IHDR")
    return struct.unpack(">II", d[16:24])


def jpeg(d):
    i = 2
    while i + 4 <= len(d):
        if d[i] != 0xFF:
            raise ValueError("JPEG marker expected at %d" % i)
        marker = d[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        seg = struct.unpack(">H", d[i + 2:i + 4])[0]
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", d[i + 5:i + 9])
            return w, h
        i += 2 + seg
    raise ValueError("JPEG without a start-of-frame segment")


def webp(d):
    if d[8:12] != b"WEBP" or struct.unpack("<I", d[4:8])[0] + 8 != len(d):
        raise ValueError("RIFF size does not match the file, or not WEBP")
    kind = d[12:16]
    if kind == b"VP8 ":
        if d[23:26] != b"\x9d\x01\x2a":
            raise ValueError("VP8 frame without its start code")
        w, h = struct.unpack("<HH", d[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L":
        b = int.from_bytes(d[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if kind == b"VP8X":
        return int.from_bytes(d[24:27], "little") + 1, int.from_bytes(d[27:30], "little") + 1
    raise ValueError("unknown WebP chunk %r" % kind)


def dims(d):
    if d[:8] == b"\x89PNG\r\n\x1a\n":
        return ("png",) + tuple(png(d))
    if d[:3] == b"\xff\xd8\xff":
        if not d.rstrip(b"\0").endswith(b"\xff\xd9"):
            raise ValueError("JPEG without an end-of-image marker")
        return ("jpeg",) + tuple(jpeg(d))
    if d[:4] == b"RIFF":
        return ("webp",) + tuple(webp(d))
    raise ValueError("not PNG, JPEG or WebP: %r" % d[:16])


def main():
    args = sys.argv[1:]
    b64 = args and args[0] == "--b64"
    data = open(args[-1], "rb").read()
    if b64:
        data = base64.b64decode(data.strip(), validate=True)
    try:
        print(*dims(data))
    except (ValueError, struct.error) as e:
        print("image_dims: %s" % e, file=sys.stderr)
        sys.exit(1)


main()
