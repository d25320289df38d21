#!/usr/bin/env bash
# KPI Operations deployment (operations.md §10; docs/deployment.md walks through it).
#
#   sudo -E ./scripts/deploy.sh deploy   [--binary FILE | --from ARCHIVE.tar.gz] [--yes]
#   sudo    ./scripts/deploy.sh rollback [--yes]
#   sudo    ./scripts/deploy.sh status | backup | health-check | stop
#
# deploy: check requirements -> stage the release (prebuilt binary, release archive, or a build
#   from source incl. web/) in releases/<version>/ -> create/validate .env -> install the systemd
#   unit, nginx site and logrotate -> stop -> back up database, .env and the current release
#   (backup_<ts>/, path recorded in <backup dir>/last_backup_path) -> migrate -> switch `current`
#   atomically -> start -> health checks (/health for HEALTH_TIMEOUT s, then the site). A failed
#   health check rolls back automatically.
# rollback: the release recorded in the last backup + its .env; the database only when the schema
#   version changed (after showing the backup's age and asking; --yes or ASSUME_YES=1 answers yes).
#
# Test mode: --prefix DIR (or DRY_RUN=1, which picks a temporary DIR) puts every path under DIR,
# runs as the calling user and starts `kpi-ops serve` itself instead of systemd; nginx, certbot,
# useradd and systemctl are not touched (their files are still rendered under DIR/etc).
#
# Environment: DOMAIN_NAME, SSL_EMAIL (nginx TLS + certbot), DATABASE_URL, JWT_SECRET, API_PORT,
# SMTP_* (used when .env is created), HEALTH_TIMEOUT (30), KPI_USER (kpiuser), KEEP_RELEASES (5).
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KPI_USER="${KPI_USER:-kpiuser}"
SERVICE=kpi-operations-backend
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-30}"
PREFIX=""
BINARY=""
ARCHIVE=""
ASSUME_YES="${ASSUME_YES:-0}"

log() { printf '[deploy %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
warn() { printf '[deploy %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[deploy] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

# ----------------------------------------------------------------------------------------------
# Arguments and paths

COMMAND="${1:-}"
[ -n "$COMMAND" ] || usage
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --binary) BINARY="${2:?--binary needs a file}"; shift 2 ;;
    --from) ARCHIVE="${2:?--from needs a release archive}"; shift 2 ;;
    --yes|-y) ASSUME_YES=1; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
if [ -z "$PREFIX" ] && [ "${DRY_RUN:-0}" = 1 ]; then
  PREFIX="$(mktemp -d -t kpi-ops-deploy.XXXXXX)"
  log "DRY_RUN=1: everything under $PREFIX"
fi
if [ -n "$PREFIX" ]; then
  mkdir -p "$PREFIX"
  PREFIX="$(cd "$PREFIX" && pwd)"
fi
TEST_MODE=0
[ -n "$PREFIX" ] && TEST_MODE=1

APP_DIR="$PREFIX/var/www/kpi-operations"
BACKUP_ROOT_DEFAULT="$PREFIX/var/backups/kpi-operations"
LOG_DIR="$PREFIX/var/log/kpi-operations"
ETC="$PREFIX/etc"
RUN_DIR="$PREFIX/run/kpi-operations"   # test mode: pid file of the service started by this script
ENV_FILE="$APP_DIR/.env"

# As the service user in production; as the caller in test mode.
as_app() {
  if [ "$TEST_MODE" = 1 ]; then
    (cd "$APP_DIR" && "$@")
  else
    (cd "$APP_DIR" && runuser -u "$KPI_USER" -- "$@")
  fi
}

# `kpi-ops config check` of a binary against the installed .env: one value.
config_value() { # BIN NAME
  as_app "$1" config check 2>/dev/null | sed -n "s/^$2=//p" | head -n 1
}

# The database file of DATABASE_URL (relative = under the working directory APP_DIR).
database_path() { # BIN
  local url path
  url="$(config_value "$1" DATABASE_URL)"
  path="${url#sqlite://}"
  case "$path" in
    /*) printf '%s\n' "$path" ;;
    *) printf '%s/%s\n' "$APP_DIR" "${path#./}" ;;
  esac
}

backup_root() { # BIN
  local dir
  dir="$(config_value "$1" DATABASE_BACKUP_DIR)"
  case "$dir" in
    "") printf '%s\n' "$BACKUP_ROOT_DEFAULT" ;;
    /*) printf '%s\n' "$dir" ;;
    *) printf '%s/%s\n' "$APP_DIR" "${dir#./}" ;;
  esac
}

api_port() { # BIN
  local p
  p="$(config_value "$1" API_PORT)"
  printf '%s\n' "${p:-8000}"
}

current_release() {
  if [ -L "$APP_DIR/current" ]; then basename "$(readlink "$APP_DIR/current")"; fi
}

# ----------------------------------------------------------------------------------------------
# Requirements

check_requirements() {
  local missing=()
  for tool in curl tar sed; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ "$TEST_MODE" = 0 ]; then
    [ "$(id -u)" = 0 ] || die "run as root (sudo -E $0 $COMMAND), or use --prefix DIR for a test run"
    for tool in systemctl nginx runuser useradd; do command -v "$tool" >/dev/null || missing+=("$tool"); done
    if [ -n "${DOMAIN_NAME:-}" ] && [ -n "${SSL_EMAIL:-}" ]; then
      command -v certbot >/dev/null || missing+=("certbot")
    fi
  fi
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (sudo apt install -y ${missing[*]})"
}

# ----------------------------------------------------------------------------------------------
# Release staging

new_version() { # BIN
  local v
  v="$("$1" --version 2>/dev/null | awk '{print $NF}')"
  printf '%s-%s\n' "${v:-unknown}" "$(date +%Y%m%d%H%M%S)"
}

# Prints the staged release directory.
stage_release() {
  local stage src_bin scripts_dir
  stage="$(mktemp -d "$APP_DIR/releases/.staging.XXXXXX")"
  if [ -n "$ARCHIVE" ]; then
    [ -f "$ARCHIVE" ] || die "release archive not found: $ARCHIVE"
    tar -xzf "$ARCHIVE" -C "$stage"
    src_bin="$(find "$stage" -type f -name kpi-ops -perm -u+x | head -n 1)"
    [ -n "$src_bin" ] || die "$ARCHIVE holds no executable kpi-ops"
    if [ "$(dirname "$src_bin")" != "$stage" ]; then
      local top; top="$(dirname "$src_bin")"
      (shopt -s dotglob; mv "$top"/* "$stage"/)
      rmdir "$top"
    fi
  else
    if [ -n "$BINARY" ]; then
      [ -x "$BINARY" ] || die "--binary $BINARY is not an executable file"
      src_bin="$BINARY"
    elif command -v cargo >/dev/null; then
      build_from_source >&2
      src_bin="${CARGO_TARGET_DIR:-$SRC_DIR/target}/release/kpi-ops"
    else
      die "nothing to install: give --binary FILE or --from ARCHIVE.tar.gz, or install cargo (https://rustup.rs) and node to build from source"
    fi
    install -m 0755 "$src_bin" "$stage/kpi-ops"
    scripts_dir="$SRC_DIR/kpi-scripts"
    [ -d "$scripts_dir" ] && cp -R "$scripts_dir" "$stage/kpi-scripts"
    for d in deploy grafana docs; do
      [ -d "$SRC_DIR/$d" ] && cp -R "$SRC_DIR/$d" "$stage/$d"
    done
  fi
  chmod 0755 "$stage"
  printf '%s\n' "$stage"
}

build_from_source() {
  if [ -f "$SRC_DIR/web/package.json" ]; then
    command -v npm >/dev/null || die "web/package.json needs node and npm to build the web UI (sudo apt install -y nodejs npm), or give --binary/--from"
    log "building the web UI (npm ci && npm run build)"
    (cd "$SRC_DIR/web" && npm ci && npm run build)
  fi
  log "building kpi-ops (cargo build --release --locked; several minutes)"
  (cd "$SRC_DIR" && cargo build --release --locked --bin kpi-ops)
}

# ----------------------------------------------------------------------------------------------
# .env

set_env() { # NAME VALUE: replace the NAME= line or append it
  local name="$1" value="$2" tmp
  tmp="$(mktemp "$ENV_FILE.XXXXXX")"
  awk -v n="$name" -v v="$value" 'BEGIN{done=0} $0 ~ "^(export )?"n"=" {print n"="v; done=1; next} {print} END{if(!done) print n"="v}' "$ENV_FILE" >"$tmp"
  chmod 0600 "$tmp"
  mv "$tmp" "$ENV_FILE"
}

env_value() { # NAME: raw value in .env (quotes and inline comment removed)
  sed -n "s/^\(export \)\{0,1\}$1=//p" "$ENV_FILE" | tail -n 1 | sed 's/[[:space:]]#.*$//; s/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/'
}

generate_secret() {
  head -c 48 /dev/urandom | base64 | tr -d '\n/+='
}

prepare_env() {
  if [ ! -f "$ENV_FILE" ]; then
    log "creating $ENV_FILE from deploy/.env.example"
    local example="$SRC_DIR/deploy/.env.example"
    [ -f "$example" ] || die "$example is missing"
    if [ "$TEST_MODE" = 1 ]; then
      sed "s#=/var/#=$PREFIX/var/#" "$example" >"$ENV_FILE"
    else
      cp "$example" "$ENV_FILE"
    fi
    chmod 0600 "$ENV_FILE"
    local name
    for name in DATABASE_URL API_PORT API_BASE_URL ALLOWED_ORIGINS ENVIRONMENT SMTP_HOST SMTP_PORT SMTP_USER SMTP_PASS SMTP_FROM SMTP_TLS; do
      if [ -n "${!name:-}" ]; then set_env "$name" "${!name}"; fi
    done
    if [ -n "${DOMAIN_NAME:-}" ]; then
      [ -n "${API_BASE_URL:-}" ] || set_env API_BASE_URL "https://$DOMAIN_NAME"
      [ -n "${ALLOWED_ORIGINS:-}" ] || set_env ALLOWED_ORIGINS "https://$DOMAIN_NAME"
      set_env DOMAIN_NAME "$DOMAIN_NAME"
      [ -z "${SSL_EMAIL:-}" ] || set_env SSL_EMAIL "$SSL_EMAIL"
    else
      local host; host="$(hostname -f 2>/dev/null || hostname)"
      [ -n "${API_BASE_URL:-}" ] || set_env API_BASE_URL "http://${host:-localhost}"
      [ -n "${ALLOWED_ORIGINS:-}" ] || set_env ALLOWED_ORIGINS ""
    fi
    if [ -z "${SMTP_HOST:-}" ]; then
      warn "SMTP_HOST is not set: e-mail disabled (ENABLE_EMAIL_REPORTS=false); set the SMTP_* values in $ENV_FILE to enable it"
      for name in SMTP_HOST SMTP_USER SMTP_PASS SMTP_FROM; do set_env "$name" ""; done
      set_env ENABLE_EMAIL_REPORTS false
    fi
  fi
  # A placeholder or short JWT_SECRET is replaced; a valid one is never overwritten.
  local secret; secret="$(env_value JWT_SECRET)"
  if [ -z "$(env_value JWT_SECRET_FILE)" ] && { [ ${#secret} -lt 32 ] || [[ "$secret" == *"<"* ]] || [[ "$secret" == *GENERATE* ]]; }; then
    if [ -n "${JWT_SECRET:-}" ] && [ ${#JWT_SECRET} -ge 32 ] && [[ "$JWT_SECRET" != *"<"* ]]; then
      log "JWT_SECRET: using the exported value"
      set_env JWT_SECRET "$JWT_SECRET"
    else
      log "JWT_SECRET: placeholder or shorter than 32 bytes; generating a new one"
      set_env JWT_SECRET "$(generate_secret)"
    fi
  fi
  if [ "$TEST_MODE" = 0 ]; then chown "$KPI_USER:$KPI_USER" "$ENV_FILE"; fi
  chmod 0600 "$ENV_FILE"
}

validate_env() { # BIN
  local out
  if ! out="$(as_app "$1" config check 2>&1 >/dev/null)"; then
    die ".env is not valid: $out (edit $ENV_FILE)"
  fi
}

# ----------------------------------------------------------------------------------------------
# Users, folders, system files

prepare_dirs() {
  if [ "$TEST_MODE" = 0 ] && ! id "$KPI_USER" >/dev/null 2>&1; then
    log "creating the service user $KPI_USER"
    useradd -r -s /usr/sbin/nologin -d "$APP_DIR" "$KPI_USER"
  fi
  mkdir -p "$APP_DIR/releases" "$BACKUP_ROOT_DEFAULT" "$LOG_DIR" "$RUN_DIR"
  chmod 0750 "$APP_DIR" "$LOG_DIR"
  chmod 0700 "$BACKUP_ROOT_DEFAULT"
  if [ "$TEST_MODE" = 0 ]; then
    chown "$KPI_USER:$KPI_USER" "$APP_DIR" "$APP_DIR/releases" "$BACKUP_ROOT_DEFAULT" "$LOG_DIR"
    # The database and its -wal/-shm files (UMask=0077 keeps new ones private).
    find "$APP_DIR" -maxdepth 1 -name '*.db*' -exec chown "$KPI_USER:$KPI_USER" {} +
  fi
}

max_body() { # BIN: MAX_UPLOAD_SIZE + 1 MiB, so an oversize file reaches the service's JSON 413
  local bytes; bytes="$(config_value "$1" MAX_UPLOAD_SIZE)"
  printf '%s\n' $(( ${bytes:-10485760} + 1048576 ))
}

render() { # FILE PORT BODY DOMAIN
  sed -e "s#127\.0\.0\.1:8000#127.0.0.1:$2#g" \
      -e "s#client_max_body_size 11m;#client_max_body_size $3;#" \
      -e "s#yourdomain\.com#$4#g" \
      -e "s#/var/www/kpi-operations#$APP_DIR#g" \
      -e "s#/var/backups/kpi-operations#$BACKUP_ROOT_DEFAULT#g" \
      -e "s#/var/log/kpi-operations#$LOG_DIR#g" \
      -e "s#/etc/nginx/snippets/#$ETC/nginx/snippets/#g" "$1"
}

install_system_files() { # BIN
  local bin="$1" port body domain site cert
  port="$(api_port "$bin")"
  body="$(max_body "$bin")"
  domain="${DOMAIN_NAME:-$(env_value DOMAIN_NAME)}"
  mkdir -p "$ETC/systemd/system" "$ETC/logrotate.d" "$ETC/nginx/snippets" "$ETC/nginx/sites-available" "$ETC/nginx/sites-enabled"
  render "$SRC_DIR/deploy/kpi-operations-backend.service" "$port" "$body" "${domain:-_}" >"$ETC/systemd/system/$SERVICE.service"
  render "$SRC_DIR/deploy/logrotate.conf" "$port" "$body" "${domain:-_}" >"$ETC/logrotate.d/kpi-operations"
  for f in headers gzip locations proxy; do
    render "$SRC_DIR/deploy/nginx/kpi-operations-$f.conf" "$port" "$body" "${domain:-_}" >"$ETC/nginx/snippets/kpi-operations-$f.conf"
  done
  site="$ETC/nginx/sites-available/kpi-operations"
  cert="/etc/letsencrypt/live/${domain}/fullchain.pem"
  if [ -n "$domain" ] && [ -f "$cert" ]; then
    render "$SRC_DIR/deploy/nginx/kpi-operations.conf" "$port" "$body" "$domain" >"$site"
  else
    render "$SRC_DIR/deploy/nginx/kpi-operations-http.conf" "$port" "$body" "${domain:-_}" >"$site"
  fi
  ln -sfn "$site" "$ETC/nginx/sites-enabled/kpi-operations"
  if [ "$TEST_MODE" = 1 ]; then
    log "test mode: unit, nginx site and logrotate rendered under $ETC (systemd and nginx untouched)"
    return
  fi
  # The distribution's default site would answer port 80 first.
  rm -f /etc/nginx/sites-enabled/default
  mkdir -p /var/www/letsencrypt
  systemctl daemon-reload
  systemctl enable "$SERVICE" >/dev/null
  nginx -t || die "nginx -t failed: see above ($site)"
  systemctl reload nginx 2>/dev/null || systemctl restart nginx
  if [ -n "$domain" ] && [ ! -f "$cert" ]; then
    if [ -n "${SSL_EMAIL:-$(env_value SSL_EMAIL)}" ]; then
      log "requesting a Let's Encrypt certificate for $domain"
      if certbot certonly --webroot -w /var/www/letsencrypt -d "$domain" \
        --email "${SSL_EMAIL:-$(env_value SSL_EMAIL)}" --agree-tos --non-interactive; then
        render "$SRC_DIR/deploy/nginx/kpi-operations.conf" "$port" "$body" "$domain" >"$site"
        nginx -t || die "nginx -t failed with the TLS site ($site)"
        systemctl reload nginx
      else
        warn "certbot failed: the site stays on HTTP; run the deploy again once DNS points here"
      fi
    else
      warn "DOMAIN_NAME without SSL_EMAIL: no certificate requested; the site stays on HTTP"
    fi
  elif [ -z "$domain" ]; then
    warn "DOMAIN_NAME is not set: the site serves plain HTTP on port 80 (no TLS)"
  fi
}

# ----------------------------------------------------------------------------------------------
# Service control

service_stop() {
  if [ "$TEST_MODE" = 1 ]; then
    local pidfile="$RUN_DIR/kpi-ops.pid" pid i
    [ -f "$pidfile" ] || return 0
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$pidfile"
  else
    systemctl stop "$SERVICE" 2>/dev/null || true
  fi
}

service_start() {
  if [ "$TEST_MODE" = 1 ]; then
    # setsid: the service outlives this script, as under systemd.
    (cd "$APP_DIR" && exec setsid ./current/kpi-ops serve >>"$LOG_DIR/service.out" 2>&1 </dev/null) &
    echo $! >"$RUN_DIR/kpi-ops.pid"
  else
    systemctl start "$SERVICE"
  fi
}

service_state() {
  if [ "$TEST_MODE" = 1 ]; then
    local pidfile="$RUN_DIR/kpi-ops.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "active (pid $(cat "$pidfile"))"; else echo inactive; fi
  else
    systemctl is-active "$SERVICE" 2>/dev/null || true
  fi
}

health_check() { # BIN
  local port deadline body domain
  port="$(api_port "$1")"
  deadline=$(( $(date +%s) + HEALTH_TIMEOUT ))
  while :; do
    if body="$(curl -fsS --max-time 5 "http://127.0.0.1:$port/health" 2>/dev/null)"; then
      log "health: $body"
      break
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { warn "no healthy answer from http://127.0.0.1:$port/health within ${HEALTH_TIMEOUT}s"; return 1; }
    sleep 1
  done
  if [ "$TEST_MODE" = 0 ]; then
    domain="${DOMAIN_NAME:-$(env_value DOMAIN_NAME)}"
    if ! curl -fsS --max-time 10 -k -L -o /dev/null --resolve "${domain:-localhost}:80:127.0.0.1" \
      --resolve "${domain:-localhost}:443:127.0.0.1" "http://${domain:-localhost}/health"; then
      warn "the site (nginx on port 80) does not answer /health"
      return 1
    fi
    log "site: nginx answers /health"
  fi
}

# ----------------------------------------------------------------------------------------------
# Backups

# Backs up the database (with the binary that matches it), .env and the current release name
# into <backup root>/backup_YYYYMMDD_HHMMSS/ and records the folder in last_backup_path.
take_backup() { # BIN (of the current release)
  local bin="$1" root db folder
  root="$(backup_root "$bin")"
  db="$(database_path "$bin")"
  mkdir -p "$root"
  if as_app "$bin" backup --help >/dev/null 2>&1 && [ -f "$db" ]; then
    folder="$(as_app "$bin" backup | tail -n 1)"
    case "$folder" in /*) ;; *) folder="$APP_DIR/$folder" ;; esac
    [ -d "$folder" ] || die "kpi-ops backup did not print a backup folder (got: $folder)"
  else
    folder="$root/backup_$(date +%Y%m%d_%H%M%S)"
    mkdir -p "$folder"
    if [ -f "$db" ]; then
      online_copy "$db" "$folder/$(basename "$db")"
    fi
  fi
  [ -f "$ENV_FILE" ] && cp -p "$ENV_FILE" "$folder/.env"
  current_release >"$folder/release"
  if [ "$TEST_MODE" = 0 ]; then chown -R "$KPI_USER:$KPI_USER" "$folder"; fi
  chmod -R go-rwx "$folder"
  printf '%s\n' "$folder" >"$root/last_backup_path"
  log "backup: $folder"
}

# SQLite's online backup API (sqlite3 .backup, else Python's sqlite3), then an integrity check.
online_copy() { # SRC DEST
  if command -v sqlite3 >/dev/null; then
    sqlite3 "$1" ".backup '$2'"
    [ "$(sqlite3 "$2" 'PRAGMA integrity_check;')" = ok ] || die "backup $2 fails PRAGMA integrity_check"
    # One self-contained file (no -wal/-shm beside it), as the guide's manual restore expects.
    sqlite3 "$2" 'PRAGMA journal_mode=DELETE;' >/dev/null
  elif command -v python3 >/dev/null; then
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)
ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
dst.execute("PRAGMA journal_mode=DELETE")
sys.exit(0 if ok == "ok" else f"backup fails PRAGMA integrity_check: {ok}")
PY
  else
    die "no sqlite3 or python3 for the database backup (sudo apt install -y sqlite3)"
  fi
}

schema_version_of() { # BIN DBFILE
  DATABASE_URL="sqlite:///$2" as_app "$1" migrate --dry-run 2>/dev/null | sed -n 's/^current schema version: \([0-9]*\).*/\1/p'
}

# ----------------------------------------------------------------------------------------------
# Commands

cmd_deploy() {
  check_requirements
  prepare_dirs
  local stage version prev prev_bin new_bin
  stage="$(stage_release)"
  version="$(new_version "$stage/kpi-ops")"
  mv "$stage" "$APP_DIR/releases/$version"
  new_bin="$APP_DIR/releases/$version/kpi-ops"
  log "staged release $version"
  prepare_env
  validate_env "$new_bin"
  prepare_dirs
  install_system_files "$new_bin"
  prev="$(current_release)"
  log "stopping the service"
  service_stop
  if [ -n "$prev" ] && [ -x "$APP_DIR/releases/$prev/kpi-ops" ]; then
    prev_bin="$APP_DIR/releases/$prev/kpi-ops"
  else
    prev_bin="$new_bin"
  fi
  take_backup "$prev_bin"
  log "migrating the database"
  as_app "$new_bin" migrate
  prepare_dirs
  ln -sfn "releases/$version" "$APP_DIR/current.new"
  mv -Tf "$APP_DIR/current.new" "$APP_DIR/current"
  log "current -> releases/$version (previous: ${prev:-none})"
  service_start
  if health_check "$new_bin"; then
    prune_releases
    log "deploy of $version done"
    return 0
  fi
  if [ -n "$prev" ]; then
    warn "health check failed: rolling back to $prev"
    ASSUME_YES=1 cmd_rollback
  else
    warn "health check failed and there is no previous release to roll back to"
  fi
  die "deploy of $version failed (journalctl -u $SERVICE -n 50)"
}

# Keeps the newest KEEP_RELEASES (5) releases; the current one and the one the last backup
# records (the rollback target) are among them.
prune_releases() {
  local keep="${KEEP_RELEASES:-5}" cur r
  cur="$(current_release)"
  ls -1t "$APP_DIR/releases" | tail -n +$((keep + 1)) | while read -r r; do
    [ "$r" = "$cur" ] || { rm -rf "${APP_DIR:?}/releases/$r"; log "removed old release $r"; }
  done
}

cmd_rollback() {
  check_requirements
  local cur cur_bin root folder prev prev_bin backup_db db cur_v old_v age
  cur="$(current_release)"
  [ -n "$cur" ] || die "no current release: nothing to roll back"
  cur_bin="$APP_DIR/releases/$cur/kpi-ops"
  root="$(backup_root "$cur_bin")"
  [ -f "$root/last_backup_path" ] || die "no $root/last_backup_path: no deploy backup recorded"
  folder="$(cat "$root/last_backup_path")"
  [ -d "$folder" ] || die "recorded backup $folder is missing"
  prev="$(cat "$folder/release" 2>/dev/null || true)"
  [ -n "$prev" ] && [ -x "$APP_DIR/releases/$prev/kpi-ops" ] || die "the backup $folder records no installed previous release"
  [ "$prev" != "$cur" ] || die "release $cur is already current (the last deploy was rolled back)"
  prev_bin="$APP_DIR/releases/$prev/kpi-ops"
  log "rolling back $cur -> $prev (backup $folder)"
  service_stop
  [ -f "$folder/.env" ] && { cp -p "$folder/.env" "$ENV_FILE"; log "restored .env"; }
  db="$(database_path "$prev_bin")"
  backup_db="$folder/$(basename "$db")"
  if [ -f "$backup_db" ] && [ -f "$db" ]; then
    cur_v="$(schema_version_of "$cur_bin" "$db")"
    old_v="$(schema_version_of "$cur_bin" "$backup_db")"
    if [ "$cur_v" != "$old_v" ]; then
      age=$(( ($(date +%s) - $(stat -c %Y "$backup_db")) / 60 ))
      log "schema version changed ($old_v -> $cur_v): release $prev needs the pre-deploy database"
      log "backup $backup_db was taken $age minute(s) ago; data written since then will be lost"
      local answer=n
      if [ "$ASSUME_YES" = 1 ]; then answer=y
      elif [ -t 0 ]; then read -r -p "Restore it? [y/N] " answer
      fi
      case "$answer" in
        y|Y|yes)
          cp -p "$db" "$db.rollback-$(date +%Y%m%d_%H%M%S)"
          cp -p "$backup_db" "$db.restoring"
          mv -f "$db.restoring" "$db"
          rm -f "$db-wal" "$db-shm"
          log "database restored from $backup_db"
          ;;
        *) die "database not restored: release $prev cannot open schema $cur_v; rerun with --yes, or restore by hand (docs/deployment.md)" ;;
      esac
    else
      log "schema version unchanged ($cur_v): the database stays as it is"
    fi
  fi
  prepare_dirs
  ln -sfn "releases/$prev" "$APP_DIR/current.new"
  mv -Tf "$APP_DIR/current.new" "$APP_DIR/current"
  service_start
  health_check "$prev_bin" || die "release $prev is not healthy after the rollback (journalctl -u $SERVICE -n 50)"
  log "rollback to $prev done"
}

cmd_status() {
  local cur bin root newest
  cur="$(current_release)"
  echo "service:   $SERVICE $(service_state)"
  if [ -z "$cur" ]; then echo "release:   none installed"; return 0; fi
  bin="$APP_DIR/releases/$cur/kpi-ops"
  echo "release:   $cur ($("$bin" --version 2>/dev/null || echo '?'))"
  echo "health:    $(curl -sS --max-time 5 "http://127.0.0.1:$(api_port "$bin")/health" 2>&1 || true)"
  root="$(backup_root "$bin")"
  newest="$(ls -1d "$root"/backup_* 2>/dev/null | sort | tail -n 1 || true)"
  if [ -n "$newest" ]; then
    echo "backup:    $newest ($(( ($(date +%s) - $(stat -c %Y "$newest")) / 3600 )) h old)"
  else
    echo "backup:    none in $root"
  fi
}

cmd_backup() {
  check_requirements
  local cur; cur="$(current_release)"
  [ -n "$cur" ] || die "no current release"
  take_backup "$APP_DIR/releases/$cur/kpi-ops"
}

cmd_health() {
  local cur; cur="$(current_release)"
  [ -n "$cur" ] || die "no current release"
  health_check "$APP_DIR/releases/$cur/kpi-ops"
}

case "$COMMAND" in
  deploy) cmd_deploy ;;
  rollback) cmd_rollback ;;
  status) cmd_status ;;
  backup) cmd_backup ;;
  health-check) cmd_health ;;
  stop) service_stop ;;
  -h|--help|help) usage ;;
  *) die "unknown command $COMMAND (deploy, rollback, status, backup, health-check, stop)" ;;
esac
