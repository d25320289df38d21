#!/usr/bin/env bash
# Ingest benchmark on loopback against a release build: 100 000 production rows by CSV upload
# and by the batch API, with /health latency measured by wrk while each import runs.
# Usage: bench/ingest.sh [rows]   (needs wrk and python3; wrk is installed if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-100000}
PORT=${PORT:-18800}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin kpi-ops >/dev/null 2>&1
BIN=target/release/kpi-ops
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
DATABASE_URL="sqlite:///$WORK/kpi.db" API_PORT=$PORT JWT_SECRET=bench-secret-bench-secret-bench-secret LOG_LEVEL=warn \
  MAX_UPLOAD_SIZE=100MB KPI_SCRIPTS_DIR="$PWD/kpi-scripts" "$BIN" serve >/dev/null 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
until curl -fs "$BASE/health/ready" >/dev/null 2>&1; do sleep 0.05; done
curl -fs -o /dev/null -H 'content-type: application/json' -d '{"username":"admin","password":"bench-password-1","email":"a@example.com","role":"ADMIN"}' "$BASE/api/auth/register"
TOKEN=$(curl -s -H 'content-type: application/json' -d '{"username":"admin","password":"bench-password-1"}' "$BASE/api/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
H=(-H "Authorization: Bearer $TOKEN")
for c in BENCH-CSV BENCH-API; do
  curl -fs -o /dev/null "${H[@]}" -H 'content-type: application/json' -d "{\"client_id\":\"$c\",\"client_name\":\"$c\"}" "$BASE/api/clients"
  curl -fs -o /dev/null "${H[@]}" -H 'content-type: application/json' -d "{\"work_order_id\":\"$c-WO\",\"client_id\":\"$c\",\"planned_quantity\":1000}" "$BASE/api/work-orders"
done
# Unique natural keys: operation_id differs per row.
python3 - "$ROWS" "$WORK" <<'PY'
import json, sys
rows, work = int(sys.argv[1]), sys.argv[2]
with open(f"{work}/rows.csv", "w") as f:
    f.write("client_id,work_order_id,shift_date,shift_type,operation_id,units_produced,employees_assigned,shift_hours_scheduled\n")
    for i in range(rows):
        f.write(f"BENCH-CSV,BENCH-CSV-WO,2025-12-{1 + i % 28:02d},SHIFT_1ST,OP-{i},{50 + i % 70},10,9\n")
with open(f"{work}/rows.json", "w") as f:
    json.dump({"client_id": "BENCH-API", "entries": [
        {"work_order_id": "BENCH-API-WO", "shift_date": f"2025-12-{1 + i % 28:02d}", "shift_type": "SHIFT_1ST",
         "operation_id": f"OP-{i}", "units_produced": 50 + i % 70, "employees_assigned": 10, "shift_hours_scheduled": 9}
        for i in range(rows)]}, f)
PY
echo "# kpi-ops ingest run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $ROWS rows each ($(du -h "$WORK/rows.csv" | cut -f1) CSV)"
measure() { # $1 = label, rest = curl arguments
  local label=$1; shift
  wrk -t1 -c4 -d600s --latency "$BASE/health" > "$WORK/health.txt" 2>&1 &
  local WRK=$!
  local start end
  start=$(date +%s.%N)
  curl -s -o "$WORK/out.json" -w '%{http_code}' "$@" > "$WORK/code.txt"
  end=$(date +%s.%N)
  kill -INT $WRK; wait $WRK 2>/dev/null || true
  python3 - "$label" "$start" "$end" "$ROWS" "$WORK" <<'PY'
import json, sys, re
label, start, end, rows, work = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
code = open(f"{work}/code.txt").read()
out = json.load(open(f"{work}/out.json"))
health = open(f"{work}/health.txt").read()
p99 = re.search(r"99%\s+(\S+)", health)
secs = end - start
print(f"{label}: HTTP {code}, inserted {out.get('inserted')}, {secs:.1f} s, {rows / secs:,.0f} rows/s; /health p99 during: {p99.group(1) if p99 else '?'}")
PY
}
measure "CSV upload" "${H[@]}" -F "file=@$WORK/rows.csv" "$BASE/api/production/csv-upload"
measure "batch API " "${H[@]}" -H 'content-type: application/json' --data-binary "@$WORK/rows.json" "$BASE/api/production/batch"
