#!/usr/bin/env bash
# API reports of the published packages, as the Backstage repository keeps them: TypeScript declarations with tsc
# into dist-types/, then API Extractor through `backstage-repo-tools api-reports` with release tags validated
# (every export needs @public, @alpha or @beta). One `report.api.md` per package and one `report-<name>.api.md` per
# further entry point of its package.json "exports" (the frontend's `./alpha`, common's `./builder` and `./schema`),
# so a change to a package's public face shows up in review.
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
published=()
for pj in plugins/*/package.json; do
  if node -e 'process.exit(require(process.argv[1]).private ? 1 : 0)' "$REPO_ROOT/$pj"; then
    published+=("$(dirname "$pj")")
  fi
done
if [ ${#dirs[@]} -eq 0 ]; then dirs=("${published[@]}"); fi

started=$SECONDS
# Declarations of the shipped sources of every published package (tests and test utilities excluded; whatever they
# import is compiled too): about a fifth less work than the whole repository, and a broken test file does not
# block the reports. Always the same program, also when only some packages are named: TypeScript prints union
# members in the order it created their types, so a smaller program could reorder them ('a' | 'b' vs 'b' | 'a')
# and a report made for one package would then differ from the one the full check makes.
tsconfig=node_modules/.cache/fusioninfer-api-reports/tsconfig.json
mkdir -p "$(dirname "$tsconfig")"
include=""
for d in "${published[@]}"; do include="$include\"../../../$d/src\", "; done
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
