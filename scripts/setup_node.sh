#!/usr/bin/env bash
# Install the offline Node.js interop oracle used by tests/interop (pytest marker "node").
#
# Idempotent:
#   * needs `node` (>= 18) and `npm`; when missing and running as root with apt-get, installs
#     Debian's nodejs + npm; otherwise prints a loud warning and exits 0 (the node tests are
#     then skipped -- except under CI=true, where they fail);
#   * runs `npm ci` in tests/interop/node only when node_modules is missing or
#     package-lock.json is newer than node_modules/.package-lock.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/tests/interop/node"
MIN_MAJOR=18

warn() {
  echo "" >&2
  echo "################################################################" >&2
  echo "## setup_node.sh WARNING: $*" >&2
  echo "## The Node.js interop tests (pytest -m node) will be SKIPPED" >&2
  echo "## (or FAIL when CI=true)." >&2
  echo "################################################################" >&2
  echo "" >&2
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup_node.sh: node/npm missing; installing Debian's nodejs and npm" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    warn "node and/or npm not found, and cannot install them (need root + apt-get)."
    exit 0
  fi
fi

major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$major" -lt "$MIN_MAJOR" ]; then
  warn "node $(node --version 2>/dev/null || echo '?') is too old (need >= $MIN_MAJOR)."
  exit 0
fi

cd "$NODE_DIR"
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup_node.sh: npm ci in $NODE_DIR (node $(node --version), npm $(npm --version))" >&2
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    warn "npm ci failed in $NODE_DIR."
    if [ "${CI:-}" = "true" ]; then
      exit 1
    fi
    exit 0
  fi
else
  echo "setup_node.sh: $NODE_DIR/node_modules is up to date" >&2
fi
