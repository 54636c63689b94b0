"""The DDPM noise schedule the C engine samples with (engine/sampling/
schedule.c, DESIGN.md 1.2): scaled-linear betas, sqrt(beta) linear from
sqrt(0.00085) to sqrt(0.012) over 1000 steps."""
import torch

STEPS = 1000


def alphas_cumprod():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, STEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).float()


def add_noise(x0, noise, t, abar):
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise."""
    a = abar.to(x0.device)[t].view(-1, 1, 1, 1)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise
