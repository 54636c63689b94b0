#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and running need.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git curl ca-certificates
  libtorch-dev          # tensor runtime (ATen), used only by engine/shim
  libopenblas0-openmp   # fast BLAS; Debian's default reference BLAS is far slower
  libmicrohttpd-dev libjansson-dev libstb-dev uuid-dev zlib1g-dev
  libcurl4-openssl-dev  # webhook delivery
  libssl-dev            # libcrypto: HMAC-SHA256 of webhook signatures and signed result URLs
  libwebp-dev           # output_format webp
  libhiredis-dev        # the Redis job store (--store redis://); optional at build time
  redis-server          # the Redis job store's contract test starts one on loopback
  nginx-light           # the cluster test: a real round-robin load balancer over 3 replicas
  clang-format python3
  python3-numpy python3-pil   # tests/quality: scoring the trained bundle's edits
  clang libclang-rt-14-dev   # the fuzz smoke: libFuzzer with ASan+UBSan (scripts/fuzz.sh)
  chromium              # the web page test (tests/browser, puppeteer-core from npm)
)
# Node (spec and manifest linting) may already come from another source,
# whose nodejs package conflicts with Debian's npm: only add it when absent.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
