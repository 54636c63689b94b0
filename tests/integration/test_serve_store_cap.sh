#!/bin/bash
# Bounded store (issue 11): a submit-then-cancel loop keeps at most
# --max-jobs jobs (the oldest finished are evicted first), an evicted job
# answers 410 job_evicted — to its owner; another key still gets 404.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 32 32 "$WORK/in.png"
start_server --max-jobs 5 --workers 1 --api-keys "alice:tok-a,bob:tok-b"
A=(-H "Authorization: Bearer tok-a")
ids=()
for i in $(seq 1 30); do
    req POST /v1/edit "${A[@]}" -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=50 >/dev/null
    id=$(jget "$WORK/body" "j['id']" 2>/dev/null)
    [ -n "$id" ] && ids+=("$id") && req DELETE "/v1/jobs/$id" "${A[@]}" >/dev/null
done
check "30 jobs submitted and canceled (${#ids[@]})" [ "${#ids[@]}" = 30 ]
sleep 1 # the running one stops at its next step
stored=$(curl -s "$BASE/metrics" | awk '/^i2i_jobs_stored /{print $2}')
check "store holds at most 5 jobs (i2i_jobs_stored $stored)" [ "${stored%.*}" -le 5 ]
req GET "/v1/jobs?limit=1000" "${A[@]}" >/dev/null
check "the list has at most 5 jobs" [ "$(jget "$WORK/body" "len(j['jobs'])")" -le 5 ]
code=$(req GET "/v1/jobs/${ids[0]}" "${A[@]}")
check "the first job was evicted: 410 (got $code)" [ "$code" = 410 ]
check "... job_evicted" is_error_json job_evicted
code=$(req GET "/v1/jobs/${ids[0]}/result" "${A[@]}")
check "its result: 410 (got $code)" [ "$code" = 410 ]
code=$(req GET "/v1/jobs/${ids[0]}" -H "Authorization: Bearer tok-b")
check "another key gets 404 for it (got $code)" [ "$code" = 404 ]
code=$(req GET "/v1/jobs/${ids[29]}" "${A[@]}")
check "the newest job is still there (got $code)" [ "$code" = 200 ]
check "server still healthy" [ "$(req GET /healthz)" = 200 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
