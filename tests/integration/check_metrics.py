#!/usr/bin/python3
"""Parses a Prometheus text exposition (format 0.0.4) strictly enough to
catch malformed output, then checks `name{labels}=value` expectations.

usage: check_metrics.py FILE [EXPECT...]   (exit 1 with a message on failure)
"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? (\S+)$')


def parse(text):
    samples, types = {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary",
                                                   "untyped"):
                raise ValueError(f"line {n}: bad TYPE: {line}")
            if parts[2] in types:
                raise ValueError(f"line {n}: second TYPE for {parts[2]}")
            types[parts[2]] = parts[3]
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError(f"line {n}: not a sample: {line}")
        float(m.group(5))
        key = m.group(1) + (m.group(2) or "")
        if key in samples:
            raise ValueError(f"line {n}: duplicate sample {key}")
        samples[key] = float(m.group(5))
    for key in samples:
        base = re.sub(r"(_bucket|_sum|_count)$", "", key.split("{")[0])
        if key.split("{")[0] not in types and base not in types:
            raise ValueError(f"sample {key} has no TYPE")
    return samples


def main(argv):
    samples = parse(open(argv[1]).read())
    bad = []
    for exp in argv[2:]:
        key, want = exp.rsplit("=", 1)
        got = samples.get(key)
        if got is None or got != float(want):
            bad.append(f"{key}: want {want}, got {got}")
    if bad:
        print("; ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ValueError as e:
        print(e)
        sys.exit(1)
