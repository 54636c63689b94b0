#!/usr/bin/env python3
"""Stage 1: the KL autoencoder on random photo crops.

Loss: L1 reconstruction of a posterior sample, L1 of its image gradients
(EDGE_WEIGHT: a plain L1 autoencoder this small settles on blurred edges, the
first bundle's main defect) and a small KL term (it keeps the latents bounded;
the bundle's scale_factor then brings them to unit std).

--decoder-only continues a trained VAE with the encoder (and quant_conv)
frozen: the latent space stage 2 was trained in stays exactly the same, so
the decoder can keep improving after (or while) the U-Net trains."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from i2itrain import checkpoint, cli, configs, from_bundle, photos  # noqa: E402
from i2itrain.vae import AutoencoderKL  # noqa: E402

KL_WEIGHT = 1e-5
EDGE_WEIGHT = 1.0


def gradients(x):
    return x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]


def vae_loss(vae, x):
    mean, logvar = vae.posterior(x)
    z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
    y = vae.decode(z)
    rec = (y - x).abs().mean()
    rec = rec + EDGE_WEIGHT * sum((a - b).abs().mean() for a, b in zip(gradients(y), gradients(x)))
    kl = 0.5 * (mean ** 2 + logvar.exp() - 1.0 - logvar).mean()
    return rec, kl


def trainable(vae, decoder_only):
    if not decoder_only:
        return list(vae.parameters())
    vae.encoder.requires_grad_(False), vae.quant_conv.requires_grad_(False)
    return list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())


def main():
    p = cli.parser(__doc__)
    p.add_argument("--init-bundle", help="start from this bundle's VAE (no checkpoint needed)")
    p.add_argument("--decoder-only", action="store_true",
                   help="freeze the encoder (keeps stage 2 valid); needs --resume")
    args = p.parse_args()
    cli.setup(args)
    ckpt = os.path.join(args.run_dir, "vae.pt")
    vae = AutoencoderKL(configs.VAE).to(args.device)
    opt = torch.optim.AdamW(trainable(vae, args.decoder_only), lr=args.lr, weight_decay=0.0)
    gen, step = torch.Generator().manual_seed(args.seed), 0
    if args.init_bundle:
        from_bundle.load_vae(vae, from_bundle.tensors(args.init_bundle))
    elif args.decoder_only and not (args.resume and os.path.exists(ckpt)):
        sys.exit("--decoder-only continues a trained VAE: pass --resume or --init-bundle")
    if args.resume and os.path.exists(ckpt) and not args.init_bundle:
        s = checkpoint.load(ckpt)
        vae.load_state_dict(s["model"])
        if s.get("decoder_only", False) == args.decoder_only:  # same parameter set
            opt.load_state_dict(s["opt"])
        gen.set_state(s["gen"]), torch.set_rng_state(s["rng"])
        step = s["step"]
    train = photos.load_training(args.data_root)
    clock = checkpoint.Clock(args.time_budget, args.save_every)
    log = open(os.path.join(args.run_dir, "vae.log"), "a")

    def save():
        checkpoint.save(ckpt, model=vae.state_dict(), opt=opt.state_dict(), gen=gen.get_state(),
                        rng=torch.get_rng_state(), step=step, config=configs.VAE,
                        decoder_only=args.decoder_only)

    acc = [0.0, 0.0, 0]
    while not clock.over():
        x = photos.random_crops(train, args.batch, args.size, gen).to(args.device) * 2 - 1
        rec, kl = vae_loss(vae, x)
        opt.zero_grad(set_to_none=True)
        (rec + KL_WEIGHT * kl).backward()
        opt.step()
        step += 1
        acc = [acc[0] + rec.item(), acc[1] + kl.item(), acc[2] + 1]
        if step % args.log_every == 0:
            line = {"step": step, "min": round(clock.elapsed() / 60, 2),
                    "l1": acc[0] / acc[2], "kl": acc[1] / acc[2]}
            print(json.dumps(line), file=log, flush=True)
            acc = [0.0, 0.0, 0]
        if clock.save_due():
            save()
    save()


if __name__ == "__main__":
    main()
