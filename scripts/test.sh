#!/usr/bin/env bash
# The test command (README): installs what the lab tests need, builds, then runs every test in one node:test run:
# unit tests, the OpenFlow fuzz test, and the lab tests on real Open vSwitch (these need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/ensure-built.sh
# Lab tests start their own ovsdb-server/ovs-vswitchd per test file; run files one at a time on this 2-core machine.
exec node --test --test-concurrency=1 --test-reporter=spec dist/test/
