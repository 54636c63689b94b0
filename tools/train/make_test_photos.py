#!/usr/bin/env python3
"""Copy the CC0 / public-domain held-out photos into the repo, small (long
side 256 px, JPEG q90, a few tens of kB), for the quality tests in CI (which
has none of the Debian packages)."""
import argparse
import os
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from i2itrain import cli, photos  # noqa: E402

LONG_SIDE = 256


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-root", default=os.path.join(cli.HERE, "data", "pkgs"))
    p.add_argument("--out", default=os.path.join(cli.REPO, "tests", "data", "heldout"))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for pkg, rel in photos.HELD_OUT_REPO:
        img = photos.open_photo(os.path.join(args.data_root, pkg, rel))
        s = LONG_SIDE / max(img.size)
        img = img.resize((round(img.width * s), round(img.height * s)), Image.LANCZOS)
        name = os.path.splitext(os.path.basename(rel))[0] + ".jpg"
        img.save(os.path.join(args.out, name), quality=90)
        print(name, img.size)


if __name__ == "__main__":
    main()
