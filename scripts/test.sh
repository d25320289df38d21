#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy (warnings are errors), then all tests
# (unit, engine, API against the real server, CLI, crash) with cargo-nextest when present,
# then the operations files (scripts/test-ops.sh) and the web UI (npm ci, build, Vitest,
# end-to-end in Debian Chromium: scripts/test-web.sh). Missing tools are installed with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is required (https://rustup.rs)" >&2
  exit 1
fi
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== external test tools (aiosmtpd, pdftotext)"
./scripts/ensure-tools.sh
echo "== web UI: install, build, unit tests"
./scripts/test-web.sh build
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  echo "(cargo-nextest not found: using cargo test; install with 'cargo install cargo-nextest')"
  cargo test --workspace --no-fail-fast
fi

echo "== operations: nginx -t, systemd-analyze verify, deploy.sh dry run, promtool, real Prometheus"
./scripts/test-ops.sh
echo "== web UI: end-to-end tests"
./scripts/test-web.sh e2e
