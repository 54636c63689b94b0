#!/bin/bash
# Job event streams, GET /v1/jobs/{id}/events (issue 14): queued/started/
# progress/done, Last-Event-ID resume, 200 idle streams without a thread
# each, the stream cap, keep-alives, cancel, errors
# (tests/integration/sse_events.py); then SIGTERM with streams open.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 64 64 "$WORK/in.png"
start_server --workers 1 --max-event-streams 210 --event-keepalive 1 --max-connections-per-ip 0 \
    --http-threads 2
/usr/bin/python3 "$HERE/sse_events.py" "${BASE##*:}" "$SERVER_PID" "$WORK/in.png" 210
check "sse_events.py checks" [ $? -eq 0 ]

stop_server

# SIGTERM with a stream open on a running job: the stream ends, exit 0, quickly
start_server --workers 1 --drain-timeout 2
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F profile=edit-full -F num_inference_steps=100 \
    -F resolution=128) # 100 steps at a 16x16 latent: far longer than the 2 s drain, short steps
ID=$(jget "$WORK/body" "j['id']")
curl -s -N "$BASE/v1/jobs/$ID/events" >"$WORK/stream" &
CURL=$!
check "job running" wait_status "$ID" running 200
# SIGTERM once the job is in its denoising loop, whose steps see the cancel
# (its start, the VAE encode, does not): a loaded machine may be slow there
for _ in $(seq 1 300); do
    curl -s -o "$WORK/poll" "$BASE/v1/jobs/$ID"
    [ "$(jget "$WORK/poll" "j['progress']['step']")" -ge 1 ] 2>/dev/null && break
    sleep 0.1
done
t0=$(date +%s)
stop_server
t1=$(date +%s)
wait "$CURL"
check "exit 0 with a stream open (got $SERVER_RC)" [ "$SERVER_RC" -eq 0 ]
check "... within 15 s (took $((t1 - t0)) s)" [ $((t1 - t0)) -le 15 ]
check "the stream got the job's end: done, canceled by the shutdown ($(tail -c 300 "$WORK/stream" | tr "\n" " "))" grep -q '"error":{"code":"shutdown"' "$WORK/stream"
finish
