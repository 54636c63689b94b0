#!/bin/bash
# Slow clients do not starve fast ones (issue 11): a per-address connection
# limit, an absolute read deadline that trickled bytes do not reset, epoll
# event loops instead of a thread per connection, and Prefer: wait waiters
# parked without a thread each (tests/integration/slow_clients.py).
. "$(dirname "$0")/serve_lib.sh"

"$SERVE" --help >"$WORK/help" 2>&1
for flag in max-connections max-connections-per-ip http-threads request-deadline max-jobs \
    max-queued-per-key admin-key; do
    check "--help lists --$flag" grep -q -- "--$flag " "$WORK/help"
done

make_bundle
img png 64 64 "$WORK/in.png"
start_server --http-threads 2 --max-connections-per-ip 20 --request-deadline 4 --workers 1
/usr/bin/python3 "$HERE/slow_clients.py" "${BASE##*:}" "$SERVER_PID" "$WORK/in.png" 20 4
check "slow_clients.py checks" [ $? -eq 0 ]
check "server still healthy" [ "$(req GET /healthz)" = 200 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
