#!/usr/bin/python3
"""Writes the Pillow LANCZOS reference for test_resample.c (Pillow 9.4,
Debian python3-pil): in.png is a 41x29 RGB pattern with gradients, hard
edges and noise; out_WxH.png is Image.resize((W, H), Image.LANCZOS) of it."""
from PIL import Image

W, H = 41, 29
img = Image.new("RGB", (W, H))
seed = 12345
for y in range(H):
    for x in range(W):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        noise = seed >> 24  # 0..127
        r = (x * 255) // (W - 1)
        g = 255 if (x // 5 + y // 4) % 2 else 0  # hard-edged checks
        b = noise * 2 if x > y else (y * 255) // (H - 1)
        img.putpixel((x, y), (r, g, b))
img.save("in.png")
for size in [(16, 11), (97, 67), (41, 13), (20, 29), (7, 5), (1, 1)]:
    img.resize(size, Image.LANCZOS).save("out_%dx%d.png" % size)
