#!/usr/bin/env bash
# Benchmarks of the engine (dev tooling). Usage:
#   bench/run.sh [unet|profiles|jobs|jobs-sd|photos|bf16psnr|all] [extra options, e.g. --sizes 32 --runs 5]
#   bench/run.sh --help
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
# input's own size. "jobs-sd": whole edit jobs on an SD-size random bundle
# (i2i mkmodel --size sd, 4.3 GB written to a scratch dir) at 512 px, edit vs
# edit-full, fp32 and bf16 (minutes per job on 2 cores: see bench/README.md).
# "bf16psnr": PSNR of a bf16 edit job's image against the fp32 one (tiny
# bundle at 64 and 256 px, edit and edit-full settings; SIZE=sd adds the
# SD-size bundle at 256 px).
set -euo pipefail
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
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

# Whole edit jobs at SD size: the bundle is written once (I2I_SD_BUNDLE
# reuses one), fp32 then bf16 in separate processes (each loads its own
# resident form). Default one job per profile after the warm-up (--runs).
run_jobs_sd() {
  local i2i; i2i=$(find "$BUILD_DIR" -name i2i -type f -perm -u+x | head -1)
  local bundle="${I2I_SD_BUNDLE:-$OUT/edit-sd}"
  [ -f "$bundle/manifest.json" ] || "$i2i" mkmodel edit --size sd --out "$bundle" >/dev/null
  for bf16 in 0 1; do
    echo "== edit vs edit-full, SD-size edit bundle, 512x512 image, I2I_BF16=$bf16"
    I2I_BF16=$bf16 "$BUILD_DIR/job_bench" --bundle "$bundle" --profiles "$ROOT/profiles" \
      --threads "$THREADS" --size 512x512 --runs 1 --warmups 0 "$@"
    echo "== load: $(cat /proc/loadavg)"
  done
}

# bf16 against fp32 on whole edit jobs: PSNR of the final images.
run_bf16psnr() {
  local i2i; i2i=$(find "$BUILD_DIR" -name i2i -type f -perm -u+x | head -1)
  "$PYTHON" "$ROOT/bench/make_image.py" "$OUT/in.png" 256 256
  "$i2i" mkmodel edit --size tiny --out "$OUT/edit" >/dev/null
  mkdir -p "$OUT/edit256" && cp "$OUT/edit"/* "$OUT/edit256/"
  sed -i 's/"resolution": 64/"resolution": 256/' "$OUT/edit256/manifest.json"
  local bundles=("$OUT/edit" "$OUT/edit256")
  if [ "${SIZE:-tiny}" = sd ]; then
    local sd="${I2I_SD_BUNDLE:-$OUT/edit-sd}"
    [ -f "$sd/manifest.json" ] || "$i2i" mkmodel edit --size sd --out "$sd" >/dev/null
    mkdir -p "$OUT/edit-sd256" && ln -sf "$sd"/* "$OUT/edit-sd256/" && rm "$OUT/edit-sd256/manifest.json"
    sed 's/"resolution": 512/"resolution": 256/' "$sd/manifest.json" >"$OUT/edit-sd256/manifest.json"
    bundles+=("$OUT/edit-sd256")
  fi
  for b in "${bundles[@]}"; do
    for prof in "edit:--depth 9 --steps 10" "edit-full:--depth 13 --steps 50"; do
      for bf16 in 0 1; do
        I2I_BF16=$bf16 "$i2i" run edit --bundle "$b" --image "$OUT/in.png" --prompt "make it autumn" \
          --threads "$THREADS" ${prof#*:} --out "$OUT/out$bf16.png" >/dev/null
      done
      echo "== $(basename "$b") ${prof%%:*}: bf16 vs fp32 $("$PYTHON" "$ROOT/bench/psnr.py" "$OUT/out0.png" "$OUT/out1.png")"
    done
  done
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
  jobs-sd) run_jobs_sd "$@" ;;
  bf16psnr) run_bf16psnr ;;
  all)
    run_unet "$@"
    "$BUILD_DIR/profile_cost" --profiles "$ROOT/profiles" --threads "$THREADS"
    run_jobs
    run_photos
    ;;
  *) echo "usage: bench/run.sh [unet|profiles|jobs|jobs-sd|photos|bf16psnr|all] [options]" >&2; exit 2 ;;
esac
echo "== load at the end: $(cat /proc/loadavg)"
