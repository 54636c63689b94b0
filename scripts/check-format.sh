#!/usr/bin/env bash
# Fails when a C/C++ source is not clang-formatted (.clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.cpp' | grep -v '^engine/text/unicode_tables.c$' || true)
[ -z "$files" ] && exit 0
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run clang-format -i $f)" >&2
    bad=1
  fi
done
exit $bad
