#!/bin/bash
# StableSR tiling: the same upscale job on one bundle with tiles small enough
# to cut a 192x144 result into 2x2 canvas tiles and 2x2 VAE tiles, and on a
# copy that never tiles. The tiled result must stay close to the untiled
# one (PSNR, measured 22.1 dB with the tiny random weights) and the step
# between neighbouring pixels across a blend border must be no larger than
# elsewhere (a weak check with random weights, whose output is noise; the
# blend weights themselves are exact-tested in tests/unit/test_vae_tiled.c).
# An input within one tile is the untiled result bit for bit.
set -u
BIN=${I2I_BIN:?}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
FAIL=0
fail() { echo "FAIL: $*" >&2; FAIL=1; }

"$BIN" mkmodel upscale --size tiny --out "$W/tiled" >/dev/null || { echo "mkmodel failed"; exit 1; }
cp -r "$W/tiled" "$W/untiled"
set_tiling() { # DIR TILE OVERLAP VAE_TILE VAE_OVERLAP
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
d, t, o, vt, vo = sys.argv[1], *map(int, sys.argv[2:])
m = json.load(open(d + "/manifest.json"))
m["tiling"] = {"latent_tile": t, "latent_overlap": o, "vae_tile": vt, "vae_overlap": vo}
json.dump(m, open(d + "/manifest.json", "w"))
PY
}
set_tiling "$W/tiled" 16 8 16 8
set_tiling "$W/untiled" 1024 0 1024 0
/usr/bin/python3 "$HERE/../integration/make_image.py" png 96 72 "$W/in.png"
/usr/bin/python3 "$HERE/../integration/make_image.py" png 48 40 "$W/small.png"

run() { "$BIN" run upscale --bundle "$1" --image "$2" --out "$3" --scale 2 --steps 3 --seed 7 --threads 2; }
run "$W/tiled" "$W/in.png" "$W/t.png" || fail "tiled run"
run "$W/untiled" "$W/in.png" "$W/u.png" || fail "untiled run"

# 192x144 padded to 192x192: latent 24x24 -> canvas tiles at 0 and 8 (borders
# at latent 8..16, blended); VAE tiles of 128 px at 0 and 64.
/usr/bin/python3 - "$W/t.png" "$W/u.png" "$HERE/../tools" <<'PY' || FAIL=1
import math, sys
sys.path.insert(0, sys.argv[3])
from png_read import read_rgb
w, h, t = read_rgb(sys.argv[1])
w2, h2, u = read_rgb(sys.argv[2])
assert (w, h) == (w2, h2) == (192, 144), (w, h, w2, h2)
mse = sum((a - b) ** 2 for a, b in zip(t, u)) / len(t)
psnr = 10 * math.log10(255 ** 2 / mse) if mse else 99
def col_step(img, x):  # mean |I(x) - I(x-1)| over rows and channels
    return sum(abs(img[(y * w + x) * 3 + c] - img[(y * w + x - 1) * 3 + c])
               for y in range(h) for c in range(3)) / (3 * h)
steps = [col_step(t, x) for x in range(1, w)]
median = sorted(steps)[len(steps) // 2]
# the blend regions' edges: canvas overlap 64..128 px, VAE overlap 64..128 px
seams = [64, 65, 127, 128]
worst = max(col_step(t, x) for x in seams)
print(f"tiled vs untiled PSNR {psnr:.2f} dB; column step at tile borders {worst:.2f}, "
      f"median over all columns {median:.2f}")
ok = psnr >= 20 and worst <= 1.5 * median
if not ok: print("FAIL: tiled result too far from untiled or seams show", file=sys.stderr)
sys.exit(0 if ok else 1)
PY

# within one tile (48x40 at scale 2: latent 12x12 < 16): identical bytes
run "$W/tiled" "$W/small.png" "$W/ts.png" || fail "tiled run, small"
run "$W/untiled" "$W/small.png" "$W/us.png" || fail "untiled run, small"
cmp -s "$W/ts.png" "$W/us.png" || fail "an input within one tile differs from untiled"
[ $FAIL = 0 ] && echo "upscale tiling: ok"
exit $FAIL
