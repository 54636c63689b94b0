#!/usr/bin/env bash
# i2i inspect for StableSR: the v2-512 preset's parameters (U-Net, SPADE,
# encoder), 43.6 % of the U-Net kept at D8, and the per-job MACs against
# Table S8's StableSR column (18.75 / 17.49 / 15.57 T at D13 / D9 / D8 for
# 50 steps at 64x64; ours 18.745 / 17.488 / 15.560, see
# cli/inspect_stablesr.c); then an upscale bundle through --bundle.
set -u
bin="${I2I_BIN:?I2I_BIN must point to the built i2i}"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

json_check() {
    "$py" -c "import json,sys
d=json.load(sys.stdin)
$1"
}

"$bin" inspect --config stablesr --json >"$tmp/sr.json" || fail "stablesr --json: exit $?"
json_check '
s = d["stablesr"]
assert d["total_params"] == 865910724 == s["unet_params"], d["total_params"]
assert (s["spade_params"], s["encoder_params"]) == (53020160, 52494080)
assert s["params"] == 971424964 and s["steps"] == 50 and s["evals_per_step"] == 1
by = {x["depth"]: x for x in s["depths"]}
assert sorted(by) == list(range(1, 14))
assert round(by[8]["unet_kept_share"], 1) == 43.6, by[8]["unet_kept_share"]
for depth, tol in ((13, 0.005), (9, 0.005), (8, 0.015)):
    got, want = by[depth]["job_tmacs_conv_linear_paper"], s["table_s8_tmacs"][str(depth)]
    assert abs(got - want) <= tol, (depth, got, want)
# the encoder runs in full at every depth: +1.32 T per job
for x in s["depths"]:
    extra = x["job_tmacs_conv_linear_run"] - x["job_tmacs_conv_linear_paper"]
    assert abs(extra - 50 * s["encoder_macs_conv_linear"] / 1e12) < 2e-4, x
assert by[13]["spade_params_kept"] == s["spade_params"]
' <"$tmp/sr.json" || fail "stablesr --json content"

text=$("$bin" inspect --config stablesr) || fail "stablesr text: exit $?"
echo "$text" | grep -q "^stablesr: 971424964 parameters = U-Net 865910724 + SPADE 53020160 + encoder 52494080" ||
    fail "stablesr text: no parameter line"
echo "$text" | grep -Eq "^D08 +43\.63 +32\.690 +15\.560 +16\.876 +15\.57$" || fail "stablesr text: D8 row"
# Table S8's figures only for its own job
"$bin" inspect --config stablesr --steps 20 | grep -Eq "(TMACs  Table S8$|^Table S8 leaves)" && fail "--steps 20 shows Table S8"
"$bin" inspect --config stablesr --size 32x32 --json | json_check '
assert "table_s8_tmacs" not in d["stablesr"]' || fail "--size 32x32 shows Table S8"

# An upscale bundle (--bundle, or --config DIR): its manifest's configs and
# the SPADE width from the weights; the parts' totals are the values in its
# weight file under each prefix.
"$bin" mkmodel upscale --size tiny --out "$tmp/srb" >/dev/null || fail "mkmodel upscale"
if "$bin" inspect --bundle "$tmp/srb" --json --size 32x32 >"$tmp/srb.json"; then
    "$py" - "$tmp/srb.json" "$tmp/srb/model.safetensors" <<'PY' || fail "upscale bundle totals"
import json, struct, sys
d = json.load(open(sys.argv[1]))
f = open(sys.argv[2], "rb"); n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n))
count = {"unet": 0, "spade": 0, "encoder": 0}
for k, v in h.items():
    if k == "__metadata__":
        continue
    size = 1
    for x in v["shape"]:
        size *= x
    if k.startswith("structcond_stage_model."):
        count["encoder"] += size
    elif k.startswith("model.diffusion_model."):
        count["spade" if ".spade." in k else "unet"] += size
s = d["stablesr"]
assert (s["unet_params"], s["spade_params"], s["encoder_params"]) == \
    (count["unet"], count["spade"], count["encoder"]), (s, count)
assert d["total_params"] == count["unet"] and d["latent"] == {"h": 32, "w": 32}
assert "table_s8_tmacs" not in s
PY
else
    fail "inspect --bundle UPSCALE_DIR"
fi
"$bin" inspect --config "$tmp/srb" | grep -q "^stablesr: " || fail "--config UPSCALE_DIR: no StableSR section"
# --bundle takes directories only; other bundles read as with --config.
"$bin" inspect --bundle stablesr >/dev/null 2>&1
[ $? -eq 2 ] || fail "--bundle stablesr (a preset name) accepted"
"$bin" mkmodel edit --size tiny --out "$tmp/edit" >/dev/null || fail "mkmodel edit"
[ "$("$bin" inspect --bundle "$tmp/edit" --json | json_check 'print(d["total_params"])')" = \
  "$("$bin" inspect --config "$tmp/edit" --json | json_check 'print(d["total_params"])')" ] ||
    fail "--bundle EDIT_DIR differs from --config EDIT_DIR"
printf '{"task": "upscale", "weights": ["model.safetensors"], "unet": {"config": {}}}' \
    >"$tmp/srb/manifest.json"
"$bin" inspect --bundle "$tmp/srb" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 2 ] || [ ! -s "$tmp/err" ]; then
    fail "broken upscale manifest: exit $rc, want 2 with a message"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "inspect stablesr: all checks passed"
