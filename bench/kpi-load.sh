#!/usr/bin/env bash
# The KPI endpoints over HTTP on realistic data (issue 5): a release build serves
# `kpi-ops demo --clients N --days D` (every module filled through the engine services) on a
# free port with a fresh data dir, then wrk at 16 connections measures
#   - the per-client dashboard (GET /api/clients/{id}/kpis) for 30 and 365 days, one client and
#     rotating over every client per request (a lua script: the cache holds N entries),
#   - the all-client overview (GET /api/kpis/overview) for 365 days (from = today-364, to = today),
#   - the overview again while a writer posts production entries to a few clients (their cache
#     entries keep being invalidated: the honest number for the overview's p99), at one entry a
#     second and at about 20 a second (one connection, a pause between requests),
# plus a cold pass (the first request per client after the start, curl timing), the data volume
# per table, and RSS idle after the load, after the runs and at the peak (VmHWM).
# Usage: bench/kpi-load.sh [clients=50] [days=365] [seconds=10]
#   env: CONNS (16), WRITER_CLIENTS (5), WRITER_DELAYS ("1000 50": ms between writes, one run
#        each), PORT (a free one),
#        CARGO_TARGET_DIR (where the release build lives). Needs wrk, curl, jq, sqlite3.
set -euo pipefail
# As the systemd unit runs it: two malloc arenas (docs/performance.md).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
cd "$(dirname "$0")/.."
NCLIENTS=${1:-50}
NDAYS=${2:-365}
DURATION=${3:-10}
CONNS=${CONNS:-16}
WRITER_CLIENTS=${WRITER_CLIENTS:-5}
WRITER_DELAYS=${WRITER_DELAYS:-1000 50}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin kpi-ops >/dev/null 2>&1
BIN=${CARGO_TARGET_DIR:-target}/release/kpi-ops
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
SERVER=
WRITER=
cleanup() {
  [ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
mem() { awk -v k="$1:" '$1 == k {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER/status"; }
# Seconds on stdin (one a line) -> "p50 / p99 / max ms, total s".
timings() {
  sort -n | awk '{a[NR] = $1; s += $1} END {
    p99 = int(NR * 0.99 + 0.999); if (p99 < 1) p99 = 1
    printf "%.1f / %.1f / %.1f ms (n=%d, total %.2f s)", a[int((NR + 1) / 2)] * 1000, a[p99] * 1000, a[NR] * 1000, NR, s }'
}
# One wrk run -> a table row: label | req/s | p50 | p99 | errors | load average.
run() {
  local label=$1 out rps p50 p99 errors
  shift
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency "$@")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p99" "$errors" "$(loadavg)"
}

echo "# kpi-ops KPI load run $(date -u +%Y-%m-%dT%H:%M:%SZ): $NCLIENTS clients × $NDAYS days, $(nproc) cores, ${DURATION}s per run, $CONNS connections"
echo "load average at the start: $(loadavg)"
start=$(date +%s%N)
"$BIN" demo --data-dir "$WORK/demo" --port "$PORT" --clients "$NCLIENTS" --days "$NDAYS" >"$WORK/demo.log" 2>"$WORK/demo.err" &
SERVER=$!
until grep -q "login:" "$WORK/demo.log" 2>/dev/null; do
  kill -0 "$SERVER" 2>/dev/null || { echo "kpi-ops demo failed:"; tail -20 "$WORK/demo.err"; exit 1; }
  sleep 0.2
done
echo "demo loaded and serving after $(( ($(date +%s%N) - start) / 1000000 )) ms (load average $(loadavg))"
grep "data dir:" "$WORK/demo.log" | sed 's/^ *//'

echo; echo "## Data volume (rows per table)"
DB="$WORK/demo/kpi_platform.db"
for t in $(sqlite3 "file:$DB?mode=ro" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
  n=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM \"$t\"")
  [ "$n" -gt 0 ] && printf '%s %s\n' "$t" "$n"
done | column -t
echo "database file: $(du -sh "$WORK/demo" | cut -f1) (data dir, with WAL)"

PASSWORD=$(awk '/login:/ {print $4}' "$WORK/demo.log")
TOKEN=$(curl -fs -H 'content-type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/auth/login" | jq -r .access_token)
AUTH="Authorization: Bearer $TOKEN"
sleep 2
echo; echo "idle RSS after the load: $(mem VmRSS) (peak so far $(mem VmHWM))"

CLIENT_IDS=$(curl -fs -H "$AUTH" "$BASE/api/clients" | jq -r '.items[].client_id' | sort)
FIRST=$(head -1 <<<"$CLIENT_IDS")
TODAY=$(date -u +%F)
Q30="from=$(date -u -d '29 days ago' +%F)&to=$TODAY"
Q365="from=$(date -u -d '364 days ago' +%F)&to=$TODAY"

echo; echo "## Cold pass: the first request per client after the start (curl), p50 / p99 / max"
for q in "$Q30" "$Q365"; do
  for c in $CLIENT_IDS; do
    curl -fs -o /dev/null -w '%{time_total}\n' -H "$AUTH" "$BASE/api/clients/$c/kpis?$q"
  done | timings
  echo "  ← per client, ${q}  (load average $(loadavg))"
done
# Another 365-day window (yesterday back), so no client has it cached: one request computes all.
QOLD="from=$(date -u -d '365 days ago' +%F)&to=$(date -u -d yesterday +%F)"
t=$(curl -fs -o "$WORK/overview.json" -w '%{time_total}' -H "$AUTH" "$BASE/api/kpis/overview?$QOLD")
echo "cold overview (every client computed), $QOLD: $(awk -v t="$t" 'BEGIN {printf "%.0f ms", t * 1000}'), $(wc -c <"$WORK/overview.json") bytes, $(jq '.clients | length' "$WORK/overview.json") clients (load average $(loadavg))"
# The measured overview window is warm after the 365-day cold pass; one more request shows it.
t=$(curl -fs -o "$WORK/overview.json" -w '%{time_total}' -H "$AUTH" "$BASE/api/kpis/overview?$Q365")
echo "warm overview, $Q365: $(awk -v t="$t" 'BEGIN {printf "%.1f ms", t * 1000}'), $(wc -c <"$WORK/overview.json") bytes"

export TOKEN CLIENTS QUERY
echo; echo "## wrk, $CONNS connections, ${DURATION}s each"
echo "| What | req/s | p50 | p99 | errors | load average |"
echo "|---|---|---|---|---|---|"
run "per client $FIRST, 30 days" -s bench/get_with_token.lua "$BASE/api/clients/$FIRST/kpis?$Q30"
run "per client $FIRST, 365 days" -s bench/get_with_token.lua "$BASE/api/clients/$FIRST/kpis?$Q365"
CLIENTS=$(paste -sd, <<<"$CLIENT_IDS")
QUERY=$Q30 run "per client rotating over $NCLIENTS, 30 days" -s bench/kpis_rotating.lua "$BASE"
QUERY=$Q365 run "per client rotating over $NCLIENTS, 365 days" -s bench/kpis_rotating.lua "$BASE"
run "overview, $NCLIENTS clients × 365 days" -s bench/get_with_token.lua "$BASE/api/kpis/overview?$Q365"

# The writer: one connection, a production entry every $delay ms to WRITER_CLIENTS clients.
WRITERS=$(tail -n "$WRITER_CLIENTS" <<<"$CLIENT_IDS")
for c in $WRITERS; do
  curl -fs -o /dev/null -H "$AUTH" -H 'content-type: application/json' \
    -d "{\"work_order_id\":\"BENCH-WO-$c\",\"client_id\":\"$c\",\"planned_quantity\":100000}" "$BASE/api/work-orders"
done
notes=()
for delay in $WRITER_DELAYS; do
  CLIENTS=$(paste -sd, <<<"$WRITERS") DAY=$(date -u -d yesterday +%F) DELAY_MS=$delay RUN=$delay \
    wrk -t1 -c1 -d"$((DURATION + 2))s" --timeout 10s -s bench/post_production_clients.lua "$BASE" >"$WORK/writer.out" &
  WRITER=$!
  sleep 1
  run "overview, $NCLIENTS × 365 days, writer every $delay ms on $WRITER_CLIENTS clients" -s bench/get_with_token.lua "$BASE/api/kpis/overview?$Q365"
  wait "$WRITER" || true
  WRITER=
  notes+=("writer every $delay ms: $(awk '/requests in/ {print $1, "entries in", $4}' "$WORK/writer.out") ($(awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$WORK/writer.out") non-2xx)")
done
printf '%s\n' "${notes[@]}" "writer clients: $(paste -sd' ' <<<"$WRITERS")"

sleep 2
echo; echo "RSS after the runs: $(mem VmRSS); peak (VmHWM, loading included): $(mem VmHWM)"
echo "load average at the end: $(loadavg)"
