#!/usr/bin/env bash
# Installs everything the repo needs (Node 22, npm dependencies incl. better-sqlite3 built from source).
# Fast when nothing changed: the install is skipped while package-lock.json matches the last install.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
stamp="node_modules/.fusioninfer-install-stamp"
want="$(cat package-lock.json package.json */*/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)-$(node --version)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] npm ci (node $(node --version))" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  echo "[setup] dependencies up to date" >&2
fi
