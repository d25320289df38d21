#!/usr/bin/env bash
# Builds and runs the demo: a fresh data dir with 5 clients × 120 days of data, prints the URL
# and the admin login, then serves. Extra arguments go to `kpi-ops demo` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --bin kpi-ops -- demo "$@"
