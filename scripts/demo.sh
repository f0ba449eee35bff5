#!/usr/bin/env bash
# The main job (README): `xsite demo` on the built-in emulator. Needs no root and no Debian packages: installs the
# npm dependencies when missing, builds, runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
exec node bin/xsite demo "$@"
