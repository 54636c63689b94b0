#!/usr/bin/env python3
"""Re-save an LDM / InstructPix2Pix .ckpt as safetensors, keeping every key name.

Not part of the service: run it once on a machine that has the checkpoint and
python3-torch. Only tensors are kept; F16/BF16 stay as they are (i2i converts
them to fp32 at load).

    python3 tools/ckpt_to_safetensors.py in.ckpt out.safetensors
"""
import json
import struct
import sys

import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
          torch.float64: "F64"}


def main(src: str, dst: str) -> None:
    ckpt = torch.load(src, map_location="cpu")
    state = ckpt.get("state_dict", ckpt)
    tensors = {k: v.contiguous() for k, v in state.items() if isinstance(v, torch.Tensor)}
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name]
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else \
            t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt", "source": src.rsplit("/", 1)[-1]}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    print(f"wrote {len(tensors)} tensors to {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
