"""Prints unet_bench's and torch_unet_bench's JSON side by side with the
ratio ours/torch (median and best wall time per call).

    python3 bench/compare.py OURS.json [TORCH.json]
"""

import json
import sys


def load(path):
    with open(path) as f:
        doc = json.load(f)
    return doc, {(r["size"], r["depth"]): r for r in doc["runs"]}


def main():
    ours_doc, ours = load(sys.argv[1])
    torch_doc, theirs = load(sys.argv[2]) if len(sys.argv) > 2 else (None, {})
    print(f"\nU-Net call, batch 1, {ours_doc['config']}, {ours_doc['precision']}, "
          f"{ours_doc['threads']} thread(s); wall seconds per call (median / best of n)")
    print(f"{'latent':>7} {'depth':>5} {'i2i median':>11} {'best':>7} {'torch median':>13} "
          f"{'best':>7} {'ratio median':>13} {'ratio best':>11}")
    for key in sorted(ours, key=lambda k: (k[0], -k[1])):
        o, t = ours[key], theirs.get(key)
        cells = f"{key[0]:>4}x{key[0]:<2} D{key[1]:02d}   {o['median_wall_s']:9.3f} {o['min_wall_s']:7.3f}"
        if t:
            cells += (f" {t['median_wall_s']:13.3f} {t['min_wall_s']:7.3f}"
                      f" {o['median_wall_s'] / t['median_wall_s']:12.2f}x"
                      f" {o['min_wall_s'] / t['min_wall_s']:10.2f}x")
        else:
            cells += f" {'(no baseline)':>13}"
        print(cells)


if __name__ == "__main__":
    main()
