#!/usr/bin/env bash
# `i2i eval stablesr` and `i2i eval cfw-decode` against the sr_tiny and
# cfw_tiny fixtures: every output tensor within the golden README's limit,
# max|y - ref| <= 2e-5 * max|ref| per tensor; --depth and --w select one
# output; bad options and mismatched files are clear errors.
set -u
I2I=${I2I_BIN:?}
G=${I2I_GOLDEN:?}
tools="$(dirname "$0")/../tools"
REL=2e-5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
check() { if "$@"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $*"; fi; }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
cmp_rel() { python3 "$tools/st_compare_rel.py" "$@"; }

SR_W="$G/sr_tiny_weights.safetensors" SR_IO="$G/sr_tiny_io.safetensors"
CFW_W="$G/cfw_tiny_weights.safetensors" CFW_IO="$G/cfw_tiny_io.safetensors"
eps_all=$(for d in $(seq 1 13); do printf 'eps_d%02d ' "$d"; done)

# StableSR: the four struct features and eps at every depth from one run.
if "$I2I" eval stablesr --weights "$SR_W" --inputs "$SR_IO" --out "$work/sr.safetensors"; then
  # shellcheck disable=SC2086  # eps_all is a list of names
  check cmp_rel "$work/sr.safetensors" "$SR_IO" $REL struct_0 struct_1 struct_2 struct_3 $eps_all
else fail "eval stablesr (all depths)"; fi
# --depth: the features and that depth's eps only.
if "$I2I" eval stablesr --weights "$SR_W" --inputs "$SR_IO" --out "$work/sr9.safetensors" \
  --depth 9; then
  check cmp_rel "$work/sr9.safetensors" "$SR_IO" $REL struct_0 eps_d09
  python3 - "$work/sr9.safetensors" <<'PY' || fail "--depth 9 wrote other eps"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
names = set(json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])) - {"__metadata__"}
assert names == {"struct_0", "struct_1", "struct_2", "struct_3", "eps_d09"}, names
PY
else fail "eval stablesr --depth 9"; fi

# CFW: encoder outputs from lr_image (+ noise), decodes at w 0, 0.5, 1.
if "$I2I" eval cfw-decode --weights "$CFW_W" --inputs "$CFW_IO" --out "$work/cfw.safetensors"; then
  check cmp_rel "$work/cfw.safetensors" "$CFW_IO" $REL moments enc_feat_0 enc_feat_1 lr_latent \
    decoded_w00 decoded_w05 decoded_w10
else fail "eval cfw-decode"; fi
# Only z and lr_image: the decoder fuses the features it encoded itself.
python3 - "$CFW_IO" "$work/zimg.safetensors" <<'PY' || fail "making z + lr_image inputs"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
out, data = {}, b""
for name in ("lr_image", "z"):
    s, e = h[name]["data_offsets"]
    out[name] = dict(h[name], data_offsets=[len(data), len(data) + e - s])
    data += b[8 + n + s:8 + n + e]
head = json.dumps(out).encode()
head += b" " * (-len(head) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(head)) + head + data)
PY
if "$I2I" eval cfw-decode --weights "$CFW_W" --inputs "$work/zimg.safetensors" \
  --out "$work/own.safetensors" --w 0.5; then
  check cmp_rel "$work/own.safetensors" "$CFW_IO" $REL decoded_w05 enc_feat_0 enc_feat_1
else fail "eval cfw-decode --w 0.5 from own features"; fi

# Errors: exit codes and messages that name the problem.
expect_error() { # want_rc needle args...
  local want=$1 needle=$2 rc
  shift 2
  "$I2I" eval "$@" --out "$work/x.safetensors" 2>"$work/err" >/dev/null
  rc=$?
  if [ "$rc" -ne "$want" ]; then fail "'$*': exit $rc, want $want"
  elif ! grep -q -- "$needle" "$work/err"; then fail "'$*': stderr lacks '$needle': $(cat "$work/err")"
  else passes=$((passes + 1)); fi
}
expect_error 1 "depth" stablesr --weights "$SR_W" --inputs "$SR_IO" --depth 14
expect_error 2 "config" stablesr --weights "$SR_W" --inputs "$SR_IO" --config "$work/c.json"
expect_error 1 "unet_config" stablesr --weights "$CFW_W" --inputs "$SR_IO"
expect_error 1 "x_t" stablesr --weights "$SR_W" --inputs "$CFW_IO"
expect_error 2 "\-\-w" cfw-decode --weights "$CFW_W" --inputs "$CFW_IO" --w 1.5
expect_error 1 "config" cfw-decode --weights "$SR_W" --inputs "$CFW_IO"
expect_error 1 "'z'" cfw-decode --weights "$CFW_W" --inputs "$SR_IO"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
