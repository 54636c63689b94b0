#!/usr/bin/env bash
# i2i schedule: the published IP2P 10-step sequence, JSON output, the
# reciprocal gamma form, and usage errors (exit 2 with a message on stderr).
set -u
bin="${I2I_BIN:?I2I_BIN must point to the built i2i}"
if [ ! -x "$bin" ]; then
    echo "FAIL: $bin is not built" >&2
    exit 1
fi
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

out=$("$bin" schedule --steps 10 --gamma 1/1.8) || fail "exit status $? for a valid call"
[ "$out" = "999 937 872 802 728 646 556 452 324 124" ] || fail "1/1.8 x 10: got '$out'"

out=$("$bin" schedule --steps 5 --gamma 1.9)
[ "$out" = "949 549 254 68 0" ] || fail "1.9 x 5: got '$out'"

out=$("$bin" schedule --gamma 0.5555555555555556 --steps 10)
[ "$out" = "999 937 872 802 728 646 556 452 324 124" ] || fail "decimal gamma: got '$out'"

out=$("$bin" schedule --steps 5 --gamma 1/3.11 --json)
want='{"steps":5,"gamma":0.3215434083601286,"timesteps":[999,916,814,674,403]}'
[ "$out" = "$want" ] || fail "json: got '$out'"
if command -v python3 >/dev/null; then
    echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["timesteps"][0]==999' ||
        fail "json output does not parse"
fi

"$bin" schedule --help | grep -q "usage: i2i schedule" || fail "--help"

expect_usage_error() {
    local err rc
    err=$("$bin" schedule "$@" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" -eq 2 ] || fail "'$*': exit $rc, want 2"
    [ -n "$err" ] || fail "'$*': no message on stderr"
}
expect_usage_error --steps 0 --gamma 1
expect_usage_error --steps 1001 --gamma 1
expect_usage_error --steps ten --gamma 1
expect_usage_error --steps 10 --gamma 0
expect_usage_error --steps 10 --gamma -1
expect_usage_error --steps 10 --gamma 1/0
expect_usage_error --steps 10 --gamma abc
expect_usage_error --steps 10 --gamma nan
expect_usage_error --steps 10
expect_usage_error --gamma 1
expect_usage_error --steps 10 --gamma 1 --bogus
expect_usage_error --steps

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "schedule CLI: all checks passed"
