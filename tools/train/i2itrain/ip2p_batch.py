"""One InstructPix2Pix training batch drawn from the latent pool: a crop, an
exact edit of it, one of the edit's trained paraphrases, and IP2P's
conditioning dropout."""
import random

import torch

from . import edits

DROP = 0.05  # IP2P: 5 % text only, 5 % image only, 5 % both dropped


def dropout_masks(n, gen):
    """(keep_text, keep_image) booleans per sample, as in IP2P's ddpm_edit.py:
    r < 2p drops the text, p <= r < 3p drops the image."""
    r = torch.rand(n, generator=gen)
    return ~(r < 2 * DROP), ~((r >= DROP) & (r < 3 * DROP))


def make(pool, tok, n, gen):
    """c_img [n, 4, h, w] (zeros where the image is dropped), z0 [n, 4, h, w]
    (unscaled target latent), ids [n, 77]."""
    idx = torch.randint(pool["src"].shape[0], (n,), generator=gen)
    picks = torch.randint(len(edits.NAMES), (n,), generator=gen)
    rnd = random.Random(int(torch.randint(2 ** 31, (1,), generator=gen)))
    keep_text, keep_image = dropout_masks(n, gen)
    ids = []
    for i in range(n):
        prompt = rnd.choice(edits.TRAIN_PROMPTS[edits.NAMES[picks[i]]]) if keep_text[i] else ""
        ids.append(tok(prompt))
    c_img = pool["src"][idx] * keep_image.view(-1, 1, 1, 1)
    return c_img, pool["tgt"][idx, picks], torch.tensor(ids)
