#!/bin/bash
# POST /v1/upscale (StableSR) against the real i2i-serve with tiny edit,
# control and SR bundles in one server: readiness of all three, the sr
# profiles, jobs that return exactly input x scale (multipart and JSON,
# integer and fractional scales, each colour fix), determinism, progress over
# every tile's U-Net evaluation, cancel between tiles, the output-pixel limit
# from the header, bad inputs as JSON 4xx, and a 1000x750 photo at scale 4
# (4000x3000, tiled) within the documented memory. Under the sanitizers
# (I2I_SANITIZED=1) the photo runs at scale 2 (2000x1500, the same tiled
# code): ASan's allocator makes libtorch's big buffers several times slower
# and the 4000x3000 job alone would take most of the test's time limit.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
CTL=$WORK/control SR=$WORK/sr
"$I2I_BIN" mkmodel control --size tiny --out "$CTL" >/dev/null 2>&1 || { echo "mkmodel control failed" >&2; exit 1; }
"$I2I_BIN" mkmodel upscale --size tiny --out "$SR" >/dev/null 2>&1 || { echo "mkmodel upscale failed" >&2; exit 1; }
img png 96 72 "$WORK/in.png"
img png 512 384 "$WORK/mid.png"
img png 1000 750 "$WORK/photo.png"
img png 1100 1000 "$WORK/big.png"
start_server --bundle "$CTL" --bundle "$SR" --workers 1

code=$(req GET /readyz)
check "readyz 200 with three bundles" [ "$code" = 200 ]
check "... edit, control and upscale ready" [ "$(jget "$WORK/body" "[j['tasks'][t]['ready'] for t in ('edit','control','upscale')]")" = "[True, True, True]" ]
req GET /v1/profiles >/dev/null
check "sr profiles listed for upscale" [ "$(jget "$WORK/body" "sorted(p['name'] for p in j['profiles'] if p['task'] == 'upscale')")" = "['sr', 'sr-fast', 'sr-full']" ]
check "... sr is the default" [ "$(jget "$WORK/body" "[p['name'] for p in j['profiles'] if p['task'] == 'upscale' and p['default']]")" = "['sr']" ]

# multipart, the default scale 4: 96x72 -> 384x288
code=$(req POST /v1/upscale -F image=@"$WORK/in.png" -F num_inference_steps=2 -F seed=3)
check "upscale job 202 (got $code: $(head -c 300 "$WORK/body"))" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
check "job JSON: task upscale, profile sr" [ "$(jget "$WORK/body" "(j['task'], j['profile'])")" = "('upscale', 'sr')" ]
check "job JSON: sr parameters" [ "$(jget "$WORK/body" "[j['parameters'][k] for k in ('scale','color_fix','cfw_weight','depth','eta')]")" = "[4.0, 'adain', 0.5, 8, 1.0]" ]
check "... the published gamma 1.42, no prompt" [ "$(jget "$WORK/body" "(j['parameters']['gamma'], 'prompt' in j['parameters'])")" = "(1.42, False)" ]
check "upscale job succeeds" wait_status "$ID" succeeded
req GET "/v1/jobs/$ID/result" >/dev/null
check "result is input x 4: 384x288" [ "$(png_size "$WORK/body")" = "384 288" ]

# JSON + base64, fractional scale, wavelet, Prefer: wait + Accept: image/png
B64=$(img b64 "$WORK/in.png")
printf '{"image":"%s","scale":2.5,"color_fix":"wavelet","cfw_weight":0.2,"num_inference_steps":1,"profile":"sr-fast"}' "$B64" >"$WORK/up.json"
code=$(req POST /v1/upscale -H 'Content-Type: application/json' -H 'Prefer: wait=100' \
    -H 'Accept: image/png' --data-binary @"$WORK/up.json")
check "JSON upscale, waited: 200 (got $code)" [ "$code" = 200 ]
check "... floor(96x2.5) x floor(72x2.5) = 240x180" [ "$(png_size "$WORK/body")" = "240 180" ]

# same seed, same bytes; another colour fix, other bytes
one() { req POST /v1/upscale -H 'Prefer: wait=100' -H 'Accept: image/png' -F image=@"$WORK/in.png" \
    -F scale=1 -F num_inference_steps=2 -F seed=9 "$@" >/dev/null; }
one; cp "$WORK/body" "$WORK/s1.png"; one; cp "$WORK/body" "$WORK/s2.png"
check "same seed, same PNG" cmp -s "$WORK/s1.png" "$WORK/s2.png"
check "scale 1 keeps the size" [ "$(png_size "$WORK/s1.png")" = "96 72" ]
one -F color_fix=none
differ() { ! cmp -s "$1" "$2"; }
check "color_fix none: another PNG" differ "$WORK/s1.png" "$WORK/body"

# progress counts every tile's U-Net evaluation: 512x384 at scale 2 is a
# 128x96 latent, 3 x 2 canvas tiles of 64 (overlap 16) per step
code=$(req POST /v1/upscale -F image=@"$WORK/mid.png" -F scale=2 -F num_inference_steps=2)
ID=$(jget "$WORK/body" "j['id']")
check "tiled job succeeds" wait_status "$ID" succeeded 1200
check "... progress over 2 steps x 6 tiles" [ "$(jget "$WORK/poll" "(j['progress']['step'], j['progress']['steps'])")" = "(12, 12)" ]
req GET "/v1/jobs/$ID/result" >/dev/null
check "... result 1024x768" [ "$(png_size "$WORK/body")" = "1024 768" ]

# cancel between tiles: sr-full runs 50 steps x 6 tiles
code=$(req POST /v1/upscale -F image=@"$WORK/mid.png" -F scale=2 -F profile=sr-full)
check "sr-full accepted (got $code)" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
wait_status "$ID" running 600
sleep 1
code=$(req DELETE "/v1/jobs/$ID")
check "cancel a running upscale job: 202 (got $code)" [ "$code" = 202 ]
check "... it ends canceled" wait_status "$ID" canceled
check "... within the first step's tiles" [ "$(jget "$WORK/poll" "j['progress']['step'] < 12 and j['progress']['steps'] == 300")" = True ]

bad_request() { bad_post /v1/upscale "$@"; }
head -c 120 "$WORK/in.png" >"$WORK/trunc.png"
bad_request "scale below 1" 422 parameter_out_of_range -F image=@"$WORK/in.png" -F scale=0.5
bad_request "scale above 8" 422 parameter_out_of_range -F image=@"$WORK/in.png" -F scale=9
bad_request "scale not a number" 400 invalid_parameter -F image=@"$WORK/in.png" -F scale=big
bad_request "output over the pixel limit (1100x1000 x4)" 422 image_too_large -F image=@"$WORK/big.png"
bad_request "truncated image" 400 invalid_image -F image=@"$WORK/trunc.png"
bad_request "a prompt is not a field here" 400 unknown_field -F image=@"$WORK/in.png" -F prompt=x
bad_request "unknown color_fix" 400 invalid_parameter -F image=@"$WORK/in.png" -F color_fix=hist
bad_request "cfw_weight above 1" 422 parameter_out_of_range -F image=@"$WORK/in.png" -F cfw_weight=2
bad_request "edit profile on upscale" 422 unknown_profile -F image=@"$WORK/in.png" -F profile=edit
bad_request "no image" 400 missing_field -F scale=2
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F scale=2)
check "upscale's field on edit: 400 unknown_field (got $code)" [ "$code" = 400 ]

# a 1000x750 photo at scale 4: 4000x3000, tiled, in bounded memory
BIG=4 BIG_SIZE="4000 3000"
[ "${I2I_SANITIZED:-0}" = 1 ] && BIG=2 BIG_SIZE="2000 1500"
code=$(req POST /v1/upscale -F image=@"$WORK/photo.png" -F num_inference_steps=1 -F scale=$BIG)
check "1000x750 x$BIG accepted (got $code: $(head -c 200 "$WORK/body"))" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
check "... succeeds" wait_status "$ID" succeeded 12000
req GET "/v1/jobs/$ID/result" >/dev/null
check "... result ${BIG_SIZE/ /x}" [ "$(png_size "$WORK/body")" = "$BIG_SIZE" ]
HWM=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)
echo "server peak RSS after the ${BIG_SIZE/ /x} job: $((HWM / 1024)) MiB"
check "... peak RSS under 2.5 GiB (README: upscale memory) (got $((HWM / 1024)) MiB)" [ "$HWM" -lt $((2560 * 1024)) ]
stop_server
finish
