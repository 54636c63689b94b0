#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test, then
# builds again with ASan+UBSan and runs the same suite under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
JOBS=$(nproc)

build_and_test() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DI2I_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
  (cd "$dir" && ctest --output-on-failure -j"$JOBS")
}

echo "== format check"
./scripts/check-format.sh
./scripts/lint-specs.sh
echo "== build and test (RelWithDebInfo)"
build_and_test build
echo "== the README's run command (demo.sh), stopping after its request"
DEMO_EXIT=1 I2I_LISTEN=127.0.0.1:${I2I_DEMO_PORT:-18931} DEMO_OUT=build/demo ./scripts/demo.sh
if [ "${I2I_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build and test under ASan+UBSan"
  build_and_test build-asan -DI2I_SANITIZE=ON
fi
if [ "${I2I_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz smoke: every libFuzzer target for ${I2I_FUZZ_SMOKE_SECONDS:-15} s"
  ./scripts/fuzz.sh "${I2I_FUZZ_SMOKE_SECONDS:-15}"
fi
