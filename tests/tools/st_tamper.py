#!/usr/bin/env python3
"""Makes broken copies of a safetensors file for error-path tests.

    st_tamper.py IN OUT --drop NAME        # the tensor is missing
    st_tamper.py IN OUT --reshape NAME     # the tensor has shape [1] instead
    st_tamper.py IN OUT --truncate NBYTES  # the file ends early
"""
import json
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:], raw


def save(path, header, blobs):
    meta = header.pop("__metadata__", None)
    out, off, data = {}, 0, []
    for name in sorted(blobs):
        info, blob = header[name], blobs[name]
        out[name] = {"dtype": info["dtype"], "shape": info["shape"],
                     "data_offsets": [off, off + len(blob)]}
        off += len(blob)
        data.append(blob)
    if meta is not None:
        out["__metadata__"] = meta
    text = json.dumps(out, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(data))


def main(argv):
    src, dst, op, arg = argv[1:5]
    header, body, raw = load(src)
    if op == "--truncate":
        with open(dst, "wb") as f:
            f.write(raw[:int(arg)])
        return
    blobs = {k: body[v["data_offsets"][0]:v["data_offsets"][1]]
             for k, v in header.items() if k != "__metadata__"}
    if arg not in blobs:
        sys.exit(f"no tensor {arg}")
    if op == "--drop":
        del blobs[arg]
        del header[arg]
    elif op == "--reshape":
        header[arg] = {"dtype": "F32", "shape": [1]}
        blobs[arg] = struct.pack("<f", 0.5)
    save(dst, header, blobs)


if __name__ == "__main__":
    main(sys.argv)
