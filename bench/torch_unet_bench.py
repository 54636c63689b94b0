"""PyTorch eager baseline for bench/unet_bench: the same U-Net call (batch 1,
fp32, random weights, torch.no_grad) timed the same way, with the reference
implementation in ../shared/ref/sd_unet.py (dev tooling; optional).

    /usr/bin/python3 bench/torch_unet_bench.py --ref DIR [--config ip2p]
        [--threads 2] [--sizes 32 64] [--depths 13 9 8] [--runs 3] [--json OUT]

Run it with glibc's mmap threshold off and trimming disabled
(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<huge>, as ref/measure.py's
"no-mmap" mode); bench/run.sh does. Without that PyTorch page-faults its big
temporaries afresh on every call and the baseline would be unfairly slow.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time


def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_stime, r.ru_minflt


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return -1.0


def one_call(model, x, t, c, depth):
    import torch
    c0, s0, f0 = cpu_s()
    w0 = time.perf_counter()
    y = model(x, t, c, depth=depth)
    wall = time.perf_counter() - w0
    c1, s1, f1 = cpu_s()
    if not torch.isfinite(y).all():
        raise RuntimeError("output is not finite")
    return {"wall": wall, "cpu": c1 - c0, "sys": s1 - s0, "faults": f1 - f0}


def peak_rss():
    """VmHWM of this process in bytes (-1 if unknown)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def reset_peak_rss():
    """Starts a new VmHWM at the current RSS (Linux >= 4.0), as unet_bench does."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", required=True, help="directory holding sd_unet.py")
    ap.add_argument("--config", default="ip2p", choices=["ip2p", "sd15"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    ap.add_argument("--depths", type=int, nargs="+", default=[13, 9, 8])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--slow", type=float, default=30.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    sys.path.insert(0, os.path.abspath(args.ref))
    import torch
    from sd_unet import UNet, SD15_CONFIG, IP2P_CONFIG

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch_unet_bench: building {args.config} U-Net (torch {torch.__version__})...",
          flush=True)
    model = UNet(IP2P_CONFIG if args.config == "ip2p" else SD15_CONFIG).eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"torch_unet_bench: {args.config}, {params} parameters, "
          f"{torch.get_num_threads()} thread(s), fp32, batch 1", flush=True)
    gen = torch.Generator().manual_seed(0)
    runs, peaks = [], []
    load_peak = peak_rss()
    with torch.no_grad():
        for size in args.sizes:
            reset_peak_rss()
            x = torch.randn(1, model.config["in_channels"], size, size, generator=gen)
            c = torch.randn(1, 77, model.config["context_dim"], generator=gen)
            t = torch.tensor([500])
            warm = one_call(model, x, t, c, 13)["wall"]
            n = 1 if warm > args.slow else args.runs
            print(f"  {size}x{size} warm-up (full depth) {warm:.2f} s -> {n} timed run(s) "
                  f"per depth", flush=True)
            for d in args.depths:
                recs = [one_call(model, x, t, c, d) for _ in range(n)]
                med = {k: statistics.median(r[k] for r in recs) for k in recs[0]}
                print(f"  {size:2d}x{size:<3d} D{d:02d}  {n} run(s)  wall {med['wall']:7.3f} s  "
                      f"cpu {med['cpu']:7.3f} s  sys {med['sys']:6.3f} s  "
                      f"faults {med['faults']:8.0f}  load {loadavg():.2f}", flush=True)
                runs.append({"size": size, "depth": d, "n": n, "median_wall_s": med["wall"],
                             "min_wall_s": min(r["wall"] for r in recs),
                             "median_cpu_s": med["cpu"], "median_sys_s": med["sys"],
                             "median_minor_faults": med["faults"],
                             "wall_s": [r["wall"] for r in recs]})
            peaks.append({"size": size, "peak_rss": peak_rss()})
            print(f"  peak RSS of the {size}x{size} calls: {peaks[-1]['peak_rss'] / 1e9:.3f} GB",
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"impl": "torch", "torch": torch.__version__, "config": args.config,
                       "threads": torch.get_num_threads(), "precision": "fp32",
                       "params": params, "runs": runs, "load_peak_rss_bytes": load_peak,
                       "peak_rss_per_size": peaks,
                       "malloc_env": {k: os.environ.get(k) for k in
                                      ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")}},
                      f, indent=1)


if __name__ == "__main__":
    main()
