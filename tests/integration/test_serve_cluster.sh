#!/bin/bash
# Three i2i-serve replicas share one Redis (--store redis://) behind a real
# nginx (round-robin upstream, every request may land on any replica):
#   1. a batch of 60 small jobs submitted and polled through nginx: every
#      job succeeds exactly once (attempt 1, 60 runs counted over the
#      replicas), its result comes back through nginx, and each replica ran
#      some (the shared queue hands work to whichever worker is free);
#   2. a long job's replica is SIGKILLed while it runs: once its lease lapses
#      a survivor reclaims it and runs it again (attempt 2), every job queued
#      behind it succeeds, and the reclaim shows in /metrics;
#   3. a replica stopped with SIGTERM drains without canceling the jobs it
#      took: they stay in the shared queue and the last replica runs them.
# Skips (77) without nginx or redis-server (scripts/install-deps.sh installs
# both) or a build without hiredis. Every wait is on a condition with a
# generous deadline, never a fixed sleep.
. "$(dirname "$0")/serve_lib.sh"

NGINX_BIN=$(command -v nginx || true)
[ -z "$NGINX_BIN" ] && [ -x /usr/sbin/nginx ] && NGINX_BIN=/usr/sbin/nginx
REDIS_BIN=$(command -v redis-server || true)
[ -z "$REDIS_BIN" ] && [ -x /usr/bin/redis-server ] && REDIS_BIN=/usr/bin/redis-server
CACHE=${I2I_BUILD_DIR:-build}/CMakeCache.txt
if [ -z "$NGINX_BIN" ] || [ -z "$REDIS_BIN" ] || ! command -v redis-cli >/dev/null ||
    ! grep -q '^HIREDIS_FOUND:INTERNAL=1' "$CACHE" 2>/dev/null; then
    echo "SKIP: nginx / redis-server / redis-cli not installed, or the build has no Redis store"
    exit 77
fi

REPLICAS=3
LEASE=10 # s; survivors reclaim a dead replica's job this long after its last step
PIDS=()
PORTS=()
REDIS_PID=""
NGINX_PID=""
stop_all() {
    local p
    for p in "${PIDS[@]}" $NGINX_PID $REDIS_PID; do
        kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    cleanup
}
trap stop_all EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rcli() { redis-cli -p "$REDIS_PORT" -n 4 "$@"; }

# waits until CMD... succeeds, polling every 0.2 s for at most SECONDS
wait_for() {
    local seconds=$1 i; shift
    for i in $(seq 1 $((seconds * 5))); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

start_redis() {
    REDIS_PORT=$(free_port)
    mkdir -p "$WORK/redis"
    "$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$WORK/redis" --loglevel warning >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    wait_for 20 sh -c "redis-cli -p $REDIS_PORT ping 2>/dev/null | grep -q PONG" ||
        { echo "redis-server did not start" >&2; exit 1; }
}

# start_replica N: one i2i-serve on a free port (logged), 1 worker of 1 thread
start_replica() {
    local n=$1 port="" i
    "$SERVE" --bundle "$BUNDLE" --profiles "$PROFILES" --listen 127.0.0.1:0 \
        --access-log "$WORK/r$n.access" --workers 1 --threads-per-worker 1 --queue-max 200 \
        --store "redis://127.0.0.1:$REDIS_PORT/4" --store-prefix "c$$:" --lease $LEASE \
        >"$WORK/r$n.out" 2>"$WORK/r$n.err" &
    PIDS[$n]=$!
    for i in $(seq 1 300); do
        port=$(grep -o '"detail":"127.0.0.1:[0-9]*' "$WORK/r$n.access" 2>/dev/null | head -1 |
            grep -o '[0-9]*$')
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$WORK/r$n.err" >&2; echo "replica $n did not start" >&2; exit 1; }
    PORTS[$n]=$port
}

ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ]; }

start_nginx() {
    NGINX_PORT=$(free_port)
    local d=$WORK/nginx servers="" n
    mkdir -p "$d/tmp"
    for n in $(seq 1 $REPLICAS); do servers+="        server 127.0.0.1:${PORTS[$n]};"$'\n'; done
    local user=""
    [ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);" # workers as us, not nobody
    cat >"$d/nginx.conf" <<CONF
$user
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 512; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    client_max_body_size 20m;
    upstream i2i {
$servers    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://i2i;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # a replica that is gone (the SIGKILL below) is skipped, not answered with 502
            proxy_next_upstream error timeout;
        }
    }
}
CONF
    "$NGINX_BIN" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout" 2>&1 &
    NGINX_PID=$!
    LB=http://127.0.0.1:$NGINX_PORT
    wait_for 20 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $LB/healthz)\" = 200 ]" ||
        { cat "$d/error.log" "$d/stdout" >&2; echo "nginx did not start" >&2; exit 1; }
}

# succeeded N: jobs replica N ran to success (its own /metrics)
succeeded() {
    curl -s "http://127.0.0.1:${PORTS[$1]}/metrics" |
        sed -n 's/^i2i_jobs_total{task="edit",status="succeeded"} //p'
}
reclaimed() {
    curl -s "http://127.0.0.1:${PORTS[$1]}/metrics" |
        sed -n 's/^i2i_jobs_reclaimed_total{result="requeued"} //p'
}

make_bundle
img png 64 64 "$WORK/small.png"
img png 256 256 "$WORK/large.png"
start_redis
for n in $(seq 1 $REPLICAS); do start_replica "$n"; done
for n in $(seq 1 $REPLICAS); do
    wait_for 120 ready "${PORTS[$n]}" || { cat "$WORK/r$n.err" >&2; echo "replica $n not ready" >&2; exit 1; }
done
start_nginx

echo "start: replicas on ${PORTS[*]}, nginx on $NGINX_PORT, ready at ${SECONDS} s"

# 1. the batch
BATCH=(num_inference_steps=2 prompt=batch)
/usr/bin/python3 "$HERE/cluster_batch.py" submit "$LB" "$WORK/small.png" 60 "$WORK/batch.ids" \
    "${BATCH[@]}"
echo "batch: submitted at ${SECONDS} s"
check "60 jobs submitted through nginx" [ "$(wc -l <"$WORK/batch.ids")" = 60 ]
check "all 60 succeed, polled and fetched through nginx" \
    /usr/bin/python3 "$HERE/cluster_batch.py" wait "$LB" "$WORK/batch.ids" 150
echo "batch: done at ${SECONDS} s"
once=0
while read -r id; do [ "$(rcli hget "c$$:job:$id" attempt)" = 1 ] && once=$((once + 1)); done \
    <"$WORK/batch.ids"
check "each ran exactly once (attempt 1: $once of 60)" [ "$once" = 60 ]
total=0
for n in $(seq 1 $REPLICAS); do
    ran=$(succeeded "$n")
    echo "replica $n ran ${ran:-0} of the batch"
    check "replica $n ran some of the batch (ran ${ran:-none})" [ "${ran:-0}" -gt 0 ]
    total=$((total + ${ran:-0}))
done
check "60 runs over the replicas, none twice (got $total)" [ "$total" = 60 ]
polls=$(grep -c 'GET /v1/jobs/' "$WORK/nginx/access.log")
check "polls went through nginx ($polls)" [ "$polls" -ge 60 ]
for n in $(seq 1 $REPLICAS); do
    check "replica $n answered polls" grep -q '"path":"/v1/jobs/' "$WORK/r$n.access"
done

# 2. SIGKILL the replica running a long job
/usr/bin/python3 "$HERE/cluster_batch.py" submit "$LB" "$WORK/large.png" 1 "$WORK/long.ids" \
    num_inference_steps=40 resolution=256 prompt=long
LONG=$(cat "$WORK/long.ids")
long_running() {
    local step
    step=$(rcli hget "c$$:job:$LONG" step)
    [ "$(rcli hget "c$$:job:$LONG" status)" = 1 ] && [ "${step:-0}" -ge 1 ]
}
check "the long job runs" wait_for 120 long_running
/usr/bin/python3 "$HERE/cluster_batch.py" submit "$LB" "$WORK/small.png" 12 "$WORK/after.ids" \
    "${BATCH[@]}"
holder=$(rcli get "c$$:lease:$LONG") # the consumer: host:pid
victim=""
for n in $(seq 1 $REPLICAS); do [ "${holder##*:}" = "${PIDS[$n]}" ] && victim=$n; done
check "its lease names a replica (${holder:-none})" [ -n "$victim" ]
if [ -n "$victim" ]; then
    check "still running when killed" [ "$(rcli hget "c$$:job:$LONG" status)" = 1 ]
    echo "kill: replica $victim (pid ${PIDS[$victim]}) at ${SECONDS} s"
    kill -KILL "${PIDS[$victim]}"
    wait "${PIDS[$victim]}" 2>/dev/null
    unset "PIDS[$victim]"
    cat "$WORK/long.ids" >>"$WORK/after.ids"
    check "the long job and the 12 queued behind it succeed on the others" \
        /usr/bin/python3 "$HERE/cluster_batch.py" wait "$LB" "$WORK/after.ids" 170
    echo "kill: all done at ${SECONDS} s"
    check "the long job ran again (attempt $(rcli hget "c$$:job:$LONG" attempt))" \
        [ "$(rcli hget "c$$:job:$LONG" attempt)" = 2 ]
    got=0
    for n in $(seq 1 $REPLICAS); do
        [ "$n" = "$victim" ] && continue
        got=$((got + $(reclaimed "$n")))
    done
    check "the reclaim shows in /metrics (i2i_jobs_reclaimed_total: $got)" [ "$got" -ge 1 ]
    check "the shared queue is empty again" \
        curl -s "http://127.0.0.1:${PORTS[$(( victim % REPLICAS + 1 ))]}/metrics" -o "$WORK/metrics"
    check "... i2i_shared_queue_depth 0" grep -qx 'i2i_shared_queue_depth 0' "$WORK/metrics"
fi

# 3. SIGTERM drain keeps the shared queue: jobs submitted to one survivor
# that is then stopped are run by the other, none canceled
survivors=()
for n in $(seq 1 $REPLICAS); do [ -n "${PIDS[$n]:-}" ] && survivors+=("$n"); done
if [ "${#survivors[@]}" -ge 2 ]; then
    first=${survivors[0]}
    /usr/bin/python3 "$HERE/cluster_batch.py" submit "http://127.0.0.1:${PORTS[$first]}" \
        "$WORK/small.png" 8 "$WORK/drain.ids" "${BATCH[@]}"
    kill -TERM "${PIDS[$first]}"
    wait "${PIDS[$first]}"
    rc=$?
    unset "PIDS[$first]"
    check "replica $first drains and exits cleanly (rc $rc)" [ "$rc" = 0 ]
    check "... its drain left the queue alone" grep -q 'queued jobs stay in the shared queue' \
        "$WORK/r$first.access"
    check "the 8 jobs it took all succeed on the others, none canceled" \
        /usr/bin/python3 "$HERE/cluster_batch.py" wait "$LB" "$WORK/drain.ids" 120
fi
echo "drain: done at ${SECONDS} s"

for n in $(seq 1 $REPLICAS); do
    [ -n "${PIDS[$n]:-}" ] || continue
    kill -TERM "${PIDS[$n]}"
    wait "${PIDS[$n]}"
    rc=$?
    unset "PIDS[$n]"
    check "replica $n exits cleanly on SIGTERM (rc $rc)" [ "$rc" = 0 ]
done
finish
