#!/usr/bin/env bash
# `i2i run control` as a user runs it, on a tiny SD-1.5 + ControlNet bundle
# made by `i2i mkmodel control`: the documented output size (short side
# image_resolution, sides multiples of 64), a raw edge map, determinism,
# parameters that change the output, and clear errors with exit code 1.
set -u
I2I=${I2I_BIN:?}
TOOLS=$(dirname "$0")/../tools
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
size_is() { # png, width, height
  $PY - "$@" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
got = struct.unpack(">II", d[16:24])
assert got == (int(sys.argv[2]), int(sys.argv[3])), got
PY
}

"$I2I" mkmodel control --size tiny --out "$work/c" >/dev/null || { echo "FAIL: mkmodel control"; exit 1; }
"$I2I" mkmodel edit --size tiny --out "$work/e" >/dev/null || { echo "FAIL: mkmodel edit"; exit 1; }
$PY "$TOOLS/make_png.py" "$work/in.png" 150 100
run() { "$I2I" run control --bundle "$work/c" --image "$work/in.png" --prompt "a house" \
  --image-resolution 128 --steps 2 "$@"; }

# 150x100 at short side 128: 192x128 (k = 1.28, 192 = round(192/64)*64)
run --out "$work/a.png" --seed 3 && run --out "$work/a2.png" --seed 3 || bad "control run failed"
size_is "$work/a.png" 192 128 && ok || bad "canny output is not 192x128"
cmp -s "$work/a.png" "$work/a2.png" && ok || bad "same seed gave different bytes"

differs() { # name, extra args: the output must differ from a.png
  local name=$1; shift
  if run --out "$work/$name.png" --seed 3 "$@"; then
    cmp -s "$work/a.png" "$work/$name.png" && bad "$name: same output as the default" || ok
  else bad "$name: run failed"; fi
}
differs seed4 --seed 4
differs depth13 --depth 13
differs scale0 --control-scale 0
differs thresholds --low-threshold 1 --high-threshold 2
differs negative --negative-prompt "blurry"
differs guidance --guidance-scale 2
differs dpm --sampler dpmpp_2m

# A raw edge map is the hint itself: its size is the output size.
"$I2I" canny --image "$work/in.png" --out "$work/edges.png" >/dev/null || bad "canny failed"
$PY "$TOOLS/make_png.py" "$work/raw.png" 128 64 --pattern noise
"$I2I" run control --bundle "$work/c" --image "$work/raw.png" --prompt x --control-type raw \
  --steps 1 --out "$work/r.png" && size_is "$work/r.png" 128 64 && ok || bad "raw 128x64"

expect_error() { # name, expected text, command...
  local name=$1 want=$2; shift 2
  "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  if [ $rc -ne 1 ]; then bad "$name: exit code $rc (want 1)"; cat "$work/err.txt" >&2
  elif ! grep -qi -- "$want" "$work/err.txt"; then bad "$name: message lacks '$want':"; cat "$work/err.txt" >&2
  else ok; fi
}
expect_error "raw edge map of 150x100" "multiples of 64" "$I2I" run control --bundle "$work/c" \
  --image "$work/in.png" --prompt x --control-type raw --out "$work/x.png"
expect_error "low above high" "low" run --low-threshold 300 --high-threshold 200 --out "$work/x.png"
expect_error "edit bundle for control" "not control" "$I2I" run control --bundle "$work/e" \
  --image "$work/in.png" --prompt x --out "$work/x.png"
expect_error "scale out of range" "controlnet_conditioning_scale" run --control-scale 11 --out "$work/x.png"
head -c 100 "$work/in.png" >"$work/trunc.png"
expect_error "truncated PNG" "trunc.png" "$I2I" run control --bundle "$work/c" \
  --image "$work/trunc.png" --prompt x --out "$work/x.png"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
