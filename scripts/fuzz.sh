#!/usr/bin/env bash
# libFuzzer runs of every parser that takes outside bytes (tests/fuzz).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     SECONDS per target (default 60);
#                                             TARGET: multipart, job_request, ...
#
# Configures build-fuzz with clang (CC=clang CXX=clang++, -DI2I_FUZZ=ON: our C
# code with -fsanitize=fuzzer-no-link,address,undefined), builds every
# tests/fuzz/fuzz_<name>.c, then runs each for SECONDS on a scratch copy of
# its seed corpus tests/fuzz/corpus/<name>/ (the repository's corpus is never
# written). Prints per target the executions, libFuzzer's final coverage
# (cov: edges, ft: features) and the corpus size, and any crash, leak,
# timeout or OOM input it wrote. Exits 1 when a target found one (the scratch
# directory with the inputs and logs is then kept and printed), 2 when the
# build fails. A crash input, once the bug is fixed, goes into
# tests/fuzz/corpus/<name>/ as a regression seed; replay one with
#   build-fuzz/tests/fuzz/fuzz_<name> FILE
#
# Environment: I2I_FUZZ_JOBS build jobs (default nproc); I2I_FUZZ_ARGS extra
# libFuzzer flags (e.g. "-max_len=65536"); I2I_FUZZ_KEEP=1 keeps the scratch
# directory (grown corpora, logs) even without a finding. Needs Debian's
# clang (apt-get install clang libclang-rt-14-dev). scripts/test.sh runs it
# briefly as a smoke (15 s per target).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || [ "$SECS" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
command -v clang >/dev/null || { echo "fuzz.sh: clang not found (apt-get install clang)" >&2; exit 2; }
BUILD=build-fuzz
JOBS=${I2I_FUZZ_JOBS:-$(nproc)}

echo "== configure and build $BUILD (clang, I2I_FUZZ=ON)"
if ! CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DI2I_FUZZ=ON \
  >"$BUILD.configure.log" 2>&1; then
  cat "$BUILD.configure.log" >&2
  exit 2
fi
rm -f "$BUILD.configure.log"
cmake --build "$BUILD" -j"$JOBS" --target fuzz >/dev/null || exit 2

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in tests/fuzz/fuzz_*.c; do
    n=$(basename "$src" .c)
    targets+=("${n#fuzz_}")
  done
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/i2i-fuzz.XXXXXX")
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
found=0
printf '%-12s %12s %8s %8s %6s  %s\n' target execs cov ft corp result
for t in "${targets[@]}"; do
  bin=$BUILD/tests/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t ($bin)" >&2; exit 2; }
  work=$scratch/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "tests/fuzz/corpus/$t" ] && cp -r "tests/fuzz/corpus/$t/." "$work/corpus/"
  rc=0
  # the targets' own scratch files (a manifest, a profile) on tmpfs when there is one
  ftmp=${TMPDIR:-/tmp}
  [ -d /dev/shm ] && [ -w /dev/shm ] && ftmp=/dev/shm
  # shellcheck disable=SC2086 # I2I_FUZZ_ARGS is a list of flags
  TMPDIR=$ftmp "$bin" -max_total_time="$SECS" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" ${I2I_FUZZ_ARGS:-} "$work/corpus" >"$work/log" 2>&1 ||
    rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  stats=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$stats")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$stats")
  # slow-unit-* files are libFuzzer's -report_slow_units notes (one input's
  # wall time over 10 s), not findings: on a loaded machine a niced fuzzer
  # waits for the CPU and inputs that replay in a millisecond get written.
  crashes=$(find "$work/artifacts" -type f ! -name 'slow-unit-*' | sort)
  slow=$(find "$work/artifacts" -type f -name 'slow-unit-*' | wc -l)
  result=ok
  [ "$slow" -eq 0 ] || result="ok ($slow slow-unit notes: wall time over 10 s)"
  if [ -n "$crashes" ] || [ "$rc" -ne 0 ]; then
    found=1
    result="FAILED (exit $rc) log: $work/log"
  fi
  printf '%-12s %12s %8s %8s %6s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$result"
  for c in $crashes; do
    echo "    input: $c"
  done
  [ "${result%% *}" = ok ] || tail -n 40 "$work/log" | sed 's/^/    | /' # CI keeps no scratch files
done

if [ "$found" -ne 0 ]; then
  echo "fuzz.sh: findings above; inputs and logs kept in $scratch" >&2
  exit 1
fi
if [ "${I2I_FUZZ_KEEP:-0}" = 1 ]; then
  echo "scratch (grown corpora, logs): $scratch"
else
  rm -rf "$scratch"
fi
