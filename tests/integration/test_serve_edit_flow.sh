#!/bin/bash
# The happy paths of POST /v1/edit against the real i2i-serve: multipart ->
# 202 -> poll -> succeeded -> PNG of the input's size; Prefer: wait (JSON and
# image/png); JSON + base64 and data URL; Idempotency-Key; job listing;
# profiles; health; metrics counters that match the jobs sent.
. "$(dirname "$0")/serve_lib.sh"

"$SERVE" --help >"$WORK/help" 2>&1
check "--help exits 0" [ $? -eq 0 ]
check "--help lists I2I_ env vars" grep -q I2I_QUEUE_MAX "$WORK/help"
"$SERVE" --no-such-flag >/dev/null 2>"$WORK/err"
check "unknown flag exits 2" [ $? -eq 2 ]

make_bundle
img png 64 48 "$WORK/in.png"
start_server --workers 1

check "healthz 200" [ "$(req GET /healthz)" = 200 ]
check "readyz 200" [ "$(req GET /readyz)" = 200 ]

# multipart -> 202 + Location -> poll -> result
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="make it autumn" -F num_inference_steps=3)
check "multipart edit 202 (got $code: $(cat "$WORK/body"))" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
check "Location header" [ "$(header Location)" = "/v1/jobs/$ID" ]
check "job JSON reports the steps used" [ "$(jget "$WORK/body" "j['parameters']['num_inference_steps']")" = 3 ]
check "job reaches succeeded" wait_status "$ID" succeeded
check "finished job has finished_at" [ "$(jget "$WORK/poll" "j['finished_at'] is not None and j['progress']['step']==3")" = True ]
code=$(req GET "/v1/jobs/$ID/result")
check "result 200" [ "$code" = 200 ]
check "result is image/png" [ "$(header Content-Type)" = image/png ]
check "result has the input's size" [ "$(png_size "$WORK/body")" = "64 48" ]

# Prefer: wait with Accept: image/png -> the PNG itself
code=$(req POST /v1/edit -H "Prefer: wait=50" -H "Accept: image/png" \
    -F image=@"$WORK/in.png" -F prompt="make it snowy" -F num_inference_steps=2 -F seed=7)
check "Prefer: wait + Accept png -> 200 (got $code)" [ "$code" = 200 ]
check "... image/png" [ "$(header Content-Type)" = image/png ]
check "... PNG of the input's size" [ "$(png_size "$WORK/body")" = "64 48" ]
check "... Location still given" [ -n "$(header Location)" ]
check "... Preference-Applied" [ "$(header Preference-Applied)" = "wait=50" ]

# Prefer: wait with JSON -> the finished job
code=$(req POST /v1/edit -H "Prefer: wait=50" -F image=@"$WORK/in.png" -F prompt="x" -F num_inference_steps=2)
check "Prefer: wait JSON -> 200 (got $code)" [ "$code" = 200 ]
check "... status succeeded" [ "$(jget "$WORK/body" "j['status']")" = succeeded ]

# JSON + base64, and a data URL
B64=$(img b64 "$WORK/in.png")
printf '{"image":"%s","prompt":"make it autumn","num_inference_steps":2,"guidance_scale":5,"seed":11,"scheduler":"dpmpp_2m"}' "$B64" >"$WORK/req.json"
code=$(req POST /v1/edit -H "Content-Type: application/json" --data-binary @"$WORK/req.json")
check "JSON edit 202 (got $code: $(cat "$WORK/body"))" [ "$code" = 202 ]
JID=$(jget "$WORK/body" "j['id']")
check "JSON job scheduler echoed" [ "$(jget "$WORK/body" "j['parameters']['scheduler']")" = dpmpp_2m ]
check "JSON job succeeds" wait_status "$JID" succeeded
req GET "/v1/jobs/$JID/result" >/dev/null
check "JSON job result size" [ "$(png_size "$WORK/body")" = "64 48" ]
printf '{"image":"data:image/png;base64,%s","prompt":"x","num_inference_steps":1}' "$B64" >"$WORK/req2.json"
code=$(req POST /v1/edit -H "Content-Type: application/json" -H "Prefer: wait=50" --data-binary @"$WORK/req2.json")
check "data URL edit finishes (got $code)" [ "$code" = 200 ]

# Idempotency-Key: same request -> same job; other request -> 409
code=$(req POST /v1/edit -H "Idempotency-Key: k-1" -F image=@"$WORK/in.png" -F prompt="p" -F seed=1 -F num_inference_steps=1)
check "idempotent first 202" [ "$code" = 202 ]
K1=$(jget "$WORK/body" "j['id']")
code=$(req POST /v1/edit -H "Idempotency-Key: k-1" -F image=@"$WORK/in.png" -F prompt="p" -F seed=1 -F num_inference_steps=1)
check "idempotent replay same job" [ "$(jget "$WORK/body" "j['id']")" = "$K1" ]
check "idempotent replay header" [ "$(header Idempotent-Replayed)" = true ]
code=$(req POST /v1/edit -H "Idempotency-Key: k-1" -F image=@"$WORK/in.png" -F prompt="other" -F seed=1)
check "idempotency conflict 409 (got $code)" [ "$code" = 409 ]
check "... error envelope" is_error_json idempotency_conflict
check "idempotent job succeeds" wait_status "$K1" succeeded

# listing
code=$(req GET "/v1/jobs?status=succeeded&limit=2")
check "list 200" [ "$code" = 200 ]
check "list honours limit and status" [ "$(jget "$WORK/body" "len(j['jobs'])==2 and all(x['status']=='succeeded' for x in j['jobs'])")" = True ]
check "list bad status 400" [ "$(req GET "/v1/jobs?status=done")" = 400 ]
check "list bad limit 400" [ "$(req GET "/v1/jobs?limit=0")" = 400 ]

# profiles
check "profiles 200" [ "$(req GET /v1/profiles)" = 200 ]
check "profiles list edit" [ "$(jget "$WORK/body" "any(p['task']=='edit' for p in j['profiles'])")" = True ]
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="x" -F profile=nope)
check "unknown profile 422" [ "$code" = 422 ]
check "... unknown_profile" is_error_json unknown_profile

# metrics: 6 jobs succeeded (3 + 1 data URL + 1 idempotent + 1 first JSON... counted below)
code=$(req GET /metrics)
check "metrics 200" [ "$code" = 200 ]
check "metrics content type" grep -qi "^Content-Type: text/plain; version=0.0.4" "$WORK/headers"
/usr/bin/python3 "$HERE/check_metrics.py" "$WORK/body" \
    'i2i_jobs_total{task="edit",status="succeeded"}=6' \
    'i2i_jobs_submitted_total{task="edit"}=6' \
    'i2i_http_requests_total{route="/v1/edit",code="409"}=1' \
    'i2i_http_requests_total{route="/v1/edit",code="422"}=1' \
    'i2i_job_run_seconds_count=6' 'i2i_job_queue_wait_seconds_count=6' \
    'i2i_queue_depth=0' 'i2i_jobs_in_flight=0' >"$WORK/metrics.out" 2>&1
check "metrics parse and match the jobs sent: $(cat "$WORK/metrics.out")" [ $? -eq 0 ]

# access log: JSON lines with request and job ids
check "access log has JSON lines with job ids" /usr/bin/python3 -c "
import json,sys
lines=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
reqs=[l for l in lines if 'request_id' in l]
assert reqs and all(l['status'] for l in reqs)
assert any(l.get('job_id')==sys.argv[2] for l in reqs)" "$LOG" "$ID"

# negative_prompt: IP2P's unconditional text (the (I,∅) and (∅,∅) rows): it
# changes the result of the same seed; "" is the same as none
NEG=(-H "Prefer: wait=50" -H "Accept: image/png" -F image=@"$WORK/in.png" -F prompt="make it autumn"
    -F num_inference_steps=2 -F seed=21)
req POST /v1/edit "${NEG[@]}" >/dev/null
cp "$WORK/body" "$WORK/plain.png"
req POST /v1/edit "${NEG[@]}" -F negative_prompt="" >/dev/null
check "negative_prompt \"\" is the default (same PNG)" cmp -s "$WORK/body" "$WORK/plain.png"
code=$(req POST /v1/edit "${NEG[@]}" -F negative_prompt="blurry, low quality")
check "negative_prompt: 200 PNG of the input's size (got $code)" [ "$(png_size "$WORK/body")" = "64 48" ]
differs() { ! cmp -s "$1" "$2"; }
check "negative_prompt changes the result" differs "$WORK/body" "$WORK/plain.png"
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F negative_prompt=blurry -F num_inference_steps=1)
check "negative_prompt echoed in the job" [ "$(jget "$WORK/body" "j['parameters']['negative_prompt']")" = blurry ]

stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
