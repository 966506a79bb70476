#!/usr/bin/env bash
# Throughput of `art60 calc --batch` over generated requests (issue 3 target: over 100,000
# requests a second on 2 cores). Not part of the test suite.
#   scripts/bench/calc_batch.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
bin=${ART60_BIN:-target/release/art60}
[ -n "${ART60_BIN:-}" ] || cargo build --release -q -p art60
input=/tmp/art60_batch_$n.jsonl
[ -s "$input" ] || python3 scripts/bench/gen_requests.py "$n" > "$input"
echo "requests: $(wc -l < "$input"), $(du -h "$input" | cut -f1)"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %U s user, %M KiB max RSS" \
    "$bin" calc --batch "$input" > /tmp/art60_batch_out.jsonl
done
python3 - "$n" <<'PY'
import json, sys
lines = open("/tmp/art60_batch_out.jsonl").read().splitlines()
kinds = {}
for l in lines:
    v = json.loads(l)
    k = v.get("outcome", {}).get("kind") if "outcome" in v else "error:" + v["error"]["kind"]
    kinds[k] = kinds.get(k, 0) + 1
print("outcomes:", kinds)
PY
