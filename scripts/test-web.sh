#!/usr/bin/env bash
# The web UI's checks: install (npm ci), type-check + build, Vitest unit tests, then the end-to-end
# tests in real Debian Chromium against the real server (target/debug/kpi-ops, built by the cargo
# step of scripts/test.sh or here). Installs Chromium from Debian when it is missing.
# `test-web.sh build` stops after the unit tests, `test-web.sh e2e` runs only the browser tests,
# no argument runs both.
set -euo pipefail
cd "$(dirname "$0")/.."
phase="${1:-all}"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "root is needed for: $*" >&2; return 1; fi
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Node.js 20+ and npm are required: apt-get install -y nodejs npm" >&2
  exit 1
fi

if [ "$phase" != e2e ]; then
  echo "== web: npm ci"
  (cd web && npm ci --no-audit --no-fund)
  echo "== web: type-check and build"
  (cd web && npm run build)
  echo "== web: unit tests (vitest)"
  (cd web && npm test)
fi
[ "$phase" = build ] && exit 0

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "== installing Debian chromium (browser tests)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
target="${CARGO_TARGET_DIR:-target}"
if [ ! -x "$target/debug/kpi-ops" ]; then
  echo "== building the server for the browser tests"
  cargo build --bin kpi-ops
fi
echo "== web: end-to-end tests (Chromium)"
(cd web && npm run e2e)
