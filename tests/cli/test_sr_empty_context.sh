#!/usr/bin/env bash
# tools/sr_empty_context.py (the StableSR bundle's "empty_context" tensor) against the
# golden tiny CLIP text model: its HF weights re-laid out as an OpenCLIP text tower give
# clip_tiny_io's last_hidden_state with --layer last (max|y - ref| <= 2e-5 * max|ref|),
# final_layer_norm(hidden_1) with --layer penultimate; "" tokenizes the OpenCLIP way
# (49406, 49407, 0 padding); GELU is the erf form; missing tensors and bad ids are clear
# errors with a non-zero exit and no output file.
set -u
G=${I2I_GOLDEN:?I2I_GOLDEN must point to tests/golden}
SRC=${I2I_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TOOL="$SRC/tools/sr_empty_context.py"
HELP="$SRC/tests/tools/clip_hf_to_openclip.py"
CMP="$SRC/tests/tools/st_compare_rel.py"
REL=2e-5
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import numpy' 2>/dev/null; then
  echo "FAIL: $py has no numpy (sr_empty_context.py needs python3-numpy)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
check() { if "$@"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $*"; fi; }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
tool() { "$py" "$TOOL" "$@"; }
helper() { "$py" "$HELP" "$@"; }
TINY=(--act quick_gelu --heads 2) # clip_tiny: quick_gelu, 2 heads of 32 (W/64 would be 1)

# Fixtures: the OpenCLIP layout of clip_tiny, each golden id row, the references.
helper convert "$G/clip_tiny.safetensors" "$work/oc.safetensors" || { echo "FAIL: convert"; exit 1; }
for r in 0 1; do
  helper ids "$G/clip_tiny_ids.json" $r "$work/ids$r.json" || fail "ids row $r"
  helper ref "$G/clip_tiny_io.safetensors" $r "$work/ref$r.safetensors" || fail "ref row $r"
done
helper ref "$G/clip_tiny_io.safetensors" 0 "$work/pen0.safetensors" \
  --ln "$G/clip_tiny.safetensors" || fail "penultimate ref"

# --layer last: both golden rows (a prompt-like one and 77 arbitrary ids).
for r in 0 1; do
  if tool "$work/oc.safetensors" "$work/last$r.safetensors" --layer last "${TINY[@]}" \
    --tokens "$work/ids$r.json" >/dev/null; then
    check "$py" "$CMP" "$work/last$r.safetensors" "$work/ref$r.safetensors" $REL empty_context
  else fail "tool --layer last, row $r"; fi
done

# Output file: one F32 tensor [1,77,64] and the metadata the bundle loader reads.
"$py" - "$work/last0.safetensors" <<'PY' || fail "output layout / metadata"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
assert (8 + n) % 8 == 0, n
meta = h.pop("__metadata__")
assert list(h) == ["empty_context"], list(h)
t = h["empty_context"]
assert t["dtype"] == "F32" and t["shape"] == [1, 77, 64], t
assert t["data_offsets"] == [0, 77 * 64 * 4] and len(b) == 8 + n + 77 * 64 * 4
assert meta == {"source": "oc.safetensors", "layer": "last", "tool": "sr_empty_context.py"}, meta
PY

# --layer penultimate (the default): layer 0 then ln_final; not the same as last.
if tool "$work/oc.safetensors" "$work/pen.safetensors" "${TINY[@]}" \
  --tokens "$work/ids0.json" >/dev/null; then
  check "$py" "$CMP" "$work/pen.safetensors" "$work/pen0.safetensors" $REL empty_context
  if "$py" "$CMP" "$work/pen.safetensors" "$work/ref0.safetensors" 0.01 empty_context \
    >/dev/null; then fail "--layer penultimate is within 1% of last"; fi
  "$py" - "$work/pen.safetensors" <<'PY' || fail "penultimate metadata"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
assert json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])["__metadata__"]["layer"] == "penultimate"
PY
else fail "tool --layer penultimate"; fi

# The other activation and the default head count change the answer (each is used).
tool "$work/oc.safetensors" "$work/gelu.safetensors" --layer last --act gelu --heads 2 \
  --tokens "$work/ids0.json" >/dev/null || fail "tool --act gelu"
if "$py" "$CMP" "$work/gelu.safetensors" "$work/ref0.safetensors" $REL empty_context \
  >/dev/null; then fail "--act gelu gives quick_gelu's answer"; fi
tool "$work/oc.safetensors" "$work/h1.safetensors" --layer last --act quick_gelu \
  --tokens "$work/ids0.json" >/dev/null || fail "tool with W/64 = 1 head"
if "$py" "$CMP" "$work/h1.safetensors" "$work/ref0.safetensors" $REL empty_context \
  >/dev/null; then fail "--heads 2 and 1 head agree"; fi
# GELU is 0.5 x (1 + erf(x / sqrt 2)) (OpenCLIP's nn.GELU), not the tanh form.
"$py" - "$TOOL" <<'PY' || fail "GELU values"
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location("sec", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
x = np.array([-3.0, -0.5, 0.0, 1.0, 2.5])
# x * Phi(x), Phi from tables: Phi(-3) = 0.00134989803163, Phi(2.5) = 0.99379033467422
want = np.array([-0.00404969409489, -0.15426876936299, 0.0, 0.84134474606854, 2.48447583668555])
assert np.max(np.abs(m.gelu(x) - want)) < 1e-12, m.gelu(x) - want
PY

# Default tokens: "" is [49406, 49407, 0 x 75] (OpenCLIP pads with 0, not 49407).
helper convert "$G/clip_tiny.safetensors" "$work/big.safetensors" --vocab 49408 \
  || fail "convert --vocab 49408"
"$py" -c 'import json,sys; json.dump([49406, 49407] + [0] * 75, open(sys.argv[1], "w"))' \
  "$work/oc_ids.json"
"$py" -c 'import json,sys; json.dump([49406] + [49407] * 76, open(sys.argv[1], "w"))' \
  "$work/sd1_ids.json"
tool "$work/big.safetensors" "$work/def.safetensors" "${TINY[@]}" >/dev/null \
  || fail "tool with the default tokens"
tool "$work/big.safetensors" "$work/ocids.safetensors" "${TINY[@]}" \
  --tokens "$work/oc_ids.json" >/dev/null || fail "tool --tokens (OpenCLIP ids)"
tool "$work/big.safetensors" "$work/sd1.safetensors" "${TINY[@]}" \
  --tokens "$work/sd1_ids.json" >/dev/null || fail "tool --tokens (SD-1 padding)"
check cmp -s "$work/def.safetensors" "$work/ocids.safetensors"
if "$py" "$CMP" "$work/def.safetensors" "$work/sd1.safetensors" $REL empty_context \
  >/dev/null; then fail "default tokens give SD-1's 49407 padding"; fi

# F16 checkpoints load (round-off only: 1e-2 of max|ref|).
helper convert "$G/clip_tiny.safetensors" "$work/f16.safetensors" --dtype F16 \
  || fail "convert --dtype F16"
if tool "$work/f16.safetensors" "$work/f16out.safetensors" --layer last "${TINY[@]}" \
  --tokens "$work/ids0.json" >/dev/null; then
  check "$py" "$CMP" "$work/f16out.safetensors" "$work/ref0.safetensors" 1e-2 empty_context
else fail "tool on F16 weights"; fi

# Errors: exit non-zero, name the problem, write nothing.
expect_error() { # description, stderr pattern, tool args...
  local what=$1 pattern=$2
  shift 2
  rm -f "$work/err.safetensors"
  tool "$@" "$work/err.safetensors" >/dev/null 2>"$work/err.txt"
  local rc=$?
  [ $rc -ne 0 ] || { fail "$what: exit status 0"; return; }
  grep -q -- "$pattern" "$work/err.txt" || { fail "$what: stderr lacks '$pattern':"; cat "$work/err.txt"; }
  [ ! -e "$work/err.safetensors" ] || fail "$what: wrote an output file"
  passes=$((passes + 1))
}
args_tail=("${TINY[@]}" --tokens "$work/ids0.json")
for key in ln_final.bias transformer.resblocks.1.attn.in_proj_weight positional_embedding; do
  helper convert "$G/clip_tiny.safetensors" "$work/drop.safetensors" --drop "$key" \
    || fail "convert --drop $key"
  expect_error "missing $key" "missing tensor 'cond_stage_model.model.$key'" \
    "$work/drop.safetensors" --layer last "${args_tail[@]}"
done
expect_error "wrong --prefix" "missing tensor 'model.token_embedding.weight'" \
  "$work/oc.safetensors" --prefix model. "${args_tail[@]}"
expect_error "HF layout given as OpenCLIP" "missing tensor" \
  "$G/clip_tiny.safetensors" "${args_tail[@]}"
expect_error "no such input" "No such file" "$work/nonexistent.safetensors" "${args_tail[@]}"
expect_error "default ids outside a 1000-token vocabulary" "token id 49406 is outside" \
  "$work/oc.safetensors" "${TINY[@]}"
echo '[1, 2, 3]' >"$work/short.json"
expect_error "3 token ids" "3 token ids" "$work/oc.safetensors" "${TINY[@]}" \
  --tokens "$work/short.json"
expect_error "--heads 3 of width 64" "not divisible" "$work/oc.safetensors" --heads 3 \
  --tokens "$work/ids0.json"
rm -f "$work/err.safetensors"
tool "$work/oc.safetensors" "$work/err.safetensors" --layer first >/dev/null 2>&1
check test $? -eq 2

echo "sr_empty_context: $passes passed, $fails failed"
[ $fails -eq 0 ]
