#!/usr/bin/env bash
# Same answers before and after a change of the engine: runs two `art60` binaries on the same
# varied requests (scripts/bench/corpus.py, plus the generated batch set and examples/) with the
# full result and the explanation, under several option sets and languages, and compares the
# output byte for byte.
#   scripts/bench/same_answers.sh OLD_BIN NEW_BIN [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1 new=$2 n=${3:-8000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 scripts/bench/corpus.py "$n" 12 > "$dir/in.jsonl"
python3 scripts/bench/gen_requests.py 2000 7 >> "$dir/in.jsonl"
for f in examples/*.json; do python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$f" >> "$dir/in.jsonl"; done
echo "requests: $(wc -l < "$dir/in.jsonl")"
status=0
run() { # name, args...
  local name=$1; shift
  "$old" calc --batch "$dir/in.jsonl" "$@" > "$dir/old.$name" 2>&1 || true
  "$new" calc --batch "$dir/in.jsonl" "$@" > "$dir/new.$name" 2>&1 || true
  if cmp -s "$dir/old.$name" "$dir/new.$name"; then
    echo "same: $name ($(wc -l < "$dir/new.$name") lines)"
  else
    echo "DIFFERENT: $name"; diff <(tr ',' '\n' < "$dir/old.$name") <(tr ',' '\n' < "$dir/new.$name") | head -20
    status=1
  fi
}
run summary
run full-fr --full --explain --lang fr
run full-en-average --full --explain --lang en --option quarter_cap_method=average
run full-nl-options --full --explain --lang nl --option rounding_mode=per_part_ceiling --option extension_unit=years_months --option reference_start_month_end=first_of_next_month
run full-de-options --full --explain --lang de --option undeclared_completion=complete --option status_min_job_length=four_weeks --option morocco_convention=convention_3_months --option prior_admission_kinds=plus_art42bis
run summary-average --option quarter_cap_method=average --option art60_is_reemployment_programme=true
exit $status
