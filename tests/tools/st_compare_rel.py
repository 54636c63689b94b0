#!/usr/bin/env python3
"""Compares named F32 tensors of a safetensors file with the same names in a
reference, each within a limit relative to the reference's largest value:

    st_compare_rel.py OUT.safetensors REF.safetensors REL NAME...

Passes a tensor when the shapes agree and max|out - ref| <= REL * max|ref|
(the golden README's rule). Every NAME must be in both files. Prints one line
per tensor; exits 1 when any fails. Standard library only, like st_compare.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st_compare import tensor  # noqa: E402  (same folder; one safetensors reader)


def check(out_path, ref_path, rel, name):
    shape_a, a = tensor(out_path, name)
    shape_b, b = tensor(ref_path, name)
    if shape_a != shape_b:
        print(f"{name}: shape {shape_a} != reference {shape_b} FAIL")
        return False
    scale = max((abs(y) for y in b), default=0.0)
    worst = max((abs(x - y) for x, y in zip(a, b)), default=0.0)
    limit = rel * scale
    ok = worst <= limit
    print(f"{name}: max|diff| {worst:.3g}, limit {limit:.3g} (max|ref| {scale:.3g}) "
          f"{'ok' if ok else 'FAIL'}")
    return ok


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    out_path, ref_path, rel = argv[1], argv[2], float(argv[3])
    results = [check(out_path, ref_path, rel, name) for name in argv[4:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
