#!/usr/bin/env bash
# Load test of `art60 serve` on loopback with wrk (Debian package `wrk`).
#
#   scripts/load/run.sh [sqlite|postgres|both]   (default: both)
#
# For each backend: a fresh database seeded with --demo plus QUEUE_SIZE sent requests in the
# Namur office queue, then
#   1. GET /api/v1/queue (first page, 50 items) as an ONEM officer,
#   2. POST /api/v1/requests (a new draft, audited) as CPAS software with an API token,
#   3. the portal's request page (a decided request, the view audited) and its simulation
#      (POST /simulate) as a CPAS worker, looping, then as users with THINK_MS between clicks,
# each with 50 connections for DURATION seconds after a short warm-up. Bounded in time, only
# 127.0.0.1. PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432), database
# art60_load is dropped and recreated; PG_PARAMS: the server's connection parameters, e.g.
# sslmode=disable or host=/var/run/postgresql (default none: TLS when the server offers it).
set -euo pipefail

cd "$(dirname "$0")/../.."
BACKENDS=${1:-both}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-50}
QUEUE_SIZE=${QUEUE_SIZE:-300}
# THINK_MS: the portal users' reading time between two clicks (wrk's delay, 0.5x to 1.5x).
THINK_MS=${THINK_MS:-1000}
# ONLY: the measurements to take, by name (queue create page simulate page_users
# simulate_users); default all.
PORT=${PORT:-18070}
# DB_POOL: connections per server process (art60 serve --db-pool), default 16.
# PROFILE=1: also record the server with `perf record -g` during each measurement and print
# the functions taking the most time (self and children) to PROFILE_OUT (default /tmp).
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
TARGET=${CARGO_TARGET_DIR:-target}
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
# ART60_BIN: a release binary already built (skips the build).
if [ -z "${ART60_BIN:-}" ]; then cargo build --release -p art60 --quiet; fi
BIN=${ART60_BIN:-$TARGET/release/art60}
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# wrk with the server's CPU time per request (user + system ticks of the art60 process), a
# figure less sensitive than req/s to other jobs on the machine.
measure() {
  local name=$1 script=$2 path=$3 before after
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return 0; fi
  before=$(cpu_ticks)
  local perf_pid=""
  if [ -n "${PROFILE:-}" ]; then
    perf record -q -F 499 -g --call-graph dwarf,16384 -p "$SERVER_PID" -o "$WORK/$name.perf" -- sleep "$DURATION" 2>/dev/null &
    perf_pid=$!
  fi
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$BASE$path" | tee "$WORK/$name.txt"
  after=$(cpu_ticks)
  awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" \
    '/requests in/{printf "%.0f\n", (a - b) / hz * 1e6 / $1}' "$WORK/$name.txt" > "$WORK/$name.cpu"
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    local out="${PROFILE_OUT:-/tmp}/profile-$BACKEND_NOW-$name.txt"
    perf report -i "$WORK/$name.perf" --no-children --percent-limit 1 --stdio -g none --sort dso,symbol 2>/dev/null > "$out" || true
    perf report -i "$WORK/$name.perf" --children --percent-limit 3 --stdio -g none --sort symbol 2>/dev/null > "${out%.txt}-children.txt" || true
    echo "profile: $out"
  fi
}

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

run_backend() {
  local backend=$1 url
  BACKEND_NOW=$backend
  case $backend in
    sqlite) url="sqlite://$WORK/load.db?mode=rwc" ;;
    postgres)
      psql "$PG_URL/postgres" -q -c "DROP DATABASE IF EXISTS art60_load" -c "CREATE DATABASE art60_load"
      url="$PG_URL/art60_load${PG_PARAMS:+?$PG_PARAMS}" ;;
  esac
  RUST_LOG=warn ART60_DB_POOL=${DB_POOL:-16} "$BIN" serve --demo --database-url "$url" --bind "127.0.0.1:$PORT" > "$WORK/serve.out" 2> "$WORK/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "$BASE/healthz" >/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
  local officer_pw worker_pw
  officer_pw=$(awk '$2=="onem.namur"{print $3}' "$WORK/serve.out")
  worker_pw=$(awk '$2=="cpas.namur"{print $3}' "$WORK/serve.out")
  curl -sf -c "$WORK/officer.jar" -H 'content-type: application/json' \
    -d "{\"username\":\"onem.namur\",\"password\":\"$officer_pw\"}" "$BASE/api/v1/auth/login" >/dev/null
  local cookie csrf token person employment
  cookie=$(awk '$6=="art60_session"{print $7}' "$WORK/officer.jar")
  csrf=$(curl -sf -c "$WORK/worker.jar" -H 'content-type: application/json' \
    -d "{\"username\":\"cpas.namur\",\"password\":\"$worker_pw\"}" "$BASE/api/v1/auth/login" | json_field "['csrf_token']")
  token=$(curl -sf -b "$WORK/worker.jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
    -d '{"label":"load test"}' "$BASE/api/v1/api-tokens" | json_field "['token']")
  local auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
  person=$(curl -sf "${auth[@]}" "$BASE/api/v1/persons" | json_field "['items'][0]['id']")
  employment=$(curl -sf "${auth[@]}" -d "{\"person_id\":$person,\"contract_start\":\"2027-03-01\"}" \
    "$BASE/api/v1/employments" | json_field "['id']")
  echo "[$backend] seeding $QUEUE_SIZE sent requests into the Namur queue..."
  local body id
  body="{\"employment_id\":$employment,\"input\":{\"contract\":{\"start\":\"2027-03-01\",\"days_per_week\":5,\"weekly_hours\":38,\"reference_hours\":38}},\"contact_name\":\"Load\",\"contact_email\":\"load@cpas.example\"}"
  for _ in $(seq 1 "$QUEUE_SIZE"); do
    id=$(curl -sf "${auth[@]}" -d "$body" "$BASE/api/v1/requests" | json_field "['id']")
    curl -sf "${auth[@]}" -H 'if-match: "1"' -X POST "$BASE/api/v1/requests/$id/send" >/dev/null
  done
  export ART60_LOAD_COOKIE=$cookie ART60_LOAD_TOKEN=$token ART60_LOAD_EMPLOYMENT=$employment
  wrk -t2 -c"$CONNECTIONS" -d3s -s scripts/load/queue.lua "$BASE/api/v1/queue" >/dev/null
  echo "[$backend] GET /api/v1/queue, $CONNECTIONS connections, ${DURATION}s"
  measure queue scripts/load/queue.lua /api/v1/queue
  echo "[$backend] POST /api/v1/requests, $CONNECTIONS connections, ${DURATION}s"
  measure create scripts/load/create_request.lua /api/v1/requests
  # The portal as CPAS workers see it: the page of a decided request (its answer and
  # explanation; each view audited) and the form's simulation, first with every connection
  # looping (saturation), then as users who read for about THINK_MS between two clicks.
  local worker_cookie decided
  worker_cookie=$(awk '$6=="art60_session"{print $7}' "$WORK/worker.jar")
  decided=$(curl -sf "${auth[@]}" "$BASE/api/v1/requests?status=calculated&limit=1" | json_field "['items'][0]['id']")
  export ART60_LOAD_WORKER_COOKIE=$worker_cookie ART60_LOAD_WORKER_CSRF=$csrf
  curl -sf -o /dev/null -b "art60_session=$worker_cookie" "$BASE/requests/$decided" \
    || { echo "the request page $decided does not answer 200" >&2; exit 1; }
  curl -sf -o /dev/null -b "art60_session=$worker_cookie" --data "csrf=$csrf&contract_start=2027-03-01&days_per_week=5&weekly_hours=38&reference_hours=38" "$BASE/simulate" \
    || { echo "the simulation does not answer 200" >&2; exit 1; }
  echo "[$backend] GET /requests/$decided (portal), $CONNECTIONS connections, ${DURATION}s"
  ART60_LOAD_THINK_MS=0 measure page scripts/load/portal_request.lua "/requests/$decided"
  echo "[$backend] POST /simulate (portal), $CONNECTIONS connections, ${DURATION}s"
  ART60_LOAD_THINK_MS=0 measure simulate scripts/load/portal_simulate.lua /simulate
  echo "[$backend] the same as $CONNECTIONS users reading about ${THINK_MS}ms between clicks"
  ART60_LOAD_THINK_MS=$THINK_MS measure page_users scripts/load/portal_request.lua "/requests/$decided"
  ART60_LOAD_THINK_MS=$THINK_MS measure simulate_users scripts/load/portal_simulate.lua /simulate
  # Other jobs on the machine skew the figures: keep the load average beside them.
  for f in queue create page simulate page_users simulate_users; do
    [ -f "$WORK/$f.txt" ] || continue
    printf '[%s] %-6s %s req/s, p50 %s, p99 %s, server CPU %s us/request (load average %s)\n' "$backend" "$f" \
      "$(awk '/^Requests\/sec/{print $2}' "$WORK/$f.txt")" "$(awk '$1=="50%"{print $2}' "$WORK/$f.txt")" \
      "$(awk '$1=="99%"{print $2}' "$WORK/$f.txt")" "$(cat "$WORK/$f.cpu")" "$(cut -d' ' -f1-3 /proc/loadavg)"
  done | tee -a "$WORK/summary.txt"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  echo "[$backend] audit chain after the run:"
  "$BIN" audit verify --database-url "$url"
}

case $BACKENDS in
  sqlite|postgres) run_backend "$BACKENDS" ;;
  both) run_backend sqlite; run_backend postgres ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
echo "== summary =="
cat "$WORK/summary.txt"
