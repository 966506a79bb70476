#!/usr/bin/env bash
# Peak memory of `art60 serve` (SQLite, --demo) while it takes DmfA uploads (issue 14): the
# resident set at rest, then the peak (VmHWM) during one upload, then during four at once.
# The peak is reset between the two phases (`echo 5 > /proc/PID/clear_refs`, Linux).
#
#   scripts/dmfa/upload-memory.sh BIN [FILE] [WORKERS]
#
# BIN: the art60 binary to measure (target/release/art60 or target/debug/art60). FILE defaults
# to /tmp/dmfa_60m.xml, made with `BIN dmfa synth --workers WORKERS` (default 33000, ~60 MB)
# if missing; never commit it. The four concurrent uploads retry on 503 (curl --retry honours
# Retry-After), so all four are imported in the end whatever the server's import bound.
# SERVE_ARGS: more `art60 serve` flags, e.g. SERVE_ARGS="--dmfa-imports 4".
set -euo pipefail
BIN=$1
FILE=${2:-/tmp/dmfa_60m.xml}
WORKERS=${3:-33000}
PORT=${PORT:-18090}
BASE="http://127.0.0.1:$PORT"
[ -f "$FILE" ] || "$BIN" dmfa synth --workers "$WORKERS" --out "$FILE"
WORK=$(mktemp -d)
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
kb() { awk -v k="$1:" '$1==k{print $2}' "/proc/$PID/status"; }

RUST_LOG=warn "$BIN" serve --demo --no-scheduler --database-url "sqlite://$WORK/m.db?mode=rwc" \
  --bind "127.0.0.1:$PORT" ${SERVE_ARGS:-} > "$WORK/serve.out" 2> "$WORK/serve.err" &
PID=$!
for _ in $(seq 1 150); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$BASE/healthz" >/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
pw=$(awk '$2=="cpas.namur"{print $3}' "$WORK/serve.out")
csrf=$(curl -sf -c "$WORK/jar" -H 'content-type: application/json' \
  -d "{\"username\":\"cpas.namur\",\"password\":\"$pw\"}" "$BASE/api/v1/auth/login" | json_field "['csrf_token']")
token=$(curl -sf -b "$WORK/jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
  -d '{"label":"memory"}' "$BASE/api/v1/api-tokens" | json_field "['token']")
up() {
  curl -s -o "$WORK/r$1.json" -w "%{http_code}" --retry 30 --retry-max-time 300 \
    -H "authorization: Bearer $token" -H 'content-type: application/xml' \
    --data-binary "@$FILE" "$BASE/api/v1/dmfa"
}
echo "file: $FILE ($(stat -c %s "$FILE") bytes), binary: $BIN ${SERVE_ARGS:-}, $(nproc) cores, $(date -u +%FT%TZ), git $(git rev-parse --short HEAD)"
rest=$(kb VmRSS)
echo "at rest: VmRSS $((rest / 1024)) MiB"
echo 5 > "/proc/$PID/clear_refs"
t0=$(date +%s.%N)
code=$(up 1)
t1=$(date +%s.%N)
one=$(kb VmHWM)
echo "one upload: HTTP $code in $(python3 -c "print(f'{$t1-$t0:.1f}')") s, peak VmHWM $((one / 1024)) MiB (+$(((one - rest) / 1024)) MiB over rest); $(head -c 200 "$WORK/r1.json")"
after_one=$(kb VmRSS)
echo 5 > "/proc/$PID/clear_refs"
t0=$(date +%s.%N)
for i in 1 2 3 4; do up "c$i" > "$WORK/code$i" & done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
t1=$(date +%s.%N)
four=$(kb VmHWM)
echo "four at once: HTTP $(for f in "$WORK"/code?; do printf '%s ' "$(cat "$f")"; done)in $(python3 -c "print(f'{$t1-$t0:.1f}')") s, peak VmHWM $((four / 1024)) MiB (+$(((four - after_one) / 1024)) MiB over the $((after_one / 1024)) MiB before)"
grep -h -o '"skipped":[0-9]*' "$WORK"/rc?.json | tr '\n' ' '; echo
