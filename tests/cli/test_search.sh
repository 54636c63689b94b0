#!/usr/bin/env bash
# `i2i search gamma|depth` end to end on a tiny bundle and two 32x32 images:
# report + SVG + profile are written; the searched gamma scores at least as
# well as gamma 1 (checked from the report and again independently with
# `i2i run edit` and a PSNR computed here); a second run takes the references
# from the cache and reports fewer U-Net evaluations; the depth search's
# answer is consistent with every depth it reports; bad input is refused.
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
mkdir "$work/imgs"
$PY "$TOOLS/make_png.py" "$work/imgs/a.png" 32 32 --seed 1
$PY "$TOOLS/make_png.py" "$work/imgs/b.png" 40 32 --pattern noise --seed 2
printf 'make it autumn\nturn it into a painting\n' >"$work/prompts.txt"

REF_STEPS=12 STEPS=4
search() {
  "$I2I" search "$@" --bundle "$work/b" --images "$work/imgs" --prompts "$work/prompts.txt" \
    --ref-steps $REF_STEPS --steps $STEPS --cache "$work/cache"
}

search gamma --out "$work/g1.json" --svg "$work/g1.svg" --write-profile "$work/g.json" \
  >"$work/g1.log" && ok || bad "gamma search failed: $(cat "$work/g1.log")"
search gamma --out "$work/g2.json" >"$work/g2.log" && ok || bad "second gamma search failed"

$PY - "$work" $REF_STEPS <<'PY' && ok || bad "gamma reports"
import json, sys, xml.etree.ElementTree as ET
w, ref_steps = sys.argv[1], int(sys.argv[2])
r1, r2 = (json.load(open(f"{w}/{n}.json")) for n in ("g1", "g2"))
res = r1["result"]
assert res["score"] >= res["uniform_score"], res
assert r1["trials"][0]["gamma"] == 1.0 and r1["trials"][0]["score"] == res["uniform_score"]
assert any(t["kept"] and t["gamma"] == res["gamma"] for t in r1["trials"])
assert all(t["gamma"] <= 1.0 for t in r1["trials"]), "editing searches towards gamma < 1"
c1, c2 = r1["search_cost"], r2["search_cost"]
assert c1["references_computed"] == 2 and c1["references_from_cache"] == 0, c1
assert c2["references_computed"] == 0 and c2["references_from_cache"] == 2, c2
# the cache saves exactly the two reference jobs: 2 x ref_steps x 3 U-Net calls
assert c1["unet_evaluations"] - c2["unet_evaluations"] == 2 * ref_steps * 3, (c1, c2)
assert r2["result"]["gamma"] == res["gamma"] and r2["result"]["score"] == res["score"]
assert c1["wall_seconds"] > 0 and r1["job_cost"]["unet_params_kept_share"] == 1.0
ET.parse(f"{w}/g1.svg")  # well-formed SVG
p = json.load(open(f"{w}/g.json"))
assert p["format"] == "i2i-profile/1" and p["task"] == "edit", p
assert abs(p["gamma"] - res["gamma"]) < 1e-12 and p["steps"] == 4 and p["depth"] == 13
assert "g1.json" in p["source"], p["source"]
PY

# Independent check: run the searched gamma, gamma 1 and the reference with
# `i2i run edit` on the first image and compare PSNRs computed here.
best=$($PY -c "import json,sys; print(repr(json.load(open(sys.argv[1]))['result']['gamma']))" "$work/g1.json")
edit() { "$I2I" run edit --bundle "$work/b" --image "$work/imgs/a.png" --prompt "make it autumn" \
  --eta 0 --seed 0 --depth 13 --out "$@"; }
edit "$work/ref.png" --steps $REF_STEPS --gamma 1 && edit "$work/best.png" --steps $STEPS \
  --gamma "$best" && edit "$work/uni.png" --steps $STEPS --gamma 1 && ok || bad "run edit"
$PY - "$work" <<'PY' && ok || bad "independent PSNR check"
import json, math, struct, sys, zlib
w = sys.argv[1]
def png_rgb(path):  # 8-bit RGB PNG, any filter
    d = open(path, "rb").read(); pos = 8; idat = b""; width = height = 0
    while pos < len(d):
        n, kind = struct.unpack(">I4s", d[pos:pos + 8]); body = d[pos + 8:pos + 8 + n]; pos += 12 + n
        if kind == b"IHDR": width, height, depth, ctype = struct.unpack(">IIBB", body[:10]); assert (depth, ctype) == (8, 2)
        elif kind == b"IDAT": idat += body
    raw = zlib.decompress(idat); stride = width * 3; out = []; prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0; b = prev[i]; c = prev[i - 3] if i >= 3 else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line; prev = line
    return out
def psnr(x, y):
    mse = sum((p - q) ** 2 for p, q in zip(x, y)) / len(x)
    return 100.0 if mse == 0 else min(100.0, 10 * math.log10(255 ** 2 / mse))
ref, best, uni = (png_rgb(f"{w}/{n}.png") for n in ("ref", "best", "uni"))
r = json.load(open(f"{w}/g1.json"))
assert psnr(best, ref) >= psnr(uni, ref) - 1e-9 or r["result"]["gamma"] == 1.0, (psnr(best, ref), psnr(uni, ref))
# the report's gamma-1 score is the mean over both images; image a alone is recomputed here
print(f"image a: searched gamma {psnr(best, ref):.3f} dB, gamma 1 {psnr(uni, ref):.3f} dB")
PY

search depth --all-depths --threshold 20 --gamma 0.5 --out "$work/d.json" --svg "$work/d.svg" \
  --write-profile "$work/dp.json" --profile-name edit-d >"$work/d.log" && ok \
  || bad "depth search failed: $(cat "$work/d.log")"
$PY - "$work" <<'PY' && ok || bad "depth report"
import json, sys, xml.etree.ElementTree as ET
w = sys.argv[1]
r = json.load(open(f"{w}/d.json")); res = r["result"]; t = {x["depth"]: x for x in r["trials"]}
assert sorted(t) == list(range(1, 13)), sorted(t)  # every pruned depth, with --all-depths
for d, x in t.items():
    assert x["pass"] == (x["score"] >= 20), x
    assert 0 < x["job_cost"]["unet_params_kept"] < x["job_cost"]["unet_params_total"]
kept = [t[d]["job_cost"]["unet_params_kept"] for d in range(1, 13)]
assert kept == sorted(kept) and len(set(kept)) == 12, kept
# the answer: the shallowest depth from which every deeper pruned depth passes
want = 13
for d in range(12, 0, -1):
    if not t[d]["pass"]: break
    want = d
assert res["depth"] == want and res["found"] == (want < 13), (res, want)
assert r["search_cost"]["references_from_cache"] == 2  # the same references as the gamma search
ET.parse(f"{w}/d.svg")
p = json.load(open(f"{w}/dp.json"))
assert p["name"] == "edit-d" and p["depth"] == res["depth"] and p["gamma"] == 0.5
print("depth search picked", res["depth"], {d: round(t[d]["score"], 2) for d in t})
PY

# Bad input: a clear message and a non-zero exit, never a crash.
refuse() { # expected message, args...
  local want=$1; shift
  "$I2I" search "$@" >"$work/out.log" 2>&1; local rc=$?
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q -- "$want" "$work/out.log"; then ok
  else bad "search $* -> rc $rc, wanted '$want': $(cat "$work/out.log")"; fi
}
B=(--bundle "$work/b" --prompt x --out "$work/x.json")
refuse "unknown search" frobnicate
refuse "are required" gamma --bundle "$work/b" --images "$work/imgs"
refuse "cannot open image folder" gamma "${B[@]}" --images "$work/none"
printf 'only one\n' >"$work/short.txt"
refuse "has 1 prompts for 2 images" gamma --bundle "$work/b" --images "$work/imgs" \
  --prompts "$work/short.txt" --out "$work/x.json"
refuse "unknown metric" gamma "${B[@]}" --images "$work/imgs" --metric lpips --steps 1 --ref-steps 1
refuse "must be below or at" depth "${B[@]}" --images "$work/imgs" --min-depth 13 --ref-steps 1
refuse "--steps must be an integer" gamma "${B[@]}" --images "$work/imgs" --steps 0
refuse "bundle" gamma --bundle "$work/nobundle" --prompt x --out "$work/x.json" --images "$work/imgs"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
