#!/usr/bin/env python3
"""PSNR (dB, 8-bit peak 255) of image B against image A, plus max and mean
absolute difference: how far a bf16 job's result lies from the fp32 one."""
import sys

import numpy as np
from PIL import Image


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: psnr.py A.png B.png")
    a, b = (np.asarray(Image.open(p).convert("RGB"), dtype=np.float64) for p in sys.argv[1:])
    if a.shape != b.shape:
        sys.exit(f"psnr.py: sizes differ: {a.shape} vs {b.shape}")
    d = a - b
    mse = float(np.mean(d * d))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
    print(f"PSNR {psnr:.2f} dB  max |diff| {np.abs(d).max():.0f}  mean |diff| {np.abs(d).mean():.3f}"
          f"  ({a.shape[1]}x{a.shape[0]})")


if __name__ == "__main__":
    main()
