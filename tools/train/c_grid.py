#!/usr/bin/env python3
"""One PNG of c_examples.sh's outputs: a row per held-out photo, the input
then the output for each prompt of prompts.txt, every tile 128 px."""
import argparse
import glob
import os

from PIL import Image

TILE = 128


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dir", nargs="?", default="/tmp/train_examples")
    p.add_argument("--photos", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "..", "..", "tests", "data", "heldout"))
    args = p.parse_args()
    n = sum(1 for _ in open(os.path.join(args.dir, "prompts.txt")))
    inputs = sorted(glob.glob(os.path.join(args.photos, "*.jpg")))
    grid = Image.new("RGB", (TILE * (n + 1), TILE * len(inputs)))
    for r, path in enumerate(inputs):
        name = os.path.splitext(os.path.basename(path))[0]
        tiles = [path] + [os.path.join(args.dir, f"{name}_{k}.png") for k in range(1, n + 1)]
        for c, tile in enumerate(tiles):
            grid.paste(Image.open(tile).convert("RGB").resize((TILE, TILE)), (c * TILE, r * TILE))
    out = os.path.join(args.dir, "grid.png")
    grid.save(out)
    print(out)


if __name__ == "__main__":
    main()
