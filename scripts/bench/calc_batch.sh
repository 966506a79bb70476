#!/usr/bin/env bash
# Throughput of `art60 calc --batch` over generated requests (issue 16 target: 200,000 plans a
# second on 2 cores, on a set whose share of no-stage answers is stated). Not part of the test
# suite.
#   scripts/bench/calc_batch.sh [N] [SET]
# SET is the generator: `batch` (default, scripts/bench/gen_requests.py: plans with 0-5 prior
# jobs and 0-2 extending events, few no-stage answers) or `corpus` (scripts/bench/corpus.py,
# seed 12: both modes, DmfA quarters, foreign work, re-admissions, many no-stage answers).
# Prints each run's wall time and rate, then the set's outcomes and their shares.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
set_name=${2:-batch}
bin=${ART60_BIN:-target/release/art60}
[ -n "${ART60_BIN:-}" ] || cargo build --release -q -p art60
# In memory when /dev/shm exists: the figure is the calculation's, not the disk's (this VM's
# page cache is reclaimed between runs, and re-reading 53 MB from disk added up to 0.4 s).
dir=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && dir=/dev/shm
case "$set_name" in
  batch) input=$dir/art60_batch_$n.jsonl; gen=(python3 scripts/bench/gen_requests.py "$n") ;;
  corpus) input=$dir/art60_corpus_$n.jsonl; gen=(python3 scripts/bench/corpus.py "$n" 12) ;;
  *) echo "unknown set $set_name (batch or corpus)" >&2; exit 2 ;;
esac
out=$dir/art60_batch_out.jsonl
[ -s "$input" ] || "${gen[@]}" > "$input"
echo "set: $set_name, requests: $(wc -l < "$input"), $(du -h "$input" | cut -f1), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in 1 2 3; do
  start=$(date +%s.%N)
  /usr/bin/time -f "run $run: %e s wall, %U s user, %M KiB max RSS" \
    "$bin" calc --batch "$input" > "$out" || true
  end=$(date +%s.%N)
  python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'run $run: {n / t:,.0f} requests a second')" \
    "$(wc -l < "$input")" "$start" "$end"
done
python3 - "$out" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
kinds = {}
for l in lines:
    v = json.loads(l)
    k = v.get("outcome", {}).get("kind") if "outcome" in v else "error:" + v["error"]["kind"]
    kinds[k] = kinds.get(k, 0) + 1
print("outcomes:", kinds)
total = len(lines)
print("shares:", ", ".join(f"{k} {100 * c / total:.1f} %" for k, c in sorted(kinds.items(), key=lambda x: -x[1])))
print(f"no-stage share: {100 * kinds.get('no_stage_required', 0) / total:.1f} % of {total}")
PY
