#!/usr/bin/env bash
# i2i tokenize: the bundled vocabulary gives the reference ids for a known prompt, --json
# prints the same ids as an array, and bad input fails with a message, not a crash.
set -u
BIN="${I2I_BIN:?I2I_BIN must point to the built i2i}"
if [ ! -x "$BIN" ]; then
    echo "FAIL $BIN is not an executable (was i2i built?)"
    exit 1
fi
fail=0
check() { # description, condition command...
    local what="$1"
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

out=$("$BIN" tokenize "make it autumn")
rc=$?
read -r -a ids <<<"$out"
check "exit status 0" test "$rc" -eq 0
check "77 ids" test "${#ids[@]}" -eq 77
check "first ids 49406 1078 585 6110 49407" test "${ids[*]:0:5}" = "49406 1078 585 6110 49407"
check "padded with 49407" test "${ids[76]:-}" = "49407"

json=$("$BIN" tokenize --json "make it autumn")
check "--json is the same ids as an array" test "$json" = "[$(echo "$out" | sed 's/ /, /g')]"

"$BIN" tokenize $'bad \xff utf-8' >/dev/null 2>/tmp/i2i_tok_err.$$
rc=$?
check "invalid UTF-8 exits 1" test "$rc" -eq 1
check "invalid UTF-8 is explained" grep -q "invalid UTF-8" /tmp/i2i_tok_err.$$
rm -f /tmp/i2i_tok_err.$$

"$BIN" tokenize --vocab /nonexistent/vocab.txt.gz "x" >/dev/null 2>&1
check "missing vocabulary exits 1" test $? -eq 1
"$BIN" tokenize >/dev/null 2>&1
check "no TEXT is a usage error (2)" test $? -eq 2
exit $fail
