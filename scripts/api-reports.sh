#!/usr/bin/env bash
# API reports of the published packages, as the Backstage repository keeps them: TypeScript declarations with tsc
# into dist-types/, then API Extractor through `backstage-repo-tools api-reports` with release tags validated
# (every export needs @public, @alpha or @beta). One `report.api.md` per package (`report-alpha.api.md` for an
# `./alpha` entry point), so a change to a package's public face shows up in review.
#
#   npm run build:api-reports            regenerate the reports; commit the changed report*.api.md files
#   npm run build:api-reports -- --ci    check only: exit 1 when a report is out of date (scripts/test.sh runs this)
#   npm run build:api-reports -- plugins/fusioninfer-node     only the given packages
#
# Published packages are the non-private ones under plugins/. `ae-undocumented` is not reported (as in Backstage).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

args=()
dirs=()
for a in "$@"; do
  case "$a" in
  -*) args+=("$a") ;;
  *) dirs+=("${a%/}") ;;
  esac
done
if [ ${#dirs[@]} -eq 0 ]; then
  for pj in plugins/*/package.json; do
    if node -e 'process.exit(require(process.argv[1]).private ? 1 : 0)' "$REPO_ROOT/$pj"; then
      dirs+=("$(dirname "$pj")")
    fi
  done
fi

started=$SECONDS
# Declarations of the selected packages' shipped sources only (tests and test utilities excluded; whatever they
# import is compiled too): about a fifth less work than the whole repository, and a broken test file does not
# block the reports.
tsconfig=node_modules/.cache/fusioninfer-api-reports/tsconfig.json
mkdir -p "$(dirname "$tsconfig")"
include=""
for d in "${dirs[@]}"; do include="$include\"../../../$d/src\", "; done
cat >"$tsconfig" <<JSON
{
  "extends": "../../../tsconfig.json",
  "include": [${include}"../../@backstage/cli/asset-types/asset-types.d.ts"],
  "exclude": ["../../../**/*.test.ts", "../../../**/*.test.tsx", "../../../**/__testUtils__/**", "../../../**/setupTests.ts"]
}
JSON
echo "# Declarations (tsc into dist-types/)"
rm -rf dist-types
if ! tsc -p "$tsconfig" --incremental false >/tmp/fusioninfer-api-tsc.$$ 2>&1; then
  cat /tmp/fusioninfer-api-tsc.$$ >&2
  rm -f /tmp/fusioninfer-api-tsc.$$
  echo "api-reports: the repository does not type-check; fix tsc errors first" >&2
  exit 1
fi
rm -f /tmp/fusioninfer-api-tsc.$$

backstage-repo-tools api-reports \
  --validate-release-tags \
  --omit-messages ae-undocumented,ae-wrong-input-file-type \
  "${args[@]}" "${dirs[@]}"
echo "api-reports: ${#dirs[@]} packages in $((SECONDS - started)) s"
