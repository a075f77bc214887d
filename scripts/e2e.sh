#!/usr/bin/env bash
# Browser tests (e2e/, Playwright on Debian's Chromium): builds the app, starts the dev backend the way `npm start`
# does (embedded development cluster with the demo services of examples/demo/, SQLite in memory) serving that build
# on :7007, runs the tests, writes the report (e2e/.output/) and stops everything. Part of `npm test`.
#
# Chromium comes from Debian (apt-get install chromium) when it is missing and this shell can install packages;
# Playwright never downloads a browser. Without Chromium the step is skipped and counted as skipped.
# Result line for scripts/test.sh: e2e/.output/summary.txt ("N passed, M failed, K skipped").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

OUT=e2e/.output
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
PORT=7007
rm -rf "$OUT"
mkdir -p "$OUT"

if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium (apt-get)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$OUT/apt.log" 2>&1 ||
    echo "apt-get install chromium failed (see $OUT/apt.log)"
fi
if [ ! -x "$CHROMIUM" ]; then
  count="$(npx --no-install playwright test --list 2>/dev/null | grep -cE '›.*›' || true)"
  echo "e2e: SKIPPED, no Chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM_PATH)"
  echo "0 passed, 0 failed, $count skipped (no Chromium)" >"$OUT/summary.txt"
  exit 0
fi
for p in "$PORT" 16443; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "e2e: port $p is in use (a running npm start?); stop it first" >&2
    echo "0 passed, 1 failed, 0 skipped (port $p in use)" >"$OUT/summary.txt"
    exit 1
  fi
done

started=$(date +%s)
echo "building the app (production; e2e/report.ts measures the plugin's chunks from the source maps)"
(cd packages/app && backstage-cli package build) >"$OUT/app-build.log" 2>&1 ||
  { tail -30 "$OUT/app-build.log"; echo "0 passed, 1 failed, 0 skipped (app build failed)" >"$OUT/summary.txt"; exit 1; }

echo "starting the backend on :$PORT (log: $OUT/backend.log)"
(
  cd packages/backend
  # Every REST answer checked against the contract (a drift fails the request, so the browser tests).
  FUSIONINFER_CHECK_RESPONSES=1 NODE_ENV=development exec node -r @backstage/cli/config/nodeTransform.cjs src/index.ts \
    --config ../../app-config.yaml --config ../../app-config.e2e.yaml
) >"$OUT/backend.log" 2>&1 &
backend=$!
stop() {
  kill "$backend" 2>/dev/null || true
  wait "$backend" 2>/dev/null || true
}
trap stop EXIT

for _ in $(seq 180); do
  if ! kill -0 "$backend" 2>/dev/null; then
    tail -40 "$OUT/backend.log"
    echo "0 passed, 1 failed, 0 skipped (backend exited)" >"$OUT/summary.txt"
    exit 1
  fi
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/.backstage/health/v1/readiness")" = 200 ] && break
  sleep 1
done
echo "backend ready after $(($(date +%s) - started)) s"

set +e
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 CHROMIUM_PATH="$CHROMIUM" E2E_KUBECONFIG="$REPO_ROOT/.dev-cluster/kubeconfig" \
  npx --no-install playwright test
code=$?
set -e
stop
trap - EXIT

node -r @backstage/cli/config/nodeTransform.cjs e2e/report.ts "$(($(date +%s) - started))" || code=1
exit "$code"
