#!/usr/bin/env python3
"""Check the C engine against this tool's PyTorch models on an exported
bundle: the same weights (read back from the bundle's fp16 file), the same
inputs, one call each of the text encoder, the U-Net (full depth) and the
VAE encoder/decoder through `i2i eval`. Prints max |diff| and max |diff|
relative to max |reference| per part; exits 1 above --tol."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from i2itrain import cli, configs, from_bundle, safetensors_io  # noqa: E402
from i2itrain.tokenizer import Tokenizer  # noqa: E402
from train_ip2p import VOCAB, Ip2p  # noqa: E402
from i2itrain.vae import AutoencoderKL  # noqa: E402


def load_bundle_models(bundle_dir):
    sd = from_bundle.tensors(bundle_dir)
    model = from_bundle.load_ip2p(Ip2p(), sd)
    vae = from_bundle.load_vae(AutoencoderKL(configs.VAE), sd)
    return model.eval(), vae.eval()


def run_c(i2i, part, weights, inputs, config, tmp):
    cfg_path, out = os.path.join(tmp, part + ".json"), os.path.join(tmp, part + "_out.safetensors")
    with open(cfg_path, "w") as f:
        json.dump(config, f)
    subprocess.run([i2i, "eval", part, "--weights", weights, "--inputs", inputs, "--out", out,
                    "--config", cfg_path], check=True)
    return safetensors_io.load(out)


def compare(name, ref, got):
    diff = (ref - got).abs().max().item()
    rel = diff / max(ref.abs().max().item(), 1e-12)
    print(f"{name:12s} shape {list(ref.shape)}  max|ref| {ref.abs().max().item():.4g}  "
          f"max|diff| {diff:.3g}  relative {rel:.3g}")
    return rel


@torch.no_grad()
def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bundle", default=os.path.join(cli.REPO, "models", "ip2p-tiny"))
    p.add_argument("--i2i", default=os.path.join(cli.REPO, "build", "i2i"))
    p.add_argument("--tol", type=float, default=1e-4)
    args = p.parse_args()
    torch.manual_seed(0)
    model, vae = load_bundle_models(args.bundle)
    weights = os.path.join(args.bundle, "model.safetensors")
    tok = Tokenizer(VOCAB)
    ids = torch.tensor([tok("make it black and white"), tok("")])
    image = torch.rand(2, 3, 64, 64) * 2 - 1
    context = model.text(ids)
    c_img = vae.posterior(image)[0]
    x_t = torch.cat([torch.randn_like(c_img), c_img], dim=1)
    t = torch.tensor([999.0, 412.0])
    rels = []
    with tempfile.TemporaryDirectory() as tmp:
        def io(name, tensors):
            path = os.path.join(tmp, name)
            safetensors_io.save(path, tensors)
            return path
        got = run_c(args.i2i, "clip-text", weights, io("clip.st", {"input_ids": ids.float()}),
                    configs.CLIP, tmp)
        rels.append(compare("clip-text", context, got["last_hidden_state"]))
        got = run_c(args.i2i, "unet", weights,
                    io("unet.st", {"x_t": x_t, "t": t, "context": context}), configs.UNET, tmp)
        rels.append(compare("unet D13", model.unet(x_t, t, context), got["eps"]))
        got = run_c(args.i2i, "vae-encode", weights, io("enc.st", {"image": image}), configs.VAE,
                    tmp)
        rels.append(compare("vae-encode", c_img, got["mean"]))
        got = run_c(args.i2i, "vae-decode", weights, io("dec.st", {"latent": c_img}), configs.VAE,
                    tmp)
        rels.append(compare("vae-decode", vae.decode(c_img), got["decoded"]))
    sys.exit(0 if max(rels) <= args.tol else 1)


if __name__ == "__main__":
    main()
