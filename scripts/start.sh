#!/usr/bin/env bash
# Starts the app for development on embedded defaults: backend on :7007 (SQLite in memory, the development
# cluster with demo services) and frontend on :3000 with guest sign-in.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
bash scripts/setup.sh
exec backstage-cli repo start "$@"
