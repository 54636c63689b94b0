#!/bin/bash
# Every route's real responses validate against openapi.yaml: status,
# content type, body schema and documented headers (Location, Retry-After,
# WWW-Authenticate, Allow, X-Request-Id), checked by
# tools/validate/validate-response.mjs. Covers 200/202 jobs, the job list,
# results, cancels, profiles, health, readiness (also 503 while draining),
# metrics and the errors 400/401/404/405/409/410/413/415/422/429/503.
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
img png 64 48 "$WORK/in.png"
img huge-header 20000 20000 "$WORK/huge.png"
img corrupt "$WORK/bad.png"
head -c 2000000 /dev/zero >"$WORK/big.bin"
/usr/bin/python3 -c "import json,sys; print(json.dumps({'image': 'data:image/png;base64,' + sys.argv[1],
    'prompt': 'make it autumn', 'num_inference_steps': 1, 'seed': 5, 'gamma': None}))" \
    "$(img b64 "$WORK/in.png")" >"$WORK/req.json"
start_server --workers 1 --queue-max 1 --job-ttl 5 --max-body-bytes 1048576 \
    --api-keys key-one --drain-timeout 60
A=(-H "Authorization: Bearer key-one")
JOB='/v1/jobs/{id}'
RESULT='/v1/jobs/{id}/result'
ONE=(-F image=@"$WORK/in.png" -F prompt="make it autumn" -F num_inference_steps=1)
LONG=(-F image=@"$WORK/in.png" -F prompt="long job" -F profile=edit-full -F num_inference_steps=100)

# operations, profiles, preflight
call 200 GET /healthz /healthz
call 200 HEAD /healthz /healthz
call 200 GET /readyz /readyz
call 200 GET /metrics /metrics
call 200 GET /v1/profiles /v1/profiles "${A[@]}"
check "profiles carry their cost once ready" [ "$(jget "$WORK/body" "all('cost' in p for p in j['profiles'])")" = True ]
call 200 HEAD /v1/profiles /v1/profiles "${A[@]}"
call 204 OPTIONS /v1/edit /v1/edit
call 204 OPTIONS /metrics /metrics

# routing and authentication
call 401 GET /v1/jobs /v1/jobs
call 401 POST /v1/edit /v1/edit "${ONE[@]}"
call 404 GET /v2/nothing /v2/nothing "${A[@]}"
call 404 GET "$JOB" /v1/jobs/123e4567-e89b-42d3-a456-426614174000 "${A[@]}"
call 404 GET "$JOB" /v1/jobs/not-a-uuid "${A[@]}"
call 404 DELETE "$JOB" /v1/jobs/123e4567-e89b-42d3-a456-426614174000 "${A[@]}"
call 404 GET "$RESULT" /v1/jobs/123e4567-e89b-42d3-a456-426614174000/result "${A[@]}"
call 405 GET /v1/edit /v1/edit "${A[@]}"
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
call 200 GET /v1/jobs "/v1/jobs?status=succeeded&limit=5" "${A[@]}"
call 200 DELETE "$JOB" "/v1/jobs/$DONE" "${A[@]}"
call 200 POST /v1/edit /v1/edit "${A[@]}" -H "Prefer: wait=50" -H "Accept: image/png" "${ONE[@]}"

# multipart without waiting -> 202; replayed and conflicting Idempotency-Key
call 202 POST /v1/edit /v1/edit "${A[@]}" -H "Idempotency-Key: k-1" "${ONE[@]}"
ID=$(jget "$WORK/body" "j['id']")
call 202 POST /v1/edit /v1/edit "${A[@]}" -H "Idempotency-Key: k-1" "${ONE[@]}"
check "replay answers the same job" [ "$(jget "$WORK/body" "j['id']")" = "$ID" ]
call 409 POST /v1/edit /v1/edit "${A[@]}" -H "Idempotency-Key: k-1" "${ONE[@]}" -F seed=3
check "job $ID finishes" poll "$ID" succeeded

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
for _ in $(seq 1 100); do
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
call 202 DELETE "$JOB" "/v1/jobs/$RUN" "${A[@]}" # lets the drain end at once
wait "$SERVER_PID"
check "exit 0 after the drain" [ $? -eq 0 ]
SERVER_PID=""
validate_all
finish
