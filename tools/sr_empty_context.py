#!/usr/bin/env python3
"""Writes the empty-prompt context of a StableSR / SD-2.x checkpoint's own text encoder.

A StableSR bundle has no text encoder: the pipeline always conditions on the empty
prompt, so the bundle stores that context once as the tensor "empty_context"
[1, 77, W]. This tool computes it from the checkpoint's OpenCLIP text tower
(FrozenOpenCLIPEmbedder, ViT-H/14 in SD-2.1 and StableSR, layer "penultimate").

    python3 tools/sr_empty_context.py IN.safetensors OUT.safetensors
        [--prefix cond_stage_model.model.] [--layer penultimate|last]
        [--act gelu|quick_gelu] [--heads N] [--tokens ids.json]

IN is the checkpoint as tools/ckpt_to_safetensors.py writes it (F32, F16, BF16 or F64
tensors). Only the text tower is read (memory-mapped), under PREFIX:
token_embedding.weight [V,W], positional_embedding [77,W],
transformer.resblocks.{i}.{ln_1,attn.in_proj_*,attn.out_proj.*,ln_2,mlp.c_fc.*,mlp.c_proj.*},
ln_final.{weight,bias}.

The computation is FrozenOpenCLIPEmbedder.encode_with_transformer on "" :
  ids  = [49406 (start), 49407 (end), 0 x 75]   (OpenCLIP pads with 0; --tokens overrides,
                                                 a JSON list of 77 ints, or [[...]] of one row)
  x    = token_embedding[ids] + positional_embedding
  each resblock (all of them for "last", all but the final one for "penultimate"):
       x += out_proj(MHA(ln_1(x)))      causal: token i attends to j <= i; heads = W/64
       x += c_proj(act(c_fc(ln_2(x))))  act: GELU (erf form, OpenCLIP's nn.GELU) or quick_gelu
  out  = ln_final(x)                     (applied after the penultimate layer too)
LayerNorm eps 1e-5. Everything runs in float64 on the stored values; the result is
stored as F32 in OUT, one tensor "empty_context" [1,77,W] with __metadata__
{"source": IN's file name, "layer": LAYER, "tool": "sr_empty_context.py"}.

Needs python3 and numpy only (no torch). Exits 1 with a message on a missing or
misshapen tensor, 2 on a usage error.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

START, END, PAD, CONTEXT = 49406, 49407, 0, 77
LN_EPS = 1e-5
TOOL = "sr_empty_context.py"
NAME = "empty_context"


class Error(Exception):
    pass


class SafeTensors:
    """Read-only view of a safetensors file; tensors are memory-mapped on demand."""

    DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16}

    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                raw = f.read(8)
                if len(raw) != 8:
                    raise Error(f"{path}: not a safetensors file (shorter than 8 bytes)")
                n = struct.unpack("<Q", raw)[0]
                size = os.fstat(f.fileno()).st_size
                if n > size - 8:
                    raise Error(f"{path}: not a safetensors file (header length {n} "
                                f"past the end of the file)")
                self.header = json.loads(f.read(n))
        except OSError as e:
            raise Error(f"{path}: {e.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Error(f"{path}: not a safetensors file (header is not JSON)") from None
        self.header.pop("__metadata__", None)
        self.base = 8 + n
        self.size = size

    def get(self, name, shape=None, rows=None):
        """The tensor as float64, checked against shape (None entries match anything);
        with rows, only those rows of a 2-D tensor (the rest is never converted)."""
        info = self.header.get(name)
        if info is None:
            raise Error(f"{self.path}: missing tensor '{name}' (wrong --prefix, or not an "
                        f"OpenCLIP text tower?)")
        dtype = info.get("dtype")
        if dtype not in self.DTYPES:
            raise Error(f"{self.path}: tensor '{name}' has dtype {dtype}; "
                        f"expected one of {', '.join(self.DTYPES)}")
        got = list(info["shape"])
        if shape is not None and (len(got) != len(shape) or
                                  any(s is not None and s != g for s, g in zip(shape, got))):
            want = [("*" if s is None else s) for s in shape]
            raise Error(f"{self.path}: tensor '{name}' has shape {got}, expected {want}")
        begin, end = info["data_offsets"]
        count = int(np.prod(got)) if got else 1
        item = np.dtype(self.DTYPES[dtype]).itemsize
        if end - begin != count * item or self.base + end > self.size:
            raise Error(f"{self.path}: tensor '{name}' data is truncated or inconsistent")
        raw = np.memmap(self.path, dtype=np.dtype(self.DTYPES[dtype]).newbyteorder("<"),
                        mode="r", offset=self.base + begin, shape=(count,))
        raw = raw.reshape(got)
        if rows is not None:
            raw = raw[np.asarray(rows, dtype=np.intp)]
        if dtype == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        return np.asarray(raw, dtype=np.float64)


def layer_norm(x, weight, bias):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * weight + bias


_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def quick_gelu(x):
    return x / (1.0 + np.exp(-1.702 * x))


ACTS = {"gelu": gelu, "quick_gelu": quick_gelu}


def attention(x, w_in, b_in, w_out, b_out, heads):
    """nn.MultiheadAttention (q, k, v packed in in_proj) with a causal mask."""
    t, width = x.shape
    qkv = x @ w_in.T + b_in
    q, k, v = qkv[:, :width], qkv[:, width:2 * width], qkv[:, 2 * width:]
    hd = width // heads
    q = q.reshape(t, heads, hd).transpose(1, 0, 2) / math.sqrt(hd)
    k = k.reshape(t, heads, hd).transpose(1, 0, 2)
    v = v.reshape(t, heads, hd).transpose(1, 0, 2)
    scores = q @ k.transpose(0, 2, 1)                          # [heads, t, t]
    scores = np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf)
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    out = (p @ v).transpose(1, 0, 2).reshape(t, width)
    return out @ w_out.T + b_out


def count_blocks(st, prefix):
    """Number of resblocks: indices 0..L-1 must all be present."""
    stem = prefix + "transformer.resblocks."
    found = set()
    for name in st.header:
        if name.startswith(stem):
            head = name[len(stem):].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    if not found:
        raise Error(f"{st.path}: missing tensor '{stem}0.ln_1.weight' (no resblocks under "
                    f"prefix '{prefix}'; wrong --prefix?)")
    blocks = max(found) + 1
    missing = sorted(set(range(blocks)) - found)
    if missing:
        raise Error(f"{st.path}: resblock {missing[0]} missing under '{stem}' "
                    f"(found {len(found)} of 0..{blocks - 1})")
    return blocks


def read_tokens(path):
    try:
        with open(path) as f:
            ids = json.load(f)
    except OSError as e:
        raise Error(f"{path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise Error(f"{path}: not JSON ({e})") from None
    if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], list):
        ids = ids[0]
    if not (isinstance(ids, list) and ids and
            all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
        raise Error(f"{path}: expected a JSON list of integer token ids (or [[...]] of one row)")
    return ids


def empty_context(st, prefix, layer, act, heads=None, tokens=None):
    """Returns (context [T, W] float64, number of resblocks run)."""
    tok_name = prefix + "token_embedding.weight"
    st.get(tok_name, [None, None], rows=[])                 # presence, dtype and size checks
    vocab, width = st.header[tok_name]["shape"]
    pos = st.get(prefix + "positional_embedding", [None, width])
    length = pos.shape[0]
    if tokens is None:
        tokens = [START, END] + [PAD] * (CONTEXT - 2)
    if len(tokens) != length:
        raise Error(f"{len(tokens)} token ids, but positional_embedding has {length} rows")
    bad = [i for i in tokens if not 0 <= i < vocab]
    if bad:
        raise Error(f"token id {bad[0]} is outside token_embedding's vocabulary of {vocab}")
    heads = heads or width // 64
    if heads <= 0 or width % heads:
        raise Error(f"width {width} is not divisible into {heads} heads (use --heads)")
    blocks = count_blocks(st, prefix)
    run = blocks if layer == "last" else blocks - 1
    if run < 1 and layer == "penultimate":
        raise Error(f"--layer penultimate needs at least 2 resblocks; found {blocks}")
    fn = ACTS[act]

    x = st.get(tok_name, rows=tokens) + pos
    for i in range(run):
        p = f"{prefix}transformer.resblocks.{i}."
        g = lambda n, shape: st.get(p + n, shape)  # noqa: E731
        h = layer_norm(x, g("ln_1.weight", [width]), g("ln_1.bias", [width]))
        x = x + attention(h, g("attn.in_proj_weight", [3 * width, width]),
                          g("attn.in_proj_bias", [3 * width]),
                          g("attn.out_proj.weight", [width, width]),
                          g("attn.out_proj.bias", [width]), heads)
        h = layer_norm(x, g("ln_2.weight", [width]), g("ln_2.bias", [width]))
        w_fc = g("mlp.c_fc.weight", [None, width])
        hidden = w_fc.shape[0]
        h = fn(h @ w_fc.T + g("mlp.c_fc.bias", [hidden]))
        x = x + h @ g("mlp.c_proj.weight", [width, hidden]).T + g("mlp.c_proj.bias", [width])
    x = layer_norm(x, st.get(prefix + "ln_final.weight", [width]),
                   st.get(prefix + "ln_final.bias", [width]))
    return x, run


def write_safetensors(path, name, array, metadata):
    data = np.ascontiguousarray(array, dtype="<f4").tobytes()
    header = {name: {"dtype": "F32", "shape": list(array.shape), "data_offsets": [0, len(data)]},
              "__metadata__": metadata}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        raise Error(f"{path}: {e.strerror}") from None


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="sr_empty_context.py",
        description="Write the empty-prompt context of a checkpoint's OpenCLIP text tower.")
    ap.add_argument("input", metavar="IN.safetensors")
    ap.add_argument("output", metavar="OUT.safetensors")
    ap.add_argument("--prefix", default="cond_stage_model.model.",
                    help="key prefix of the text tower (default %(default)s)")
    ap.add_argument("--layer", choices=["penultimate", "last"], default="penultimate",
                    help="output of the last resblock, or of the one before (default %(default)s)")
    ap.add_argument("--act", choices=sorted(ACTS), default="gelu",
                    help="MLP activation (default %(default)s, as OpenCLIP ViT-H)")
    ap.add_argument("--heads", type=int, default=None, help="attention heads (default W/64)")
    ap.add_argument("--tokens", metavar="IDS.json", default=None,
                    help='token ids instead of "" (JSON list with one id per position)')
    args = ap.parse_args(argv)
    if args.heads is not None and args.heads <= 0:
        ap.error("--heads must be positive")
    try:
        tokens = read_tokens(args.tokens) if args.tokens else None
        st = SafeTensors(args.input)
        ctx, run = empty_context(st, args.prefix, args.layer, args.act, args.heads, tokens)
        if not np.all(np.isfinite(ctx)):
            raise Error(f"{args.input}: the context has non-finite values (damaged weights?)")
        meta = {"source": os.path.basename(args.input), "layer": args.layer, "tool": TOOL}
        write_safetensors(args.output, NAME, ctx[None].astype(np.float32), meta)
    except Error as e:
        print(f"sr_empty_context.py: {e}", file=sys.stderr)
        return 1
    print(f"wrote {NAME} [1,{ctx.shape[0]},{ctx.shape[1]}] to {args.output} "
          f"({args.layer}: {run} resblocks + ln_final, {args.act})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
