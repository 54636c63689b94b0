"""Small building blocks shared by the VAE and the U-Net.

GroupNorm is computed in float32 like LDM's GroupNorm32 so a later fp16 run
does not change the statistics; the eps values are the ones the C engine
hard-codes (1e-5 in U-Net ResBlocks, 1e-6 in VAE and SpatialTransformer).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

GROUPS = 32


class GroupNorm32(nn.GroupNorm):
    def forward(self, x):
        return super().forward(x.float()).type(x.dtype)


def group_norm(channels, eps):
    return GroupNorm32(GROUPS, channels, eps=eps)


def conv(cin, cout, k=3, stride=1, padding=None):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2 if padding is None else padding)


class Upsample(nn.Module):
    """Nearest 2x then a 3x3 conv: LDM's Upsample, the same in the U-Net and the VAE decoder."""

    def __init__(self, c):
        super().__init__()
        self.conv = conv(c, c)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def zero_init(module):
    """Zero the last layer of a residual branch so a fresh block is the identity
    (as LDM does for out_layers and proj_out): training starts stable."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


def attention(q, k, v, heads, mask=None):
    """Multi-head scaled dot-product attention over [B, N, C] tensors."""
    b, n, c = q.shape
    d = c // heads

    def split(t):
        return t.reshape(b, t.shape[1], heads, d).transpose(1, 2)

    w = split(q) @ split(k).transpose(-1, -2) * d ** -0.5
    if mask is not None:
        w = w + mask
    out = F.softmax(w.float(), dim=-1).type(q.dtype) @ split(v)
    return out.transpose(1, 2).reshape(b, n, c)
