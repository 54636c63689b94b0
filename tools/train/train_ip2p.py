#!/usr/bin/env python3
"""Stage 2: CLIP-layout text encoder + InstructPix2Pix U-Net, trained jointly
on the noise-prediction objective, with the frozen stage-1 VAE.

U-Net input = concat(noisy target latent, source image latent), in that
order, as engine/pipeline/edit_pipeline.c builds it; the source latent is the
unscaled posterior mean (IP2P's c_concat), the target latent is scaled by the
bundle's scale_factor (measured here: 1 / std of the VAE's latents)."""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from i2itrain import checkpoint, cli, configs, from_bundle, photos, schedule  # noqa: E402
from i2itrain import ip2p_batch, latent_pool  # noqa: E402
from i2itrain.clip_text import CLIPTextModel  # noqa: E402
from i2itrain.ema import Ema  # noqa: E402
from i2itrain.tokenizer import Tokenizer  # noqa: E402
from i2itrain.unet import UNetModel  # noqa: E402
from i2itrain.vae import AutoencoderKL  # noqa: E402

VOCAB = os.path.join(cli.REPO, "assets", "bpe_simple_vocab_16e6.txt.gz")


class Ip2p(torch.nn.Module):
    """The two trained networks, so one optimiser and one EMA cover both."""

    def __init__(self):
        super().__init__()
        self.unet = UNetModel(configs.UNET)
        self.text = CLIPTextModel(configs.CLIP)

    def forward(self, x_t, t, ids):
        return self.unet(x_t, t, self.text(ids))


def load_vae(run_dir, device):
    vae = AutoencoderKL(configs.VAE)
    vae.load_state_dict(checkpoint.load(os.path.join(run_dir, "vae.pt"))["model"])
    return vae.to(device).eval().requires_grad_(False)


def measure_scale(pool):
    """1 / std of the pool's target latents (SD's 0.18215 was found the same
    way for its VAE), so the diffusion runs on unit-variance latents."""
    return float(1.0 / pool["tgt"].std())


def loss_weight(t, abar, max_weight):
    """Per-sample weight clamp(1/SNR, 1, max_weight) on the epsilon MSE.

    Why: an epsilon error e at step t is an x0 error e * sqrt(1/SNR_t), 14.6x
    at t = 999. The plain epsilon loss therefore hardly teaches the high-noise
    steps, where sampling starts and decides the edit's colours and layout;
    the first run (5000 steps, plain loss) predicted x0 at t = 900 with an MSE
    of 1.5 against the target's variance of 1. 1/SNR between 1 and max_weight
    moves the weighting towards x0 space where the steps need it, capped so
    t near 999 (1/SNR ~ 200) does not dominate."""
    a = abar.to(t.device)[t]
    return ((1 - a) / a).clamp(1.0, max_weight)


def sample_t(n, gen, high_frac, high_from):
    """Uniform t, except a high_frac share drawn from [high_from, 999]: the
    steps sampling starts with, which the uniform draw visits least per unit
    of difficulty (see loss_weight)."""
    t = torch.randint(schedule.STEPS, (n,), generator=gen)
    high = torch.randint(high_from, schedule.STEPS, (n,), generator=gen)
    return torch.where(torch.rand(n, generator=gen) < high_frac, high, t)


def loss_on(model, batch, scale, abar, device, gen, max_weight=1.0, high_frac=0.0,
            high_from=700):
    c_img, z0, ids = (b.to(device) for b in batch)
    z0 = z0 * scale
    noise = torch.randn(z0.shape, generator=gen).to(device)
    t = sample_t(z0.shape[0], gen, high_frac, high_from).to(device)
    x_t = schedule.add_noise(z0, noise, t, abar)
    err = (model(torch.cat([x_t, c_img], dim=1), t, ids) - noise).pow(2).mean(dim=(1, 2, 3))
    w = loss_weight(t, abar, max_weight)
    return (w * err).sum() / w.sum(), err.mean()


def next_batch(pool, large, tok, args, step, gen):
    """A batch from the pool, or every --large-every steps a half batch from
    the large pool. Why: the tiny bundle works at 256 px (32x32 latents), so
    the U-Net must not learn only the 8x8 latents of 64 px crops; half
    batches keep a large step at about twice a small one's cost."""
    if large is not None and step % args.large_every == args.large_every - 1:
        return ip2p_batch.make(large, tok, max(1, args.batch // 2), gen)
    return ip2p_batch.make(pool, tok, args.batch, gen)


def main():
    p = cli.parser(__doc__)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--pool", type=int, default=800, help="crops in the latent pool")
    p.add_argument("--large-pool", type=int, default=0,
                   help="crops in a second pool at --large-size (0: none)")
    p.add_argument("--large-size", type=int, default=128)
    p.add_argument("--large-every", type=int, default=5,
                   help="every N-th step trains on a half batch from the large pool")
    p.add_argument("--max-weight", type=float, default=20.0,
                   help="cap of the clamp(1/SNR, 1, cap) loss weight; 1 = plain epsilon MSE")
    p.add_argument("--high-t-frac", type=float, default=0.0,
                   help="share of samples with t drawn from [--high-t-from, 999]")
    p.add_argument("--high-t-from", type=int, default=700)
    p.add_argument("--init-bundle",
                   help="start text encoder + U-Net from this bundle (no checkpoint needed; run "
                        "train_vae.py --init-bundle first for runs/vae.pt)")
    args = p.parse_args()
    cli.setup(args)
    ckpt = os.path.join(args.run_dir, "ip2p.pt")
    train = photos.load_training(args.data_root)
    log = open(os.path.join(args.run_dir, "ip2p.log"), "a")
    vae = load_vae(args.run_dir, args.device)
    pool = latent_pool.load_or_build(os.path.join(args.run_dir, "pool.pt"), vae, train, args.pool,
                                     args.size, args.seed + 1, args.device, log)
    large = None
    if args.large_pool:
        large = latent_pool.load_or_build(os.path.join(args.run_dir, "pool_large.pt"), vae, train,
                                          args.large_pool, args.large_size, args.seed + 2,
                                          args.device, log)
    del vae
    model = Ip2p().to(args.device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    gen, step = torch.Generator().manual_seed(args.seed), 0
    scale = measure_scale(pool)
    if args.init_bundle:
        from_bundle.load_ip2p(model, from_bundle.tensors(args.init_bundle))
        scale = from_bundle.scale_factor(args.init_bundle)  # the latent space it was trained in
    ema = Ema(model, args.ema)
    if args.resume and os.path.exists(ckpt) and not args.init_bundle:
        s = checkpoint.load(ckpt)
        model.load_state_dict(s["model"]), ema.model.load_state_dict(s["ema"])
        opt.load_state_dict(s["opt"]), gen.set_state(s["gen"]), torch.set_rng_state(s["rng"])
        step, scale = s["step"], s["scale_factor"]
    tok, abar = Tokenizer(VOCAB), schedule.alphas_cumprod()
    clock = checkpoint.Clock(args.time_budget, args.save_every)
    print(json.dumps({"start_step": step, "scale_factor": scale, "max_weight": args.max_weight,
                      "high_t_frac": args.high_t_frac, "high_t_from": args.high_t_from}),
          file=log, flush=True)

    def save():
        checkpoint.save(ckpt, model=model.state_dict(), ema=ema.model.state_dict(),
                        opt=opt.state_dict(), gen=gen.get_state(), rng=torch.get_rng_state(),
                        step=step, scale_factor=scale)

    total, plain_total, count = 0.0, 0.0, 0
    while not clock.over():
        batch = next_batch(pool, large, tok, args, step, gen)
        loss, plain = loss_on(model, batch, scale, abar, args.device, gen, args.max_weight,
                              args.high_t_frac, args.high_t_from)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model, step)
        step += 1
        total, plain_total, count = total + loss.item(), plain_total + plain.item(), count + 1
        if step % args.log_every == 0:
            print(json.dumps({"step": step, "min": round(clock.elapsed() / 60, 2),
                              "loss": total / count, "mse": plain_total / count}),
                  file=log, flush=True)
            total, plain_total, count = 0.0, 0.0, 0
        if clock.save_due():
            save()
    save()


if __name__ == "__main__":
    main()
