#!/usr/bin/env python3
"""Test helper for tools/sr_empty_context.py: re-lays the golden tiny CLIP text model
(HF CLIPTextModel names) out as an OpenCLIP text tower, and cuts references from
clip_tiny_io.safetensors.

    clip_hf_to_openclip.py convert HF.safetensors OUT.safetensors
        [--prefix cond_stage_model.model.] [--drop NAME]... [--vocab N] [--dtype F32|F16]
    clip_hf_to_openclip.py ids IDS.json ROW OUT.json
    clip_hf_to_openclip.py ref IO.safetensors ROW OUT.safetensors [--ln HF.safetensors]

convert: q/k/v_proj concatenated (q, k, v order) into attn.in_proj_{weight,bias},
self_attn.out_proj -> attn.out_proj, layer_norm1/2 -> ln_1/ln_2, mlp.fc1/fc2 ->
mlp.c_fc/c_proj, embeddings.position_embedding.weight -> positional_embedding,
final_layer_norm -> ln_final; every value is copied bit for bit. It also adds
text_projection and logit_scale, which a real OpenCLIP tower has and the context must
not use. --drop removes one output tensor (by its name after PREFIX); --vocab N pads
token_embedding to N rows with extra deterministic rows; --dtype F16 stores F16.

ids: writes row ROW of clip_tiny_ids.json's input_ids as a flat JSON list.

ref: writes "empty_context" [1,77,W] = row ROW of last_hidden_state; with --ln, instead
final_layer_norm(hidden_1[ROW]) computed in float64 with HF's final_layer_norm weights
(the penultimate-layer context of a 2-layer model).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

HF = "cond_stage_model.transformer.text_model."


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {info['dtype']}, not F32")
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
    return out


def write(path, tensors, dtype="F32", metadata=None):
    np_dtype = {"F32": "<f4", "F16": "<f2"}[dtype]
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        raw = np.ascontiguousarray(tensors[name], dtype=np_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def convert(args):
    hf = read(args.hf)
    p = args.prefix
    out = {
        p + "token_embedding.weight": hf[HF + "embeddings.token_embedding.weight"],
        p + "positional_embedding": hf[HF + "embeddings.position_embedding.weight"],
        p + "ln_final.weight": hf[HF + "final_layer_norm.weight"],
        p + "ln_final.bias": hf[HF + "final_layer_norm.bias"],
    }
    layers = sorted({int(k[len(HF + "encoder.layers."):].split(".")[0])
                     for k in hf if k.startswith(HF + "encoder.layers.")})
    for i in layers:
        s, d = f"{HF}encoder.layers.{i}.", f"{p}transformer.resblocks.{i}."
        for part in ("weight", "bias"):
            out[d + f"attn.in_proj_{part}"] = np.concatenate(
                [hf[s + f"self_attn.{x}_proj.{part}"] for x in "qkv"], axis=0)
            out[d + f"attn.out_proj.{part}"] = hf[s + f"self_attn.out_proj.{part}"]
            out[d + f"ln_1.{part}"] = hf[s + f"layer_norm1.{part}"]
            out[d + f"ln_2.{part}"] = hf[s + f"layer_norm2.{part}"]
            out[d + f"mlp.c_fc.{part}"] = hf[s + f"mlp.fc1.{part}"]
            out[d + f"mlp.c_proj.{part}"] = hf[s + f"mlp.fc2.{part}"]
    width = out[p + "positional_embedding"].shape[1]
    rng = np.random.default_rng(9)
    out[p + "text_projection"] = rng.normal(0, 1, (width, width)).astype(np.float32)
    out[p + "logit_scale"] = np.array(4.6052, dtype=np.float32)
    if args.vocab:
        tok = out[p + "token_embedding.weight"]
        extra = rng.normal(0, 0.02, (args.vocab - tok.shape[0], width)).astype(np.float32)
        out[p + "token_embedding.weight"] = np.concatenate([tok, extra], axis=0)
    for name in args.drop:
        if p + name not in out:
            sys.exit(f"--drop {name}: no such output tensor")
        del out[p + name]
    write(args.out, out, args.dtype,
          {"source": os.path.basename(args.hf), "layout": "open_clip text tower (test)"})


def ids(args):
    with open(args.ids) as f:
        row = json.load(f)["input_ids"][args.row]
    with open(args.out, "w") as f:
        json.dump([int(i) for i in row], f)


def ref(args):
    io = read(args.io)
    if args.ln:
        hf = read(args.ln)
        x = io["hidden_1"][args.row].astype(np.float64)
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        x = (x - mean) / np.sqrt(var + 1e-5) * hf[HF + "final_layer_norm.weight"] \
            + hf[HF + "final_layer_norm.bias"]
    else:
        x = io["last_hidden_state"][args.row]
    write(args.out, {"empty_context": x[None].astype(np.float32)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("hf")
    c.add_argument("out")
    c.add_argument("--prefix", default="cond_stage_model.model.")
    c.add_argument("--drop", action="append", default=[])
    c.add_argument("--vocab", type=int, default=0)
    c.add_argument("--dtype", choices=["F32", "F16"], default="F32")
    i = sub.add_parser("ids")
    i.add_argument("ids")
    i.add_argument("row", type=int)
    i.add_argument("out")
    r = sub.add_parser("ref")
    r.add_argument("io")
    r.add_argument("row", type=int)
    r.add_argument("out")
    r.add_argument("--ln", metavar="HF.safetensors")
    args = ap.parse_args()
    {"convert": convert, "ids": ids, "ref": ref}[args.cmd](args)


if __name__ == "__main__":
    main()
