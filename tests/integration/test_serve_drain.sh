#!/bin/bash
# SIGTERM drain: /readyz turns 503, new jobs are refused with 503, the
# running job still finishes (and can be fetched meanwhile), exit code 0.
# Then a drain timeout shorter than the job cancels it and still exits 0.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 64 64 "$WORK/in.png"
start_server --workers 1 --drain-timeout 300 # generous: a loaded CI machine runs steps slowly

code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="finish me" -F num_inference_steps=50)
check "job accepted" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
check "job running" wait_status "$ID" running 200
kill -TERM "$SERVER_PID"
sleep 0.3
code=$(req GET /readyz)
if kill -0 "$SERVER_PID" 2>/dev/null; then
    check "readyz 503 while draining (got $code)" [ "$code" = 503 ]
    check "... error envelope" is_error_json unavailable
    code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x)
    check "new job refused with 503 while draining (got $code)" [ "$code" = 503 ]
    req GET /metrics >/dev/null
    check "the refusal is counted as draining" grep -q '^i2i_jobs_rejected_total{task="edit",reason="draining"} 1' "$WORK/body"
    check "job still answers while draining" [ "$(req GET "/v1/jobs/$ID")" = 200 ]
    check "healthz still 200" [ "$(req GET /healthz)" = 200 ]
else
    fail "server exited before the running job could finish"
fi
wait "$SERVER_PID"
rc=$?
SERVER_PID=""
check "exit code 0 after the drain (got $rc)" [ "$rc" -eq 0 ]
check "the job finished during the drain" /usr/bin/python3 -c "
import json,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
ev=[l.get('event') for l in ls]
assert 'drain' in ev and ev[-1]=='exit', ev
assert not any(l.get('detail','').startswith('timeout') for l in ls)" "$LOG"

# drain timeout shorter than the job: canceled, still exit 0, bounded
start_server --workers 1 --drain-timeout 1
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="too long" -F profile=edit-full -F num_inference_steps=100)
ID=$(jget "$WORK/body" "j['id']")
check "long job running" wait_status "$ID" running 200
# a client waiting on it (Prefer: wait) hears how it ended
curl -s -o "$WORK/waited" -H 'Prefer: wait=30' -X POST "$BASE/v1/edit" -F image=@"$WORK/in.png" \
    -F prompt="too long" -F profile=edit-full -F num_inference_steps=100 -H 'Idempotency-Key: drain-w' &
WAITER=$!
sleep 0.5
t0=$(date +%s)
stop_server
t1=$(date +%s)
check "exit 0 after a drain timeout (got $SERVER_RC)" [ "$SERVER_RC" -eq 0 ]
# 1 s drain + up to 10 s for the canceled job's step + the answers' send grace
check "drain bounded by its timeout (took $((t1 - t0)) s)" [ $((t1 - t0)) -le 25 ]
check "timeout logged" grep -q '"detail":"timeout' "$LOG"
wait "$WAITER"
check "the waiting client got its job's end: canceled with code shutdown" [ "$(jget "$WORK/waited" "(j['status'], j['error']['code'])" 2>/dev/null)" = "('canceled', 'shutdown')" ]
# A Prefer: wait answer that is still being sent when the drain ends must
# reach the client whole: the server stops accepting, then lets responses
# in flight finish (bounded) before it closes connections. The client reads
# a multi-megabyte PNG slowly, so the send outlasts the job by seconds (the
# job itself is short: SIGTERM comes while it runs or while its answer is
# being sent, and either way the answer must arrive whole).
start_server --workers 1 --drain-timeout 300
img png 2048 2048 "$WORK/big.png"
curl -s -o "$WORK/slow.png" -D "$WORK/slow.headers" -w '%{http_code}' --limit-rate 400k \
    -H 'Prefer: wait=120' -H 'Accept: image/png' -X POST "$BASE/v1/edit" -F image=@"$WORK/big.png" -F prompt="send me" \
    -F resolution=64 -F num_inference_steps=2 >"$WORK/slow.code" &
SLOW=$!
for i in $(seq 1 200); do
    grep -q '"status":"\(running\|succeeded\)"' <(curl -s "$BASE/v1/jobs") && break
    sleep 0.1
done
stop_server
check "exit 0 with a response in flight (got $SERVER_RC)" [ "$SERVER_RC" -eq 0 ]
wait "$SLOW"
rc=$?
check "the slow reader's transfer completed (curl exit $rc)" [ "$rc" -eq 0 ]
check "... status 200 (got $(cat "$WORK/slow.code"))" [ "$(cat "$WORK/slow.code")" = 200 ]
len=$(grep -i '^content-length:' "$WORK/slow.headers" | tr -dc 0-9)
got=$(stat -c %s "$WORK/slow.png")
check "... every byte of the PNG ($got of ${len:-?} bytes)" [ "$got" = "${len:-none}" ]
check "... a whole 2048x2048 PNG" [ "$(png_size "$WORK/slow.png")" = "2048 2048" ]
finish
