#!/usr/bin/env python3
"""Export the trained VAE (stage 1) and the EMA text encoder + U-Net
(stage 2) as an i2i bundle: manifest.json + model.safetensors (fp16)."""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from i2itrain import bundle, checkpoint, cli  # noqa: E402
from train_ip2p import Ip2p, load_vae  # noqa: E402


def load_trained(run_dir, use_ema=True):
    """(vae, Ip2p model, scale_factor, step) from a run directory."""
    s = checkpoint.load(os.path.join(run_dir, "ip2p.pt"))
    model = Ip2p()
    model.load_state_dict(s["ema" if use_ema else "model"])
    return load_vae(run_dir, "cpu"), model.eval(), s["scale_factor"], s["step"]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run-dir", default=os.path.join(cli.HERE, "runs"))
    p.add_argument("--out", default=os.path.join(cli.REPO, "models", "ip2p-tiny"))
    p.add_argument("--no-ema", action="store_true", help="export the last step, not the EMA")
    p.add_argument("--fp32", action="store_true", help="store F32 (default F16)")
    args = p.parse_args()
    vae, model, scale, step = load_trained(args.run_dir, not args.no_ema)
    desc = (f"tiny InstructPix2Pix trained by tools/train ({step} steps) on exact edits of "
            "permissively licensed photos and procedural scenes; see tools/train/README.md")
    bundle.write(args.out, model.unet, vae, model.text, scale, desc,
                 torch.float32 if args.fp32 else torch.float16, {"train_steps": step})
    print(f"wrote {args.out} (scale_factor {scale:.5f}, step {step})")


if __name__ == "__main__":
    main()
