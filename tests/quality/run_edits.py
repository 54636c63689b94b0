#!/usr/bin/env python3
"""Runs the C engine (`i2i run edit`) over photos x edits of a trained bundle
and scores every output with edit_metrics.

  run_edits.py --i2i BIN --bundle DIR --photos DIR --work DIR [--prompts held_out|trained]
               [--edits a,b,...] [--jobs N] [--report OUT.json] [--check LIMITS.json]
               [-- extra `i2i run edit` arguments, e.g. --depth 13 --steps 50]

The bundle's edits.json names the edits and their paraphrases. Prints one
line per edit (mean effect and structure over the photos). --check compares
the means with LIMITS.json ({"edits": {name: {"effect_min", "structure_min"}}})
and exits 1 when one falls short; the report JSON has every number."""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edit_metrics  # noqa: E402
from PIL import Image  # noqa: E402

PHOTO_EXT = (".jpg", ".jpeg", ".png")


def parse_args(argv):
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--i2i", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--photos", required=True)
    p.add_argument("--work", required=True, help="folder for the output PNGs")
    p.add_argument("--prompts", choices=("held_out", "trained"), default="held_out")
    p.add_argument("--edits", help="comma-separated subset (default: all)")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--report")
    p.add_argument("--check")
    args = p.parse_args(argv)
    args.extra = extra
    return args


def edit_table(bundle, which, subset):
    with open(os.path.join(bundle, "edits.json")) as f:
        table = json.load(f)["edits"]
    want = set(subset.split(",")) if subset else None
    return [(e["name"], e[which + "_prompts"][0]) for e in table
            if want is None or e["name"] in want]


def run_one(args, photo, name, prompt):
    out = os.path.join(args.work, f"{os.path.splitext(os.path.basename(photo))[0]}_{name}.png")
    cmd = [args.i2i, "run", "edit", "--bundle", args.bundle, "--image", photo, "--prompt", prompt,
           "--out", out, "--threads", "1"] + args.extra
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return out, time.time() - t0


def run_all(args):
    """{photo: {edit: output path}}, seconds per run."""
    os.makedirs(args.work, exist_ok=True)
    photos = sorted(os.path.join(args.photos, f) for f in os.listdir(args.photos)
                    if f.lower().endswith(PHOTO_EXT))
    table = edit_table(args.bundle, args.prompts, args.edits)
    outs, secs = {p: {} for p in photos}, []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futs = {pool.submit(run_one, args, p, n, t): (p, n) for p in photos for n, t in table}
        for fut, (p, n) in futs.items():
            outs[p][n], s = fut.result()
            secs.append(s)
    return outs, table, secs


def score(outs):
    """{edit: {"effect": [per photo], "structure": [per photo]}}"""
    per_edit = {}
    for photo, by_edit in outs.items():
        first = next(iter(by_edit.values()))
        size = Image.open(first).size
        x = edit_metrics.load(photo, size)
        ys = {n: edit_metrics.load(p) for n, p in by_edit.items()}
        for n, s in edit_metrics.score_photo(x, ys).items():
            d = per_edit.setdefault(n, {"effect": [], "structure": []})
            d["effect"].append(s["effect"])
            d["structure"].append(s["structure"])
    return per_edit


def mean(v):
    return sum(v) / len(v)


def check(per_edit, limits_path):
    with open(limits_path) as f:
        limits = json.load(f)["edits"]
    fails = []
    for name, lim in limits.items():
        if name not in per_edit:
            continue
        for key in ("effect", "structure"):
            lo = lim.get(key + "_min")
            got = mean(per_edit[name][key])
            if lo is not None and not got >= lo:
                fails.append(f"{name}: mean {key} {got:.3f} < {lo}")
    return fails


def main():
    args = parse_args(sys.argv[1:])
    outs, table, secs = run_all(args)
    per_edit = score(outs)
    for name, _ in table:
        d = per_edit[name]
        print(f"{name:16s} effect {mean(d['effect']):+.3f}  structure {mean(d['structure']):.3f}"
              f"  (per photo: {', '.join(f'{v:+.3f}' for v in d['effect'])})")
    report = {"prompts": dict(table), "runs": len(secs), "seconds_per_run": mean(secs),
              "extra_args": args.extra,
              "edits": {n: dict(d, effect_mean=mean(d["effect"]),
                                structure_mean=mean(d["structure"]))
                        for n, d in per_edit.items()}}
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
    if args.check:
        fails = check(per_edit, args.check)
        for msg in fails:
            print("FAIL:", msg, file=sys.stderr)
        return 1 if fails else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
