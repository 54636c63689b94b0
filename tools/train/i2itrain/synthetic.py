"""Procedural scenes that join the photos in training.

Why: the permissively licensed photos Debian ships (NOTICE) are few, and
several are textures or grey. Seeded scenes of smooth colour fields and
overlapping shapes add every hue and many asymmetric layouts (what mirror and
upside down must learn to move), and carry no licence at all. They are drawn
once at the photos' size, so the same random crops apply to both."""
import math

import torch
import torch.nn.functional as F


def _smooth_field(h, w, gen, cells=3):
    """A smooth colour background: a random cells x cells grid, upsampled."""
    grid = torch.rand(1, 3, cells, cells, generator=gen)
    return F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=True)[0].clamp(0, 1)


def _shape_mask(h, w, gen):
    """A soft-edged mask of one random disc, box or triangle."""
    ys = torch.arange(h, dtype=torch.float32)[:, None]
    xs = torch.arange(w, dtype=torch.float32)[None, :]
    cy, cx = float(torch.rand((), generator=gen)) * h, float(torch.rand((), generator=gen)) * w
    size = (0.08 + 0.25 * float(torch.rand((), generator=gen))) * min(h, w)
    kind = int(torch.randint(3, (1,), generator=gen))
    if kind == 0:  # disc
        inside = size - ((ys - cy) ** 2 + (xs - cx) ** 2).sqrt()
    elif kind == 1:  # box, its aspect random
        a = 0.4 + 1.2 * float(torch.rand((), generator=gen))
        inside = torch.minimum(size * a - (xs - cx).abs(), size / a - (ys - cy).abs())
    else:  # triangle pointing a random way: three half-planes
        turn = 2 * math.pi * float(torch.rand((), generator=gen))
        inside = torch.full((h, w), float("inf"))
        for k in range(3):
            ang = turn + 2 * math.pi * k / 3
            d = (xs - cx) * math.cos(ang) + (ys - cy) * math.sin(ang)
            inside = torch.minimum(inside, size * 0.5 - d)
    return (inside / 1.5).clamp(0, 1)


def scene(h, w, gen):
    """[3, h, w] in [0, 1]: a background field, 3..9 shapes (flat or
    shaded), a little grain."""
    img = _smooth_field(h, w, gen)
    for _ in range(int(torch.randint(3, 10, (1,), generator=gen))):
        m = _shape_mask(h, w, gen)
        if torch.rand((), generator=gen) < 0.5:
            fill = torch.rand(3, 1, 1, generator=gen).expand(3, h, w)
        else:
            fill = _smooth_field(h, w, gen, cells=2)
        img = img * (1 - m) + fill * m
    img = img + 0.02 * torch.randn(3, h, w, generator=gen)
    return img.clamp(0, 1)


def scenes(n, h, w, seed):
    """n seeded scenes; the same seed gives the same scenes on every run."""
    gen = torch.Generator().manual_seed(seed)
    return [scene(h, w, gen) for _ in range(n)]
