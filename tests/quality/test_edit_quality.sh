#!/usr/bin/env bash
# The committed trained bundle (models/ip2p-tiny) really edits: every
# held-out photo x every edit, asked with the paraphrase training never saw,
# through the C engine on the default `edit` profile (depth 9, 10 steps,
# gamma 1/1.8), scored by edit_metrics.py (the edit's own effect and the
# layout it keeps) and held to limits.json: measured means with margin
# (README "A model that really edits" has the numbers). Under the sanitizers
# one photo, so ASan's slower libtorch calls stay within CI's time.
set -u
SRC=${I2I_SOURCE_DIR:?}
I2I=${I2I_BIN:?}
# Debian's interpreter: python3-numpy and python3-pil are installed for it (another
# python3, e.g. pyenv's, may come first on PATH)
PY=${I2I_DEBIAN_PYTHON:-/usr/bin/python3}
HERE=$SRC/tests/quality
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
photos=$SRC/tests/data/heldout
if [ "${I2I_SANITIZED:-0}" = 1 ]; then
  mkdir "$work/photos" && cp "$photos/chelsea.jpg" "$work/photos/" && photos=$work/photos
fi
$PY -c 'import numpy, PIL' || { echo "FAIL: python3-numpy and python3-pil are needed"; exit 1; }
$PY "$HERE/run_edits.py" --i2i "$I2I" --bundle "$SRC/models/ip2p-tiny" --photos "$photos" \
  --work "$work/out" --jobs "$(nproc)" --report "$work/report.json" --check "$HERE/limits.json" \
  -- --depth 9 --steps 10 --gamma 1/1.8 --seed 0 || { echo "FAIL: edit quality below limits"; exit 1; }
echo "edit quality: every limit met"
