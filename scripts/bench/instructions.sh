#!/usr/bin/env bash
# Instructions the engine executes, counted by valgrind's callgrind (Debian package
# `valgrind`): the same on any machine and under any load, unlike criterion's times, which
# move by a fifth from run to run on a shared 2-core VM. Not part of the test suite.
#
#   scripts/bench/instructions.sh [N]
#
# Prints, for the release build of the rules crate's profiling example (the release profile:
# fat LTO, one codegen unit, the `art60` binary's allocator):
#   1. one plan of scripts/bench/typical-plan.json (criterion's `plan_typical_history`), with
#      its explanation (full) and as `calc --batch` computes it (summary): the count inside
#      the engine (`engine::run_with`), averaged over 200 plans;
#   2. the whole program over the first N (default 5,000) requests of the generated set
#      (gen_requests.py) and of the corpus (corpus.py, seed 12), summary and full, a request:
#      parse and engine, as `calc --batch` runs them (less its output).
# PROF_BIN: a profiling example already built (e.g. from another commit, to compare).
# BENCHMARKS.md, engine: session 15 measured 114,379 instructions a full plan at 7.53 us
# (criterion's median on that VM), sessions 16-19 the same code at about twice the time.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-5000}
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install valgrind" >&2; exit 1; }
if [ -z "${PROF_BIN:-}" ]; then cargo build --release -q -p art60-rules --example prof; fi
bin=${PROF_BIN:-${CARGO_TARGET_DIR:-target}/release/examples/prof}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions of the program, or of the first function matching $2 (inclusive), from
# callgrind (awk reads to the end: an early exit would break the pipe under pipefail).
count() {
  local out=$1 pattern=${2:-}
  if [ -z "$pattern" ]; then
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !n {gsub(",", "", $1); n = $1} END {print n}'
  else
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null \
      | awk -v p="$pattern" 'index($0, p) && !n {gsub(",", "", $1); n = $1} END {print n}'
  fi
}

run() {
  local detail=$1 input=$2 out=$work/cg.$RANDOM
  PROF_DETAIL=$detail valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$input" \
    >/dev/null 2>&1
  echo "$out"
}

if [ -n "${PROF_BIN:-}" ]; then built=given; else built="built from $(git rev-parse --short HEAD)"; fi
echo "binary: $bin ($built), $(date -u +%FT%TZ)"
echo "one plan, scripts/bench/typical-plan.json (engine::run_with, 200 plans):"
for detail in full summary; do
  out=$(run "$detail" scripts/bench/typical-plan.json)
  total=$(count "$out" 'engine::run_with::{{closure}} [')
  printf '  %-8s %8d instructions a plan\n' "$detail" $((total / 200))
done

# The sets of BENCHMARKS.md's figures: the first N of 20,000 (the generators draw in order).
python3 scripts/bench/gen_requests.py 20000 > "$work/all.jsonl"
head -n "$n" "$work/all.jsonl" > "$work/generated.jsonl"
python3 scripts/bench/corpus.py 20000 12 > "$work/all.jsonl"
head -n "$n" "$work/all.jsonl" > "$work/corpus.jsonl"
echo "whole program, first $n requests (parse and engine, a request):"
for set in generated corpus; do
  for detail in summary full; do
    out=$(run "$detail" "$work/$set.jsonl")
    total=$(count "$out")
    printf '  %-9s %-8s %8d instructions a request (%d in all)\n' "$set" "$detail" \
      $((total / n)) "$total"
  done
done
