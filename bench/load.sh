#!/usr/bin/env bash
# Reproducible load run on loopback against a release build with the demo data.
# Measures: cold start, idle RSS, login p50, POST /api/production throughput and latency at 16
# connections, GET /api/clients/{id}/kpis (30 days) throughput and latency.
# Usage: bench/load.sh [seconds-per-run]   (needs wrk: apt-get install -y wrk; installed if missing)
set -euo pipefail
# As the systemd unit runs it: two malloc arenas (docs/performance.md).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
cd "$(dirname "$0")/.."
DURATION=${1:-10}
PORT=${PORT:-18700}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin kpi-ops >/dev/null 2>&1
BIN=target/release/kpi-ops
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "# kpi-ops load run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, ${DURATION}s per run"

# Cold start of an empty database: process start → /health/ready answers.
mkdir -p "$WORK/cold"
start=$(date +%s%N)
DATABASE_URL="sqlite:///$WORK/cold/kpi.db" API_PORT=$((PORT+1)) JWT_SECRET=bench-secret-bench-secret-bench-secret \
  LOG_LEVEL=warn KPI_SCRIPTS_DIR="$PWD/kpi-scripts" "$BIN" serve >/dev/null 2>&1 &
COLD=$!
until curl -fs "http://127.0.0.1:$((PORT+1))/health/ready" >/dev/null 2>&1; do sleep 0.005; done
echo "cold start to ready: $(( ($(date +%s%N) - start) / 1000000 )) ms"
sleep 1
echo "idle RSS (empty db): $(ps -o rss= -p $COLD | awk '{printf "%.1f MiB", $1/1024}')"
kill $COLD

# Demo data, then the runs.
"$BIN" demo --data-dir "$WORK/demo" --port "$PORT" > "$WORK/demo.log" 2>/dev/null &
SERVER=$!
until grep -q "login:" "$WORK/demo.log" 2>/dev/null; do sleep 0.1; done
PASSWORD=$(awk '/login:/ {print $4}' "$WORK/demo.log")
BASE="http://127.0.0.1:$PORT"
PID=$SERVER
echo "idle RSS (demo data loaded): $(ps -o rss= -p "$PID" | awk '{printf "%.1f MiB", $1/1024}')"

# Login p50 over 9 logins (the per-IP limit is 10/min; X-Forwarded-For gives each its own IP).
times=()
for i in $(seq 1 9); do
  t=$(curl -s -o /dev/null -w '%{time_total}' -H "X-Forwarded-For: 10.9.9.$i" -H 'content-type: application/json' \
      -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/auth/login")
  times+=("$t")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "login p50: %.1f ms (n=%d)\n", a[int((NR+1)/2)]*1000, NR}'
TOKEN=$(curl -s -H 'X-Forwarded-For: 10.9.9.99' -H 'content-type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
export TOKEN WO=BENCH-WO DAY=$(date -u -d yesterday +%Y-%m-%d)
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"client_id":"BENCH-1","client_name":"Bench"}' "$BASE/api/clients"
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"work_order_id":"BENCH-WO","client_id":"BENCH-1","planned_quantity":100}' "$BASE/api/work-orders"

echo; echo "## POST /api/production, 16 connections"
wrk -t2 -c16 -d"${DURATION}s" --latency -s bench/post_production.lua "$BASE" | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|requests in"

echo; echo "## GET /api/clients/BOOT-LINE-A/kpis (30 days), 16 connections"
wrk -t2 -c16 -d"${DURATION}s" --latency -s bench/get_with_token.lua "$BASE/api/clients/BOOT-LINE-A/kpis" | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|requests in"

echo; echo "## GET /health, 16 connections"
wrk -t2 -c16 -d"${DURATION}s" --latency "$BASE/health" | grep -E "Requests/sec|50%|99%"
echo "RSS after the runs: $(ps -o rss= -p "$PID" | awk '{printf "%.1f MiB", $1/1024}')"
