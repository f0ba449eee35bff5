#!/usr/bin/env bash
# The main job (README). Until the emulator and migration land, the lab selftest stands in for `xsite demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/ensure-built.sh
exec node bin/xsite lab selftest "$@"
