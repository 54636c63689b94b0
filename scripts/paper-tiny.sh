#!/usr/bin/env bash
# The README's "paper on a tiny model" table in one command: builds i2i,
# then runs tools/paper/paper_tiny.py on models/ip2p-tiny (the held-out
# photos, the C engine) and prints the table; out/paper/ keeps paper.md,
# paper.json, every output PNG and the search reports. About 30 minutes on
# 2 cores. Needs python3-numpy and python3-pil (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target i2i
exec /usr/bin/python3 tools/paper/paper_tiny.py "$@" # Debian's, with numpy and PIL
