#!/usr/bin/env bash
# Reform impact over N generated stored requests (issue 15 target: the whole report in under
# 20 s on 2 cores, memory flat), on SQLite and PostgreSQL. Not part of the test suite.
#   scripts/bench/impact.sh [N] [sqlite|postgres|both]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
which=${2:-both}
bin=${ART60_BIN:-target/release/art60}
[ -n "${ART60_BIN:-}" ] || cargo build --release -q -p art60
dir=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && dir=/dev/shm
pg_admin=${ART60_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}

# The demo data, seeded by `serve --demo` (stopped once its accounts are printed).
seed() {
  local url=$1 log=$dir/art60_impact_serve.log
  "$bin" serve --demo --database-url "$url" --bind 127.0.0.1:0 > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do
    grep -q "Demo accounts" "$log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.5
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

measure() {
  local url=$1
  python3 scripts/bench/gen_impact.py "$url" "$n"
  for run in 1 2 3; do
    /usr/bin/time -f "run $run: %e s wall, %U s user, %S s sys, %M KiB max RSS" \
      "$bin" impact --database-url "$url" --as-of 2026-12-01 --format csv \
      --out "$dir/art60_impact.csv"
  done
  echo "rows: $(($(wc -l < "$dir/art60_impact.csv") - 1))"
  cut -d, -f18 "$dir/art60_impact.csv" | tail -n +2 | sort | uniq -c
}

if [ "$which" != postgres ]; then
  db=$dir/art60_impact_bench.db
  rm -f "$db" "$db-wal" "$db-shm"
  echo "== SQLite ($db)"
  seed "sqlite://$db?mode=rwc"
  measure "sqlite://$db"
fi
if [ "$which" != sqlite ]; then
  name=art60_impact_bench
  psql "$pg_admin" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
  url=${pg_admin%/*}/$name
  echo "== PostgreSQL ($url)"
  seed "$url"
  measure "$url"
fi
echo "commit $(git rev-parse --short HEAD), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
