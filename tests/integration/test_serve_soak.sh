#!/bin/bash
# 2000 mixed good and bad requests: every error is a JSON envelope, the
# server keeps answering, and its RSS does not grow beyond the finished-job
# store (TTL 1 s here, so the store stays small).
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 32 32 "$WORK/in.png"
img huge-header 20000 20000 "$WORK/huge.png"
img corrupt "$WORK/bad.png"
# ASan keeps freed memory in quarantine, which would read as growth
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0"
start_server --workers 1 --job-ttl 1 --queue-max 8

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }

/usr/bin/python3 "$HERE/soak.py" "$BASE" 300 "$WORK/in.png" "$WORK/huge.png" "$WORK/bad.png" >"$WORK/warm.json"
check "warm-up: every error is a JSON envelope ($(cat "$WORK/warm.json"))" [ $? -eq 0 ]
# Wait (bounded) until the queue is empty and nothing runs, then for the TTL:
# on a loaded machine or under ASan the last jobs may take a while.
metric() { req GET /metrics >/dev/null; grep "^$1 " "$WORK/body" | cut -d' ' -f2; }
for _ in $(seq 1 120); do
    [ "$(metric i2i_queue_depth)" = 0 ] && [ "$(metric i2i_jobs_in_flight)" = 0 ] && break
    sleep 0.5
done
sleep 2 # let warm-up jobs expire
rss0=$(rss_kb)
/usr/bin/python3 "$HERE/soak.py" "$BASE" 2000 "$WORK/in.png" "$WORK/huge.png" "$WORK/bad.png" >"$WORK/soak.json"
check "2000 requests: every error is a JSON envelope ($(cat "$WORK/soak.json"))" [ $? -eq 0 ]
check "no connection errors" [ "$(jget "$WORK/soak.json" "j['counts'].get('conn_error',0)")" = 0 ]
check "all kinds of answers seen" [ "$(jget "$WORK/soak.json" "all(k in j['counts'] for k in ('400','404','405','415','422','200'))")" = True ]
# Wait (bounded) until the queue is empty and nothing runs, then for the TTL:
# on a loaded machine or under ASan the last jobs may take a while.
for _ in $(seq 1 120); do
    [ "$(metric i2i_queue_depth)" = 0 ] && [ "$(metric i2i_jobs_in_flight)" = 0 ] && break
    sleep 0.5
done
sleep 2.5 # finished jobs expire (TTL 1 s)
rss1=$(rss_kb)
echo "RSS before ${rss0} kB, after ${rss1} kB"
check "RSS growth under 32 MB (${rss0} -> ${rss1} kB)" [ $((rss1 - rss0)) -lt 32768 ]
check "still healthy" [ "$(req GET /healthz)" = 200 ]
req GET /metrics >/dev/null
check "store drained by the TTL" [ "$(grep '^i2i_jobs_stored ' "$WORK/body" | cut -d' ' -f2)" -le 8 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
