"""IP2P sampling in PyTorch, mirroring the engine (DESIGN.md 1.2): DDIM with
three-way guidance, rows (I,T), (I,0), (0,0), unconditional image latent =
zeros, unconditional text = "". Used for previews and quality numbers while
training; the engine's own output comes from `i2i run edit`."""
import torch

from . import schedule


def uniform_timesteps(n, T=999):
    """gamma = 1 of DESIGN.md 1.3: trunc(T * i / (n - 1)), largest first."""
    s = torch.linspace(0, T, n, dtype=torch.float32)
    return [int(T * min(max(float(v) / T, 0.0), 1.0)) for v in s][::-1]


@torch.no_grad()
def edit(model, vae, scale, image, ids, empty_ids, steps=20, s_text=7.5, s_image=1.5, seed=0):
    """image [B, 3, H, W] in [-1, 1], ids / empty_ids [B, 77] -> edited [B, 3, H, W]."""
    abar = schedule.alphas_cumprod()
    c = vae.posterior(image)[0]
    b = c.shape[0]
    ctx = model.text(torch.cat([ids, empty_ids, empty_ids]))
    c3 = torch.cat([c, c, torch.zeros_like(c)])
    x = torch.randn(c.shape, generator=torch.Generator().manual_seed(seed))
    ts = uniform_timesteps(steps)
    for i, t in enumerate(ts):
        e = model.unet(torch.cat([x.repeat(3, 1, 1, 1), c3], 1), torch.full((3 * b,), float(t)), ctx)
        e_it, e_i, e_0 = e.chunk(3)
        eps = e_0 + s_text * (e_it - e_i) + s_image * (e_i - e_0)
        a = abar[t]
        x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
        if i + 1 == len(ts):
            x = x0
        else:
            a_next = abar[ts[i + 1]]
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
    return vae.decode(x / scale).clamp(-1, 1)
