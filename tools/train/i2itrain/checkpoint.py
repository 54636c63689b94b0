"""Resumable training state: models, optimiser, step and RNG state in one
torch.save file, written atomically (a crash mid-write keeps the last one)."""
import os
import time

import torch


def save(path, **state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path):
    return torch.load(path, map_location="cpu")


class Clock:
    """Time budget and periodic-save timer, in minutes of wall time."""

    def __init__(self, budget_min, save_every_min):
        self.start = time.time()
        self.budget = budget_min * 60.0
        self.every = save_every_min * 60.0
        self.last_save = self.start

    def elapsed(self):
        return time.time() - self.start

    def over(self):
        return self.elapsed() >= self.budget

    def save_due(self):
        if time.time() - self.last_save >= self.every:
            self.last_save = time.time()
            return True
        return False
