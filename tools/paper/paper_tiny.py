#!/usr/bin/env python3
"""The paper's claims measured on the trained tiny bundle (models/ip2p-tiny),
with the C engine: writes OUT/paper.md (the README's "paper on a tiny model"
table) and OUT/paper.json (every number). Run by scripts/paper-tiny.sh.

1. Edit quality per depth D13 ... D4 (supplement S2): the edit's effect and
   the kept layout (tests/quality/edit_metrics.py) for structure-preserving
   and structure-changing edits, and PSNR to the D13 output.
2. PSNR to the 50-step output, uniform vs searched gamma, at 5 and 10 steps
   (`i2i search gamma` scores both).
3. The gamma search's result and cost, and whether gamma moves with depth
   (Table S2) and with the image-guidance scale (Table S1).
4. The `edit` profile (D9, 10 steps, gamma 1/1.8) against `edit-full` (D13,
   50 uniform steps): latency per image and quality.
Every run uses the held-out photos (tests/data/heldout) and the held-out
paraphrase of each edit, seed 0."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "quality"))
import edit_metrics  # noqa: E402
import run_edits  # noqa: E402

FULL_PROFILE = ["--depth", "13", "--steps", "50", "--gamma", "1"]
# The edits each section runs (every held-out photo for each): three learnt
# structure-preserving ones and a structure-changing one, so one run of the
# script stays within about half an hour on 2 cores.
DEPTH_EDITS = "black_and_white,invert,darker,mirror"
SEARCH_EDITS = ("black_and_white", "invert")


def runs(args, tag, extra, edits=None):
    """run_edits over every photo x edit with `extra` i2i arguments:
    ({photo: {edit: png}}, seconds per run)."""
    a = run_edits.parse_args(["--i2i", args.i2i, "--bundle", args.bundle, "--photos", args.photos,
                              "--work", os.path.join(args.out, "runs", tag),
                              "--jobs", str(args.jobs)] + (["--edits", edits] if edits else [])
                             + ["--"] + extra + ["--seed", "0"])
    outs, _, secs = run_edits.run_all(a)
    return outs, sum(secs) / len(secs)


def structure_changing(bundle):
    with open(os.path.join(bundle, "edits.json")) as f:
        return {e["name"]: e["structure_changing"] for e in json.load(f)["edits"]}


def group_means(per_edit, changing):
    out = {}
    for group, want in (("preserving", False), ("changing", True)):
        names = [n for n in per_edit if changing[n] == want]
        out[group] = {k: run_edits.mean([v for n in names for v in per_edit[n][k]])
                      for k in ("effect", "structure")}
    return out


def psnr_between(outs_a, outs_b):
    vals = [edit_metrics.psnr(edit_metrics.load(outs_a[p][n]), edit_metrics.load(outs_b[p][n]))
            for p in outs_a for n in outs_a[p]]
    return run_edits.mean(vals)


def depth_section(args, changing):
    """Rows per depth, and the depth-9 runs (the `edit` profile's) with
    their seconds per image."""
    rows, ref, d9 = [], None, None
    for d in range(13, 3, -1):
        outs, sec = runs(args, f"depth{d}", ["--depth", str(d), "--steps", "10", "--gamma", "1/1.8"],
                         DEPTH_EDITS)
        ref = ref or outs
        d9 = (outs, sec) if d == 9 else d9
        g = group_means(run_edits.score(outs), changing)
        rows.append({"depth": d, "seconds_per_image": sec, "psnr_to_d13": psnr_between(outs, ref),
                     **{f"{grp}_{k}": v[k] for grp, v in g.items() for k in v}})
        print(f"depth {d}: {rows[-1]}", flush=True)
    return rows, d9


def search_samples(args):
    """A folder of photo copies and a prompts file, one line each: every
    held-out photo x SEARCH_EDITS (the search takes one prompt per image)."""
    d = os.path.join(args.out, "search_samples")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    prompts = dict(run_edits.edit_table(args.bundle, "held_out", ",".join(SEARCH_EDITS)))
    lines = []
    for photo in sorted(os.listdir(args.photos))[:args.search_photos]:
        for n in SEARCH_EDITS:
            name = f"{os.path.splitext(photo)[0]}_{n}{os.path.splitext(photo)[1]}"
            shutil.copy(os.path.join(args.photos, photo), os.path.join(d, name))
            lines.append((name, prompts[n]))
    with open(os.path.join(args.out, "search_prompts.txt"), "w") as f:
        f.writelines(p + "\n" for _, p in sorted(lines))
    return d, os.path.join(args.out, "search_prompts.txt")


def gamma_search(args, images, prompts, steps, depth, s_image):
    report = os.path.join(args.out, f"search_s{steps}_d{depth}_si{s_image}.json")
    cmd = [args.i2i, "search", "gamma", "--bundle", args.bundle, "--images", images,
           "--prompts", prompts, "--out", report, "--steps", str(steps), "--depth", str(depth),
           "--image-guidance-scale", str(s_image), "--cache", os.path.join(args.out, "ref_cache"),
           "--threads", str(args.jobs)]
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(report) as f:
        r = json.load(f)
    row = {"steps": steps, "depth": depth, "image_guidance_scale": s_image,
           "gamma": r["result"]["gamma"], "psnr_searched": r["result"]["score"],
           "psnr_uniform": r["result"]["uniform_score"], "wall_seconds": time.time() - t0,
           "unet_evaluations": r["search_cost"]["unet_evaluations"],
           "references_computed": r["search_cost"]["references_computed"],
           "trials": r["result"]["scored_trials"]}
    print(f"search: {row}", flush=True)
    return row


def gamma_section(args):
    images, prompts = search_samples(args)
    cases = [(10, 13, 1.0), (5, 13, 1.0), (10, 9, 1.0), (10, 13, 1.5)]
    return [gamma_search(args, images, prompts, s, d, si) for s, d, si in cases]


def profile_section(args, changing, d9):
    edit_outs, edit_sec = d9  # depth 9, 10 steps, gamma 1/1.8: the edit profile
    full_outs, full_sec = runs(args, "edit_full", FULL_PROFILE, DEPTH_EDITS)
    row = {}
    for name, outs, sec in (("edit", edit_outs, edit_sec), ("edit-full", full_outs, full_sec)):
        g = group_means(run_edits.score(outs), changing)
        row[name] = {"seconds_per_image": sec, **{f"{grp}_{k}": v[k] for grp, v in g.items()
                                                   for k in v}}
    row["psnr_edit_to_full"] = psnr_between(edit_outs, full_outs)
    row["latency_ratio"] = edit_sec / full_sec
    return row


def markdown(res):
    L = ["### 1. Edit quality per depth (10 steps, gamma 1/1.8)", "",
         "| depth | preserving: effect | preserving: structure | changing: effect | "
         "changing: structure | PSNR to D13 (dB) | s / image |", "|---|---|---|---|---|---|---|"]
    for r in res["depth"]:
        L.append(f"| D{r['depth']} | {r['preserving_effect']:+.3f} | {r['preserving_structure']:.3f}"
                 f" | {r['changing_effect']:+.3f} | {r['changing_structure']:.3f} | "
                 f"{r['psnr_to_d13']:.1f} | {r['seconds_per_image']:.2f} |")
    L += ["", "### 2–3. Gamma: searched vs uniform, and the search's cost", "",
          "| steps | depth | s_I | searched gamma | PSNR searched (dB) | PSNR uniform (dB) | "
          "search wall (s) | U-Net evals |", "|---|---|---|---|---|---|---|---|"]
    for r in res["gamma"]:
        L.append(f"| {r['steps']} | D{r['depth']} | {r['image_guidance_scale']} | "
                 f"{r['gamma']:.3f} | {r['psnr_searched']:.2f} | {r['psnr_uniform']:.2f} | "
                 f"{r['wall_seconds']:.0f} | {r['unet_evaluations']} |")
    p = res["profiles"]
    L += ["", "### 4. `edit` vs `edit-full`", "",
          "| profile | s / image | preserving: effect | preserving: structure | changing: effect |",
          "|---|---|---|---|---|"]
    for name in ("edit", "edit-full"):
        r = p[name]
        L.append(f"| {name} | {r['seconds_per_image']:.2f} | {r['preserving_effect']:+.3f} | "
                 f"{r['preserving_structure']:.3f} | {r['changing_effect']:+.3f} |")
    L += ["", f"`edit` takes {p['latency_ratio']:.2f}x the time of `edit-full`; PSNR of `edit` to "
          f"`edit-full` {p['psnr_edit_to_full']:.1f} dB.", ""]
    return "\n".join(L)


def bundle_at(args):
    """The bundle, or with --resolution a copy of it at that working
    resolution: the same model, 4x cheaper per halving of the side. (A copy,
    not links: the engine refuses weight paths that leave the bundle.)"""
    if not args.resolution:
        return args.bundle
    d = os.path.join(args.out, f"bundle-{args.resolution}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        m = json.load(f)
    m["resolution"] = args.resolution
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(m, f, indent=1)
    for name in m["weights"] + ["edits.json"]:
        shutil.copy(os.path.join(args.bundle, name), os.path.join(d, name))
    return d


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--i2i", default=os.path.join(REPO, "build", "i2i"))
    p.add_argument("--bundle", default=os.path.join(REPO, "models", "ip2p-tiny"))
    p.add_argument("--photos", default=os.path.join(REPO, "tests", "data", "heldout"))
    p.add_argument("--out", default=os.path.join(REPO, "out", "paper"))
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--resolution", type=int, help="working resolution (default: the bundle's)")
    p.add_argument("--search-photos", type=int, default=3,
                   help="held-out photos the gamma searches score (x 2 edits each)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    args.bundle = bundle_at(args)
    changing = structure_changing(args.bundle)
    res = {"cpu": cpu_name(), "jobs": args.jobs, "resolution": args.resolution or "bundle's",
           "search_photos": args.search_photos}
    res["depth"], d9 = depth_section(args, changing)
    res["profiles"] = profile_section(args, changing, d9)
    res["gamma"] = gamma_section(args)
    with open(os.path.join(args.out, "paper.json"), "w") as f:
        json.dump(res, f, indent=1)
    md = markdown(res)
    with open(os.path.join(args.out, "paper.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
