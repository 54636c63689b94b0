#!/usr/bin/env bash
# Offline checks of the service's specs: lints openapi.yaml (@redocly/cli,
# rules in tools/validate/redocly.yaml), validates deploy/kubernetes with
# kubernetes-models plus the service's policy (tools/validate/validate-k8s.mjs),
# and proves the validators reject known-bad inputs (selftest.mjs).
# Installs the pinned npm packages (tools/validate/package-lock.json) when
# they are missing or stale; the integration test
# tests/integration/test_openapi_responses.sh uses the same packages.
set -euo pipefail
cd "$(dirname "$0")/../tools/validate"

# npm writes node_modules/.package-lock.json on install: older than the
# lock file (or absent) means the installed packages are not the pinned ones
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci (tools/validate)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "== redocly lint openapi.yaml"
# offline and quiet: no usage telemetry, no "new version" check
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
npx --no-install redocly lint --config redocly.yaml ../../openapi.yaml
echo "== validate deploy/kubernetes"
node validate-k8s.mjs --server-config ../../server/config.c ../../deploy/kubernetes
echo "== validator self-test"
node selftest.mjs ../../openapi.yaml ../../deploy/kubernetes ../../server/config.c
