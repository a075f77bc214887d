#!/usr/bin/env bash
# Installs everything the repo needs (Node 22, npm dependencies incl. better-sqlite3 built from source).
# Fast when nothing changed: the install is skipped while the lockfile and the package.json files (root and
# workspaces; see install-stamp.sh) match the last install.
# Install scripts run only for the packages that package.json "allowScripts" allows. A dependency with an install
# script that the policy does not cover stops the set-up before anything is installed (check-install-scripts.js),
# and npm enforces the same policy (--strict-allow-scripts, npm >= 11; older npm installs with --ignore-scripts and
# then rebuilds only the allowed packages). Audit advisories and warnings are printed, not silenced.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/install-stamp.sh"
cd "$REPO_ROOT"
stamp="node_modules/.fusioninfer-install-stamp"
want="$(fusioninfer_install_stamp "$REPO_ROOT")-$(node --version)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  node scripts/check-install-scripts.js "$REPO_ROOT"
  echo "[setup] npm ci (node $(node --version), npm $(npm --version))" >&2
  case "$(npm config get strict-allow-scripts 2>/dev/null)" in
  true | false) # npm knows the allowScripts policy
    npm ci --strict-allow-scripts --no-fund --loglevel=warn
    ;;
  *)
    npm ci --ignore-scripts --no-fund --loglevel=warn # older npm: no policy, so no script runs, then only the allowed
    # shellcheck disable=SC2046
    npm rebuild --no-fund --loglevel=warn $(node scripts/check-install-scripts.js --allowed "$REPO_ROOT")
    ;;
  esac
  echo "$want" > "$stamp"
else
  echo "[setup] dependencies up to date" >&2
fi
