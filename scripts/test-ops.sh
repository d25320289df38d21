#!/usr/bin/env bash
# Operations checks (deploy/ and grafana/), meant to run after the Rust tests in scripts/test.sh:
#   1. nginx -t on both sites (TLS with a self-signed certificate, and HTTP-only) in a temp prefix
#   2. systemd-analyze verify on the unit (ExecStart pointed at a real binary)
#   3. deploy.sh: bash -n, then deploy, deploy again, status, rollback, status, stop in a temp prefix
#   4. promtool check config, check rules, test rules
#   5. a real Prometheus scraping `kpi-ops demo` every second: every dashboard panel expression
#      (variables filled in) and every alert expression runs on /api/v1/query without error, the
#      rules evaluate healthy, the core panels return data; `kpi-ops validate` passes against the demo
#
# Usage: scripts/test-ops.sh [path/to/kpi-ops]   (default: $KPI_OPS_BIN, else the debug build,
# built when missing). Needs nginx, prometheus (promtool), systemd-analyze, openssl, curl, python3:
# installed with apt-get when running as root, otherwise it stops with the install command.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

# ------------------------------------------------------------------------------------------------
# Tools

need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
command -v sqlite3 >/dev/null || need+=(sqlite3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }
  else
    echo "missing tools: ${need[*]}; install with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

BIN="${1:-${KPI_OPS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/kpi-ops}}"
if [ ! -x "$BIN" ]; then
  echo "== building kpi-ops (cargo build --bin kpi-ops)"
  cargo build --bin kpi-ops
fi
[ -x "$BIN" ] || { echo "no kpi-ops binary at $BIN" >&2; exit 1; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

TMP="$(mktemp -d -t kpi-test-ops.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -d "$TMP/deploy" ] && "$ROOT/deploy/deploy.sh" stop --prefix "$TMP/deploy" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Polls until the command succeeds, for at most $1 seconds.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.5
  done
}

# ------------------------------------------------------------------------------------------------
echo "== 1. nginx -t (TLS site with a self-signed certificate, HTTP-only site)"
N="$TMP/nginx"
mkdir -p "$N/snippets" "$N/tls" "$N/www" "$N/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=yourdomain.com" \
  -keyout "$N/tls/privkey.pem" -out "$N/tls/fullchain.pem" >/dev/null 2>&1
rewrite() {
  sed -e "s#/etc/nginx/snippets/#$N/snippets/#g" \
      -e "s#/etc/letsencrypt/live/yourdomain.com/#$N/tls/#g" \
      -e "s#/var/www/letsencrypt#$N/www#g" "$1"
}
for f in deploy/nginx/kpi-operations-{headers,gzip,locations,proxy}.conf; do
  rewrite "$f" >"$N/snippets/$(basename "$f")"
done
for site in kpi-operations kpi-operations-http; do
  rewrite "deploy/nginx/$site.conf" >"$N/$site.conf"
  cat >"$N/nginx-$site.conf" <<EOF
pid $N/nginx.pid;
error_log $N/logs/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $N/body;
    proxy_temp_path $N/proxy;
    fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi;
    scgi_temp_path $N/scgi;
    include $N/$site.conf;
}
EOF
  "$NGINX" -t -q -p "$N" -c "$N/nginx-$site.conf"
  echo "   ok: $site.conf"
done

# ------------------------------------------------------------------------------------------------
echo "== 2. systemd-analyze verify"
mkdir -p "$TMP/systemd"
sed "s#^ExecStart=/var/www/kpi-operations/current/kpi-ops#ExecStart=$BIN#" \
  deploy/kpi-operations-backend.service >"$TMP/systemd/kpi-operations-backend.service"
systemd-analyze verify "$TMP/systemd/kpi-operations-backend.service"
for key in "User=kpiuser" "ProtectSystem=strict" "NoNewPrivileges=yes" "CapabilityBoundingSet=" \
  "MemoryDenyWriteExecute=yes" "SystemCallFilter=@system-service" "PrivateTmp=yes" "ProtectHome=yes"; do
  grep -qx "$key" deploy/kpi-operations-backend.service || { echo "unit lacks $key" >&2; exit 1; }
done
echo "   ok"

# ------------------------------------------------------------------------------------------------
echo "== 3. deploy.sh (bash -n; deploy, deploy, status, rollback in a temp prefix)"
bash -n deploy/deploy.sh
bash -n scripts/deploy.sh
# .env.example names every variable the binary reads (`config check` prints them all) and the guide's.
mkdir -p "$TMP/cfg"
names="$(cd "$TMP/cfg" && env -i PATH="$PATH" "$BIN" config check 2>/dev/null | sed -n 's/^\([A-Z_]*\)=.*/\1/p')"
[ -n "$names" ] || { echo "kpi-ops config check printed nothing" >&2; exit 1; }
for name in $names DOMAIN_NAME SSL_EMAIL; do
  grep -q "^$name=" deploy/.env.example || { echo "deploy/.env.example lacks $name" >&2; exit 1; }
done
D="$TMP/deploy"
APP="$D/var/www/kpi-operations"
export API_PORT HEALTH_TIMEOUT=60
API_PORT="$(free_port)"
deploy/deploy.sh deploy --prefix "$D" --binary "$BIN" >"$TMP/deploy1.log" 2>&1 || { cat "$TMP/deploy1.log"; exit 1; }
first="$(basename "$(readlink "$APP/current")")"
sleep 1 # release names carry the second
scripts/deploy.sh deploy --prefix "$D" --binary "$BIN" >"$TMP/deploy2.log" 2>&1 || { cat "$TMP/deploy2.log"; exit 1; }
second="$(basename "$(readlink "$APP/current")")"
[ "$first" != "$second" ] || { echo "second deploy did not switch the release" >&2; exit 1; }
status="$(deploy/deploy.sh status --prefix "$D")"
grep -q '"status":"healthy"' <<<"$status" || { echo "$status" >&2; exit 1; }
backup="$(cat "$D/var/backups/kpi-operations/last_backup_path")"
for f in kpi_platform.db .env release; do
  [ -f "$backup/$f" ] || { echo "deploy backup $backup lacks $f" >&2; exit 1; }
done
[ "$(cat "$backup/release")" = "$first" ] || { echo "backup records release $(cat "$backup/release"), expected $first" >&2; exit 1; }
[ "$(stat -c %a "$APP/.env")" = 600 ] || { echo ".env is not mode 0600" >&2; exit 1; }
grep -q "^JWT_SECRET=.\{32,\}" "$APP/.env" || { echo ".env has no generated JWT_SECRET" >&2; exit 1; }
for f in systemd/system/kpi-operations-backend.service nginx/sites-available/kpi-operations logrotate.d/kpi-operations; do
  [ -f "$D/etc/$f" ] || { echo "deploy did not render $f" >&2; exit 1; }
done
deploy/deploy.sh rollback --prefix "$D" --yes >"$TMP/rollback.log" 2>&1 || { cat "$TMP/rollback.log"; exit 1; }
[ "$(basename "$(readlink "$APP/current")")" = "$first" ] || { echo "rollback did not restore $first" >&2; exit 1; }
status="$(deploy/deploy.sh status --prefix "$D")"
grep -q '"status":"healthy"' <<<"$status" || { echo "$status" >&2; exit 1; }
# A release whose service does not start: the health check fails and the deploy rolls back by itself.
printf '#!/bin/sh\n[ "$1" = serve ] && { echo "broken on purpose" >&2; exit 1; }\nexec "%s" "$@"\n' "$BIN" >"$TMP/broken-kpi-ops"
chmod +x "$TMP/broken-kpi-ops"
if HEALTH_TIMEOUT=5 deploy/deploy.sh deploy --prefix "$D" --binary "$TMP/broken-kpi-ops" >"$TMP/deploy3.log" 2>&1; then
  cat "$TMP/deploy3.log"; echo "a deploy whose service does not start must fail" >&2; exit 1
fi
grep -q "health check failed: rolling back to $first" "$TMP/deploy3.log" || { cat "$TMP/deploy3.log"; exit 1; }
[ "$(basename "$(readlink "$APP/current")")" = "$first" ] || { echo "automatic rollback did not restore $first" >&2; exit 1; }
status="$(deploy/deploy.sh status --prefix "$D")"
grep -q '"status":"healthy"' <<<"$status" || { echo "$status" >&2; exit 1; }
deploy/deploy.sh stop --prefix "$D"
echo "   ok: $first -> $second -> rollback -> $first; a broken release rolls back to $first by itself"

# ------------------------------------------------------------------------------------------------
echo "== 4. promtool"
promtool check config grafana/prometheus.yml >/dev/null
promtool check rules grafana/alerts.yml >/dev/null
(cd grafana && promtool test rules alerts.test.yml >/dev/null)
echo "   ok: check config, check rules, test rules"

# ------------------------------------------------------------------------------------------------
echo "== 5. real Prometheus scraping kpi-ops demo"
DEMO_PORT="$(free_port)"
PROM_PORT="$(free_port)"
"$BIN" demo --data-dir "$TMP/demo" --port "$DEMO_PORT" >"$TMP/demo.out" 2>"$TMP/demo.err" &
PIDS+=($!)
wait_for 180 curl -fsS "http://127.0.0.1:$DEMO_PORT/health" || { cat "$TMP/demo.err" >&2; exit 1; }
password="$(sed -n 's/^  login: *admin \/ //p' "$TMP/demo.out")"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $ROOT/grafana/alerts.yml
scrape_configs:
  - job_name: kpi-ops
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$DEMO_PORT"]
EOF
promtool check config "$TMP/prometheus.yml" >/dev/null
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
PIDS+=($!)
wait_for 60 curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" || { tail -20 "$TMP/prometheus.log" >&2; exit 1; }
# Traffic for the request panels, and the post-deployment validation against the demo.
printf '%s' "$password" >"$TMP/admin-password"
"$BIN" validate --url "http://127.0.0.1:$DEMO_PORT" --username admin --password-file "$TMP/admin-password" \
  --database "$TMP/demo/kpi_platform.db" --suite schema --suite api --suite security >"$TMP/validate.out" 2>&1 ||
  { cat "$TMP/validate.out" >&2; exit 1; }
echo "   ok: kpi-ops validate (schema, api, security) passes against the demo: $(tail -n 1 "$TMP/validate.out")"

# nginx in front of the demo (TLS site on free loopback ports): headers once, redirect, caching.
HTTP_PORT="$(free_port)"
HTTPS_PORT="$(free_port)"
sed -e "s#listen 80;#listen 127.0.0.1:$HTTP_PORT;#" -e "s#listen 443 ssl http2;#listen 127.0.0.1:$HTTPS_PORT ssl http2;#" \
    -e "/listen \[::\]/d" -e "s#server 127.0.0.1:8000;#server 127.0.0.1:$DEMO_PORT;#" \
    "$N/kpi-operations.conf" >"$N/live.conf"
sed "s#include $N/kpi-operations.conf;#include $N/live.conf;#" "$N/nginx-kpi-operations.conf" >"$N/nginx-live.conf"
"$NGINX" -p "$N" -c "$N/nginx-live.conf" -g 'daemon off;' 2>"$N/logs/live.err" &
PIDS+=($!)
wait_for 20 curl -fsSk "https://127.0.0.1:$HTTPS_PORT/health" || { cat "$N/logs/live.err" >&2; exit 1; }
check() { # WHAT CONDITION-OUTPUT...
  local what="$1"; shift
  if ! "$@"; then echo "nginx: $what" >&2; exit 1; fi
}
redirect="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/api/clients")"
check "port 80 must answer 301 to https (got $redirect)" grep -q '^301 https://' <<<"$redirect"
api_headers="$(curl -sk -D - -o /dev/null "https://127.0.0.1:$HTTPS_PORT/api/openapi.json")"
check "one X-Frame-Options on /api" test "$(grep -ci '^x-frame-options: SAMEORIGIN' <<<"$api_headers")" = 1
check "one Content-Security-Policy on /api" test "$(grep -ci '^content-security-policy:' <<<"$api_headers")" = 1
check "Cache-Control: no-store on /api" grep -qi '^cache-control: no-store' <<<"$api_headers"
check "HSTS on the TLS site" grep -qi '^strict-transport-security: max-age=' <<<"$api_headers"
check "X-Request-Id passed through" grep -qi '^x-request-id: ' <<<"$api_headers"
asset_headers="$(curl -sk -D - -o /dev/null "https://127.0.0.1:$HTTPS_PORT/assets/app-0123abcd.js")"
check "long cache on /assets/" grep -qi '^cache-control: public, max-age=31536000, immutable' <<<"$asset_headers"
check "no long cache on /api" test "$(grep -ci 'immutable' <<<"$api_headers")" = 0
metrics="$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/metrics")"
check "/metrics from loopback must be allowed (got $metrics)" test "$metrics" = 200
echo "   ok: nginx in front of the demo: redirect, headers once, no-store on /api, /assets cached, /metrics on loopback"

sleep 4 # a few scrapes after the traffic, so rate() over the window has two samples
python3 - "http://127.0.0.1:$PROM_PORT" grafana/dashboards/*.json <<'PY'
import json, sys, time, urllib.parse, urllib.request

prom, files = sys.argv[1], sys.argv[2:]
VARS = {"$__rate_interval": "1m", "${client_id}": ".+", "$client_id": ".+", "${kpi}": ".+", "$kpi": ".+"}
CORE = {"Requests per second by route", "Actor mailbox depth", "Build", "Database size"}

def query(expr):
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    return body

failures, count, core_seen = [], 0, set()
for path in files:
    dash = json.load(open(path))
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for k, v in VARS.items():
                expr = expr.replace(k, v)
            if "$" in expr:
                failures.append(f"{path}: {panel['title']}: unfilled variable in {expr}")
                continue
            body = query(expr)
            count += 1
            if body.get("status") != "success":
                failures.append(f"{path}: {panel['title']}: {body.get('error')} ({expr})")
            elif panel["title"] in CORE:
                core_seen.add(panel["title"])
                if not body["data"]["result"]:
                    failures.append(f"{path}: core panel {panel['title']} returned no data ({expr})")
missing_core = CORE - core_seen
if missing_core:
    failures.append(f"core panels not found in the dashboards: {sorted(missing_core)}")

# Alert rules: Prometheus loaded and evaluated them; each expression also runs as a query.
deadline = time.time() + 30
while True:
    with urllib.request.urlopen(f"{prom}/api/v1/rules", timeout=10) as r:
        groups = json.load(r)["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    if rules and all(r.get("lastEvaluation", "").startswith("20") and not r["lastEvaluation"].startswith("0001") for r in rules):
        break
    if time.time() > deadline:
        failures.append("alert rules were not evaluated within 30 s")
        break
    time.sleep(0.5)
for r in rules:
    if r.get("health") != "ok":
        failures.append(f"alert {r['name']}: health {r.get('health')}: {r.get('lastError')}")
    body = query(r["query"])
    count += 1
    if body.get("status") != "success":
        failures.append(f"alert {r['name']}: {body.get('error')}")
if len(rules) < 10:
    failures.append(f"only {len(rules)} alert rules loaded")

up = query('up{job="kpi-ops"}')["data"]["result"]
if not up or up[0]["value"][1] != "1":
    failures.append(f"kpi-ops target is not up: {up}")
if failures:
    print("\n".join("FAIL " + f for f in failures), file=sys.stderr)
    sys.exit(1)
print(f"   ok: {count} expressions ran ({len(rules)} alert rules healthy); core panels have data")
PY

echo "== test-ops: all passed"
