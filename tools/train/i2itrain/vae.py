"""AutoencoderKL in LDM's layout (ldm/modules/diffusionmodules/model.py):
parameter names equal first_stage_model.* of an SD checkpoint once prefixed.
No attention outside the mid blocks (attn_resolutions = []), as in SD and
as the C engine requires."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Upsample, conv, group_norm

EPS = 1e-6


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = group_norm(cin, EPS)
        self.conv1 = conv(cin, cout)
        self.norm2 = group_norm(cout, EPS)
        self.conv2 = conv(cout, cout)
        if cin != cout:
            self.nin_shortcut = conv(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        skip = self.nin_shortcut(x) if hasattr(self, "nin_shortcut") else x
        return skip + h


class AttnBlock(nn.Module):
    """Single-head spatial self-attention with 1x1 convolutions."""

    def __init__(self, c):
        super().__init__()
        self.norm = group_norm(c, EPS)
        self.q, self.k, self.v, self.proj_out = (conv(c, c, 1) for _ in range(4))

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.norm(x)
        q, k, v = (m(h).reshape(b, c, hh * ww) for m in (self.q, self.k, self.v))
        w = torch.softmax((q.transpose(1, 2) @ k) * c ** -0.5, dim=-1)  # [b, hw(q), hw(k)]
        out = (v @ w.transpose(1, 2)).reshape(b, c, hh, ww)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    """Stride-2 conv after LDM's asymmetric (0,1,0,1) padding."""

    def __init__(self, c):
        super().__init__()
        self.conv = conv(c, c, 3, stride=2, padding=0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


def mid_blocks(c):
    mid = nn.Module()
    mid.block_1, mid.attn_1, mid.block_2 = ResnetBlock(c, c), AttnBlock(c), ResnetBlock(c, c)
    return mid


def run_mid(mid, h):
    return mid.block_2(mid.attn_1(mid.block_1(h)))


class Encoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, in_channels, z_channels):
        super().__init__()
        self.conv_in = conv(in_channels, ch)
        self.down = nn.ModuleList()
        cin = ch
        for i, mult in enumerate(ch_mult):
            level = nn.Module()
            level.block = nn.ModuleList()
            for _ in range(num_res_blocks):
                level.block.append(ResnetBlock(cin, ch * mult))
                cin = ch * mult
            if i != len(ch_mult) - 1:
                level.downsample = Downsample(cin)
            self.down.append(level)
        self.mid = mid_blocks(cin)
        self.norm_out = group_norm(cin, EPS)
        self.conv_out = conv(cin, 2 * z_channels)  # mean and log-variance (double_z)

    def forward(self, x):
        h = self.conv_in(x)
        for level in self.down:
            for block in level.block:
                h = block(h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)
        h = run_mid(self.mid, h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, out_ch, z_channels):
        super().__init__()
        cin = ch * ch_mult[-1]
        self.conv_in = conv(z_channels, cin)
        self.mid = mid_blocks(cin)
        # up[i] is the level at resolution 1/2^i; it runs deepest first.
        levels = [None] * len(ch_mult)
        for i in reversed(range(len(ch_mult))):
            level = nn.Module()
            level.block = nn.ModuleList()
            for _ in range(num_res_blocks + 1):
                level.block.append(ResnetBlock(cin, ch * ch_mult[i]))
                cin = ch * ch_mult[i]
            if i != 0:
                level.upsample = Upsample(cin)
            levels[i] = level
        self.up = nn.ModuleList(levels)
        self.norm_out = group_norm(cin, EPS)
        self.conv_out = conv(cin, out_ch)

    def forward(self, z):
        h = run_mid(self.mid, self.conv_in(z))
        for level in reversed(self.up):
            for block in level.block:
                h = block(h)
            if hasattr(level, "upsample"):
                h = level.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        args = (cfg["ch"], cfg["ch_mult"], cfg["num_res_blocks"])
        self.encoder = Encoder(*args, cfg["in_channels"], cfg["z_channels"])
        self.decoder = Decoder(*args, cfg["out_ch"], cfg["z_channels"])
        self.quant_conv = conv(2 * cfg["z_channels"], 2 * cfg["embed_dim"], 1)
        self.post_quant_conv = conv(cfg["embed_dim"], cfg["z_channels"], 1)

    def posterior(self, x):
        """Mean and log-variance of q(z|x); x in [-1, 1]."""
        mean, logvar = self.quant_conv(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))
