"""A fixed pool of encoded training examples: for each random crop, the VAE
posterior mean of the crop and of every edit of it.

Why: on one CPU core the frozen VAE's encoder costs ~3x the U-Net step it
feeds, so encoding once and sampling (crop, edit) pairs from the pool makes
stage 2 about 3x faster. A later run on more compute can build a bigger
pool (--pool)."""
import json
import os
import time

import torch

from . import edits, photos


@torch.no_grad()
def encode_mean(vae, x, device):
    return vae.posterior(x.to(device) * 2 - 1)[0].cpu()


@torch.no_grad()
def build(vae, train_photos, n, size, seed, device, log, chunk=16):
    """{"src": [n, 4, h, w], "tgt": [n, E, 4, h, w]} unscaled latent means."""
    gen = torch.Generator().manual_seed(seed)
    src, tgt, t0 = [], [], time.time()
    for start in range(0, n, chunk):
        x = photos.random_crops(train_photos, min(chunk, n - start), size, gen)
        src.append(encode_mean(vae, x, device))
        outs = [encode_mean(vae, edits.apply(name, x).clamp(0, 1), device) for name in edits.NAMES]
        tgt.append(torch.stack(outs, dim=1))
        print(json.dumps({"pool": start + x.shape[0], "of": n,
                          "min": round((time.time() - t0) / 60, 2)}), file=log, flush=True)
    return {"src": torch.cat(src), "tgt": torch.cat(tgt), "edits": list(edits.NAMES),
            "seed": seed}


def load_or_build(path, vae, train_photos, n, size, seed, device, log):
    if os.path.exists(path):
        pool = torch.load(path)
        if pool["src"].shape[0] == n and pool["edits"] == list(edits.NAMES):
            return pool
    pool = build(vae, train_photos, n, size, seed, device, log)
    torch.save(pool, path)
    return pool
