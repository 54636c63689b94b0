#!/bin/bash
# Load and abuse (issue 11): mixed good and bad requests at 64 concurrent
# connections against a small, full queue, plus 300 slow connections
# (tests/load/load_abuse.py). Small by default (4,000 requests, part of the
# test command); `test_load_abuse.sh --full` or I2I_LOAD_REQUESTS=N for the
# issue's 10,000.
. "$(dirname "$0")/../integration/serve_lib.sh"

REQUESTS=${I2I_LOAD_REQUESTS:-4000}
[ "${1:-}" = --full ] && REQUESTS=10000
make_bundle
img png 64 64 "$WORK/in.png"
# queue of 4 and one worker: most submissions meet a full queue (429); the
# store cap is reached early, so memory must plateau after the warm-up
start_server --workers 1 --queue-max 4 --max-jobs 16 --max-queued-per-key 0 \
    --max-connections 1000 --max-connections-per-ip 200 --request-deadline 2 --http-threads 4
/usr/bin/python3 "$(dirname "$0")/load_abuse.py" "${BASE##*:}" "$SERVER_PID" "$WORK/in.png" \
    "$REQUESTS" 64 300
check "load_abuse.py checks" [ $? -eq 0 ]
check "server still healthy" [ "$(req GET /healthz)" = 200 ]
no_crash_report() { ! grep -q "ERROR: \|runtime error" "$WORK/server.err"; }
check "no sanitizer or crash report" no_crash_report
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
