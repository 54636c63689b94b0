#!/bin/bash
# The web page at / in headless Chromium (issue 14): tests/browser/page_test.mjs
# uploads an image, follows live progress, sees the result at the right size,
# cancels a second job, and keeps a screenshot under $I2I_BUILD_DIR/artifacts.
# Needs Debian's chromium and node/npm (scripts/install-deps.sh installs
# them); puppeteer-core comes from npm (pinned in package-lock.json) into
# the build directory once. Exit 77 (skipped) when either is missing.
. "$(dirname "$0")/../integration/serve_lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || ! command -v npm >/dev/null; then
    echo "skipped: needs chromium and npm (scripts/install-deps.sh)"
    exit 77
fi
if [ "${I2I_SANITIZED:-0}" = 1 ]; then
    echo "skipped under the sanitizers: the page test runs in the plain build"
    exit 77
fi
export CHROMIUM
BUILD=$(realpath "${I2I_BUILD_DIR:-build}")
DEPS=$BUILD/browser-deps
if ! cmp -s "$HERE/../browser/package-lock.json" "$DEPS/package-lock.json" ||
    [ ! -d "$DEPS/node_modules/puppeteer-core" ]; then
    rm -rf "$DEPS" && mkdir -p "$DEPS"
    cp "$HERE/../browser/package.json" "$HERE/../browser/package-lock.json" "$DEPS/"
    (cd "$DEPS" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed" >&2; exit 1; }
fi
cp "$HERE/../browser/page_test.mjs" "$DEPS/"
mkdir -p "$BUILD/artifacts"

make_bundle
img png 96 64 "$WORK/in.png"
start_server --workers 1
node "$DEPS/page_test.mjs" "$BASE" "$WORK/in.png" 96 64 "$BUILD/artifacts/web_page.png"
check "page_test.mjs checks" [ $? -eq 0 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
