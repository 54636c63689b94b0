#!/bin/bash
# Tenants (issue 11): a job belongs to the API key that created it (its
# NAME in NAME:TOKEN, else its place in the list); other keys get 404 for
# GET / result / DELETE / cancel and do not see it listed; an
# Idempotency-Key is scoped per key; the admin key sees every job; a key
# with --max-queued-per-key queued jobs gets 429 quota_exceeded.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 32 32 "$WORK/in.png"
start_server --api-keys "alice:tok-a,bob:tok-b,tok-c" --admin-key root-tok \
    --max-queued-per-key 2 --workers 1
A=(-H "Authorization: Bearer tok-a")
B=(-H "Authorization: Bearer tok-b")
C=(-H "Authorization: Bearer tok-c")
ROOT=(-H "Authorization: Bearer root-tok")
submit() { req POST /v1/edit "$@" -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=1; }

code=$(submit "${A[@]}")
check "alice submits (got $code)" [ "$code" = 202 ]
JA=$(jget "$WORK/body" "j['id']")
for what in "GET /v1/jobs/$JA" "GET /v1/jobs/$JA/result" "DELETE /v1/jobs/$JA" \
    "POST /v1/jobs/$JA/cancel"; do
    code=$(req ${what% *} "${what#* }" "${B[@]}")
    check "bob: $what is 404 (got $code)" [ "$code" = 404 ]
    check "bob: $what not_found" is_error_json not_found
    code=$(req ${what% *} "${what#* }" "${C[@]}")
    check "unnamed key: $what is 404 (got $code)" [ "$code" = 404 ]
done
req GET /v1/jobs "${B[@]}" >/dev/null
check "bob's list does not show alice's job" [ "$(jget "$WORK/body" "'$JA' in [x['id'] for x in j['jobs']]")" = False ]
code=$(req GET "/v1/jobs/$JA" "${A[@]}")
check "alice sees her job (got $code)" [ "$code" = 200 ]
code=$(req GET "/v1/jobs/$JA" "${ROOT[@]}")
check "the admin key sees alice's job (got $code)" [ "$code" = 200 ]
req GET /v1/jobs "${ROOT[@]}" >/dev/null
check "the admin's list shows alice's job" [ "$(jget "$WORK/body" "'$JA' in [x['id'] for x in j['jobs']]")" = True ]
req GET /v1/jobs "${A[@]}" >/dev/null
check "alice's list shows her job" [ "$(jget "$WORK/body" "'$JA' in [x['id'] for x in j['jobs']]")" = True ]
for i in $(seq 1 300); do
    req GET "/v1/jobs/$JA" "${A[@]}" >/dev/null
    [ "$(jget "$WORK/body" "j['status']")" = succeeded ] && break
    sleep 0.1
done
code=$(req GET "/v1/jobs/$JA" "${B[@]}")
check "bob still gets 404 once it finished (got $code)" [ "$code" = 404 ]

# Idempotency-Key scoped per owner
code=$(submit "${A[@]}" -H "Idempotency-Key: order-1")
KA=$(jget "$WORK/body" "j['id']")
code=$(submit "${B[@]}" -H "Idempotency-Key: order-1")
check "bob's order-1 is a new job (got $code)" [ "$code" = 202 ]
check "... not alice's" [ "$(jget "$WORK/body" "j['id']")" != "$KA" ]
check "... and not a replay" [ -z "$(header Idempotent-Replayed)" ]
code=$(submit "${A[@]}" -H "Idempotency-Key: order-1")
check "alice's order-1 replays her job" [ "$(jget "$WORK/body" "j['id']")" = "$KA" ]
check "... marked as replayed" [ "$(header Idempotent-Replayed)" = true ]

# per-key quota of queued jobs (2): alice fills hers; bob is not affected
got429=""
for i in 1 2 3 4 5 6; do
    code=$(req POST /v1/edit "${A[@]}" -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=50)
    [ "$code" = 429 ] && { got429=$i; break; }
done
check "alice gets 429 once 2 of hers are queued (at submission $got429)" [ -n "$got429" ]
check "... quota_exceeded" is_error_json quota_exceeded
check "... with Retry-After" [ -n "$(header Retry-After)" ]
code=$(submit "${B[@]}")
check "bob can still submit (got $code)" [ "$code" = 202 ]
grep -q 'reason="quota_exceeded"' <(curl -s "$BASE/metrics") 
check "metrics count the quota refusal" [ $? -eq 0 ]

# the admin cancels everyone's queued and running jobs
for st in queued running; do
    req GET "/v1/jobs?status=$st&limit=100" "${ROOT[@]}" >/dev/null
    for id in $(jget "$WORK/body" "' '.join(x['id'] for x in j['jobs'])"); do
        req DELETE "/v1/jobs/$id" "${ROOT[@]}" >/dev/null
    done
done
req GET "/v1/jobs?status=queued" "${ROOT[@]}" >/dev/null
check "the admin canceled every queued job" [ "$(jget "$WORK/body" "len(j['jobs'])")" = 0 ]

check "server still healthy" [ "$(req GET /healthz)" = 200 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
