#!/bin/bash
# POST /v1/control against the real i2i-serve, served together with an edit
# bundle: readiness per task, memory per bundle, canny and raw jobs with the
# documented output size, Prefer: wait, cancel within a step, the limits, bad
# inputs as JSON 4xx, /v1/edit unchanged, and a server without a control
# bundle answering task_unavailable.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
CTL=$WORK/control
"$I2I_BIN" mkmodel control --size tiny --out "$CTL" >/dev/null 2>&1 || { echo "mkmodel control failed" >&2; exit 1; }
img png 150 100 "$WORK/in.png"
img png 128 64 "$WORK/edges.png"
img png 64 48 "$WORK/small.png"
start_server --bundle "$CTL" --workers 1

code=$(req GET /readyz)
check "readyz 200 with two bundles" [ "$code" = 200 ]
check "... edit and control ready" [ "$(jget "$WORK/body" "(j['tasks']['edit']['ready'], j['tasks']['control']['ready'])")" = "(True, True)" ]
check "... each with its resident bytes" [ "$(jget "$WORK/body" "all(t['resident_bytes'] > 0 for t in j['tasks'].values() if t['ready'])")" = True ]
check "start log reports memory per bundle" [ "$(grep -c '"event":"bundle"' "$LOG")" = 2 ]
req GET /metrics >/dev/null
check "metrics: control task ready" grep -q '^i2i_task_ready{task="control"} 1' "$WORK/body"
check "metrics: bundle bytes per task" [ "$(grep -c '^i2i_bundle_resident_bytes{task=' "$WORK/body")" = 2 ]
req GET /v1/profiles >/dev/null
check "control profiles costed on the control bundle" [ "$(jget "$WORK/body" "all(p['cost']['macs_per_job'] > 0 for p in j['profiles'] if p['task'] == 'control')")" = True ]
check "control faster than control-full" [ "$(jget "$WORK/body" "[p['cost']['expected_speedup_vs_baseline'] > 1.5 for p in j['profiles'] if p['name'] == 'control']")" = "[True]" ]

# canny, multipart: 150x100 at short side 128 -> 192x128
code=$(req POST /v1/control -F image=@"$WORK/in.png" -F prompt="a house" -F negative_prompt="blurry" \
    -F image_resolution=128 -F num_inference_steps=2 -F low_threshold=50 -F high_threshold=150 \
    -F controlnet_conditioning_scale=0.8 -F seed=5)
check "canny job 202 (got $code: $(head -c 300 "$WORK/body"))" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
check "job JSON: task control, profile control" [ "$(jget "$WORK/body" "(j['task'], j['profile'])")" = "('control', 'control')" ]
check "job JSON: control parameters" [ "$(jget "$WORK/body" "[j['parameters'][k] for k in ('control_type','low_threshold','high_threshold','image_resolution','negative_prompt','controlnet_conditioning_scale','depth')]")" = "['canny', 50, 150, 128, 'blurry', 0.8, 9]" ]
check "... the published gamma 1/2.21" [ "$(jget "$WORK/body" "abs(j['parameters']['gamma'] - 1/2.21) < 1e-9")" = True ]
check "canny job succeeds" wait_status "$ID" succeeded
req GET "/v1/jobs/$ID/result" >/dev/null
check "result is the working size 192x128" [ "$(png_size "$WORK/body")" = "192 128" ]

# raw edge map, JSON + base64, Prefer: wait + Accept: image/png
B64=$(img b64 "$WORK/edges.png")
printf '{"image":"%s","prompt":"a house","control_type":"raw","num_inference_steps":1}' "$B64" >"$WORK/raw.json"
code=$(req POST /v1/control -H 'Content-Type: application/json' -H 'Prefer: wait=50' \
    -H 'Accept: image/png' --data-binary @"$WORK/raw.json")
check "raw edge map, waited: 200 (got $code)" [ "$code" = 200 ]
check "... PNG of the edge map's size" [ "$(png_size "$WORK/body")" = "128 64" ]

# same seed, same request -> same bytes (seeded and deterministic)
one() { req POST /v1/control -H 'Prefer: wait=50' -H 'Accept: image/png' -F image=@"$WORK/in.png" \
    -F prompt=p -F image_resolution=64 -F num_inference_steps=3 -F seed=9 "$@" >/dev/null; }
one; cp "$WORK/body" "$WORK/s1.png"; one; cp "$WORK/body" "$WORK/s2.png"
check "same seed, same PNG" cmp -s "$WORK/s1.png" "$WORK/s2.png"
one -F controlnet_conditioning_scale=0
differ() { ! cmp -s "$1" "$2"; }
check "without the control residuals, another PNG" differ "$WORK/s1.png" "$WORK/body"

# cancel within a step: control-full runs 20 steps
code=$(req POST /v1/control -F image=@"$WORK/in.png" -F prompt=x -F profile=control-full -F image_resolution=256)
check "control-full accepted (got $code)" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
wait_status "$ID" running 600
code=$(req DELETE "/v1/jobs/$ID")
check "cancel a running control job: 202 (got $code)" [ "$code" = 202 ]
check "... it ends canceled" wait_status "$ID" canceled
check "... before its last step" [ "$(jget "$WORK/poll" "j['progress']['step'] < 20")" = True ]

# /v1/edit keeps working next to it
code=$(req POST /v1/edit -H 'Prefer: wait=50' -H 'Accept: image/png' -F image=@"$WORK/small.png" \
    -F prompt="make it autumn" -F num_inference_steps=2)
check "edit still works (got $code)" [ "$code" = 200 ]
check "... at the input's size" [ "$(png_size "$WORK/body")" = "64 48" ]

# an Idempotency-Key belongs to one request: reused on another task it conflicts
req POST /v1/edit -H 'Idempotency-Key: k1' -F image=@"$WORK/small.png" -F prompt=x -F num_inference_steps=1 >/dev/null
code=$(req POST /v1/control -H 'Idempotency-Key: k1' -F image=@"$WORK/small.png" -F prompt=x -F num_inference_steps=1)
check "key reused on another task: 409 (got $code)" [ "$code" = 409 ]

bad_request() { bad_post /v1/control "$@"; }
img png 1 1 "$WORK/one.png"
head -c 120 "$WORK/in.png" >"$WORK/trunc.png"
bad_request "raw map not in multiples of 64" 400 invalid_image -F image=@"$WORK/in.png" -F prompt=x -F control_type=raw
bad_request "low above high" 422 parameter_out_of_range -F image=@"$WORK/in.png" -F prompt=x -F low_threshold=300 -F high_threshold=200
bad_request "threshold out of range" 422 parameter_out_of_range -F image=@"$WORK/in.png" -F prompt=x -F high_threshold=5000
bad_request "negative threshold" 422 parameter_out_of_range -F image=@"$WORK/in.png" -F prompt=x -F low_threshold=-1
bad_request "image_resolution out of range" 422 parameter_out_of_range -F image=@"$WORK/in.png" -F prompt=x -F image_resolution=4096
bad_request "working size over the limit" 422 image_too_large -F image=@"$WORK/in.png" -F prompt=x -F image_resolution=2048
bad_request "1x1 image" 400 invalid_image -F image=@"$WORK/one.png" -F prompt=x
bad_request "truncated image" 400 invalid_image -F image=@"$WORK/trunc.png" -F prompt=x
bad_request "edit's field on control" 400 unknown_field -F image=@"$WORK/in.png" -F prompt=x -F image_guidance_scale=1.5
bad_request "unknown control_type" 400 invalid_parameter -F image=@"$WORK/in.png" -F prompt=x -F control_type=depth
bad_request "edit profile on control" 422 unknown_profile -F image=@"$WORK/in.png" -F prompt=x -F profile=edit
bad_request "no prompt" 400 missing_field -F image=@"$WORK/in.png"
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F low_threshold=10)
check "control's field on edit: 400 (got $code)" [ "$code" = 400 ]
check "... unknown_field" is_error_json unknown_field
stop_server

# A server with only the edit bundle: /v1/control answers 503 task_unavailable
start_server --workers 1
code=$(req GET /readyz)
check "edit-only readyz still 200" [ "$code" = 200 ]
check "... control not ready" [ "$(jget "$WORK/body" "(j['tasks']['edit']['ready'], j['tasks']['control']['ready'])")" = "(True, False)" ]
code=$(req POST /v1/control -F image=@"$WORK/in.png" -F prompt=x)
check "no control bundle: 503 (got $code)" [ "$code" = 503 ]
check "... task_unavailable" is_error_json task_unavailable
stop_server

# Two bundles of one task are a configuration error
"$SERVE" --bundle "$BUNDLE" --bundle "$BUNDLE" --listen 127.0.0.1:0 >"$WORK/dup.log" 2>"$WORK/dup.err"
check "two edit bundles: non-zero exit" [ $? -ne 0 ]
check "... says why" grep -q "both serve task edit" "$WORK/dup.err"
finish
