"""Prints unet_bench's and torch_unet_bench's JSON side by side with the
ratio ours/torch (median and best wall time per call), then the peak RSS of
each size's calls (VmHWM, reset before each size, so it is weights + one
call's activations).

    python3 bench/compare.py OURS.json [OURS_BF16.json ...] [TORCH.json]

The file whose "impl" is "torch" is the baseline; every other one is ours.
"""

import json
import sys


def load(path):
    with open(path) as f:
        doc = json.load(f)
    return doc, {(r["size"], r["depth"]): r for r in doc["runs"]}


def time_table(ours_doc, ours, theirs):
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


def peaks_of(doc):
    return {p["size"]: p["peak_rss"] for p in doc.get("peak_rss_per_size", [])}


def rss_table(docs):
    print("\nPeak RSS (GB) per latent size: weights + one call (load peak and weights in brackets)")
    for doc in docs:
        name = f"{doc['impl']} {doc['precision']}"
        cells = " ".join(f"{s}x{s}: {v / 1e9:6.3f}" for s, v in sorted(peaks_of(doc).items()))
        extra = f"load peak {doc.get('load_peak_rss_bytes', -1) / 1e9:.3f}"
        if "weights_bytes" in doc:
            extra += f", weights {doc['weights_bytes'] / 1e9:.3f}"
        print(f"  {name:<12} {cells}   ({extra})")


def main():
    docs = [load(p) for p in sys.argv[1:]]
    torch = next((d for d in docs if d[0]["impl"] == "torch"), (None, {}))
    for doc, runs in docs:
        if doc["impl"] != "torch":
            time_table(doc, runs, torch[1])
    rss_table([d[0] for d in docs])


if __name__ == "__main__":
    main()
