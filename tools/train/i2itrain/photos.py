"""The photo set: files from Debian packages (listed in ../NOTICE), a fixed
train / held-out split, and random square crops at the training size.

Photos are decoded once and kept at SHORT_SIDE pixels on their short side, so
a crop at 64 px covers anything from a detail to the whole frame."""
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from . import synthetic

SHORT_SIDE = 192

SKIMAGE = "usr/lib/python3/dist-packages/skimage/data"
# (package, path inside the package), every one CC0, public domain or under
# its package's BSD licence (NOTICE). Held-out photos are never trained on.
TRAIN = [
    ("python3-skimage", f"{SKIMAGE}/rocket.jpg"),
    ("python3-skimage", f"{SKIMAGE}/motorcycle_left.png"),
    ("python3-skimage", f"{SKIMAGE}/motorcycle_right.png"),
    ("python3-skimage", f"{SKIMAGE}/hubble_deep_field.jpg"),
    ("python3-skimage", f"{SKIMAGE}/brick.png"),
    ("python3-skimage", f"{SKIMAGE}/grass.png"),
    ("python3-skimage", f"{SKIMAGE}/gravel.png"),
    ("python3-skimage", f"{SKIMAGE}/retina.jpg"),
    ("python3-skimage", f"{SKIMAGE}/ihc.png"),
    ("python3-skimage", f"{SKIMAGE}/color.png"),
    ("python3-skimage", f"{SKIMAGE}/camera.png"),
    ("python3-skimage", f"{SKIMAGE}/coins.png"),
    ("python3-scipy", "usr/lib/python3/dist-packages/scipy/misc/face.dat"),
]
# Seeded procedural scenes (synthetic.py) beside the photos: every hue and
# many asymmetric layouts, no licence.
SCENES, SCENE_SEED = 16, 1234
# The held-out photos, copied into the repo as tests/data/heldout/
# (make_test_photos.py).
HELD_OUT_REPO = [
    ("python3-skimage", f"{SKIMAGE}/chelsea.png"),
    ("python3-skimage", f"{SKIMAGE}/coffee.png"),
    ("python3-skimage", f"{SKIMAGE}/astronaut.png"),
]
HELD_OUT = HELD_OUT_REPO


def open_photo(path):
    """A PIL RGB image; scipy's face.dat is bz2-compressed raw 768x1024 RGB
    (as scipy.misc.face reads it)."""
    if path.endswith("face.dat"):
        import bz2
        with open(path, "rb") as f:
            raw = np.frombuffer(bz2.decompress(f.read()), dtype=np.uint8)
        return Image.fromarray(raw.reshape(768, 1024, 3))
    return Image.open(path).convert("RGB")


def shrink(img, short_side=SHORT_SIDE):
    w, h = img.size
    s = short_side / min(w, h)
    return img.resize((max(short_side, round(w * s)), max(short_side, round(h * s))),
                      Image.LANCZOS)


def load(entries, root):
    """[3, H, W] float tensors in [0, 1], one per photo."""
    out = []
    for pkg, rel in entries:
        img = shrink(open_photo(os.path.join(root, pkg, rel)))
        out.append(torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float() / 255.0)
    return out


def load_training(root):
    """The training images: the photos, then the scenes, at the same size."""
    return load(TRAIN, root) + synthetic.scenes(SCENES, SHORT_SIDE, SHORT_SIDE * 4 // 3,
                                                SCENE_SEED)


def random_crops(photos, n, size, gen):
    """n random square crops (side 1/4..1 of the short side, random flip),
    resized to size x size with antialiasing: [n, 3, size, size] in [0, 1]."""
    out = []
    for _ in range(n):
        img = photos[int(torch.randint(len(photos), (1,), generator=gen))]
        _, h, w = img.shape
        lo = max(size * 3 // 4, min(h, w) // 4)
        side = int(torch.randint(lo, min(h, w) + 1, (1,), generator=gen))
        y = int(torch.randint(h - side + 1, (1,), generator=gen))
        x = int(torch.randint(w - side + 1, (1,), generator=gen))
        crop = img[None, :, y:y + side, x:x + side]
        crop = F.interpolate(crop, size=(size, size), mode="bilinear", antialias=True,
                             align_corners=False)
        if torch.rand((), generator=gen) < 0.5:
            crop = crop.flip(-1)
        out.append(crop)
    return torch.cat(out).clamp(0, 1)
