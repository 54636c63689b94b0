#!/bin/bash
# Every refusal answers with its status and the JSON error envelope:
# 400 corrupt image / unknown field / missing field, 404 unknown route and
# job, 405 with Allow, 413 (Content-Length and chunked, refused while
# streaming), 415, 422 from a 20000x20000 PNG header, 410 after the TTL,
# 401 without a bearer token, CORS only for configured origins.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 32 32 "$WORK/in.png"
img huge-header 20000 20000 "$WORK/huge.png"
img corrupt "$WORK/bad.png"
head -c 50000000 /dev/zero >"$WORK/big.bin"
start_server --max-body-bytes 1048576 --job-ttl 1 --api-keys "key-one,key-two" \
    --cors-origins "https://app.example"
AUTH=(-H "Authorization: Bearer key-two")

expect() { # expect STATUS CODE DESCRIPTION -- req args...
    local status=$1 code=$2 what=$3; shift 4
    local got
    got=$(req "$@")
    check "$what: status $got, want $status ($(head -c 200 "$WORK/body"))" [ "$got" = "$status" ]
    check "$what: error code $code" is_error_json "$code"
}

# authentication
expect 401 unauthorized "no token" -- GET /v1/jobs
check "401 has WWW-Authenticate" [ "$(header WWW-Authenticate)" = Bearer ]
expect 401 unauthorized "wrong token" -- GET /v1/jobs -H "Authorization: Bearer key-three"
expect 401 unauthorized "prefix of a token" -- GET /v1/jobs -H "Authorization: Bearer key-tw"
check "right token 200" [ "$(req GET /v1/jobs "${AUTH[@]}")" = 200 ]
check "healthz needs no token" [ "$(req GET /healthz)" = 200 ]
check "metrics needs no token" [ "$(req GET /metrics)" = 200 ]

# routing
expect 404 not_found "unknown route" -- GET /v2/nothing "${AUTH[@]}"
expect 404 not_found "unknown job" -- GET /v1/jobs/123e4567-e89b-42d3-a456-426614174000 "${AUTH[@]}"
expect 404 not_found "malformed job id" -- GET /v1/jobs/not-a-uuid "${AUTH[@]}"
expect 405 method_not_allowed "GET /v1/edit" -- GET /v1/edit "${AUTH[@]}"
check "405 Allow header" [ "$(header Allow)" = "POST, OPTIONS" ]
expect 405 method_not_allowed "PUT job" -- PUT /v1/jobs/123e4567-e89b-42d3-a456-426614174000 "${AUTH[@]}"
check "405 Allow lists DELETE" grep -qi "^Allow: GET, HEAD, DELETE, OPTIONS" "$WORK/headers"

# body format and content
expect 415 unsupported_media_type "text/plain body" -- POST /v1/edit "${AUTH[@]}" -H "Content-Type: text/plain" --data-binary "hello"
expect 415 unsupported_media_type "no content type" -- POST /v1/edit "${AUTH[@]}" -H "Content-Type:" --data-binary "hello"
expect 400 invalid_image "corrupt PNG" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/bad.png" -F prompt=x
printf 'just text' >"$WORK/text.txt"
expect 400 invalid_image "text file as image" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/text.txt" -F prompt=x
expect 400 unknown_field "unknown fields" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/in.png" -F prompt=x -F strength=0.5
check "unknown field named" grep -q strength "$WORK/body"
expect 400 missing_field "no prompt" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/in.png"
expect 400 invalid_parameter "steps not an integer" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=ten
expect 422 parameter_out_of_range "steps out of the profile's range" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=0
expect 422 parameter_out_of_range "eta out of range" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/in.png" -F prompt=x -F eta=2
expect 400 invalid_request "broken JSON" -- POST /v1/edit "${AUTH[@]}" -H "Content-Type: application/json" --data-binary '{"prompt":'
expect 400 invalid_request "multipart without boundary" -- POST /v1/edit "${AUTH[@]}" -H "Content-Type: multipart/form-data" --data-binary 'x'
expect 422 image_too_large "20000x20000 PNG header" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/huge.png" -F prompt=x
check "422 names the size" grep -q 20000x20000 "$WORK/body"

# 413: a 50 MB body is refused from its Content-Length before it is read ...
start=$(date +%s.%N)
expect 413 payload_too_large "50 MB multipart" -- POST /v1/edit "${AUTH[@]}" -F image=@"$WORK/big.bin" -F prompt=x
check "413 fast (not after reading 50 MB)" /usr/bin/python3 -c "import sys,time; sys.exit(0 if time.time()-$start < 10 else 1)"
# ... and a chunked body (no Content-Length) once the running total passes
# the limit: a little over it gets a 413 at its end (nothing is kept), far
# over it the server stops reading and closes the connection.
head -c 1500000 /dev/zero >"$WORK/mid.bin"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" -H "Transfer-Encoding: chunked" \
    -H "Content-Type: application/json" --data-binary @"$WORK/mid.bin" "$BASE/v1/edit")
check "chunked 1.5 MB -> 413 (got $code)" [ "$code" = 413 ]
check "... error envelope" is_error_json payload_too_large
code=$(curl -s -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" -H "Transfer-Encoding: chunked" \
    -H "Content-Type: application/json" --data-binary @"$WORK/big.bin" "$BASE/v1/edit")
check "chunked 50 MB refused (got $code)" one_of "$code" 413 000 100
sleep 0.3
bytes_in=$(/usr/bin/python3 -c "
import json,sys
ls=[json.loads(l) for l in open(sys.argv[1]) if '\"request_id\"' in l]
print(max(l['bytes_in'] for l in ls if l['path']=='/v1/edit'))" "$LOG")
check "server stopped reading the 50 MB body early (max bytes_in $bytes_in)" [ "$bytes_in" -le 4194304 ]

# 410 after the TTL, 404 for a never-seen id
code=$(req POST /v1/edit "${AUTH[@]}" -H "Prefer: wait=50" -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=1)
check "job done (got $code)" [ "$code" = 200 ]
ID=$(jget "$WORK/body" "j['id']")
sleep 2.5
expect 410 job_expired "expired job" -- GET "/v1/jobs/$ID" "${AUTH[@]}"
expect 410 job_expired "expired job result" -- GET "/v1/jobs/$ID/result" "${AUTH[@]}"

# CORS: preflight for an allowed origin, nothing for another
code=$(req OPTIONS /v1/edit -H "Origin: https://app.example" -H "Access-Control-Request-Method: POST" \
    -H "Access-Control-Request-Headers: content-type, authorization")
check "preflight 204" [ "$code" = 204 ]
check "preflight allow-origin echoes the allowed origin" [ "$(header Access-Control-Allow-Origin)" = https://app.example ]
check "preflight allow-methods" grep -qi "^Access-Control-Allow-Methods: POST" "$WORK/headers"
check "preflight allow-headers" grep -qi "^Access-Control-Allow-Headers:.*Authorization" "$WORK/headers"
req OPTIONS /v1/edit -H "Origin: https://evil.example" -H "Access-Control-Request-Method: POST" >/dev/null
check "other origin gets no allow-origin" [ -z "$(header Access-Control-Allow-Origin)" ]
req GET /v1/profiles "${AUTH[@]}" -H "Origin: https://app.example" >/dev/null
check "simple request gets allow-origin" [ "$(header Access-Control-Allow-Origin)" = https://app.example ]
req GET /v1/profiles "${AUTH[@]}" -H "Origin: https://evil.example" >/dev/null
check "simple request from other origin: none" [ -z "$(header Access-Control-Allow-Origin)" ]

# still alive after all that
check "server still healthy" [ "$(req GET /healthz)" = 200 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
