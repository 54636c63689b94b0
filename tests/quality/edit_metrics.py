"""Measures of an instruction edit, from the input photo and the output alone.

Each edit of the trained tiny bundle (models/ip2p-tiny/edits.json) has an
*effect* score that is > 0 when the output moved the way the instruction
asks and about 0 when the output is the input, and every output has a
*structure* score: how well its layout follows the layout the exact edit
would have (the input's, or the flipped input's for mirror / upside down).
Both are computed on 4x-downsampled luma and colour, so they measure the edit
rather than the tiny VAE's loss of fine detail. Used by
tests/quality/test_edit_quality.sh and scripts/paper-tiny.sh."""
import numpy as np
from PIL import Image

LUMA = np.array([0.299, 0.587, 0.114])
# sepia's colour direction: what the sepia matrix makes of a grey pixel,
# minus its mean (R up, B down)
SEPIA_DIR = np.array([0.187, 0.039, -0.227])
SEPIA_DIR = SEPIA_DIR / np.linalg.norm(SEPIA_DIR)


def load(path, size=None):
    """[H, W, 3] float in [0, 1]; resized (Lanczos) to size=(w, h) if given."""
    img = Image.open(path).convert("RGB")
    if size is not None and img.size != tuple(size):
        img = img.resize(tuple(size), Image.LANCZOS)
    return np.asarray(img, dtype=np.float64) / 255.0


def down4(x):
    """Mean over 4x4 blocks (the edge remainder dropped)."""
    h, w = x.shape[0] // 4 * 4, x.shape[1] // 4 * 4
    x = x[:h, :w]
    return x.reshape(h // 4, 4, w // 4, 4, -1).mean(axis=(1, 3))


def luma(x):
    return x @ LUMA


def corr(a, b):
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    d = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d > 0 else 0.0


def chroma(x):
    return float((x.max(axis=-1) - x.min(axis=-1)).mean())


def sepia_tone(x):
    """Mean cosine between each pixel's colour offset from grey and sepia's
    direction, weighted by the offset's length (grey pixels count little)."""
    off = x - x.mean(axis=-1, keepdims=True)
    n = np.linalg.norm(off, axis=-1)
    return float((off @ SEPIA_DIR).sum() / max(n.sum(), 1e-9))


def sharpness(x):
    """Mean |Laplacian| of the full-resolution luma."""
    y = luma(x)
    lap = 4 * y[1:-1, 1:-1] - y[:-2, 1:-1] - y[2:, 1:-1] - y[1:-1, :-2] - y[1:-1, 2:]
    return float(np.abs(lap).mean())


def _red_minus_blue(x):
    return float((x[..., 0] - x[..., 2]).mean())


# edit -> effect(input, output): > 0 when the output follows the instruction
EFFECTS = {
    "black_and_white": lambda x, y: 1.0 - chroma(y) / max(chroma(x), 1e-9),
    "invert": lambda x, y: -corr(luma(down4(y)), luma(down4(x))),
    "sepia": lambda x, y: sepia_tone(y) - sepia_tone(x),
    "warmer": lambda x, y: _red_minus_blue(y) - _red_minus_blue(x),
    "cooler": lambda x, y: _red_minus_blue(x) - _red_minus_blue(y),
    "brighter": lambda x, y: float(luma(y).mean() - luma(x).mean()),
    "darker": lambda x, y: float(luma(x).mean() - luma(y).mean()),
    "more_contrast": lambda x, y: float(luma(y).std() / max(luma(x).std(), 1e-9) - 1.0),
    "blur": None,  # relative to the other edits' outputs: see blur_effect
    "mirror": lambda x, y: corr(luma(down4(y)), luma(down4(x[:, ::-1])))
    - corr(luma(down4(y)), luma(down4(x))),
    "upside_down": lambda x, y: corr(luma(down4(y)), luma(down4(x[::-1])))
    - corr(luma(down4(y)), luma(down4(x))),
}
FLIPS = {"mirror": lambda x: x[:, ::-1], "upside_down": lambda x: x[::-1]}


def blur_effect(y_blur, others):
    """1 - sharpness of the blur output / mean sharpness of the same photo's
    other structure-preserving outputs: the tiny VAE blurs every output, so
    the input's own sharpness is no fair baseline."""
    ref = np.mean([sharpness(o) for o in others])
    return 1.0 - sharpness(y_blur) / max(ref, 1e-9)


def structure(name, x, y):
    """|corr| of the 4x-downsampled luma with the exact edit's layout (the
    input's, flipped for the structure-changing edits; abs so invert's
    negative image counts as preserved)."""
    ref = FLIPS.get(name, lambda v: v)(x)
    return abs(corr(luma(down4(y)), luma(down4(ref))))


def psnr(a, b):
    mse = float(((a - b) ** 2).mean())
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def score_photo(x, outputs):
    """outputs: {edit: [H, W, 3]} for one input x -> {edit: {effect,
    structure}}; blur (when present) is scored against the other
    structure-preserving outputs."""
    res = {}
    for name, y in outputs.items():
        fn = EFFECTS[name]
        if fn is None:
            others = [o for n, o in outputs.items() if n != name and n not in FLIPS]
            eff = blur_effect(y, others) if others else 0.0
        else:
            eff = fn(x, y)
        res[name] = {"effect": eff, "structure": structure(name, x, y)}
    return res
