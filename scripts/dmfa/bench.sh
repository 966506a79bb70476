#!/usr/bin/env bash
# DmfA reader benchmark: parse throughput and peak memory of `art60 dmfa inspect` (release build),
# of the import path's parse (the reader's items alone, as the import's reader thread takes them:
# examples/inspect.rs --items) and of the lxml iterparse baseline, in the same run, on one
# synthetic file of >= 1 GB. inspect and lxml print the same summary; the script checks they agree
# (and the person count of the items run), then prints MB/s, CPU time and peak RSS.
#
# Usage: scripts/dmfa/bench.sh [FILE] [WORKERS]
#   FILE defaults to /tmp/dmfa_1g.xml (created with `art60 dmfa synth` if missing; never commit it)
#   WORKERS defaults to 600000 (about 1.08 GB)
# Needs: /usr/bin/time (GNU time), python3 with lxml (pip install lxml).
set -euo pipefail
cd "$(dirname "$0")/../.."
FILE=${1:-/tmp/dmfa_1g.xml}
WORKERS=${2:-600000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-dmfa}
cargo build --release -q -p art60
cargo build --release -q -p art60-dmfa --example inspect
BIN=$CARGO_TARGET_DIR/release/art60
ITEMS=$CARGO_TARGET_DIR/release/examples/inspect
if [ ! -f "$FILE" ]; then
  "$BIN" dmfa synth --workers "$WORKERS" --out "$FILE"
fi
BYTES=$(stat -c %s "$FILE")
OUT=$(mktemp -d)
# Warm the page cache so both readers see the same (cached) file.
cat "$FILE" > /dev/null

run() { # name, command...
  local name=$1; shift
  /usr/bin/time -v "$@" > "$OUT/$name.json" 2> "$OUT/$name.time"
  local secs rss
  secs=$(grep "Elapsed (wall clock)" "$OUT/$name.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident set size" "$OUT/$name.time" | awk '{print $NF}')
  cpu=$(grep -E "(User|System) time" "$OUT/$name.time" | awk '{s += $NF} END {print s}')
  python3 -c "b=$BYTES; s=$secs; r=$rss; c=$cpu; print(f'$name: {b/1e6:.0f} MB in {s:.2f} s = {b/1e6/s:.1f} MB/s (CPU {c:.2f} s = {b/1e6/c:.1f} MB/s of CPU), peak RSS {r/1024:.1f} MiB')"
  echo "$secs" > "$OUT/$name.secs"
}
echo "file: $FILE ($BYTES bytes), $(nproc) cores, $(date -u +%FT%TZ), git $(git rev-parse --short HEAD), load: $(cut -d' ' -f1-3 /proc/loadavg)"
run rust "$BIN" dmfa inspect --json "$FILE"
run items "$ITEMS" --items "$FILE"
run python python3 scripts/dmfa/lxml_baseline.py "$FILE"
python3 - "$OUT" <<'PY'
import json, sys
d = sys.argv[1]
def norm(x):
    x = dict(x)
    x["days_per_code"] = {k: (v["lines"], round(v["days"] * 100), round(v["hours"] * 100))
                          for k, v in x["days_per_code"].items()}
    return x
a, b = (norm(json.load(open(f"{d}/{n}.json"))) for n in ("rust", "python"))
if a != b:
    sys.exit("MISMATCH between the Rust and Python summaries: " + str({k for k in a if a[k] != b.get(k)}))
items = json.load(open(f"{d}/items.json"))
if items["persons"] != a["persons"]:
    sys.exit(f"MISMATCH: the items run read {items['persons']} persons, inspect {a['persons']}")
rs, it, py = (float(open(f"{d}/{n}.secs").read()) for n in ("rust", "items", "python"))
print(f"summaries identical ({a['persons']} persons, {a['service_lines']} service lines); speed-up x{py / rs:.1f} (inspect), x{py / it:.1f} (items)")
PY
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$OUT"
