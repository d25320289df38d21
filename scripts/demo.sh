#!/usr/bin/env bash
# Builds and runs the demo: a fresh data dir with 5 clients × 120 days of data, prints the URL
# and the admin login, then serves. The web UI is built first (npm ci + vite) so the release
# binary embeds it. Extra arguments go to `kpi-ops demo` (e.g. --port 8080).
set -euo pipefail
# As the systemd unit runs it: two malloc arenas (docs/performance.md).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
cd "$(dirname "$0")/.."
if command -v npm >/dev/null; then
  (cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build) >&2
else
  echo "npm not found: the API runs, the web UI shows how to build it (apt-get install -y nodejs npm)" >&2
fi
exec cargo run --release --bin kpi-ops -- demo "$@"
