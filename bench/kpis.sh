#!/usr/bin/env bash
# KPI computation: N clients × D days of production, every client's 15 KPIs over the whole
# period, cold (computed) and cached (the same request again), in-process on a release build.
# Usage: bench/kpis.sh [clients=50] [days=365]   (results: docs/performance.md)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# kpi-ops KPI bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores"
cargo run --release -q -p kpi-engine --example kpi_bench -- "${1:-50}" "${2:-365}"
