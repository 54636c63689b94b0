"""LDM UNetModel (ldm/modules/diffusionmodules/openaimodel.py) in SD-1.x form:
input_blocks / middle_block / output_blocks, ResBlocks with a time embedding,
SpatialTransformers with conv proj_in/proj_out (use_linear_in_transformer
false), GEGLU feed-forward. Parameter names equal model.diffusion_model.*
of an SD checkpoint once prefixed."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Upsample, attention, conv, group_norm, zero_init


def timestep_embedding(t, dim, max_period=10000):
    """LDM's sinusoidal embedding: [cos | sin] of t * 10000^(-i/half)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs.to(t.device)[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim):
        super().__init__()
        self.in_layers = nn.Sequential(group_norm(cin, 1e-5), nn.SiLU(), conv(cin, cout))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, cout))
        self.out_layers = nn.Sequential(group_norm(cout, 1e-5), nn.SiLU(), nn.Dropout(0.0),
                                        zero_init(conv(cout, cout)))
        self.skip_connection = conv(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.in_layers(x) + self.emb_layers(emb)[:, :, None, None]
        return self.skip_connection(x) + self.out_layers(h)


class CrossAttention(nn.Module):
    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(0.0))

    def forward(self, x, context=None):
        c = x if context is None else context
        return self.to_out(attention(self.to_q(x), self.to_k(c), self.to_v(c), self.heads))


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, 2 * inner)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.Sequential(GEGLU(dim, mult * dim), nn.Dropout(0.0), nn.Linear(mult * dim, dim))

    def forward(self, x):
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.attn1 = CrossAttention(dim, dim, heads)
        self.ff = FeedForward(dim)
        self.attn2 = CrossAttention(dim, context_dim, heads)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(dim) for _ in range(3))

    def forward(self, x, context):
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), context)
        return x + self.ff(self.norm3(x))


class SpatialTransformer(nn.Module):
    def __init__(self, c, heads, context_dim):
        super().__init__()
        self.norm = group_norm(c, 1e-6)
        self.proj_in = conv(c, c, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(c, context_dim, heads)])
        self.proj_out = zero_init(conv(c, c, 1))

    def forward(self, x, context):
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x)).reshape(b, c, h * w).transpose(1, 2)
        for block in self.transformer_blocks:
            y = block(y, context)
        return x + self.proj_out(y.transpose(1, 2).reshape(b, c, h, w))


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.op = conv(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.op(x)


class TimestepSequential(nn.Sequential):
    """One input/output block: passes the time embedding to ResBlocks and the
    context to SpatialTransformers."""

    def forward(self, x, emb, context):
        for layer in self:
            if isinstance(layer, ResBlock):
                x = layer(x, emb)
            elif isinstance(layer, SpatialTransformer):
                x = layer(x, context)
            else:
                x = layer(x)
        return x


class UNetModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        mc, mults, nrb = cfg["model_channels"], cfg["channel_mult"], cfg["num_res_blocks"]
        emb = 4 * mc
        self.time_embed = nn.Sequential(nn.Linear(mc, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.input_blocks, skips = self._encoder(cfg, emb)
        ch = mults[-1] * mc
        self.middle_block = TimestepSequential(
            ResBlock(ch, ch, emb), self._attn(ch, cfg), ResBlock(ch, ch, emb))
        self.output_blocks = self._decoder(cfg, emb, skips)
        self.out = nn.Sequential(group_norm(mc, 1e-5), nn.SiLU(),
                                 zero_init(conv(mc, cfg["out_channels"])))

    @staticmethod
    def _attn(ch, cfg):
        heads = cfg["num_heads"] if cfg["num_head_channels"] == -1 else ch // cfg["num_head_channels"]
        return SpatialTransformer(ch, heads, cfg["context_dim"])

    def _encoder(self, cfg, emb):
        mc, mults = cfg["model_channels"], cfg["channel_mult"]
        blocks = nn.ModuleList([TimestepSequential(conv(cfg["in_channels"], mc))])
        skips, ch, ds = [mc], mc, 1
        for level, mult in enumerate(mults):
            for _ in range(cfg["num_res_blocks"]):
                layers = [ResBlock(ch, mult * mc, emb)]
                ch = mult * mc
                if ds in cfg["attention_resolutions"]:
                    layers.append(self._attn(ch, cfg))
                blocks.append(TimestepSequential(*layers))
                skips.append(ch)
            if level != len(mults) - 1:
                blocks.append(TimestepSequential(Downsample(ch)))
                skips.append(ch)
                ds *= 2
        return blocks, skips

    def _decoder(self, cfg, emb, skips):
        mc, mults = cfg["model_channels"], cfg["channel_mult"]
        blocks = nn.ModuleList()
        ch, ds = mults[-1] * mc, 2 ** (len(mults) - 1)
        for level in reversed(range(len(mults))):
            for i in range(cfg["num_res_blocks"] + 1):
                layers = [ResBlock(ch + skips.pop(), mults[level] * mc, emb)]
                ch = mults[level] * mc
                if ds in cfg["attention_resolutions"]:
                    layers.append(self._attn(ch, cfg))
                if level and i == cfg["num_res_blocks"]:
                    layers.append(Upsample(ch))
                    ds //= 2
                blocks.append(TimestepSequential(*layers))
        return blocks

    def forward(self, x, t, context):
        emb = self.time_embed(timestep_embedding(t, self.cfg["model_channels"]))
        hs, h = [], x
        for block in self.input_blocks:
            h = block(h, emb, context)
            hs.append(h)
        h = self.middle_block(h, emb, context)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb, context)
        return self.out(h)
