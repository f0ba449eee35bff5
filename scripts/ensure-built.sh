#!/usr/bin/env bash
# Installs the npm dependencies (from the lockfile) when missing or stale, then compiles the TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "xsite: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "xsite: compiling TypeScript" >&2
npx tsc -p tsconfig.json
