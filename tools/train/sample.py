#!/usr/bin/env python3
"""Preview and measure a trained run on the held-out photos: every edit with
its held-out (or first trained) paraphrase, PyTorch sampling at full depth. Writes one PNG grid
(per photo: input, then target | output per edit) and prints the mean
absolute error of each output against its exact target at 64 px (0..1),
next to two baselines: the unedited input, and the VAE round trip of the
target."""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from i2itrain import cli, edits, photos, sampling  # noqa: E402
from i2itrain.tokenizer import Tokenizer  # noqa: E402
from export import load_trained  # noqa: E402
from train_ip2p import VOCAB  # noqa: E402


def held_out_inputs(root, size):
    imgs = [F.interpolate(p[None], size=(size, size), mode="bilinear", antialias=True)
            for p in photos.load(photos.HELD_OUT, root)]
    return torch.cat(imgs).clamp(0, 1)


def to_png(rows, path):
    grid = torch.cat([torch.cat(list(r), dim=2) for r in rows], dim=1)  # [3, H*rows, W*cols]
    arr = (grid.permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path)


@torch.no_grad()
def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run-dir", default=os.path.join(cli.HERE, "runs"))
    p.add_argument("--data-root", default=os.path.join(cli.HERE, "data", "pkgs"))
    p.add_argument("--out", default=None, help="PNG grid (default RUN_DIR/samples.png)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--s-text", type=float, default=7.5)
    p.add_argument("--s-image", type=float, default=1.5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--prompts", choices=["held_out", "train"], default="held_out",
                   help="the held-out paraphrase of each edit, or its first trained one")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    vae, model, scale, step = load_trained(args.run_dir)
    tok = Tokenizer(VOCAB)
    x = held_out_inputs(args.data_root, 64)
    n = x.shape[0]
    empty = torch.tensor([tok("")] * n)
    cols, mae, ident, floor = [x], {}, {}, {}
    for name in edits.NAMES:
        table = edits.HELD_OUT_PROMPTS if args.prompts == "held_out" else edits.TRAIN_PROMPTS
        ids = torch.tensor([tok(table[name][0])] * n)
        target = edits.apply(name, x).clamp(0, 1)
        out = (sampling.edit(model, vae, scale, x * 2 - 1, ids, empty, args.steps, args.s_text,
                             args.s_image) + 1) / 2
        mae[name] = round(float((out - target).abs().mean()), 4)
        # baselines: leaving the input as it is, and the VAE's own round trip
        # of the target (the best a latent model of this VAE can do)
        ident[name] = round(float((x - target).abs().mean()), 4)
        recon = (vae.decode(vae.posterior(target * 2 - 1)[0]).clamp(-1, 1) + 1) / 2
        floor[name] = round(float((recon - target).abs().mean()), 4)
        cols += [target, out]
    to_png([[c[i] for c in cols] for i in range(n)], args.out or os.path.join(args.run_dir, "samples.png"))
    def mean(d):
        return round(sum(d.values()) / len(d), 4)
    print(json.dumps({"step": step, "mae_vs_target": mae, "mae_mean": mean(mae),
                      "identity_mae": ident, "identity_mae_mean": mean(ident),
                      "vae_floor_mae": floor, "vae_floor_mae_mean": mean(floor)}))


if __name__ == "__main__":
    main()
