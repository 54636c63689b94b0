#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to a running service:
# installs packages, builds, serves the trained tiny InstructPix2Pix of
# models/ip2p-tiny plus tiny random control and upscale bundles on
# 127.0.0.1:8080 (I2I_LISTEN overrides), submits a real edit of a real photo
# with curl, polls the job to the end and saves the result, asks for four
# more edits of that photo (on the edit, edit-fast and edit-full profiles),
# all with seed 0 so the outputs are the README's pictures, then runs a
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

edit_job() { # out-name profile prompt: submit an edit of the photo (seed 0), poll it, save the PNG
  curl -sS -o "$OUT/job.json" -F image=@"$PHOTO" -F profile="$2" -F prompt="$3" -F seed=0 \
    "$BASE/v1/edit"
  [ "$1" != result ] || { cat "$OUT/job.json"; echo; }
  local job status
  job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$OUT/job.json")
  for _ in $(seq 1 3000); do
    status=$(curl -fsS "$BASE/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    case $status in succeeded|failed|canceled) break ;; esac
    sleep 0.2
  done
  [ "$status" = succeeded ] || { echo "edit '$3' ($2): $status" >&2; exit 1; }
  curl -fsS -o "$OUT/$1.png" "$BASE/v1/jobs/$job/result"
  echo "$2 '$3': $status, $OUT/$1.png ($(png_size "$OUT/$1.png"))"
}
echo "== POST /v1/edit (multipart), then polling GET /v1/jobs/{id}"
edit_job result edit "make the photo black and white"
echo "== four more edits of $PHOTO"
edit_job darker edit "make the image darker"
edit_job negative edit "make the image a negative"
edit_job cooler edit-fast "give the image cool tones"
edit_job bw_full edit-full "make the photo black and white"
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
