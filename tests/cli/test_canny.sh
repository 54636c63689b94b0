#!/usr/bin/env bash
# i2i canny: the golden input gives the golden edge map (OpenCV's cv2.Canny(rgb, 100, 200))
# pixel for pixel, as an RGB PNG with three equal channels; the defaults are 100/200; bad
# arguments exit 2 and bad files exit 1, each with a message and without writing --out.
set -u
bin="${I2I_BIN:?I2I_BIN must point to the built i2i}"
golden="${I2I_GOLDEN:?I2I_GOLDEN must point to tests/golden}"
src="${I2I_SOURCE_DIR:?I2I_SOURCE_DIR must point to the source tree}"
if [ ! -x "$bin" ]; then
    echo "FAIL: $bin is not built" >&2
    exit 1
fi
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Stdlib-only PNG reader (8-bit grey or RGB, not interlaced, all five row filters): prints
# "W H CHANNELS" and then, for each pixel, its channel values joined by commas.
png_pixels() {
    python3 - "$1" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and ctype in (0, 2) and not interlace, "unsupported PNG"
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
bpp = 1 if ctype == 0 else 3
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pred = [0, a, b, (a + b) // 2,
                a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c)
                else b if abs(p - b) <= abs(p - c) else c][f]
        line[i] = (line[i] + pred) & 255
    rows.append(line)
    prev = line
print(w, h, bpp)
for line in rows:
    for x in range(w):
        print(",".join(str(v) for v in line[x * bpp:(x + 1) * bpp]))
EOF
}

out="$tmp/edges.png"
"$bin" canny --image "$golden/canny_input.png" --out "$out" --low 100 --high 200 ||
    fail "exit status $? for a valid call"
if ! command -v python3 >/dev/null; then
    echo "note: no python3, pixel comparison skipped" >&2
elif [ -f "$out" ]; then
    png_pixels "$out" >"$tmp/got.txt" || fail "cannot read the PNG written by i2i canny"
    png_pixels "$golden/canny_edges.png" >"$tmp/want.txt" || fail "cannot read the golden PNG"
    [ "$(head -1 "$tmp/got.txt")" = "64 48 3" ] || fail "output is not 64x48 RGB: $(head -1 "$tmp/got.txt")"
    # Each output pixel must be v,v,v with v the golden grey value.
    diff=$(paste -d' ' <(tail -n +2 "$tmp/got.txt") <(tail -n +2 "$tmp/want.txt") |
        awk '{ split($1, c, ","); if (c[1] != $2 || c[2] != $2 || c[3] != $2) n++ } END { print n + 0 }')
    [ "$diff" = 0 ] || fail "$diff of 3072 pixels differ from the golden edges"
    edges=$(tail -n +2 "$tmp/got.txt" | grep -c '^255,255,255$')
    [ "$edges" = 199 ] || fail "$edges edge pixels, want 199"
else
    fail "no output file written"
fi

"$bin" canny --image "$golden/canny_input.png" --out "$tmp/default.png" || fail "defaults: exit $?"
cmp -s "$out" "$tmp/default.png" || fail "the defaults are not --low 100 --high 200"
"$bin" canny --image "$golden/canny_input.png" --out "$tmp/zero.png" --low 0 --high 0 ||
    fail "--low 0 --high 0: exit $?"
"$bin" canny --help | grep -q "usage: i2i canny" || fail "--help"

# expect_error STATUS NEEDLE ARGS...: exit STATUS, NEEDLE on stderr, no --out file written.
expect_error() {
    local want="$1" needle="$2" err rc
    shift 2
    rm -f "$tmp/bad.png"
    err=$("$bin" canny "$@" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" -eq "$want" ] || fail "'$*': exit $rc, want $want"
    case "$err" in *"$needle"*) ;; *) fail "'$*': message '$err' lacks '$needle'" ;; esac
    [ ! -e "$tmp/bad.png" ] || fail "'$*': wrote an output file"
}
in="$golden/canny_input.png"
expect_error 2 "--image and --out are required" --out "$tmp/bad.png"
expect_error 2 "--image and --out are required" --image "$in"
expect_error 2 "above --high" --image "$in" --out "$tmp/bad.png" --low 200 --high 100
expect_error 2 "0..2040" --image "$in" --out "$tmp/bad.png" --low -1
expect_error 2 "0..2040" --image "$in" --out "$tmp/bad.png" --high 2041
expect_error 2 "0..2040" --image "$in" --out "$tmp/bad.png" --low ten
expect_error 2 "needs a value" --image "$in" --out "$tmp/bad.png" --low
expect_error 2 "unknown option" --image "$in" --out "$tmp/bad.png" --sigma 2

head -c 2000 "$in" >"$tmp/truncated.png"
expect_error 1 "truncated.png" --image "$tmp/truncated.png" --out "$tmp/bad.png"
expect_error 1 "No such file" --image "$tmp/missing.png" --out "$tmp/bad.png"
printf 'not an image' >"$tmp/text.png"
expect_error 1 "text.png" --image "$tmp/text.png" --out "$tmp/bad.png"
# A valid header for 9000x9000 (81 Mpixel): refused before any pixel memory is taken.
if command -v python3 >/dev/null; then
    python3 "$src/tests/tools/make_png.py" "$tmp/huge.png" 9000 9000 --header-only
    expect_error 1 "over the limit" --image "$tmp/huge.png" --out "$tmp/bad.png"
fi
err=$("$bin" canny --image "$in" --out "$tmp/no/such/dir/e.png" 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 1 ] && [ -n "$err" ] || fail "unwritable --out: exit $rc, message '$err'"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "canny CLI: all checks passed"
