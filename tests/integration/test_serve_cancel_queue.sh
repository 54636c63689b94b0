#!/bin/bash
# Back-pressure and cancellation: with one worker and a queue of one, a
# third job gets 429 + Retry-After; the result of an unfinished job is 409;
# DELETE cancels a queued job at once and a running one within a step
# (idempotently); POST .../cancel does the same.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 64 64 "$WORK/in.png"
# the queue bound comes from the environment here, to exercise I2I_* variables
I2I_QUEUE_MAX=1 start_server --workers 1

# A long job: the full-depth reference profile at its most steps.
LONG=(-F profile=edit-full -F num_inference_steps=100)
submit() { # submit [FIELDS...]: prints the status code; body in $WORK/body
    req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="long job" "$@"
}

# A: long job, running; a short Prefer: wait times out into a 202
t0=$(date +%s.%N)
code=$(req POST /v1/edit -H "Prefer: wait=1" -F image=@"$WORK/in.png" -F prompt="long job" "${LONG[@]}")
check "Prefer: wait timeout -> 202 (got $code)" [ "$code" = 202 ]
check "... after about the wait" /usr/bin/python3 -c "import sys,time; d=time.time()-$t0; sys.exit(0 if 0.9 < d < 10 else 1)"
A=$(jget "$WORK/body" "j['id']")
check "... job not finished" one_of "$(jget "$WORK/body" "j['status']")" queued running
check "A running" wait_status "$A" running 200
# B: fills the queue
code=$(submit "${LONG[@]}")
check "B accepted" [ "$code" = 202 ]
B=$(jget "$WORK/body" "j['id']")
req GET "/v1/jobs/$B" >/dev/null
check "B queued at position 0" [ "$(jget "$WORK/body" "j['status']+str(j['queue_position'])")" = queued0 ]
# C: queue full
code=$(submit -F num_inference_steps=1)
check "C refused with 429 (got $code)" [ "$code" = 429 ]
check "429 error envelope" is_error_json queue_full
check "429 Retry-After is a positive integer" /usr/bin/python3 -c "import sys; sys.exit(0 if int(sys.argv[1])>0 else 1)" "$(header Retry-After)"

# result before the end
code=$(req GET "/v1/jobs/$A/result")
check "result of a running job 409 (got $code)" [ "$code" = 409 ]
check "409 error envelope" is_error_json job_not_finished

# cancel the queued job: immediate
code=$(req DELETE "/v1/jobs/$B")
check "DELETE queued 200 (got $code)" [ "$code" = 200 ]
check "queued job canceled at once" [ "$(jget "$WORK/body" "j['status']")" = canceled ]
code=$(req DELETE "/v1/jobs/$B")
check "DELETE again is idempotent (got $code)" [ "$code" = 200 ]
check "... still canceled" [ "$(jget "$WORK/body" "j['status']")" = canceled ]
code=$(req GET "/v1/jobs/$B/result")
check "canceled job has no result (409, got $code)" [ "$code" = 409 ]
check "... no_result" is_error_json no_result

# cancel the running job: stops within a denoising step
req GET "/v1/jobs/$A" >/dev/null
step_before=$(jget "$WORK/body" "j['progress']['step']")
code=$(req DELETE "/v1/jobs/$A")
check "DELETE running 202 (got $code)" [ "$code" = 202 ]
check "running job reaches canceled" wait_status "$A" canceled 300
check "... error code canceled" [ "$(jget "$WORK/poll" "j['error']['code']")" = canceled ]
check "... stopped long before its 100 steps (was at $step_before)" [ "$(jget "$WORK/poll" "j['progress']['step'] < 100")" = True ]
code=$(req POST "/v1/jobs/$A/cancel")
check "cancel after the end is idempotent (got $code)" [ "$code" = 200 ]

# the queue is free again: a short job runs to the end
code=$(req POST /v1/edit -H "Prefer: wait=50" -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=1)
check "queue usable again (got $code)" [ "$code" = 200 ]
check "... succeeded" [ "$(jget "$WORK/body" "j['status']")" = succeeded ]
# POST /cancel on a queued job behind a long one
code=$(submit "${LONG[@]}")
D=$(jget "$WORK/body" "j['id']")
check "D running" wait_status "$D" running 200
code=$(submit "${LONG[@]}")
E=$(jget "$WORK/body" "j['id']")
code=$(req POST "/v1/jobs/$E/cancel")
check "POST cancel queued (got $code)" [ "$code" = 200 ]
check "... canceled" [ "$(jget "$WORK/body" "j['status']")" = canceled ]
req DELETE "/v1/jobs/$D" >/dev/null
check "D canceled" wait_status "$D" canceled 300

req GET /metrics >/dev/null
/usr/bin/python3 "$HERE/check_metrics.py" "$WORK/body" \
    'i2i_jobs_total{task="edit",status="canceled"}=4' \
    'i2i_jobs_total{task="edit",status="succeeded"}=1' \
    'i2i_jobs_rejected_total{task="edit",reason="queue_full"}=1' \
    'i2i_http_requests_total{route="/v1/edit",code="429"}=1' >"$WORK/m.out" 2>&1
check "metrics count the cancels and the 429: $(cat "$WORK/m.out")" [ $? -eq 0 ]

stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
