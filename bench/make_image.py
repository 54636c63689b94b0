#!/usr/bin/env python3
"""A deterministic RGB test photo stand-in (gradients, a checkerboard, a
disc): smooth areas and edges, so both colour shifts and ringing show in a
PSNR comparison. usage: make_image.py OUT.png WIDTH HEIGHT"""
import sys

import numpy as np
from PIL import Image


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: make_image.py OUT.png WIDTH HEIGHT")
    w, h = int(sys.argv[2]), int(sys.argv[3])
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), dtype=np.float64)
    img[..., 0] = 255 * x / max(1, w - 1)
    img[..., 1] = 255 * y / max(1, h - 1)
    img[..., 2] = np.where((x // 32 + y // 32) % 2, 200, 40)
    disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(w, h) / 4) ** 2
    img[disc] = (240, 220, 60)
    Image.fromarray(img.astype(np.uint8)).save(sys.argv[1])


if __name__ == "__main__":
    main()
