#!/bin/bash
# Every route's real responses validate against openapi.yaml: status,
# content type, body schema and documented headers (Location, Retry-After,
# WWW-Authenticate, Allow, X-Request-Id), checked by
# tools/validate/validate-response.mjs. Covers 200/202 jobs of both tasks
# (/v1/edit and /v1/control, served together), the job list, results,
# cancels, profiles, health, readiness per task (also 503 while draining),
# metrics and the errors 400/401/404/405/409/410/413/415/422/429/503, then a
# second server without the control bundle: readiness with control not
# ready, profiles without its cost, and /v1/control's 503 task_unavailable.
# Skips when the validator's node modules are not installed
# (scripts/lint-specs.sh installs them; scripts/test.sh runs that first).
SOURCE_DIR=$(cd "${I2I_SOURCE_DIR:-$(dirname "$0")/../..}" && pwd)
VALIDATE_DIR=$SOURCE_DIR/tools/validate
VALIDATOR=$VALIDATE_DIR/validate-response.mjs
SPEC=$SOURCE_DIR/openapi.yaml
if ! command -v node >/dev/null || [ ! -d "$VALIDATE_DIR/node_modules/ajv" ] ||
    [ ! -d "$VALIDATE_DIR/node_modules/yaml" ]; then
    echo "SKIP: node or $VALIDATE_DIR/node_modules missing (run scripts/lint-specs.sh)"
    exit 0
fi
. "$(dirname "$0")/serve_lib.sh"

# Each response is kept under $WORK/responses and listed for one batch run of
# the validator at the end (one node process instead of one per response).
mkdir -p "$WORK/responses"
LIST=$WORK/responses/list
N=0

# record METHOD TEMPLATE STATUS: keeps the last response for validation.
record() {
    N=$((N + 1))
    cp "$WORK/body" "$WORK/responses/$N.body"
    cp "$WORK/headers" "$WORK/responses/$N.headers"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(header Content-Type)" \
        "$WORK/responses/$N.body" "$WORK/responses/$N.headers" >>"$LIST"
}

# call WANT METHOD TEMPLATE PATH [curl args...]: request, status, record.
call() {
    local want=$1 method=$2 template=$3 path=$4 code
    shift 4
    if [ "$method" = HEAD ]; then
        code=$(curl -s -I -o /dev/null -D "$WORK/headers" -w '%{http_code}' "$@" "$BASE$path")
        : >"$WORK/body"
    else
        code=$(req "$method" "$path" "$@")
    fi
    check "$method $path: status $code, want $want ($(head -c 200 "$WORK/body" | tr -d '\0'))" \
        [ "$code" = "$want" ]
    record "$method" "$template" "$code"
}

# poll ID STATUS: waits (bounded) until the job has STATUS; the server runs
# with an API key, which serve_lib's wait_status does not send.
poll() {
    local _
    for _ in $(seq 1 300); do
        curl -s -o "$WORK/poll" "${A[@]}" "$BASE/v1/jobs/$1"
        [ "$(jget "$WORK/poll" "j.get('status')" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1
    done
    echo "job $1 never reached $2: $(cat "$WORK/poll")" >&2
    return 1
}

# validate_all: every recorded response against openapi.yaml.
validate_all() {
    local out failed
    out=$(node "$VALIDATOR" "$SPEC" --batch "$LIST" 2>&1)
    echo "$out" | grep -v '^ok ' >&2
    failed=$(echo "$out" | grep -c '^not ok ')
    CHECKS=$((CHECKS + N))
    FAILURES=$((FAILURES + failed))
    if [ "$failed" -eq 0 ] && ! echo "$out" | grep -q "^$N of $N responses match"; then
        fail "the validator did not check all $N responses"
    fi
}

make_bundle
CTL=$WORK/control SR=$WORK/sr
for t in control:$CTL upscale:$SR; do
    "$I2I_BIN" mkmodel "${t%%:*}" --size tiny --out "${t#*:}" >"$WORK/mkmodel.log" 2>&1 || {
        cat "$WORK/mkmodel.log" >&2
        echo "cannot make a tiny ${t%%:*} bundle" >&2
        exit 1
    }
done
img png 64 48 "$WORK/in.png"
img png 150 100 "$WORK/photo.png"
img png 64 64 "$WORK/edges.png"
img huge-header 20000 20000 "$WORK/huge.png"
img corrupt "$WORK/bad.png"
head -c 2000000 /dev/zero >"$WORK/big.bin"
/usr/bin/python3 -c "import json,sys; print(json.dumps({'image': 'data:image/png;base64,' + sys.argv[1],
    'prompt': 'make it autumn', 'num_inference_steps': 1, 'seed': 5, 'gamma': None}))" \
    "$(img b64 "$WORK/in.png")" >"$WORK/req.json"
/usr/bin/python3 -c "import json,sys; print(json.dumps({'image': 'data:image/png;base64,' + sys.argv[1],
    'prompt': 'a house', 'control_type': 'raw', 'num_inference_steps': 1, 'seed': 5,
    'negative_prompt': '', 'image_resolution': None}))" "$(img b64 "$WORK/edges.png")" >"$WORK/raw.json"
start_server --bundle "$CTL" --bundle "$SR" --workers 1 --queue-max 1 --job-ttl 15 --max-body-bytes 1048576 \
    --api-keys key-one --drain-timeout 60
A=(-H "Authorization: Bearer key-one")
JOB='/v1/jobs/{id}'
RESULT='/v1/jobs/{id}/result'
ONE=(-F image=@"$WORK/in.png" -F prompt="make it autumn" -F num_inference_steps=1)
LONG=(-F image=@"$WORK/in.png" -F prompt="long job" -F profile=edit-full -F num_inference_steps=100)
# control at image_resolution 64: the 64x48 input runs (and returns) at 64x64
CONE=(-F image=@"$WORK/in.png" -F prompt="a house" -F image_resolution=64 -F num_inference_steps=1)

# operations, profiles, preflight
call 200 GET /healthz /healthz
call 200 HEAD /healthz /healthz
call 200 GET /readyz /readyz
check "readyz: edit and control ready" [ "$(jget "$WORK/body" "(j['tasks']['edit']['ready'], j['tasks']['control']['ready'])")" = "(True, True)" ]
call 200 GET /metrics /metrics
check "metrics: control task ready" grep -q '^i2i_task_ready{task="control"} 1' "$WORK/body"
call 200 GET /v1/profiles /v1/profiles "${A[@]}"
check "profiles carry their cost once ready" [ "$(jget "$WORK/body" "all('cost' in p for p in j['profiles'])")" = True ]
call 200 HEAD /v1/profiles /v1/profiles "${A[@]}"
call 204 OPTIONS /v1/edit /v1/edit
call 204 OPTIONS /v1/control /v1/control
check "OPTIONS /v1/control allows POST" [ "$(header Allow)" = "POST, OPTIONS" ]
call 204 OPTIONS /metrics /metrics

# routing and authentication
call 401 GET /v1/jobs /v1/jobs
call 401 POST /v1/edit /v1/edit "${ONE[@]}"
call 401 POST /v1/control /v1/control "${CONE[@]}"
call 404 GET /v2/nothing /v2/nothing "${A[@]}"
call 404 GET "$JOB" /v1/jobs/123e4567-e89b-42d3-a456-426614174000 "${A[@]}"
call 404 GET "$JOB" /v1/jobs/not-a-uuid "${A[@]}"
call 404 DELETE "$JOB" /v1/jobs/123e4567-e89b-42d3-a456-426614174000 "${A[@]}"
call 404 GET "$RESULT" /v1/jobs/123e4567-e89b-42d3-a456-426614174000/result "${A[@]}"
call 405 GET /v1/edit /v1/edit "${A[@]}"
call 405 GET /v1/control /v1/control "${A[@]}"
call 405 PUT "$JOB" /v1/jobs/123e4567-e89b-42d3-a456-426614174000 "${A[@]}"
call 405 POST /healthz /healthz

# refused requests
call 415 POST /v1/edit /v1/edit "${A[@]}" -H "Content-Type: text/plain" --data-binary hello
call 413 POST /v1/edit /v1/edit "${A[@]}" -F image=@"$WORK/big.bin" -F prompt=x
call 400 POST /v1/edit /v1/edit "${A[@]}" -F image=@"$WORK/bad.png" -F prompt=x
call 400 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}" -F strength=0.5
call 400 POST /v1/edit /v1/edit "${A[@]}" -F image=@"$WORK/in.png"
call 400 POST /v1/edit /v1/edit "${A[@]}" -H "Content-Type: application/json" --data-binary '{"prompt":'
call 422 POST /v1/edit /v1/edit "${A[@]}" -F image=@"$WORK/huge.png" -F prompt=x
call 422 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}" -F depth=14
call 422 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}" -F profile=no-such-profile
call 422 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}" -F webhook=http://10.0.0.1/hook
check "a private webhook destination: webhook_not_allowed" is_error_json webhook_not_allowed
call 400 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}" -F low_threshold=50
call 400 POST /v1/control /v1/control "${A[@]}" "${CONE[@]}" -F image_guidance_scale=1.5
check "image_guidance_scale on /v1/control: unknown_field" is_error_json unknown_field
call 400 POST /v1/control /v1/control "${A[@]}" -F image=@"$WORK/photo.png" -F prompt=x -F control_type=raw
check "a 150x100 raw edge map: invalid_image" is_error_json invalid_image
call 422 POST /v1/control /v1/control "${A[@]}" "${CONE[@]}" -F low_threshold=300 -F high_threshold=200
check "low_threshold above high_threshold: parameter_out_of_range" is_error_json parameter_out_of_range
call 422 POST /v1/control /v1/control "${A[@]}" -F image=@"$WORK/photo.png" -F prompt=x -F image_resolution=2048
check "150x100 at image_resolution 2048 (runs at 3072x2048): image_too_large" is_error_json image_too_large
call 422 POST /v1/control /v1/control "${A[@]}" "${CONE[@]}" -F profile=edit
call 400 GET /v1/jobs "/v1/jobs?limit=0" "${A[@]}"
call 400 GET /v1/jobs "/v1/jobs?status=lost" "${A[@]}"

# a job: JSON + data URL with Prefer: wait -> 200; its JSON, list and PNG
call 200 POST /v1/edit /v1/edit "${A[@]}" -H "Prefer: wait=50" -H "Content-Type: application/json" \
    --data-binary @"$WORK/req.json"
DONE=$(jget "$WORK/body" "j['id']")
check "job succeeded" [ "$(jget "$WORK/body" "j['status']")" = succeeded ]
call 200 GET "$JOB" "/v1/jobs/$DONE" "${A[@]}"
call 200 HEAD "$JOB" "/v1/jobs/$DONE" "${A[@]}"
call 200 GET "$RESULT" "/v1/jobs/$DONE/result" "${A[@]}"
# two images in one job: images[] with ?index= URLs, each result, the refusals
call 200 POST /v1/edit /v1/edit "${A[@]}" -H "Prefer: wait=50" "${ONE[@]}" -F num_images_per_prompt=2 -F response_format=b64_json
TWO=$(jget "$WORK/body" "j['id']")
call 200 GET "$RESULT" "/v1/jobs/$TWO/result?index=1" "${A[@]}"
call 404 GET "$RESULT" "/v1/jobs/$TWO/result?index=2" "${A[@]}"
call 400 GET "$RESULT" "/v1/jobs/$TWO/result?index=x" "${A[@]}"
call 400 HEAD "$RESULT" "/v1/jobs/$TWO/result?index=x" "${A[@]}"
call 422 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}" -F num_images_per_prompt=5
EVENTS='/v1/jobs/{id}/events'
call 200 GET "$EVENTS" "/v1/jobs/$DONE/events" "${A[@]}"
check "a finished job's stream ends with done" grep -q '^event: done' "$WORK/body"
call 200 GET "$EVENTS" "/v1/jobs/$DONE/events?last_event_id=2" "${A[@]}"
check "... resumed after id 2: no queued or started event" [ "$(grep -c '^event: queued\|^event: started' "$WORK/body")" = 0 ]
call 400 GET "$EVENTS" "/v1/jobs/$DONE/events" "${A[@]}" -H "Last-Event-ID: -1"
call 404 GET "$EVENTS" /v1/jobs/123e4567-e89b-42d3-a456-426614174000/events "${A[@]}"
call 401 GET "$EVENTS" "/v1/jobs/$DONE/events"
call 204 OPTIONS "$EVENTS" "/v1/jobs/$DONE/events"
call 200 GET /v1/jobs "/v1/jobs?status=succeeded&limit=5" "${A[@]}"
call 200 DELETE "$JOB" "/v1/jobs/$DONE" "${A[@]}"
call 200 POST /v1/edit /v1/edit "${A[@]}" -H "Prefer: wait=50" -H "Accept: image/png" "${ONE[@]}"

# result formats: jpeg inline (b64_json) with a signed URL, webp as the
# image itself; 406 when Accept excludes the format; 403 for a bad signature
call 200 POST /v1/edit /v1/edit "${A[@]}" -H "Prefer: wait=50" "${ONE[@]}" -F output_format=jpeg \
    -F response_format=b64_json
FJ=$(jget "$WORK/body" "j['id']")
check "jpeg job inline" [ "$(jget "$WORK/body" "(j['result']['content_type'], len(j['result']['b64_json']) > 100)")" = "('image/jpeg', True)" ]
SIGNED=$(jget "$WORK/body" "j['result']['url']")
call 200 GET "$JOB" "/v1/jobs/$FJ" "${A[@]}"
call 200 GET "$RESULT" "/v1/jobs/$FJ/result" "${A[@]}"
check "jpeg result" [ "$(header Content-Type)" = image/jpeg ]
call 200 GET "$RESULT" "$SIGNED"
check "signed URL without a token: the jpeg" [ "$(header Content-Type)" = image/jpeg ]
call 403 GET "$RESULT" "/v1/jobs/$FJ/result?exp=1&sig=AAAA"
call 406 GET "$RESULT" "/v1/jobs/$FJ/result" "${A[@]}" -H "Accept: image/webp"
call 200 POST /v1/edit /v1/edit "${A[@]}" -H "Prefer: wait=50" -H "Accept: image/webp" "${ONE[@]}" \
    -F output_format=webp -F output_quality=60
check "webp answered as the image" [ "$(header Content-Type)" = image/webp ]

# the OpenAI-shaped route: b64_json and url answers, and its refusals
OAI=(-F image=@"$WORK/in.png" -F prompt="make it autumn" -F num_inference_steps=1)
call 200 POST /v1/images/edits /v1/images/edits "${A[@]}" "${OAI[@]}" -F n=1 -F response_format=b64_json \
    -F model=dall-e-2 -F size=auto
check "images.edit: b64_json" [ "$(jget "$WORK/body" "(len(j['data']), 'b64_json' in j['data'][0], j['size'])")" = "(1, True, '64x48')" ]
call 200 POST /v1/images/edits /v1/images/edits "${A[@]}" "${OAI[@]}" -F output_format=jpeg
check "images.edit: a signed url by default" [ "$(jget "$WORK/body" "'&sig=' in j['data'][0]['url']")" = True ]
call 400 POST /v1/images/edits /v1/images/edits "${A[@]}" "${OAI[@]}" -F size=512x512
call 400 POST /v1/images/edits /v1/images/edits "${A[@]}" -F image=@"$WORK/in.png"
call 415 POST /v1/images/edits /v1/images/edits "${A[@]}" -H "Content-Type: application/json" --data-binary @"$WORK/req.json"
call 422 POST /v1/images/edits /v1/images/edits "${A[@]}" "${OAI[@]}" -F model=no-such-model
call 401 POST /v1/images/edits /v1/images/edits "${OAI[@]}"
call 405 GET /v1/images/edits /v1/images/edits "${A[@]}"
call 204 OPTIONS /v1/images/edits /v1/images/edits

# multipart without waiting -> 202; replayed and conflicting Idempotency-Key
call 202 POST /v1/edit /v1/edit "${A[@]}" -H "Idempotency-Key: k-1" "${ONE[@]}"
ID=$(jget "$WORK/body" "j['id']")
call 202 POST /v1/edit /v1/edit "${A[@]}" -H "Idempotency-Key: k-1" "${ONE[@]}"
check "replay answers the same job" [ "$(jget "$WORK/body" "j['id']")" = "$ID" ]
call 409 POST /v1/edit /v1/edit "${A[@]}" -H "Idempotency-Key: k-1" "${ONE[@]}" -F seed=3
check "job $ID finishes" poll "$ID" succeeded

# control jobs: multipart -> 202, its JSON and PNG at the working size;
# JSON + data URL of a raw edge map with Prefer: wait -> 200 JSON, then the
# same request replayed (Idempotency-Key) with Accept: image/png -> 200 PNG
call 202 POST /v1/control /v1/control "${A[@]}" "${CONE[@]}" -F negative_prompt=blurry
CID=$(jget "$WORK/body" "j['id']")
check "control job has the control parameters" [ "$(jget "$WORK/body" "(j['task'], j['profile'], sorted(j['parameters']))")" = "('control', 'control', ['control_type', 'controlnet_conditioning_scale', 'depth', 'eta', 'gamma', 'gamma_source', 'guidance_scale', 'high_threshold', 'image_resolution', 'low_threshold', 'negative_prompt', 'num_images_per_prompt', 'num_inference_steps', 'output_format', 'output_quality', 'output_size', 'prompt', 'response_format', 'scheduler', 'seed', 'timeout', 'webhook', 'webhook_events_filter'])" ]
check "control job $CID finishes" poll "$CID" succeeded
call 200 GET "$JOB" "/v1/jobs/$CID" "${A[@]}"
check "finished control job: result 64x64, defaults filled in" [ "$(jget "$WORK/body" "(j['result']['width'], j['result']['height'], j['parameters']['control_type'], j['parameters']['low_threshold'], j['parameters']['high_threshold'], j['parameters']['guidance_scale'])")" = "(64, 64, 'canny', 100, 200, 9.0)" ]
call 200 GET "$RESULT" "/v1/jobs/$CID/result" "${A[@]}"
check "control result PNG is the working size" [ "$(png_size "$WORK/body")" = "64 64" ]
RAW=(-H "Idempotency-Key: raw-1" -H "Prefer: wait=50" -H "Content-Type: application/json" --data-binary @"$WORK/raw.json")
call 200 POST /v1/control /v1/control "${A[@]}" "${RAW[@]}"
check "raw edge map waited for: succeeded at the map's size" [ "$(jget "$WORK/body" "(j['status'], j['parameters']['control_type'], j['result']['width'], j['result']['height'])")" = "('succeeded', 'raw', 64, 64)" ]
call 200 POST /v1/control /v1/control "${A[@]}" "${RAW[@]}" -H "Accept: image/png"
check "replayed control job answers its PNG" [ "$(header Idempotent-Replayed) $(png_size "$WORK/body")" = "true 64 64" ]
call 200 GET /v1/jobs "/v1/jobs?limit=50" "${A[@]}"
check "the job list holds control jobs" [ "$(jget "$WORK/body" "any(x['task'] == 'control' for x in j['jobs'])")" = True ]

# (after the list: --job-ttl 15 would expire the control jobs while a slow build upscales)
# an upscale job: its own parameters, the result exactly input x scale
call 200 POST /v1/upscale /v1/upscale "${A[@]}" -H "Prefer: wait=100" -F image=@"$WORK/in.png" \
    -F scale=2 -F num_inference_steps=1 -F color_fix=wavelet
check "upscale job: its parameters, 128x96" [ "$(jget "$WORK/body" "(j['task'], j['profile'], j['parameters']['color_fix'], j['result']['width'], j['result']['height'])")" = "('upscale', 'sr', 'wavelet', 128, 96)" ]
call 400 POST /v1/upscale /v1/upscale "${A[@]}" -F image=@"$WORK/in.png" -F prompt=x
call 422 POST /v1/upscale /v1/upscale "${A[@]}" -F image=@"$WORK/in.png" -F scale=20

# back-pressure and cancellation: a running job, a queued one, a refused one
call 202 POST /v1/edit /v1/edit "${A[@]}" "${LONG[@]}"
RUN=$(jget "$WORK/body" "j['id']")
check "long job running" poll "$RUN" running
call 409 GET "$RESULT" "/v1/jobs/$RUN/result" "${A[@]}"
call 202 POST /v1/edit /v1/edit "${A[@]}" "${LONG[@]}"
QUEUED=$(jget "$WORK/body" "j['id']")
call 200 GET "$JOB" "/v1/jobs/$QUEUED" "${A[@]}"
check "queued job has queue position 0" [ "$(jget "$WORK/body" "j['queue_position']")" = 0 ]
call 200 GET /v1/jobs "/v1/jobs?status=queued" "${A[@]}"
call 429 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}"
call 200 DELETE "$JOB" "/v1/jobs/$QUEUED" "${A[@]}"
call 409 GET "$RESULT" "/v1/jobs/$QUEUED/result" "${A[@]}"
call 202 POST '/v1/jobs/{id}/cancel' "/v1/jobs/$RUN/cancel" "${A[@]}"
check "running job canceled" poll "$RUN" canceled
call 200 GET "$JOB" "/v1/jobs/$RUN" "${A[@]}"

# 410 once the first job is older than --job-ttl (bounded wait)
for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "${A[@]}" "$BASE/v1/jobs/$DONE")" = 410 ] && break
    sleep 0.1
done
call 410 GET "$JOB" "/v1/jobs/$DONE" "${A[@]}"
call 410 GET "$RESULT" "/v1/jobs/$DONE/result" "${A[@]}"
call 410 DELETE "$JOB" "/v1/jobs/$DONE" "${A[@]}"

# draining: readiness and new jobs answer 503
call 202 POST /v1/edit /v1/edit "${A[@]}" "${LONG[@]}"
RUN=$(jget "$WORK/body" "j['id']")
check "job running before SIGTERM" poll "$RUN" running
kill -TERM "$SERVER_PID"
sleep 0.3
call 503 GET /readyz /readyz
call 503 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}"
check "draining 503 carries Retry-After" [ -n "$(header Retry-After)" ]
call 503 POST /v1/control /v1/control "${A[@]}" "${CONE[@]}"
check "draining beats the task check: unavailable" is_error_json unavailable
call 202 DELETE "$JOB" "/v1/jobs/$RUN" "${A[@]}" # lets the drain end at once
wait "$SERVER_PID"
check "exit 0 after the drain" [ $? -eq 0 ]
SERVER_PID=""

# a server with the edit bundle only: control is listed as not ready, its
# profiles have no cost, and /v1/control answers 503 task_unavailable
start_server --workers 1
call 200 GET /readyz /readyz
check "edit-only readyz: control not ready" [ "$(jget "$WORK/body" "(j['tasks']['edit']['ready'], j['tasks']['control']['ready'])")" = "(True, False)" ]
call 200 GET /v1/profiles /v1/profiles
check "only the edit profiles carry a cost" [ "$(jget "$WORK/body" "all(('cost' in p) == (p['task'] == 'edit') for p in j['profiles'])")" = True ]
call 503 POST /v1/control /v1/control "${CONE[@]}"
check "no control bundle: task_unavailable" is_error_json task_unavailable
check "... without Retry-After" [ -z "$(header Retry-After)" ]
stop_server
check "edit-only server exits 0" [ "$SERVER_RC" -eq 0 ]
# store cap and per-key quota: 429 quota_exceeded, then 410 job_evicted
start_server --workers 1 --max-jobs 2 --max-queued-per-key 1 --api-keys alice:key-a
A=(-H "Authorization: Bearer key-a")
call 202 POST /v1/edit /v1/edit "${A[@]}" "${LONG[@]}"
RUN=$(jget "$WORK/body" "j['id']")
check "quota: long job running" poll "$RUN" running
call 202 POST /v1/edit /v1/edit "${A[@]}" "${LONG[@]}"
QUEUED=$(jget "$WORK/body" "j['id']")
call 429 POST /v1/edit /v1/edit "${A[@]}" "${ONE[@]}"
check "a second queued job of the key: quota_exceeded" is_error_json quota_exceeded
check "... with Retry-After" [ -n "$(header Retry-After)" ]
call 200 DELETE "$JOB" "/v1/jobs/$QUEUED" "${A[@]}"
call 202 DELETE "$JOB" "/v1/jobs/$RUN" "${A[@]}"
check "quota: running job canceled" poll "$RUN" canceled
call 200 POST /v1/edit /v1/edit "${A[@]}" -H "Prefer: wait=60" "${ONE[@]}"
call 410 GET "$JOB" "/v1/jobs/$QUEUED" "${A[@]}"
check "the first job to finish (the canceled queued one) made room: job_evicted" is_error_json job_evicted
stop_server
check "store-cap server exits 0" [ "$SERVER_RC" -eq 0 ]
validate_all
finish
