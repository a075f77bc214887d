#!/usr/bin/env bash
# Runs every check of the repository: install (if needed), type-check, lint, unit/integration tests, CLI smoke test.
# This is what CI runs (.ci/run). Exits non-zero on the first failing step.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
bash scripts/setup.sh

# Each step's header says how long the previous one took (CI logs then show the step times).
step_started=0 # the set-up (install) ran before the first step
step_name="set-up"
step() {
  printf '\n=== %s (previous step "%s": %d s)\n' "$*" "$step_name" "$((SECONDS - step_started))"
  step_started=$SECONDS
  step_name="$*"
}

step "formatting (prettier --check)"
prettier --check . >/dev/null || { prettier --list-different .; echo "run: npx prettier --write ." >&2; exit 1; }

step "type-check (tsc)"
tsc --noEmit -p tsconfig.json

step "lint"
backstage-cli repo lint

step "API reports (npm run build:api-reports to update them)"
bash scripts/api-reports.sh --ci

step "PostgreSQL for the database tests (Debian's server, private instance)"
eval "$(bash scripts/postgres.sh start)"
trap 'bash scripts/postgres.sh stop' EXIT
export BACKSTAGE_TEST_DISABLE_DOCKER=1
if [ -n "${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-}" ]; then echo "PostgreSQL 15 at ${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING}"; fi

step "unit and integration tests"
results="$(mktemp -t fusioninfer-jest-XXXXXX.json)"
set +e
CI=true backstage-cli repo test --ci --json --outputFile="$results"
code=$?
set -e
summary="$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" 2>/dev/null || echo "0 passed, 1 failed")"
rm -f "$results"

step "CLI smoke test (npx fusioninfer)"
npx --no-install fusioninfer validate -f examples/pd-multi-node-deepseek-no-router.yaml
npx --no-install fusioninfer render -f examples/multi-node-router.yaml -o json > /dev/null
if npx --no-install fusioninfer validate -f README.md 2>/dev/null; then echo "validate accepted README.md" >&2; exit 1; fi

step "browser tests (e2e/: Playwright on Debian's chromium against the built app and the dev backend)"
set +e
bash scripts/e2e.sh
e2e_code=$?
set -e
e2e_summary="$(cat e2e/.output/summary.txt 2>/dev/null || echo "0 passed, 1 failed, 0 skipped (no e2e summary)")"
if [ "$code" = 0 ]; then code="$e2e_code"; fi

printf '\n=== done (previous step "%s": %d s; total %d s)\n' "$step_name" "$((SECONDS - step_started))" "$SECONDS"
echo
echo "Tests: $summary"
echo "Browser tests: $e2e_summary"
exit "$code"
