#!/usr/bin/python3
"""Writes the canny fixtures in tests/data/canny/ with OpenCV, the reference the C port must
equal bit for bit (engine/image/canny.c). CI does not run this; its outputs are committed.

    /usr/bin/python3 tests/tools/make_canny_fixtures.py [OUT_DIR]   # needs python3-opencv

Each input is an RGB PNG; each expected edge map is a grey 0/255 PNG equal to
cv2.Canny(rgb, low, high) (aperture 3, L1 gradient), called exactly as ControlNet's annotator
calls it: on the image in R,G,B channel order. cv2.imwrite/imread speak B,G,R, so the script
flips on write, flips back on read, and runs Canny on what it read back, i.e. on the exact
bytes the C test will decode. index.json lists (input, edges, low, high, edge_pixels).
"""
import json
import os
import sys

import cv2
import numpy as np

# Threshold pairs: ControlNet's default, a lower pair, both thresholds equal, everything > 0
# (every local maximum is an edge), a wide pair where hysteresis decides most pixels, and one
# near the largest attainable L1 magnitude 6*255.
PAIRS = [(100, 200), (50, 150), (200, 200), (0, 0), (30, 600), (1500, 1529)]


def texture(rng, w, h):
    """Smooth per-channel gradients plus noise: many weak and strong edges, all directions."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 4.0)
    g = 255 * x / max(1, w - 1)
    b = 128 + 120 * np.sin((x + y) / 2.5)
    img = np.stack([r, g, b], -1) + rng.normal(0, 25, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def thin_lines(w, h):
    """1-pixel lines, each in one channel only (so per-channel maxima decide), plus a
    saturated 45-degree step whose L1 magnitude reaches the maximum 6*255 = 1530."""
    img = np.full((h, w, 3), 40, np.uint8)
    img[5, :, 0] = 255                      # red horizontal line
    img[:, 7, 2] = 230                      # blue vertical line
    for i in range(min(w, h)):
        img[i, i, 1] = 200                  # green diagonal
        if w - 1 - i >= 0:
            img[i, w - 1 - i] = (90, 90, 250)  # anti-diagonal, mixed channels
    yy, xx = np.mgrid[0:h, 0:w]
    corner = (yy >= h - 8) & (xx >= w - 8)
    img[corner] = 0                                  # black corner with a white triangle:
    img[corner & (xx + yy >= w + h - 8)] = 255       # a full-contrast 45-degree step
    return img


def step_corners(w, h):
    """Black/white quadrants and a small white square: full-contrast steps in all three
    channels at once, so every pixel is a three-way tie between channels."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2, w // 2:] = 255
    img[h // 2:, : w // 2] = 255
    img[h // 2 + 2:h // 2 + 4, w // 2 + 2:w // 2 + 4] = 255
    return img


def ties(seed, w, h):
    """Channels of 0 or 128 only: equal magnitudes in different channels with different
    directions are common, so the R-before-G-before-B tie rule decides many pixels."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 2, (h, w, 3)) * 128).astype(np.uint8)


def check_tie_rule(rgb):
    """The ties image is only useful if every other channel order gives other edges."""
    want = cv2.Canny(rgb, 100, 200)
    for perm in ((0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)):
        if np.array_equal(cv2.Canny(np.ascontiguousarray(rgb[:, :, perm]), 100, 200), want):
            raise SystemExit(f"ties image: channel order {perm} gives the same edges")


def images():
    rng = np.random.default_rng(20240611)
    return {
        "texture_37x23": texture(rng, 37, 23),
        "noise_16x9": rng.integers(0, 256, (9, 16, 3), dtype=np.uint8),
        "lines_29x31": thin_lines(29, 31),
        "steps_12x10": step_corners(12, 10),
        "row_5x1": np.array([[[0, 0, 0], [10, 250, 0], [255, 255, 255], [0, 30, 0],
                              [255, 0, 255]]], np.uint8),
        "col_1x5": np.array([[[0, 0, 0]], [[200, 10, 0]], [[255, 255, 255]], [[0, 60, 0]],
                             [[0, 0, 255]]], np.uint8),
        "flat_8x6": np.full((6, 8, 3), (120, 60, 200), np.uint8),
        "ties_24x16": ties(192, 24, 16),  # seed picked so that each channel order differs
    }


def write_rgb(path, rgb):
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[:, :, ::-1]),
                       [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise SystemExit(f"cannot write {path}")
    back = cv2.imread(path, cv2.IMREAD_COLOR)[:, :, ::-1]   # BGR -> RGB again
    if not np.array_equal(back, rgb):
        raise SystemExit(f"{path}: PNG round trip changed the pixels")
    return np.ascontiguousarray(back)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    out = argv[1] if len(argv) > 1 else os.path.join(here, "..", "data", "canny")
    os.makedirs(out, exist_ok=True)
    cases = []
    for name, img in images().items():
        rgb = write_rgb(os.path.join(out, name + ".png"), img)
        if name.startswith("ties"):
            check_tie_rule(rgb)
        for low, high in PAIRS:
            edges = cv2.Canny(rgb, low, high)            # defaults: apertureSize 3, L1
            # OpenCV swaps low > high; the C API refuses it, so only low <= high is listed.
            assert np.array_equal(cv2.Canny(rgb, high, low), edges)
            file = f"{name}_{low}_{high}.png"
            if not cv2.imwrite(os.path.join(out, file), edges, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
                raise SystemExit(f"cannot write {file}")
            cases.append({"input": name + ".png", "edges": file, "low": low, "high": high,
                          "edge_pixels": int(np.count_nonzero(edges))})
    index = {"generator": f"tests/tools/make_canny_fixtures.py, OpenCV {cv2.__version__}",
             "call": "cv2.Canny(rgb, low, high), apertureSize 3, L2gradient false",
             "cases": cases}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    for c in cases:
        print(f"{c['edges']:28s} {c['edge_pixels']:4d} edge pixels")


if __name__ == "__main__":
    main(sys.argv)
