#!/usr/bin/env bash
# Runs every check of the repository: install (if needed), type-check, lint, unit/integration tests, CLI smoke test.
# This is what CI runs (.ci/run). Exits non-zero on the first failing step.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
bash scripts/setup.sh

step() { printf '\n=== %s\n' "$*"; }

step "type-check (tsc)"
tsc --noEmit -p tsconfig.json

step "lint"
backstage-cli repo lint

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

echo
echo "Tests: $summary"
exit "$code"
