"""Command-line options shared by the training stages."""
import argparse
import os

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(HERE))


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-root", default=os.path.join(HERE, "data", "pkgs"),
                   help="folder with one extracted Debian package per sub-folder (fetch_data.sh)")
    p.add_argument("--run-dir", default=os.path.join(HERE, "runs"))
    p.add_argument("--time-budget", type=float, default=60.0, help="minutes of training")
    p.add_argument("--save-every", type=float, default=5.0, help="minutes between checkpoints")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--resume", action="store_true", help="continue from the run's checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--size", type=int, default=64, help="training resolution in pixels")
    p.add_argument("--log-every", type=int, default=50, help="steps between log lines")
    return p


def setup(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.run_dir, exist_ok=True)
