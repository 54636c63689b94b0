#!/usr/bin/env python3
"""Compares one F32 tensor of a safetensors file with one of another.

    st_compare.py OUT.safetensors NAME REF.safetensors REF_NAME TOLERANCE

Prints max|diff| and exits 1 when shapes differ or max|diff| > TOLERANCE.
Standard library only (no numpy), so it runs anywhere python3 does.
"""
import array
import json
import struct
import sys


def tensor(path, name):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        if name not in header:
            sys.exit(f"{path}: no tensor {name}")
        info = header[name]
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {info['dtype']}, not F32")
        begin, end = info["data_offsets"]
        f.seek(8 + n + begin)
        values = array.array("f")
        values.frombytes(f.read(end - begin))
        return info["shape"], values


def main(argv):
    out_path, out_name, ref_path, ref_name, tol = argv[1:6]
    shape_a, a = tensor(out_path, out_name)
    shape_b, b = tensor(ref_path, ref_name)
    if shape_a != shape_b:
        print(f"{out_name}: shape {shape_a} != {ref_name} {shape_b}")
        return 1
    worst = max((abs(x - y) for x, y in zip(a, b)), default=0.0)
    verdict = "ok" if worst <= float(tol) else "FAIL"
    print(f"{out_name} vs {ref_name}: max|diff| = {worst:.3g} (limit {tol}) {verdict}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
