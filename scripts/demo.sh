#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to a running service:
# installs packages, builds, makes tiny edit, control and upscale bundles,
# starts i2i-serve on 127.0.0.1:8080 (I2I_LISTEN overrides) serving all three,
# submits a real edit request with curl, polls the job to the end, saves the
# result, runs a ControlNet (canny) request and a StableSR 2x upscale, then
# keeps serving until Ctrl-C.
# DEMO_EXIT=1 stops the server after the requests instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target i2i i2i-serve

OUT=${DEMO_OUT:-out/demo}
LISTEN=${I2I_LISTEN:-127.0.0.1:8080}
mkdir -p "$OUT"
[ -f "$OUT/bundle/manifest.json" ] || build/i2i mkmodel edit --size tiny --out "$OUT/bundle"
[ -f "$OUT/control/manifest.json" ] || build/i2i mkmodel control --size tiny --out "$OUT/control"
[ -f "$OUT/upscale/manifest.json" ] || build/i2i mkmodel upscale --size tiny --out "$OUT/upscale"
python3 tests/tools/make_png.py "$OUT/input.png" 128 96

build/i2i-serve --bundle "$OUT/bundle" --bundle "$OUT/control" --bundle "$OUT/upscale" --listen "$LISTEN" \
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
curl -sS -D "$OUT/headers.txt" -o "$OUT/job.json" -F image=@"$OUT/input.png" \
  -F prompt="make it autumn" "$BASE/v1/edit"
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
echo "result: $OUT/result.png ($(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); print("%dx%d PNG" % struct.unpack(">II", d[16:24]))' "$OUT/result.png"))"
echo "== POST /v1/control (canny edges of the same image, waiting for the PNG)"
CODE=$(curl -sS -o "$OUT/control.png" -w '%{http_code}' -H 'Prefer: wait=60' -H 'Accept: image/png' \
  -F image=@"$OUT/input.png" -F prompt="a house by a lake" "$BASE/v1/control")
[ "$CODE" = 200 ] || { echo "control request: HTTP $CODE" >&2; exit 1; }
echo "result: $OUT/control.png ($(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); print("%dx%d PNG" % struct.unpack(">II", d[16:24]))' "$OUT/control.png"))"
echo "== POST /v1/upscale (StableSR, 2x, sr-fast profile, waiting for the PNG)"
CODE=$(curl -sS -o "$OUT/upscaled.png" -w '%{http_code}' -H 'Prefer: wait=120' -H 'Accept: image/png' \
  -F image=@"$OUT/input.png" -F scale=2 -F profile=sr-fast "$BASE/v1/upscale")
[ "$CODE" = 200 ] || { echo "upscale request: HTTP $CODE" >&2; exit 1; }
echo "result: $OUT/upscaled.png ($(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); print("%dx%d PNG" % struct.unpack(">II", d[16:24]))' "$OUT/upscaled.png"))"
if [ "${DEMO_EXIT:-0}" = 1 ]; then exit 0; fi
echo "serving on $BASE (bundles $OUT/bundle, $OUT/control, $OUT/upscale) - Ctrl-C to stop"
wait $SERVER
