#!/usr/bin/env bash
# Benchmarks of the engine (dev tooling). Usage:
#   bench/run.sh [unet|profiles|jobs|photos|all] [extra options, e.g. --sizes 32 --runs 5]
# Environment: THREADS (default 2), BUILD_DIR (default <repo>/build-bench),
#   I2I_REF (default <repo>/../shared/ref: the PyTorch reference used as the
#   baseline; optional -- without it only our times are printed),
#   PYTHON (default /usr/bin/python3, Debian's python3-torch).
# "unet": one U-Net call (SD-1.5 size, random weights, 32x32 and 64x64
# latents, D13/D9/D8) by us and by PyTorch eager in the same run, and the
# ratio. "profiles": per-job cost of every shipped profile vs edit-full.
# "jobs": whole jobs on tiny bundles (made here with i2i mkmodel): control vs
# control-full, edit vs edit-full, and sr / sr-fast vs sr-full, in one run. "photos": edit
# jobs against the photo size, at a fixed working resolution and at the
# input's own size.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODE="${1:-unet}"
[ $# -gt 0 ] && shift
THREADS="${THREADS:-2}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
REF="${I2I_REF:-$ROOT/../shared/ref}"
PYTHON="${PYTHON:-/usr/bin/python3}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

echo "== building bench tools in $BUILD_DIR"
cmake -S "$ROOT/bench" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$OUT/cmake.log" 2>&1 ||
  { cat "$OUT/cmake.log"; exit 1; }
cmake --build "$BUILD_DIR" -j2 --target unet_bench profile_cost job_bench i2i >"$OUT/build.log" 2>&1 ||
  { tail -40 "$OUT/build.log"; exit 1; }

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "avx512_bf16: $(grep -q avx512_bf16 /proc/cpuinfo && echo yes || echo no); threads $THREADS"
echo "== cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o 'avx[0-9a-z_]*\|amx[a-z_]*\|fma' | sort -u | tr '\n' ' ')"
echo "== load before: $(cat /proc/loadavg)"

run_unet() {
  # fp32 and bf16 (I2I's opt-in mode) one after the other, each in its own
  # process, so each peak RSS is its own model's.
  "$BUILD_DIR/unet_bench" --threads "$THREADS" --json "$OUT/ours.json" "$@"
  echo "== load after ours fp32: $(cat /proc/loadavg)"
  "$BUILD_DIR/unet_bench" --threads "$THREADS" --bf16 --json "$OUT/ours_bf16.json" "$@"
  echo "== load after ours bf16: $(cat /proc/loadavg)"
  local torch_json=()
  if [ -f "$REF/sd_unet.py" ] && "$PYTHON" -c 'import torch' 2>/dev/null; then
    # PyTorch in a child with glibc's mmap threshold off and no trimming
    # (ref/measure.py's "no-mmap" mode): otherwise it page-faults its big
    # temporaries on every call and the baseline would be unfairly slow.
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=$((64 << 30)) \
      "$PYTHON" "$ROOT/bench/torch_unet_bench.py" --ref "$REF" --threads "$THREADS" \
      --json "$OUT/torch.json" $(torch_args "$@")
    torch_json=("$OUT/torch.json")
    echo "== load after torch: $(cat /proc/loadavg)"
  else
    echo "== PyTorch baseline skipped: no $REF/sd_unet.py or no torch for $PYTHON"
  fi
  "$PYTHON" "$ROOT/bench/compare.py" "$OUT/ours.json" "$OUT/ours_bf16.json" "${torch_json[@]}"
}

# unet_bench's --sizes/--depths/--runs in the Python script's syntax.
torch_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --sizes|--depths) echo "$1 ${2//,/ }"; shift 2 ;;
      --runs|--config|--slow) echo "$1 $2"; shift 2 ;;
      *) shift ;;
    esac
  done
}

# Whole jobs on tiny bundles: the ratio of each profile to its -full baseline.
run_jobs() {
  local i2i; i2i=$(find "$BUILD_DIR" -name i2i -type f -perm -u+x | head -1)
  "$i2i" mkmodel control --size tiny --out "$OUT/control" >/dev/null
  "$i2i" mkmodel edit --size tiny --out "$OUT/edit" >/dev/null
  echo "== control vs control-full (image_resolution 128: 128x128 working size, 16x16 latent)"
  "$BUILD_DIR/job_bench" --bundle "$OUT/control" --profiles "$ROOT/profiles" --threads "$THREADS" \
    --size 128x128 --resolution 128 "$@"
  echo "== edit vs edit-full (128x128 image, 16x16 latent)"
  "$BUILD_DIR/job_bench" --bundle "$OUT/edit" --profiles "$ROOT/profiles" --threads "$THREADS" \
    --size 128x128 "$@"
  "$i2i" mkmodel upscale --size tiny --out "$OUT/sr" >/dev/null
  echo "== sr and sr-fast vs sr-full (128x128 image at scale 1: one 16x16 latent tile)"
  "$BUILD_DIR/job_bench" --bundle "$OUT/sr" --profiles "$ROOT/profiles" --threads "$THREADS" \
    --size 128x128 --scale 1 "$@"
}

# Whole edit jobs against the photo size: at a fixed working resolution the
# time stays flat; at the input's own size (resolution 0) it grows.
run_photos() {
  local i2i; i2i=$(find "$BUILD_DIR" -name i2i -type f -perm -u+x | head -1)
  [ -d "$OUT/edit" ] || "$i2i" mkmodel edit --size tiny --out "$OUT/edit" >/dev/null
  echo "== edit job time against image size at resolution 512 (flat)"
  "$BUILD_DIR/job_bench" --bundle "$OUT/edit" --profiles "$ROOT/profiles" --threads "$THREADS" \
    --profile edit --resolution 512 --size 512x384 --size 2268x1512 --size 3000x4000 "$@"
  echo "== edit job time against image size at the input's own size (resolution 0: growing)"
  "$BUILD_DIR/job_bench" --bundle "$OUT/edit" --profiles "$ROOT/profiles" --threads "$THREADS" \
    --profile edit --resolution 0 --size 256x192 --size 384x288 --size 512x384 "$@"
}

case "$MODE" in
  unet) run_unet "$@" ;;
  profiles) "$BUILD_DIR/profile_cost" --profiles "$ROOT/profiles" --threads "$THREADS" "$@" ;;
  jobs) run_jobs "$@" ;;
  photos) run_photos "$@" ;;
  all)
    run_unet "$@"
    "$BUILD_DIR/profile_cost" --profiles "$ROOT/profiles" --threads "$THREADS"
    run_jobs
    run_photos
    ;;
  *) echo "usage: bench/run.sh [unet|profiles|jobs|photos|all] [options]" >&2; exit 2 ;;
esac
echo "== load at the end: $(cat /proc/loadavg)"
