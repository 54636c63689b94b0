#!/usr/bin/env bash
# i2i inspect: SD-1.5's parameter total and Table-S7 levels in the JSON
# output, MACs against the reference (shared/ref/sd_unet.py unet_macs), the
# config read from a golden .safetensors and from a JSON file (checked against
# the tensors actually in the file), the text table, and usage errors.
set -u
bin="${I2I_BIN:?I2I_BIN must point to the built i2i}"
golden="${I2I_GOLDEN:?I2I_GOLDEN must point to the golden fixtures}"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ ! -x "$bin" ]; then
    echo "FAIL: $bin is not built" >&2
    exit 1
fi
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a python check on JSON from stdin; $1 is the python body (d = the object).
json_check() {
    "$py" -c "import json,sys
d=json.load(sys.stdin)
$1"
}

"$bin" inspect --config sd15 --json >"$tmp/sd15.json" || fail "sd15 --json: exit $?"
# MACs: unet_macs(UNet(SD15_CONFIG), 64, 64, depth) of the reference.
json_check '
assert d["total_params"] == 859520964, d["total_params"]
lv = d["levels"]
assert [l["level"] for l in lv] == list(range(1, 14))
assert sum(l["params"] for l in lv) + d["shared_params"] == d["total_params"]
assert abs(lv[-1]["cumulative"] - 100) < 1e-6
s7 = [0.69, 1.25, 1.37, 2.85, 4.39, 5.06, 10.98, 16.71, 17.47, 9.17, 9.37, 9.37, 11.32]
assert [round(l["share"], 2) for l in lv] == s7, [l["share"] for l in lv]
dp = d["depths"]
assert [x["depth"] for x in dp] == list(range(13, 0, -1))
assert dp[0]["params_kept"] == d["total_params"]
assert dp[0]["macs_conv_linear"] == 221973053440 + 116637532160
assert dp[0]["macs_attention"] == 63026135040
assert dp[4]["macs_total"] == 377962659840  # D9
assert all(x["macs_total"] == x["macs_conv_linear"] + x["macs_attention"] for x in dp)
assert d["latent"] == {"h": 64, "w": 64}
' <"$tmp/sd15.json" || fail "sd15 --json content"

"$bin" inspect --config sd15 --json --size 96x64 >"$tmp/size.json" || fail "--size: exit $?"
json_check '
assert d["latent"] == {"h": 96, "w": 64}
assert d["depths"][0]["macs_total"] == 332959580160 + 174204354560 + 140474695680
' <"$tmp/size.json" || fail "--size 96x64 content"

# A weight file's metadata config: the total must equal the tensors in the file.
st="$golden/unet_tiny_v2.safetensors"
file_total=$("$py" -c '
import json, struct, sys
b = open(sys.argv[1], "rb").read()
h = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])
h.pop("__metadata__", None)
n = 0
for v in h.values():
    k = 1
    for s in v["shape"]:
        k *= s
    n += k
print(n)
open(sys.argv[2], "w").write(json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])["__metadata__"]["config"])
' "$st" "$tmp/tiny_v2.json")
out=$("$bin" inspect --config "$st" --json | json_check 'print(d["total_params"])')
[ -n "$file_total" ] && [ "$out" = "$file_total" ] || fail "safetensors config: total '$out', file holds '$file_total'"
out=$("$bin" inspect --config "$tmp/tiny_v2.json" --json | json_check 'print(d["total_params"])')
[ "$out" = "$file_total" ] || fail "JSON config file: total '$out', want '$file_total'"

text=$("$bin" inspect --config ip2p) || fail "ip2p text: exit $?"
echo "$text" | grep -q "859532484" || fail "ip2p text: no total 859532484"
echo "$text" | grep -Eq "^D09 +523229124 +60\.87 " || fail "ip2p text: no D9 row with 60.87 % kept"
echo "$text" | grep -Eq "^D01 +5952000 +0\.69 " || fail "ip2p text: no level 1 row"

"$bin" inspect --help | grep -q "usage: i2i inspect" || fail "--help"

expect_usage_error() {
    local err rc
    err=$("$bin" inspect "$@" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" -eq 2 ] || fail "'$*': exit $rc, want 2"
    [ -n "$err" ] || fail "'$*': no message on stderr"
}
printf '{"in_channels": 4' >"$tmp/broken.json"
printf 'not a weight file' >"$tmp/broken.safetensors"
# in_channels 2^32 + 4 must be refused, not wrapped to 4.
printf '{"in_channels":4294967300,"out_channels":4,"model_channels":320,"channel_mult":[1],"num_res_blocks":2,"attention_resolutions":[1],"num_heads":8,"context_dim":768}' >"$tmp/wrap.json"
expect_usage_error
expect_usage_error --config
expect_usage_error --config sd99
expect_usage_error --config "$tmp/missing.json"
expect_usage_error --config "$tmp/broken.json"
expect_usage_error --config "$tmp/broken.safetensors"
expect_usage_error --config "$tmp/wrap.json"
expect_usage_error --config "$golden/schedule.json"
expect_usage_error --config sd15 --size 60x64
expect_usage_error --config sd15 --size 64
expect_usage_error --config sd15 --size 0x64
expect_usage_error --config sd15 --size 64x64junk
expect_usage_error --config sd15 --bogus

# A bundle directory: the config comes from its manifest, and the total is
# the number of U-Net values in its weight file.
"$bin" mkmodel edit --size tiny --out "$tmp/bundle" >/dev/null || fail "mkmodel"
if "$bin" inspect --config "$tmp/bundle" --json --size 32x32 >"$tmp/bundle.json"; then
    /usr/bin/python3 - "$tmp/bundle.json" "$tmp/bundle/model.safetensors" <<'PY' || fail "bundle total"
import json, struct, sys
total = json.load(open(sys.argv[1]))["total_params"]
f = open(sys.argv[2], "rb"); n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n))
want = 0
for k, v in h.items():
    if k.startswith("model.diffusion_model."):
        size = 1
        for d in v["shape"]: size *= d
        want += size
assert total == want, (total, want)
PY
else
    fail "inspect --config BUNDLE_DIR"
fi

# ControlNet (cldm_v15): 361,279,120 parameters; 64x64 latents, 20 steps x 2 CFG
# evaluations, the paper's accounting (branch in full) against Table S8
# (18.21 / 17.26 / 15.79; the independent reference gives 18.20 / 17.26 / 15.78),
# and the branch as run: stopped after block D-1, so cheaper below D13.
"$bin" inspect --config cldm_v15 --json >"$tmp/cn.json" || fail "cldm_v15 --json: exit $?"
json_check '
c = d["controlnet"]
assert c["params"] == 361279120, c["params"]
assert d["config"]["in_channels"] == 4 and c["steps"] == 20 and c["evals_per_step"] == 2
by = {x["depth"]: x for x in c["depths"]}
for depth, want in ((13, 18.20), (9, 17.26), (8, 15.78)):
    got = by[depth]["job_tmacs_conv_linear_paper"]
    assert abs(got - want) < 0.005, (depth, got, want)
assert by[13]["job_tmacs_conv_linear_run"] == by[13]["job_tmacs_conv_linear_paper"]
assert all(by[x]["job_tmacs_conv_linear_run"] < by[x]["job_tmacs_conv_linear_paper"]
           for x in range(1, 13))
assert by[13]["branch_macs_conv_linear_run"] == c["branch_macs_conv_linear_full"]
' <"$tmp/cn.json" || fail "cldm_v15 ControlNet accounting"
"$bin" inspect --config cldm_v15 --steps 0 >/dev/null 2>&1 && fail "--steps 0 accepted"
"$bin" mkmodel control --size tiny --out "$tmp/ctl" >/dev/null || fail "mkmodel control"
"$bin" inspect --config "$tmp/ctl" | grep -q "^controlnet: " || fail "control bundle: no ControlNet section"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "inspect CLI: all checks passed"
