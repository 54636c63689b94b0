#!/bin/bash
# One i2i-serve on the Redis store (--store redis://): a job runs and its
# result, list entry and idempotent replay come from Redis (its keys are
# there, under the prefix); a running job is canceled through the store's
# flag; with Redis stopped, lookups and submissions answer 503 and the
# server stays up; when Redis is back, it serves again without a restart.
# Skips (77) without redis-server or a build without hiredis.
. "$(dirname "$0")/serve_lib.sh"

REDIS_BIN=$(command -v redis-server || true)
[ -x /usr/bin/redis-server ] && REDIS_BIN=/usr/bin/redis-server
CACHE=${I2I_BUILD_DIR:-build}/CMakeCache.txt
if [ -z "$REDIS_BIN" ] || ! command -v redis-cli >/dev/null ||
    ! grep -q '^HIREDIS_FOUND:INTERNAL=1' "$CACHE" 2>/dev/null; then
    echo "SKIP: redis-server / redis-cli not installed, or the build has no Redis store"
    exit 77
fi

REDIS_PID=""
REDIS_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/redis"
redis_start() {
    "$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$WORK/redis" --loglevel warning >>"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    local i
    for i in $(seq 1 100); do
        redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    echo "redis-server did not start" >&2
    exit 1
}
redis_stop() {
    [ -n "$REDIS_PID" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=""
}
trap 'redis_stop; cleanup' EXIT
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

make_bundle
img png 64 64 "$WORK/in.png"
redis_start
P="t$$:"
start_server --workers 1 --store "redis://127.0.0.1:$REDIS_PORT/2" --store-prefix "$P"

code=$(req POST /v1/edit -H "Idempotency-Key: redis-1" -F image=@"$WORK/in.png" -F prompt="a cat" \
    -F num_inference_steps=2)
check "submit 202 (got $code)" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
check "job succeeds" wait_status "$ID" succeeded 600
check "its hash is in Redis db 2, under the prefix" [ "$(rcli -n 2 hget "${P}job:$ID" status)" = 2 ]
check "its result is a separate key" [ "$(rcli -n 2 exists "${P}res:$ID:0")" = 1 ]
check "the finished hash has a TTL" [ "$(rcli -n 2 ttl "${P}job:$ID")" -gt 0 ]
code=$(req GET "/v1/jobs/$ID/result")
check "result 200 (got $code)" [ "$code" = 200 ]
check "... a PNG" [ "$(head -c 4 "$WORK/body" | tail -c 3)" = PNG ]
code=$(req POST /v1/edit -H "Idempotency-Key: redis-1" -F image=@"$WORK/in.png" -F prompt="a cat" \
    -F num_inference_steps=2)
check "same Idempotency-Key replays the job" [ "$(jget "$WORK/body" "j['id']")" = "$ID" ]
code=$(req GET "/v1/jobs?limit=5")
check "list 200 with the job (got $code)" [ "$(jget "$WORK/body" "j['jobs'][0]['id']")" = "$ID" ]

# a running job stops at its next step once the store's cancel flag is up
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="long" -F profile=edit-full \
    -F num_inference_steps=100)
LONG=$(jget "$WORK/body" "j['id']")
check "long job running" wait_status "$LONG" running 300
code=$(req DELETE "/v1/jobs/$LONG")
check "DELETE running 202 (got $code)" [ "$code" = 202 ]
check "... the flag is in its hash" [ "$(rcli -n 2 hget "${P}job:$LONG" cancel)" = 1 ]
check "... canceled" wait_status "$LONG" canceled 300

# Redis down: errors, not hangs or crashes
redis_stop
code=$(curl -s -m 10 -o "$WORK/body" -w '%{http_code}' "$BASE/v1/jobs/$ID")
check "lookup with Redis down: 503 (got $code)" [ "$code" = 503 ]
check "... with Retry-After" grep -qi '^Retry-After:' <(curl -s -m 10 -D - -o /dev/null "$BASE/v1/jobs/$ID")
code=$(curl -s -m 10 -o "$WORK/body" -w '%{http_code}' -F image=@"$WORK/in.png" -F prompt=x \
    "$BASE/v1/edit")
check "submission with Redis down: 503 (got $code)" [ "$code" = 503 ]
check "the server is still alive" [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ]

# Redis back (empty: no persistence): the same server serves again
redis_start
ok=""
for i in $(seq 1 100); do
    code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="again" -F num_inference_steps=2)
    [ "$code" = 202 ] && ok=1 && break
    sleep 0.2
done
check "submissions accepted again after Redis returns" [ -n "$ok" ]
AGAIN=$(jget "$WORK/body" "j['id']")
check "... and the job succeeds" wait_status "$AGAIN" succeeded 600

stop_server
check "clean exit" [ "$SERVER_RC" = 0 ]
redis_stop
finish
