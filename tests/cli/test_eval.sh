#!/usr/bin/env bash
# `i2i eval` against every golden network fixture, exactly as a user would
# check one from the shell (tolerances from ../shared/golden/README.md).
set -u
I2I=${I2I_BIN:?}
G=${I2I_GOLDEN:?}
CMP="python3 $(dirname "$0")/../tools/st_compare.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
check() { if "$@"; then passes=$((passes + 1)); else fails=$((fails + 1)); fi; }

unet_depths() { # fixture, depths...
  local fx=$1; shift
  for d in "$@"; do
    local dd; dd=$(printf %02d "$d")
    if "$I2I" eval unet --weights "$G/$fx.safetensors" --inputs "$G/${fx}_io.safetensors" \
      --out "$work/$fx-$dd.safetensors" --depth "$d"; then
      check $CMP "$work/$fx-$dd.safetensors" eps "$G/${fx}_io.safetensors" "eps_d$dd" 3e-5
    else fails=$((fails + 1)); echo "FAIL: eval unet $fx depth $d"; fi
  done
}
unet_depths unet_tiny_v1 13 12 9 6 3 1
unet_depths unet_tiny_v2 13 8 5

# ControlNet + U-Net (cn_tiny): residuals of the full branch and eps at three depths.
# Limit: 2e-5 * max|ref| (README); residuals reach 22, eps 2.5.
for d in 13 9 1; do
  dd=$(printf %02d "$d")
  if "$I2I" eval controlnet --weights "$G/cn_tiny_weights.safetensors" \
    --inputs "$G/cn_tiny_io.safetensors" --out "$work/cn-$dd.safetensors" --depth "$d"; then
    check $CMP "$work/cn-$dd.safetensors" "eps_d$dd" "$G/cn_tiny_io.safetensors" "eps_d$dd" 5e-5
  else fails=$((fails + 1)); echo "FAIL: eval controlnet depth $d"; fi
done
for k in $(seq 0 12); do
  kk=$(printf %02d "$k")
  check $CMP "$work/cn-13.safetensors" "control_$kk" "$G/cn_tiny_io.safetensors" "control_$kk" 4.4e-4
done
# The U-Net-only file has no ControlNet: a clear error.
if "$I2I" eval controlnet --weights "$G/unet_tiny_v1.safetensors" \
  --inputs "$G/cn_tiny_io.safetensors" --out "$work/x.safetensors" 2>"$work/err"; then
  fails=$((fails + 1)); echo "FAIL: controlnet on a U-Net-only file succeeded"
else check grep -q "control_model" "$work/err"; fi

"$I2I" eval vae-encode --weights "$G/vae_tiny.safetensors" --inputs "$G/vae_tiny_io.safetensors" \
  --out "$work/enc.safetensors" || fails=$((fails + 1))
check $CMP "$work/enc.safetensors" mean "$G/vae_tiny_io.safetensors" mean 3e-5
check $CMP "$work/enc.safetensors" mean_ns "$G/vae_tiny_io.safetensors" mean_ns 3e-5
"$I2I" eval vae-decode --weights "$G/vae_tiny.safetensors" --inputs "$G/vae_tiny_io.safetensors" \
  --out "$work/dec.safetensors" || fails=$((fails + 1))
check $CMP "$work/dec.safetensors" decoded "$G/vae_tiny_io.safetensors" decoded 3e-5
check $CMP "$work/dec.safetensors" decoded_ns "$G/vae_tiny_io.safetensors" decoded_ns 3e-5
"$I2I" eval clip-text --weights "$G/clip_tiny.safetensors" --inputs "$G/clip_tiny_io.safetensors" \
  --out "$work/clip.safetensors" || fails=$((fails + 1))
check $CMP "$work/clip.safetensors" last_hidden_state "$G/clip_tiny_io.safetensors" \
  last_hidden_state 2e-5

# A wrong depth and a missing input file are clear errors, not crashes.
"$I2I" eval unet --weights "$G/unet_tiny_v1.safetensors" --inputs "$G/unet_tiny_v1_io.safetensors" \
  --out "$work/x.safetensors" --depth 14 2>"$work/err" && fails=$((fails + 1))
check grep -q "depth" "$work/err"
"$I2I" eval unet --weights "$G/unet_tiny_v1.safetensors" --inputs "$work/none.safetensors" \
  --out "$work/x.safetensors" 2>"$work/err"
check test $? -eq 1

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
