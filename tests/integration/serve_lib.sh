# Shared helpers for the i2i-serve integration tests (sourced, not run).
# Each test starts the real server on a free loopback port (--listen
# 127.0.0.1:0; the port is read from the "listening" log line) with a tiny
# bundle, and a trap stops it whatever happens.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVE=$(realpath -m "${I2I_SERVE_BIN:-${I2I_BUILD_DIR:-build}/i2i-serve}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/i2i-serve-test.XXXXXX")
SERVER_PID=""
FAILURES=0
CHECKS=0

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
check() { # check "description" test-expression...
    local what=$1; shift
    CHECKS=$((CHECKS + 1))
    if ! "$@"; then fail "$what"; fi
}
one_of() { # one_of VALUE CHOICE...: VALUE equals one of the choices
    local v=$1; shift
    local c
    for c in "$@"; do [ "$v" = "$c" ] && return 0; done
    return 1
}
finish() {
    echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
    exit $?
}

command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
[ -x "$SERVE" ] || { echo "no server binary at $SERVE" >&2; exit 1; }

# A tiny bundle: I2I_TEST_BUNDLE if given, else made with `i2i mkmodel`.
make_bundle() {
    if [ -n "${I2I_TEST_BUNDLE:-}" ]; then
        BUNDLE=$I2I_TEST_BUNDLE
        return
    fi
    BUNDLE=$WORK/bundle
    "$I2I_BIN" mkmodel edit --size tiny --out "$BUNDLE" >"$WORK/mkmodel.log" 2>&1 || {
        cat "$WORK/mkmodel.log" >&2
        echo "cannot make a tiny bundle" >&2
        exit 1
    }
}

img() { /usr/bin/python3 "$HERE/make_image.py" "$@"; }

# The shipped profiles, passed with --profiles (the server's default is
# ./profiles, which the test's working directory does not have). A test that
# wants the default sets PROFILES="" before start_server.
SHIPPED_PROFILES=$(cd "$HERE/../../profiles" && pwd)
PROFILES=$SHIPPED_PROFILES

# start_server [extra flags...]: starts, waits for /readyz (bounded), sets BASE.
start_server() {
    LOG=$WORK/server.log
    local pflag=()
    [ -n "$PROFILES" ] && pflag=(--profiles "$PROFILES")
    "$SERVE" --bundle "$BUNDLE" --listen 127.0.0.1:0 --access-log - "${pflag[@]}" "$@" \
        >"$LOG" 2>"$WORK/server.err" &
    SERVER_PID=$!
    local port="" i
    for i in $(seq 1 100); do
        port=$(grep -o '"detail":"127.0.0.1:[0-9]*' "$LOG" 2>/dev/null | head -1 | grep -o '[0-9]*$')
        [ -n "$port" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$WORK/server.err" >&2; echo "server did not start" >&2; exit 1; }
    BASE=http://127.0.0.1:$port
    for i in $(seq 1 300); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$WORK/server.err" >&2
    echo "server did not become ready" >&2
    exit 1
}

# stop_server: SIGTERM and wait; sets SERVER_RC.
stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    SERVER_RC=$?
    SERVER_PID=""
}

# req METHOD PATH [curl args...]: body to $WORK/body, headers to $WORK/headers,
# status code to stdout.
req() {
    local method=$1 path=$2; shift 2
    curl -s -X "$method" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@" "$BASE$path"
}

# jget FILE EXPR: evaluates a Python expression on the JSON document `j`.
jget() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

header() { # header NAME: value from $WORK/headers
    grep -i "^$1:" "$WORK/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'
}

# is_error_json CODE: the body is the error envelope with that code.
is_error_json() {
    [ "$(jget "$WORK/body" "j['error']['code'] if set(j)=={'error'} and set(j['error'])=={'code','message'} else 'BAD'" 2>/dev/null)" = "$1" ]
}

# bad_post ROUTE DESCRIPTION STATUS CODE [curl args...]: a POST that must be
# refused with STATUS and the error envelope of CODE.
bad_post() {
    local route=$1 what=$2 status=$3 ecode=$4; shift 4
    local got; got=$(req POST "$route" "$@")
    check "$what: $status $ecode (got $got: $(head -c 200 "$WORK/body"))" [ "$got" = "$status" ]
    check "$what: error envelope" is_error_json "$ecode"
}

# wait_status ID STATUS [tries]: polls (0.1 s apart) until the job has STATUS.
wait_status() {
    local id=$1 want=$2 tries=${3:-400} i
    for i in $(seq 1 "$tries"); do
        curl -s -o "$WORK/poll" "$BASE/v1/jobs/$id"
        [ "$(jget "$WORK/poll" "j['status']" 2>/dev/null)" = "$want" ] && return 0
        sleep 0.1
    done
    echo "job $id never reached $want: $(cat "$WORK/poll")" >&2
    return 1
}

# png_size FILE: prints "W H" from a PNG's IHDR (a JSON body instead: the
# body itself on stderr, so a failed job shows why).
png_size() {
    /usr/bin/python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); \
assert d[:8]==b'\x89PNG\r\n\x1a\n', 'not a PNG: ' + open(sys.argv[1],errors='replace').read(400); \
print(*struct.unpack('>II', d[16:24]))" "$1"
}
