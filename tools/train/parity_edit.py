#!/usr/bin/env python3
"""A whole edit, C engine against PyTorch, on an exported bundle: the same
photo (a square crop at the bundle's working resolution, so neither side
resamples or pads), the same prompt, the same initial noise (the engine's
seeded generator, engine/sampling/rng.c, reimplemented below), full depth,
DDIM eta 0 on the gamma schedule (DESIGN.md 1.3) with three-way guidance.
Prints the PSNR of the C output against PyTorch's per prompt; exits 1 below
--min-psnr. parity.py checks single network calls; this checks that they
add up to the same picture after every step's rounding differences."""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from i2itrain import cli, from_bundle, schedule  # noqa: E402
from i2itrain.tokenizer import Tokenizer  # noqa: E402
from parity import load_bundle_models  # noqa: E402
from train_ip2p import VOCAB  # noqa: E402

M64 = (1 << 64) - 1


class EngineRng:
    """xoshiro256** seeded by splitmix64, normals by Marsaglia's polar
    method in double (rng.c); Python floats are IEEE doubles, so the draws
    are the engine's, bit for bit."""

    def __init__(self, seed):
        self.s, sm = [], seed & M64
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & M64
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))
        self.spare = None

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def next_u64(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next_u64() >> 11) * 2.0 ** -53

    @staticmethod
    def log(x):
        """rng.c's i2i_rng_log: frexp, the atanh series, ln 2 in two parts."""
        m, e = math.frexp(x)
        if m < 0.70710678118654752440:
            m, e = m * 2.0, e - 1
        s = (m - 1.0) / (m + 1.0)
        s2, acc = s * s, 0.0
        for k in range(25, 2, -2):
            acc = (acc + 1.0 / k) * s2
        log_m = 2.0 * (s + s * acc)
        return e * 6.93147180369123816490e-01 + (log_m + e * 1.90821492927058770002e-10)

    def normals(self, n):
        out = []
        while len(out) < n:
            if self.spare is not None:
                out.append(self.spare)
                self.spare = None
                continue
            while True:
                u, v = 2.0 * self.uniform() - 1.0, 2.0 * self.uniform() - 1.0
                s = u * u + v * v
                if 0.0 < s < 1.0:
                    break
            f = (-2.0 * self.log(s) / s) ** 0.5
            out.append(u * f)
            self.spare = v * f
        return np.array(out, dtype=np.float32)


def gamma_timesteps(n, gamma, T=999, c=30):
    """DESIGN.md 1.3, in float32 like the engine."""
    s = np.linspace(0, T, n, dtype=np.float32)
    if gamma >= 1:
        u = s / np.float32(T + c * (gamma - 1))
    else:
        p = 1.0 / gamma
        u = (s + np.float32(c * (p - 1))) / np.float32(T + c * (p - 1))
    return [int(T * min(max(float(v), 0.0), 1.0)) for v in np.power(u, np.float32(gamma))][::-1]


@torch.no_grad()
def torch_edit(model, vae, scale, pixels, ids, empty, seed, steps, gamma, s_text, s_image):
    abar = schedule.alphas_cumprod()
    c = vae.posterior(pixels)[0]
    ctx = model.text(torch.cat([ids, empty, empty]))
    c3 = torch.cat([c, c, torch.zeros_like(c)])
    x = torch.from_numpy(EngineRng(seed).normals(c.numel())).view(c.shape)
    ts = gamma_timesteps(steps, gamma)
    for i, t in enumerate(ts):
        e = model.unet(torch.cat([x.repeat(3, 1, 1, 1), c3], 1), torch.full((3,), float(t)), ctx)
        e_it, e_i, e_0 = e.chunk(3)
        eps = e_0 + s_text * (e_it - e_i) + s_image * (e_i - e_0)
        a = abar[t].double()
        x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
        if i + 1 == len(ts):
            x = x0
        else:
            a1 = abar[ts[i + 1]].double()
            x = (a1.sqrt() * x0 + (1 - a1).sqrt() * eps).float()
    y = vae.decode(x.float() / scale).clamp(-1, 1)
    return ((y[0].permute(1, 2, 0).numpy() + 1) * 127.5).round().astype(np.uint8)


def psnr(a, b):
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean()
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bundle", default=os.path.join(cli.REPO, "models", "ip2p-tiny"))
    p.add_argument("--i2i", default=os.path.join(cli.REPO, "build", "i2i"))
    p.add_argument("--photo", default=os.path.join(cli.REPO, "tests", "data", "heldout",
                                                   "chelsea.jpg"))
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--gamma", type=float, default=1 / 1.8)
    p.add_argument("--min-psnr", type=float, default=40.0)
    args = p.parse_args()
    torch.set_num_threads(1)
    model, vae = load_bundle_models(args.bundle)
    scale = from_bundle.scale_factor(args.bundle)
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        side = int(json.load(f)["resolution"])
    img = Image.open(args.photo).convert("RGB")
    w, h = img.size
    img = img.resize((round(w * side / min(w, h)), round(h * side / min(w, h))), Image.LANCZOS)
    img = img.crop((0, 0, side, side))
    tok = Tokenizer(VOCAB)
    worst = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.png")
        img.save(src)
        pixels = torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)
        for prompt in ("make the photo black and white", "give the photo a sepia filter"):
            out = os.path.join(tmp, "c.png")
            subprocess.run([args.i2i, "run", "edit", "--bundle", args.bundle, "--image", src,
                            "--prompt", prompt, "--out", out, "--depth", "13", "--steps",
                            str(args.steps), "--gamma", repr(args.gamma), "--seed", "0",
                            "--threads", "1"], check=True, stdout=subprocess.DEVNULL)
            ref = torch_edit(model, vae, scale, pixels[None], torch.tensor([tok(prompt)]),
                             torch.tensor([tok("")]), 0, args.steps, args.gamma, 7.5, 1.0)
            got = np.asarray(Image.open(out).convert("RGB"))
            v = psnr(got, ref)
            worst = min(worst, v)
            print(f"{prompt!r}: C vs PyTorch PSNR {v:.2f} dB, max |diff| "
                  f"{int(np.abs(got.astype(int) - ref.astype(int)).max())} / 255")
    sys.exit(0 if worst >= args.min_psnr else 1)


if __name__ == "__main__":
    main()
