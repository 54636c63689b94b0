#!/usr/bin/env bash
# `i2i run edit` as a user runs it, on a tiny bundle made by `i2i mkmodel`:
# determinism, parameters that change the output, and every bad input giving
# a clear message and exit code 1 (never a crash or a signal).
set -u
I2I=${I2I_BIN:?}
TOOLS=$(dirname "$0")/../tools
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

"$I2I" mkmodel edit --size tiny --out "$work/b" >/dev/null || { echo "FAIL: mkmodel"; exit 1; }
$PY "$TOOLS/make_png.py" "$work/in.png" 96 64
run() { "$I2I" run edit --bundle "$work/b" --image "$work/in.png" --prompt "make it autumn" "$@"; }

run --out "$work/a.png" --seed 7 && run --out "$work/a2.png" --seed 7 || bad "edit run failed"
cmp -s "$work/a.png" "$work/a2.png" && ok || bad "same seed gave different bytes"
$PY - "$work/a.png" <<'PY' && ok || bad "output is not a 96x64 PNG"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert struct.unpack(">II", d[16:24]) == (96, 64), struct.unpack(">II", d[16:24])
PY

differs() { # name, extra args: the output must differ from a.png
  local name=$1; shift
  if run --out "$work/$name.png" --seed 7 "$@"; then
    cmp -s "$work/a.png" "$work/$name.png" && bad "$name: same output as the default" || ok
  else bad "$name: run failed"; fi
}
differs seed8 --seed 8
differs depth13 --depth 13
differs steps5 --steps 5
differs gamma1 --gamma 1
differs dpm --sampler dpmpp_2m
differs eta1 --eta 1
run --out "$work/full.png" --depth 13 --steps 50 --gamma 1 && ok || bad "D13 + 50 uniform steps"
run --out "$work/fast.png" --depth 9 --steps 10 --gamma 1/1.8 && ok || bad "D9 + 10 gamma steps"

expect_error() { # name, expected text, command...
  local name=$1 want=$2; shift 2
  "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  if [ $rc -ne 1 ]; then bad "$name: exit code $rc (want 1)"; cat "$work/err.txt" >&2
  elif ! grep -qi -- "$want" "$work/err.txt"; then bad "$name: message lacks '$want':"; cat "$work/err.txt" >&2
  else ok; fi
}
img_run() { "$I2I" run edit --bundle "$work/b" --prompt p --out "$work/x.png" "$@"; }

$PY "$TOOLS/make_png.py" "$work/one.png" 1 1
expect_error "1x1 image" "at least" img_run --image "$work/one.png"
# A large photo runs at the working size and comes back at its own size ...
$PY "$TOOLS/make_png.py" "$work/big.png" 2268 1512
img_run --image "$work/big.png" --steps 1 && $PY - "$work/x.png" <<'PY' && ok || bad "2268x1512 at the working size, back at 2268x1512"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert struct.unpack(">II", d[16:24]) == (2268, 1512), struct.unpack(">II", d[16:24])
PY
# ... or at the working size: 576x384 at resolution 512 (InstructPix2Pix's rounding)
img_run --image "$work/big.png" --steps 1 --resolution 512 --output-size working &&
  $PY - "$work/x.png" <<'PY' && ok || bad "2268x1512 at resolution 512: 576x384"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert struct.unpack(">II", d[16:24]) == (576, 384), struct.unpack(">II", d[16:24])
PY
rm -f "$work/x.png"
# ... unless the working size is over the bundle's limit (4.2 MP)
expect_error "2268x1512 at resolution 4096" "limit" img_run --image "$work/big.png" --resolution 4096
head -c 200 "$work/in.png" >"$work/trunc.png"
expect_error "truncated PNG" "trunc.png" img_run --image "$work/trunc.png"
expect_error "invalid UTF-8 prompt" "UTF-8" \
  "$I2I" run edit --bundle "$work/b" --image "$work/in.png" --prompt "$(printf 'a\xffb')" --out "$work/x.png"
expect_error "missing image file" "No such file" img_run --image "$work/nope.png"

broken_bundle() { # name, tamper args...; the copy shares the vocabulary
  local name=$1; shift
  mkdir -p "$work/$name"
  cp "$work/b/manifest.json" "$work/b/bpe_simple_vocab_16e6.txt.gz" "$work/$name/"
  $PY "$TOOLS/st_tamper.py" "$work/b/model.safetensors" "$work/$name/model.safetensors" "$@"
}
T=model.diffusion_model.input_blocks.1.0.in_layers.2.weight
broken_bundle nomissing --drop "$T"
expect_error "missing tensor" "missing tensor" \
  "$I2I" run edit --bundle "$work/nomissing" --image "$work/in.png" --prompt p --out "$work/x.png"
broken_bundle wrongshape --reshape "$T"
expect_error "wrong-shaped tensor" "shape" \
  "$I2I" run edit --bundle "$work/wrongshape" --image "$work/in.png" --prompt p --out "$work/x.png"
broken_bundle truncated --truncate 5000000
expect_error "truncated safetensors" "model.safetensors" \
  "$I2I" run edit --bundle "$work/truncated" --image "$work/in.png" --prompt p --out "$work/x.png"
mkdir -p "$work/badmanifest" && echo '{"task": "edit", "weights": [' >"$work/badmanifest/manifest.json"
expect_error "bad manifest" "manifest.json" \
  "$I2I" run edit --bundle "$work/badmanifest" --image "$work/in.png" --prompt p --out "$work/x.png"
echo '{"task": "edit", "weights": 5}' >"$work/badmanifest/manifest.json"
expect_error "manifest without weights" "weights" \
  "$I2I" run edit --bundle "$work/badmanifest" --image "$work/in.png" --prompt p --out "$work/x.png"
[ ! -e "$work/x.png" ] && ok || bad "a failed run left an output file"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
