#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to a running service:
# installs packages, builds, serves the trained tiny InstructPix2Pix of
# models/ip2p-tiny plus tiny random control and upscale bundles on
# 127.0.0.1:8080 (I2I_LISTEN overrides), submits a real edit of a real photo
# with curl, polls the job to the end and saves the result, asks for four
# more edits of that photo (one on the edit-full profile), then runs a
# ControlNet (canny) request and a StableSR 2x upscale, and keeps serving
# until Ctrl-C. The README's pictures are these outputs.
# DEMO_EXIT=1 stops the server after the requests instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target i2i i2i-serve

png_size() {
  python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); print("%dx%d PNG" % struct.unpack(">II", d[16:24]))' "$1"
}
OUT=${DEMO_OUT:-out/demo}
LISTEN=${I2I_LISTEN:-127.0.0.1:8080}
mkdir -p "$OUT"
EDIT_BUNDLE=${DEMO_EDIT_BUNDLE:-models/ip2p-tiny}
PHOTO=tests/data/heldout/chelsea.jpg
[ -f "$OUT/control/manifest.json" ] || build/i2i mkmodel control --size tiny --out "$OUT/control"
[ -f "$OUT/upscale/manifest.json" ] || build/i2i mkmodel upscale --size tiny --out "$OUT/upscale"
python3 tests/tools/make_png.py "$OUT/input.png" 128 96

build/i2i-serve --bundle "$EDIT_BUNDLE" --bundle "$OUT/control" --bundle "$OUT/upscale" --listen "$LISTEN" \
  --access-log "$OUT/access.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT INT TERM
BASE="http://$LISTEN"
for _ in $(seq 1 100); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "server exited" >&2; exit 1; }
  sleep 0.1
done

echo "== POST /v1/edit (multipart)"
curl -sS -D "$OUT/headers.txt" -o "$OUT/job.json" -F image=@"$PHOTO" \
  -F prompt="make the photo black and white" "$BASE/v1/edit"
cat "$OUT/job.json"; echo
JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$OUT/job.json")
echo "== polling GET /v1/jobs/$JOB"
for _ in $(seq 1 600); do
  STATUS=$(curl -fsS "$BASE/v1/jobs/$JOB" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case $STATUS in succeeded|failed|canceled) break ;; esac
  sleep 0.2
done
echo "status: $STATUS"
[ "$STATUS" = succeeded ] || exit 1
curl -fsS -o "$OUT/result.png" "$BASE/v1/jobs/$JOB/result"
echo "result: $OUT/result.png ($(png_size "$OUT/result.png"))"
edit_wait() { # out-name profile prompt: one edit of the photo, waiting for the PNG
  local code
  code=$(curl -sS -o "$OUT/$1.png" -w '%{http_code}' -H 'Prefer: wait=60' -H 'Accept: image/png' \
    -F image=@"$PHOTO" -F profile="$2" -F prompt="$3" "$BASE/v1/edit")
  [ "$code" = 200 ] || { echo "edit '$3' ($2): HTTP $code" >&2; exit 1; }
  echo "$2 '$3': $OUT/$1.png ($(png_size "$OUT/$1.png"))"
}
echo "== four more edits of $PHOTO (Prefer: wait)"
edit_wait sepia edit "give the photo a sepia filter"
edit_wait negative edit "make the image a negative"
edit_wait cooler edit "give the image cool tones"
edit_wait bw_full edit-full "make the photo black and white"
echo "== POST /v1/control (canny edges of the same image, waiting for the PNG)"
CODE=$(curl -sS -o "$OUT/control.png" -w '%{http_code}' -H 'Prefer: wait=60' -H 'Accept: image/png' \
  -F image=@"$OUT/input.png" -F prompt="a house by a lake" "$BASE/v1/control")
[ "$CODE" = 200 ] || { echo "control request: HTTP $CODE" >&2; exit 1; }
echo "result: $OUT/control.png ($(png_size "$OUT/control.png"))"
echo "== POST /v1/upscale (StableSR, 2x, sr-fast profile, waiting for the PNG)"
CODE=$(curl -sS -o "$OUT/upscaled.png" -w '%{http_code}' -H 'Prefer: wait=120' -H 'Accept: image/png' \
  -F image=@"$OUT/input.png" -F scale=2 -F profile=sr-fast "$BASE/v1/upscale")
[ "$CODE" = 200 ] || { echo "upscale request: HTTP $CODE" >&2; exit 1; }
echo "result: $OUT/upscaled.png ($(png_size "$OUT/upscaled.png"))"
if [ "${DEMO_EXIT:-0}" = 1 ]; then exit 0; fi
echo "serving on $BASE (bundles $EDIT_BUNDLE, $OUT/control, $OUT/upscale) - Ctrl-C to stop"
wait $SERVER
